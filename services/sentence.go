package services

import (
	"strings"
	"unicode"
)

// Answers inside sentences: citizens write "nik saya 3307...", "hp saya
// 0812 3456 7890" or "lahir 17 agustus 90" as often as the bare answer. The
// parsers try the bare answer first and, when it is not one, the part of
// the sentence that can be.

// maxSentenceInput bounds the input searched for an answer, in bytes.
const maxSentenceInput = 256

// numberIn returns the one number written inside a sentence, with the
// separators people type inside long numbers (spaces, dots, dashes,
// parentheses, a plus) as typed, for the caller's parser: "nik saya 3307
// 0557 0890 0003" gives "3307 0557 0890 0003". It reports false when the
// sentence holds no number, or more than one (letters between two numbers
// make them two: "nik 3307... kk 3307...").
func numberIn(input string) (string, bool) {
	if len(input) > maxSentenceInput {
		return "", false
	}
	var found string
	start, digits := -1, false
	prev := ' '
	flush := func(end int) bool {
		if start >= 0 && digits {
			if found != "" {
				return false
			}
			found = strings.TrimFunc(input[start:end], func(r rune) bool { return !unicode.IsDigit(r) && r != '+' && r != '(' })
		}
		start, digits = -1, false
		return true
	}
	for i, r := range input {
		switch {
		case r >= '0' && r <= '9':
			if unicode.IsLetter(prev) {
				return "", false // "NIK3307...": see below
			}
			if start < 0 {
				start = i
			}
			digits = true
		case r == '.' || r == '-' || r == '(' || r == ')' || r == '+' || isBlank(r):
			if start < 0 && (r == '+' || r == '(') {
				start = i
			}
		default:
			// A letter glued to a digit ("0812345678a", "NIK3307...") is a
			// typing slip inside the number, not a word beside it.
			if unicode.IsLetter(r) && prev >= '0' && prev <= '9' {
				return "", false
			}
			if !flush(i) {
				return "", false
			}
		}
		prev = r
	}
	if !flush(len(input)) {
		return "", false
	}
	return found, found != ""
}
