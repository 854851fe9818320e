package services

import "strconv"

// parseKK checks the structure of a family card (KK) number: 16 digits once
// spaces, dots and dashes are removed, a 6-digit area code, a 6-digit
// recording date DDMMYY that is a real date (no +40 here, unlike a NIK) and a
// family serial that is not 0000.
func parseKK(input string) (string, *Problem) {
	digits, ok := idNumber(input)
	if !ok {
		return "", problemOf(ProblemKKChars)
	}
	if len(digits) != idNumberLength {
		return "", problemWith(ProblemKKLength, "got", strconv.Itoa(len(digits)))
	}
	if !realDateEitherCentury(atoi2(digits[6:8]), atoi2(digits[8:10]), atoi2(digits[10:12])) {
		return "", problemOf(ProblemKKDate)
	}
	if digits[12:] == "0000" {
		return "", problemOf(ProblemKKSequence)
	}
	return digits, nil
}
