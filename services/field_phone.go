package services

import "strings"

// National significant numbers in Indonesia (after the trunk 0 or the country
// code 62) have 8 to 12 digits.
const (
	minPhoneDigits = 8
	maxPhoneDigits = 12
)

// parsePhone accepts an Indonesian number written 08..., +62... or 62...,
// with spaces, dashes, dots or parentheses anywhere, alone or inside a
// sentence, and returns it as "62" followed by the national significant
// number. A trunk 0 left after the
// country code ("+62 (0)812...", a common habit) is dropped: no national
// number starts with 0.
func parsePhone(input string) (string, *Problem) {
	value, problem := parsePhoneNumber(input)
	if problem != nil {
		// "hp saya 0812 3456 7890", "no wa: +62 812-3456-7890"
		if n, ok := numberIn(input); ok && n != strings.TrimSpace(input) {
			return parsePhoneNumber(n)
		}
	}
	return value, problem
}

// parsePhoneNumber is parsePhone of an answer that is the number alone.
func parsePhoneNumber(input string) (string, *Problem) {
	var b strings.Builder
	plus := false
	for _, r := range input {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && !plus:
			plus = true // only "+62" is meaningful; the plus is implied by "62"
		case r == '-' || r == '.' || r == '(' || r == ')' || isBlank(r):
		default:
			return "", problemOf(ProblemPhone)
		}
	}
	digits := b.String()
	var national string
	switch {
	case strings.HasPrefix(digits, "62"):
		national = strings.TrimPrefix(digits[2:], "0")
	case strings.HasPrefix(digits, "0") && !plus:
		national = digits[1:]
	default:
		return "", problemOf(ProblemPhone)
	}
	if len(national) < minPhoneDigits || len(national) > maxPhoneDigits || national[0] == '0' {
		return "", problemOf(ProblemPhone)
	}
	return "62" + national, nil
}
