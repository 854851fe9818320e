package services

import (
	"slices"
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
// spaces, spaces collapsed); the same with every space left out, so a space
// that slipped ("ajukans urat") or went missing ("ajukansurat") does not
// matter; and finally one typo (Levenshtein distance 1) between an input of
// 5+ runes and a whole Value, Label or Keyword of 5+ runes. Labels are used
// as given: the caller resolves LabelKey first. When two different choices
// match at the first level that matches anything, the answer is ambiguous
// and ok is false. An answer inside a longer sentence is FindChoice's.
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
	if i, found := uniqueMatch(choices, func(f *choiceForms) bool { return f.norm == in }); found != 0 {
		return matched(i, found)
	}
	compact := strings.ReplaceAll(in, " ", "") // no copy when in has no space
	if i, found := uniqueMatch(choices, func(f *choiceForms) bool { return f.compact == compact }); found != 0 {
		return matched(i, found)
	}
	if utf8.RuneCountInString(in) < minTypoRunes {
		return 0, false
	}
	inRunes := []rune(in)
	i, found := uniqueMatch(choices, func(f *choiceForms) bool {
		return len(f.runes) >= minTypoRunes && withinOneEdit(inRunes, f.runes)
	})
	return matched(i, found)
}

// maxFindInput bounds the normalized answer FindChoice searches, in bytes:
// an answer to a choice is a sentence, not a page.
const maxFindInput = 300

// maxSubsetWords is the most words an answer may have to be found inside a
// label ("nama" in "Nama lengkap"): a longer answer is a sentence, and
// sentences are searched the other way round.
const maxSubsetWords = 3

// FindChoice finds the choice a longer answer names, for what MatchChoice
// leaves: a Value, Label or Keyword of one choice said as whole words
// anywhere in input ("biasa saja", "nggih sampun leres", "desa sawangan");
// failing that, an answer of up to three words, each with a letter, all
// found in the Label or a Keyword of one choice ("nama" for "Nama
// lengkap", "indonesia" for "Bahasa Indonesia"). Only one choice may be
// named: an answer naming two ("ya, tapi ubah") names none, and ok is false.
func FindChoice(input string, choices []Choice) (index int, ok bool) {
	in := normalize(input)
	if in == "" || len(in) > maxFindInput || len(choices) == 0 {
		return 0, false
	}
	padded := " " + in + " "
	if i, found := uniqueMatch(choices, func(f *choiceForms) bool {
		return strings.Contains(padded, f.padded)
	}); found != 0 {
		return matched(i, found)
	}
	words := strings.Fields(in)
	if len(words) > maxSubsetWords {
		return 0, false
	}
	for _, w := range words {
		if !strings.ContainsFunc(w, unicode.IsLetter) {
			return 0, false
		}
	}
	index = -1
	for i, c := range choices {
		if !containsWords(formsOf(c.Label), words) && !slices.ContainsFunc(c.Keywords, func(k string) bool {
			return containsWords(formsOf(k), words)
		}) {
			continue
		}
		if index >= 0 {
			return 0, false
		}
		index = i
	}
	return index, index >= 0
}

// FindKeyword finds the one choice whose Keywords a sentence says as whole
// words ("jalan rusak di sawangan" names the category with keyword "jalan
// rusak"). Labels and values are not read: a sentence naming what a form
// will ask later is not taken as the answer unless a keyword says so.
func FindKeyword(input string, choices []Choice) (index int, ok bool) {
	in := normalize(input)
	if in == "" || len(in) > maxFindInput {
		return 0, false
	}
	padded := " " + in + " "
	index = -1
	for i, c := range choices {
		if !slices.ContainsFunc(c.Keywords, func(k string) bool {
			f := formsOf(k)
			return f.norm != "" && strings.Contains(padded, f.padded)
		}) {
			continue
		}
		if index >= 0 {
			return 0, false
		}
		index = i
	}
	return index, index >= 0
}

// containsWords reports whether every word is a whole word of f.
func containsWords(f *choiceForms, words []string) bool {
	if f.norm == "" {
		return false
	}
	for _, w := range words {
		i := strings.Index(f.padded, w)
		// Found as a whole word: a space on each side of some occurrence.
		found := false
		for i >= 0 {
			if f.padded[i-1] == ' ' && f.padded[i+len(w)] == ' ' {
				found = true
				break
			}
			next := strings.Index(f.padded[i+1:], w)
			if next < 0 {
				break
			}
			i += 1 + next
		}
		if !found {
			return false
		}
	}
	return true
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
func uniqueMatch(choices []Choice, match func(f *choiceForms) bool) (index, found int) {
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

func choiceMatches(c Choice, match func(f *choiceForms) bool) bool {
	if f := formsOf(c.Value); f.norm != "" && match(f) {
		return true
	}
	if f := formsOf(c.Label); f.norm != "" && match(f) {
		return true
	}
	for _, k := range c.Keywords {
		if f := formsOf(k); f.norm != "" && match(f) {
			return true
		}
	}
	return false
}

// choiceForms are the forms of one choice text that matching compares:
// normalized, with its spaces left out, and as runes for typos.
type choiceForms struct {
	norm    string
	compact string
	padded  string // norm between two spaces, to find it as whole words
	runes   []rune
}

// Choice texts (labels, values, keywords) are the same few hundred for
// every message, so their forms are kept: normalizing them anew for each
// message was 7% of the bot's CPU under load. Labels holding a ticket make
// the set grow slowly; past maxNormalized new texts are computed without
// being kept.
var (
	normalizedTexts sync.Map // text -> *choiceForms
	normalizedCount atomic.Int64
)

const maxNormalized = 10000

func formsOf(s string) *choiceForms {
	if f, ok := normalizedTexts.Load(s); ok {
		return f.(*choiceForms)
	}
	n := normalize(s)
	f := &choiceForms{norm: n, compact: strings.ReplaceAll(n, " ", ""), padded: " " + n + " ", runes: []rune(n)}
	if normalizedCount.Load() < maxNormalized {
		if kept, loaded := normalizedTexts.LoadOrStore(s, f); !loaded {
			normalizedCount.Add(1)
		} else {
			f = kept.(*choiceForms)
		}
	}
	return f
}

// normalizedChoice is the normalized form of a choice text, kept.
func normalizedChoice(s string) string { return formsOf(s).norm }

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
		return slices.Equal(a[i+1:], b[i+1:]) // one substitution
	}
	return slices.Equal(a[i+1:], b[i:]) // one deletion from a
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
