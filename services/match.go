package services

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// minTypoRunes is the shortest text for which one typo is tolerated: shorter
// words are too close to each other ("ktp" and "kk" differ by one edit too).
const minTypoRunes = 5

// maxChoiceNumber bounds the digits read as a menu number, so that a long run
// of digits is never parsed as an integer.
const maxChoiceNumber = 4

// MatchChoice finds which of choices the citizen meant by input. It tries, in
// order: a 1-based position typed as digits ("2", " 2. ") or as a number word
// from vocab.Numbers ("kalih", "loro"); an exact match against a choice's
// Value, Label or Keywords after normalization (lower case, punctuation as
// spaces, spaces collapsed); and finally one typo (Levenshtein distance 1)
// between an input of 5+ runes and a whole Value, Label or Keyword of 5+ runes.
// Labels are used as given: the caller resolves LabelKey first. When two
// different choices match at the first level that matches anything, the
// answer is ambiguous and ok is false.
func MatchChoice(input string, choices []Choice, vocab Vocabulary) (index int, ok bool) {
	in := normalize(input)
	if in == "" || len(choices) == 0 {
		return 0, false
	}
	if n, isNumber := choiceNumber(in, vocab); isNumber {
		if n >= 1 && n <= len(choices) {
			return n - 1, true
		}
		// A number outside the menu is not a label either: no choice is
		// named by digits alone, and guessing would surprise the citizen.
		return 0, false
	}
	if i, found := uniqueMatch(choices, func(cand string) bool { return cand == in }); found != 0 {
		return matched(i, found)
	}
	if utf8.RuneCountInString(in) < minTypoRunes {
		return 0, false
	}
	inRunes := []rune(in)
	i, found := uniqueMatch(choices, func(cand string) bool {
		c := []rune(cand)
		return len(c) >= minTypoRunes && withinOneEdit(inRunes, c)
	})
	return matched(i, found)
}

// matched turns uniqueMatch's answer into MatchChoice's: only a single
// matching choice is a match.
func matched(index, found int) (int, bool) {
	if found != 1 {
		return 0, false
	}
	return index, true
}

// choiceNumber reads a normalized input as a menu position: ASCII digits or
// a number word of the vocabulary.
func choiceNumber(in string, vocab Vocabulary) (int, bool) {
	if isASCIIDigits(in) {
		if len(in) > maxChoiceNumber {
			return 0, true
		}
		n, err := strconv.Atoi(in)
		if err != nil {
			return 0, true
		}
		return n, true
	}
	// One look-up: the keys are normalized (Vocabulary.Normalized). Going
	// through every number word of every language for each typed answer
	// was 2% of the bot's CPU under load.
	n, ok := vocab.Numbers[in]
	return n, ok
}

// uniqueMatch reports how many different choices have a normalized Value,
// Label or Keyword accepted by match (0, 1, or 2 meaning "more than one"),
// and the index of the first one.
func uniqueMatch(choices []Choice, match func(cand string) bool) (index, found int) {
	index = -1
	for i, c := range choices {
		if !choiceMatches(c, match) {
			continue
		}
		if index >= 0 {
			return index, 2
		}
		index = i
	}
	if index < 0 {
		return 0, 0
	}
	return index, 1
}

func choiceMatches(c Choice, match func(cand string) bool) bool {
	if n := normalizedChoice(c.Value); n != "" && match(n) {
		return true
	}
	if n := normalizedChoice(c.Label); n != "" && match(n) {
		return true
	}
	for _, k := range c.Keywords {
		if n := normalizedChoice(k); n != "" && match(n) {
			return true
		}
	}
	return false
}

// Choice texts (labels, values, keywords) are the same few hundred for
// every message, so their normalized forms are kept: normalizing them anew
// for each message was 7% of the bot's CPU under load. Labels holding a
// ticket make the set grow slowly; past maxNormalized new texts are
// normalized without being kept.
var (
	normalizedTexts sync.Map // text -> normalize(text)
	normalizedCount atomic.Int64
)

const maxNormalized = 10000

func normalizedChoice(s string) string {
	if n, ok := normalizedTexts.Load(s); ok {
		return n.(string)
	}
	n := normalize(s)
	if normalizedCount.Load() < maxNormalized {
		if _, loaded := normalizedTexts.LoadOrStore(s, n); !loaded {
			normalizedCount.Add(1)
		}
	}
	return n
}

// normalize lower-cases s, turns everything that is neither a letter nor a
// digit (in any script) into a space and collapses spaces, so that
// "Surat-Keterangan,  Tidak Mampu!" equals "surat keterangan tidak mampu".
// Invalid UTF-8 bytes count as punctuation.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		space = true
	}
	return b.String()
}

// withinOneEdit reports whether a and b are at Levenshtein distance 0 or 1.
// It runs in linear time, so a 5,000-character input costs nothing.
func withinOneEdit(a, b []rune) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(b) {
		return true // equal, or a has one extra rune at the end
	}
	if len(a) == len(b) {
		return string(a[i+1:]) == string(b[i+1:]) // one substitution
	}
	return string(a[i+1:]) == string(b[i:]) // one deletion from a
}

func isASCIIDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
