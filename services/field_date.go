package services

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Years outside this range are typing mistakes, not dates of a citizen's
// life or of an event at the office.
const (
	minYear = 1900
	maxYear = 2100
)

// maxDateInput bounds the input read as a date; no date is written in more.
const maxDateInput = 64

// parseDate reads a day, a month and a year: dd-mm-yyyy, dd/mm/yyyy,
// d-m-yyyy, dd.mm.yyyy, yyyy-mm-dd, or with the month as a word ("12
// Januari 2025", "12 jan 2025", names from env.Vocab.Months, any case),
// alone or inside a sentence ("lahir 17 agustus 1990", "tgl 17/8/90"). A
// two-digit year is read as the year of the NIK answered before it when
// their last digits agree, else against today (see fullYear). A wrong shape
// is date_format; a date that does not exist (31-02-2025) is date_invalid;
// NotFuture and NotPast compare with env.Today's calendar date.
func (f Field) parseDate(input string, env Env) (string, *Problem) {
	if len(input) > maxDateInput || !utf8.ValidString(input) {
		return "", problemOf(ProblemDateFormat)
	}
	parts := strings.FieldsFunc(strings.ToLower(input), func(r rune) bool {
		return r == '-' || r == '/' || r == '.' || r == ',' || r == ':' || isBlank(r)
	})
	day, month, year, ok := 0, 0, 0, false
	if len(parts) == 3 {
		day, month, year, ok = dateParts(parts, env.Vocab.Months)
	}
	// Inside a sentence: the first three words in a row that make a date.
	for i := 0; !ok && len(parts) > 3 && i+3 <= len(parts); i++ {
		day, month, year, ok = dateParts(parts[i:i+3], env.Vocab.Months)
	}
	if !ok {
		return "", problemOf(ProblemDateFormat)
	}
	if year < 100 {
		year = f.fullYear(year, month, day, env)
	}
	if year < minYear || year > maxYear || !isRealDate(year, month, day) {
		return "", problemOf(ProblemDateInvalid)
	}
	value := strconv.Itoa(year) + "-" + pad2(month) + "-" + pad2(day)
	today := env.Today.Format("2006-01-02")
	// Both are zero-padded yyyy-mm-dd, so string order is date order.
	if f.NotFuture && value > today {
		return "", problemOf(ProblemDateFuture)
	}
	if f.NotPast && value < today {
		return "", problemOf(ProblemDatePast)
	}
	return value, nil
}

// fullYear reads a two-digit year. When the form's NIK carries a birth
// year ending the same, it is that year; otherwise, of 19yy and 20yy, a
// date that may not be in the future takes the latest not after today, one
// that may not be past the earliest not before today, and any other the
// one nearer today.
func (f Field) fullYear(yy, month, day int, env Env) int {
	if nik := env.Answers[NIKField]; len(nik) == idNumberLength {
		if born, ok := NIKBirthDate(nik, env.Today, 0); ok && born.Year()%100 == yy {
			return born.Year()
		}
	}
	old, recent := 1900+yy, 2000+yy
	today := env.Today.Format("2006-01-02")
	on := func(year int) string { return strconv.Itoa(year) + "-" + pad2(month) + "-" + pad2(day) }
	switch {
	case f.NotFuture:
		if on(recent) <= today {
			return recent
		}
		return old
	case f.NotPast:
		if on(old) >= today {
			return old
		}
		return recent
	}
	if recent-env.Today.Year() <= env.Today.Year()-old {
		return recent
	}
	return old
}

// dateParts orders three tokens into day, month and year. The year has four
// digits, or two (returned as is, under 100); the day one or two; the month
// one or two digits or a month name.
func dateParts(parts []string, months map[string]int) (day, month, year int, ok bool) {
	if len(parts[0]) == 4 && isASCIIDigits(parts[0]) {
		// ISO order, as phones sometimes fill in: yyyy-mm-dd.
		parts = []string{parts[2], parts[1], parts[0]}
	}
	d, m, y := parts[0], parts[1], parts[2]
	if !isShortNumber(d) || (len(y) != 4 && len(y) != 2) || !isASCIIDigits(y) {
		return 0, 0, 0, false
	}
	day, _ = strconv.Atoi(d)
	year, _ = strconv.Atoi(y)
	if isShortNumber(m) {
		month, _ = strconv.Atoi(m)
		return day, month, year, true
	}
	month, ok = monthByName(m, months)
	return day, month, year, ok
}

// monthByName looks a month word up case-insensitively.
func monthByName(word string, months map[string]int) (int, bool) {
	for name, n := range months {
		if strings.ToLower(name) == word && n >= 1 && n <= 12 {
			return n, true
		}
	}
	return 0, false
}

func isShortNumber(s string) bool {
	return len(s) >= 1 && len(s) <= 2 && isASCIIDigits(s)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
