package services

import (
	"strings"
	"unicode"
)

// StripInvisible removes the characters that change how a text is shown
// without being seen themselves: bidirectional controls (a right-to-left
// override makes "Camat Leksono<RLO> (petugas resmi)" read as an official
// title), zero-width spaces and joiners, the byte-order mark, soft hyphens
// and every other format character (Unicode category Cf), and the Hangul
// fillers that pass for blank names. Whatever a citizen sends goes through
// it before staff or another citizen can see it.
func StripInvisible(s string) string {
	if strings.IndexFunc(s, invisible) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

func invisible(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0': // Hangul fillers
		return true
	}
	return r >= 0xad && unicode.Is(unicode.Cf, r)
}

// HoldsIDNumber reports whether text holds a number of exactly 16 digits,
// spaces, dots and dashes between them aside: a NIK or KK number, which
// belongs in its own field, where it is sealed and masked, and nowhere
// else. Longer numbers (an 18-digit PBB object number) are not one.
func HoldsIDNumber(text string) bool {
	run := 0
	for _, r := range text + "x" {
		switch {
		case r >= '0' && r <= '9':
			run++
		case r == ' ' || r == '.' || r == '-':
		default:
			if run == 16 {
				return true
			}
			run = 0
		}
	}
	return false
}
