package services

import (
	"strconv"
	"time"
)

// idNumberLength is the length of both a NIK and a KK number.
const idNumberLength = 16

// parseNIK checks the structure of a NIK, PP KK CC DDMMYY SSSS: 16 digits once
// spaces, dots and dashes are removed; DD modulo 40 (women have 40 added) and
// MM, YY forming a real date in 19YY or 20YY; a sequence that is not 0000.
// It deliberately knows nothing about the citizen: a NIK is never compared with
// a birth date they typed, nor its region prefix with the kecamatan, because
// a NIK never changes even when its embedded data is wrong.
func parseNIK(input string) (string, *Problem) {
	digits, ok := idNumber(input)
	if !ok {
		return "", problemOf(ProblemNIKChars)
	}
	if len(digits) != idNumberLength {
		return "", problemWith(ProblemNIKLength, "got", strconv.Itoa(len(digits)))
	}
	day := atoi2(digits[6:8]) % 40
	if !realDateEitherCentury(day, atoi2(digits[8:10]), atoi2(digits[10:12])) {
		return "", problemOf(ProblemNIKDate)
	}
	if digits[12:] == "0000" {
		return "", problemOf(ProblemNIKSequence)
	}
	return digits, nil
}

// idNumber is idDigits of the answer, or of the one number written in it
// ("nik saya 3307 0512 0590 0001").
func idNumber(input string) (string, bool) {
	if digits, ok := idDigits(input); ok {
		return digits, true
	}
	if n, ok := numberIn(input); ok {
		return idDigits(n)
	}
	return "", false
}

// idDigits strips the separators people type inside long numbers (spaces,
// dots, dashes) and reports false when anything else than ASCII digits is
// left.
func idDigits(input string) (string, bool) {
	out := make([]byte, 0, idNumberLength)
	for _, r := range input {
		switch {
		case r >= '0' && r <= '9':
			out = append(out, byte(r))
		case r == '.' || r == '-' || isBlank(r):
		default:
			return "", false
		}
	}
	return string(out), true
}

// atoi2 reads two ASCII digits already checked by idDigits.
func atoi2(s string) int {
	return int(s[0]-'0')*10 + int(s[1]-'0')
}

// realDateEitherCentury reports whether day/month/yy is a calendar date in
// 19yy or in 20yy: the two-digit year does not say which, and 29 February
// exists in 2000 but not in 1900.
func realDateEitherCentury(day, month, yy int) bool {
	return isRealDate(1900+yy, month, day) || isRealDate(2000+yy, month, day)
}

// isRealDate reports whether the date exists, relying on time.Date
// normalizing impossible dates (31 April becomes 1 May).
func isRealDate(year, month, day int) bool {
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return t.Year() == year && int(t.Month()) == month && t.Day() == day
}

// NIKBirthDate is the birth date a valid NIK carries (DDMMYY, women's day
// plus 40). The NIK gives two digits of the year: when hint (a year the
// citizen typed, 0 for none) ends in the same two, the date is in hint's
// century; otherwise in the latest century that puts it on or before
// today. It reports false for a NIK that is not 16 digits with a real
// date. The NIK stays right even when this date is wrong (it never
// changes): callers may ask, never reject.
func NIKBirthDate(nik string, today time.Time, hint int) (time.Time, bool) {
	if len(nik) != idNumberLength || !isASCIIDigits(nik) {
		return time.Time{}, false
	}
	day, month, yy := atoi2(nik[6:8])%40, atoi2(nik[8:10]), atoi2(nik[10:12])
	year := 2000 + yy
	switch {
	case hint > 0 && hint%100 == yy:
		year = hint
	case time.Date(year, time.Month(month), day, 0, 0, 0, 0, today.Location()).After(today):
		year = 1900 + yy
	}
	if !isRealDate(year, month, day) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, today.Location()), true
}
