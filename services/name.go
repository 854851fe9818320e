package services

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// lowerNameWords stay lower case inside a name written for a letter: "bin"
// and "binti" (son, daughter of) join a name to the father's.
var lowerNameWords = map[string]bool{"bin": true, "binti": true}

// TitleName writes a name the way a letter needs it: each word with a
// capital first letter and the rest small ("SITI AMINAH" and "siti aminah"
// become "Siti Aminah"), a capital after a dot or a hyphen too ("m. yusuf"
// is "M. Yusuf", "S.Pd"), none after an apostrophe ("Ma'ruf"), and "bin"
// and "binti" small unless they open the name. The letters are the ones
// typed: nothing is corrected.
func TitleName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for i, word := range strings.Fields(name) {
		if i > 0 {
			b.WriteByte(' ')
		}
		lower := strings.ToLower(word)
		if i > 0 && lowerNameWords[lower] {
			b.WriteString(lower)
			continue
		}
		upper := true
		for _, r := range lower {
			if r == utf8.RuneError {
				continue
			}
			if upper && unicode.IsLetter(r) {
				b.WriteRune(unicode.ToTitle(r))
				upper = false
				continue
			}
			b.WriteRune(r)
			switch {
			case r == '.' || r == '-':
				upper = true
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '\u2019':
				upper = false
			}
		}
	}
	return b.String()
}
