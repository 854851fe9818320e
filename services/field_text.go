package services

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// parseText trims the answer and collapses inner whitespace, then checks
// that it carries at least one letter or digit (in any script), that its
// length in runes is within Min and Max (0 means no bound), and that it
// holds no NIK or KK number (HoldsIDNumber): free text is shown and stored
// as typed, and a number in it would be neither masked nor sealed (a NIK
// typed at the name question); a TitleCase field's answer is written as a
// name on a letter (TitleName). Control characters count as whitespace,
// invisible ones (StripInvisible) and invalid UTF-8 bytes are dropped, so
// the stored value is always clean UTF-8 (PostgreSQL rejects NUL and bad
// bytes) and reads to staff as it will print.
func (f Field) parseText(input string) (string, *Problem) {
	value := cleanText(input)
	if value == "" {
		return "", problemOf(ProblemEmpty)
	}
	if strings.IndexFunc(value, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
		return "", problemOf(ProblemTextLetters)
	}
	if HoldsIDNumber(value) {
		return "", problemOf(ProblemTextID)
	}
	n := utf8.RuneCountInString(value)
	if f.Min > 0 && n < f.Min {
		return "", problemWith(ProblemTextShort, "min", strconv.Itoa(f.Min))
	}
	if f.Max > 0 && n > f.Max {
		return "", problemWith(ProblemTextLong, "max", strconv.Itoa(f.Max))
	}
	if f.TitleCase {
		value = TitleName(value)
	}
	return value, nil
}

// cleanText drops invalid UTF-8 and invisible characters, turns control
// characters into spaces and collapses runs of whitespace into one space.
func cleanText(input string) string {
	valid := StripInvisible(strings.ToValidUTF8(input, ""))
	fields := strings.FieldsFunc(valid, isBlank)
	return strings.Join(fields, " ")
}
