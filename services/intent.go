package services

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// IntentKind says what a sentence asks for.
type IntentKind uint8

// The intents a sentence may carry.
const (
	NoIntent       IntentKind = iota
	IntentForm                // open a service's form: a request, or a complaint
	IntentStandard            // show a request service's standard (requirements, cost, time)
	IntentRedirect            // say where a service handled elsewhere goes
	IntentTicket              // show a ticket's history
)

// Intent is one thing a sentence asks for.
type Intent struct {
	Kind   IntentKind
	Code   string // the service's or redirect's code
	Ticket string // IntentTicket: the ticket, canonical (LKS-261207-0002)
}

// Understood is what Intents.Find read in a sentence: its intent and, when
// the sentence named two things as strongly ("sktm atau domisili?"), the
// other one, so the citizen can be asked which.
type Understood struct {
	Intent Intent
	Other  Intent // Kind NoIntent unless two tied
}

// IntentWords are the words of a language that steer an intent, from the
// locales (an office extends them in YAML, as the catalog's synonyms).
type IntentWords struct {
	// Info words ask about a service rather than for it: "syarat",
	// "biaya", "berapa lama" show its standard.
	Info []string
	// Request words ask for a service: "mau", "buat", "ngurus" open its
	// form.
	Request []string
	// Purpose words name what a service is for: what a sentence names
	// after one ("sktm untuk berobat") is not what it asks for.
	Purpose []string
	// Expand maps a word to the short forms people type for it: "berapa"
	// to "brp", "gimana" to "gmn".
	Expand map[string][]string
	// Greetings maps a kind of greeting to its phrases: "salam" to
	// "assalamualaikum", "pagi" to "selamat pagi".
	Greetings map[string][]string
	// Names are the names of services and redirects as citizens read
	// them (service.<code>.name in every language), by code.
	Names map[string][]string
}

// Bounds of the work one sentence may cost.
const (
	maxIntentInput  = 512 // bytes of normalized text read
	maxIntentWords  = 64  // words read
	maxPhraseWords  = 6   // words in one phrase
	maxTicketSerial = 6   // digits of a ticket's daily serial
	maxSlipBytes    = 64  // two words whose space may have slipped
)

// phrase kinds in the index: a target, or a word that steers one.
type entryKind uint8

const (
	entryService entryKind = iota
	entryRedirect
	entryInfo
	entryRequest
	entryPurpose
)

type intentEntry struct {
	kind      entryKind
	code      string
	complaint bool // entryService: a complaint, whose form always opens
	purpose   bool // entryRequest: also a purpose word ("buat")
}

// Intents finds what a citizen's own sentence asks for: a service named
// anywhere in it by its code, keywords, synonyms or name (with one typo in
// a word of five letters or more, a space slipped, or a common
// abbreviation); a redirect; a ticket number; and a greeting at its start.
// Build it once with NewIntents: every look-up is then a map read per
// phrase of the sentence, with no regexp and no map built per message.
type Intents struct {
	phrases map[string]int // normalized phrase -> entries index
	entries []intentEntry
	expand  map[string]string // short form -> word
	known   map[string]bool   // every word of every phrase
	// typos finds the known words of minTypoRunes runes or more that may
	// be one edit away from a word: those of a length within one that share
	// its first or its last rune (one edit leaves one of the two alone).
	typos      map[typoKey][]int
	typoWords  []string
	typoRunes  [][]rune
	greetings  map[string]string // compact phrase -> kind
	greetList  []string          // compact greetings, sorted
	greetRunes [][]rune          // the same as runes
	maxGreet   int               // words in the longest greeting
	prefix     string            // the ticket prefix, lower case
}

// NewIntents indexes the catalog's services (code, keywords, synonyms and
// names) and redirects, and the steering words. It fails, naming them,
// when a phrase would lead to two places: a catalog keyword that is also a
// steering word, or two names that normalize alike. The index is still
// usable then (the first claim wins), so a caller may log and go on.
func NewIntents(c *Catalog, w IntentWords) (*Intents, error) {
	x := &Intents{
		phrases:   map[string]int{},
		expand:    map[string]string{},
		known:     map[string]bool{},
		typos:     map[typoKey][]int{},
		greetings: map[string]string{},
		prefix:    strings.ToLower(c.Office.TicketPrefix),
	}
	var problems []error
	reported := map[string]bool{}
	owner := func(e intentEntry) string {
		switch e.kind {
		case entryService:
			return fmt.Sprintf("service %q", e.code)
		case entryRedirect:
			return fmt.Sprintf("redirect %q", e.code)
		case entryInfo:
			return "words.intent.info"
		case entryRequest:
			return "words.intent.request"
		}
		return "words.intent.purpose"
	}
	add := func(e intentEntry, texts ...string) {
		x.entries = append(x.entries, e)
		idx := len(x.entries) - 1
		for _, t := range texts {
			p := normalize(t)
			if p == "" || strings.Count(p, " ") >= maxPhraseWords {
				continue
			}
			if prev, taken := x.phrases[p]; taken {
				pe := x.entries[prev]
				if (pe.kind != e.kind || pe.code != e.code) && !reported[p] {
					reported[p] = true
					problems = append(problems, fmt.Errorf("%q leads to both %s and %s; keep it in one", t, owner(pe), owner(e)))
				}
				continue
			}
			x.phrases[p] = idx
			for _, word := range strings.Fields(p) {
				x.known[word] = true
			}
		}
	}
	for _, s := range c.Services {
		texts := append(append(append([]string{s.Code}, s.Keywords...), s.Synonyms...), w.Names[s.Code]...)
		add(intentEntry{kind: entryService, code: s.Code, complaint: s.Kind == KindComplaint}, texts...)
	}
	for _, r := range c.Redirects {
		texts := append(append(append([]string{r.Code}, r.Keywords...), r.Synonyms...), w.Names[r.Code]...)
		add(intentEntry{kind: entryRedirect, code: r.Code}, texts...)
	}
	// The steering words come after the catalog: a word the catalog gives
	// a service keeps leading there, and the clash is reported.
	add(intentEntry{kind: entryInfo}, w.Info...)
	add(intentEntry{kind: entryRequest}, w.Request...)
	// "buat" both asks ("mau buat sktm") and names a purpose ("sktm buat
	// berobat"): a purpose word may repeat a request word.
	for _, p := range w.Purpose {
		if n := normalize(p); n != "" {
			if i, ok := x.phrases[n]; ok && x.entries[i].kind == entryRequest {
				x.entries[i].purpose = true
				continue
			}
		}
		add(intentEntry{kind: entryPurpose}, p)
	}
	for word, shorts := range w.Expand {
		full := normalize(word)
		for _, s := range shorts {
			if short := normalize(s); short != "" && full != "" && !strings.Contains(short, " ") {
				x.expand[short] = full
			}
		}
	}
	for word := range x.known {
		if utf8.RuneCountInString(word) >= minTypoRunes {
			x.typoWords = append(x.typoWords, word)
		}
	}
	sort.Strings(x.typoWords) // the same typo fix whatever the map order
	for i, w := range x.typoWords {
		r := []rune(w)
		x.typoRunes = append(x.typoRunes, r)
		first, last := typoKey{n: len(r), r: r[0]}, typoKey{n: len(r), r: r[len(r)-1], last: true}
		x.typos[first] = append(x.typos[first], i)
		x.typos[last] = append(x.typos[last], i)
	}
	kinds := make([]string, 0, len(w.Greetings))
	for kind := range w.Greetings {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		for _, g := range w.Greetings[kind] {
			n := normalize(g)
			if n == "" {
				continue
			}
			compact := strings.ReplaceAll(n, " ", "")
			if prev, taken := x.greetings[compact]; taken && prev != kind {
				problems = append(problems, fmt.Errorf("greeting %q is both words.greetings.%s and words.greetings.%s", g, prev, kind))
				continue
			}
			x.greetings[compact] = kind
			x.greetList = append(x.greetList, compact)
			x.maxGreet = max(x.maxGreet, strings.Count(n, " ")+1)
		}
	}
	sort.Strings(x.greetList)
	for _, g := range x.greetList {
		x.greetRunes = append(x.greetRunes, []rune(g))
	}
	return x, errors.Join(problems...)
}

// words is a sentence cut into normalized words, abbreviations expanded,
// bounded.
func (x *Intents) words(text string) []string {
	in := normalize(text)
	if len(in) > maxIntentInput {
		in = in[:maxIntentInput]
		if i := strings.LastIndexByte(in, ' '); i > 0 {
			in = in[:i]
		}
	}
	words := strings.Fields(in)
	if len(words) > maxIntentWords {
		words = words[:maxIntentWords]
	}
	for i, w := range words {
		if full, ok := x.expand[w]; ok {
			words[i] = full
		}
	}
	return words
}

// Find reads what a sentence asks for. A ticket number anywhere wins; else
// the service or redirect named by the longest phrase, words after a
// purpose word aside ("sktm untuk berobat" asks for an SKTM). A request
// service is asked about (IntentStandard) when an info word is in the
// sentence ("syarat sktm"), or when the sentence is nothing but its name
// ("sktm"); otherwise it is asked for (IntentForm). When two places are
// named by equally long phrases, Other holds the second.
func (x *Intents) Find(text string) Understood {
	words := x.words(text)
	if len(words) == 0 {
		return Understood{}
	}
	if ticket, ok := x.findTicket(words); ok {
		return Understood{Intent: Intent{Kind: IntentTicket, Ticket: ticket}}
	}
	words = x.mend(words)
	line := strings.Join(words, " ")
	starts := make([]int, len(words)+1) // byte offset of each word, and the end
	at := 0
	for i, w := range words {
		starts[i] = at
		at += len(w) + 1
	}
	starts[len(words)] = len(line) + 1

	type hit struct {
		entry, length, pos int
	}
	var hits []hit
	info, request, purposeSeen := false, false, false
	for i := 0; i < len(words); i++ {
		for n := min(maxPhraseWords, len(words)-i); n >= 1; n-- {
			idx, ok := x.phrases[line[starts[i]:starts[i+n]-1]]
			if !ok {
				continue
			}
			e := x.entries[idx]
			switch e.kind {
			case entryInfo:
				info = true
			case entryRequest:
				request = true
				if e.purpose && len(hits) > 0 {
					purposeSeen = true
				}
			case entryPurpose:
				if len(hits) > 0 {
					purposeSeen = true
				}
			default:
				if !purposeSeen {
					hits = append(hits, hit{entry: idx, length: n, pos: i})
				}
			}
			i += n - 1 // the words of a phrase are not read again
			break
		}
	}
	if len(hits) == 0 {
		return Understood{}
	}
	// The longest phrase wins; an entry counts once, at its longest, from
	// where it was first named.
	ranked := make([]hit, 0, len(hits))
	for _, h := range hits {
		k := slices.IndexFunc(ranked, func(r hit) bool { return r.entry == h.entry })
		switch {
		case k < 0:
			ranked = append(ranked, h)
		case h.length > ranked[k].length:
			ranked[k].length = h.length
		}
	}
	slices.SortStableFunc(ranked, func(a, b hit) int { return b.length - a.length })
	intent := func(h hit) Intent {
		e := x.entries[h.entry]
		switch {
		case e.kind == entryRedirect:
			return Intent{Kind: IntentRedirect, Code: e.code}
		case e.complaint:
			return Intent{Kind: IntentForm, Code: e.code}
		case info, !request && h.length == len(words):
			return Intent{Kind: IntentStandard, Code: e.code}
		}
		return Intent{Kind: IntentForm, Code: e.code}
	}
	out := Understood{Intent: intent(ranked[0])}
	if len(ranked) > 1 && ranked[1].length == ranked[0].length {
		out.Other = intent(ranked[1])
	}
	return out
}

// mend repairs the words the index does not know: a word of five letters
// or more one typo away from exactly one known word becomes it ("keterangn"),
// and two neighbours whose space slipped ("ajukans urat") or went missing
// are cut where both halves are known. Known words are left alone. The
// slice is copied only when something changes.
func (x *Intents) mend(words []string) []string {
	out := words
	changed := false
	set := func(i int, w string) {
		if !changed {
			out = append([]string(nil), words...)
			changed = true
		}
		out[i] = w
	}
	for i, w := range words {
		if x.known[w] {
			continue
		}
		if fixed, ok := x.typo(w); ok {
			set(i, fixed)
		}
	}
	// A slipped space: "ajukans urat" is "ajukan surat". One rune moves
	// across the space, in a buffer: no string is built for a try.
	var buf [2 * maxSlipBytes]byte
	for i := 0; i+1 < len(out); i++ {
		a, b := out[i], out[i+1]
		if x.known[a] && x.known[b] || len(a)+len(b) > maxSlipBytes || a == "" || b == "" {
			continue
		}
		_, last := utf8.DecodeLastRuneInString(a)
		_, first := utf8.DecodeRuneInString(b)
		joined := append(append(buf[:0], a...), b...)
		for _, cut := range [2]int{len(a) - last, len(a) + first} {
			if cut <= 0 || cut >= len(joined) {
				continue
			}
			if x.known[string(joined[:cut])] && x.known[string(joined[cut:])] {
				set(i, string(joined[:cut]))
				out[i+1] = string(joined[cut:])
				break
			}
		}
	}
	return out
}

// typo finds the one known word within one edit of w (5 runes or more).
func (x *Intents) typo(w string) (string, bool) {
	n := utf8.RuneCountInString(w)
	if n < minTypoRunes {
		return "", false
	}
	rw := []rune(w)
	found := -1
	for l := n - 1; l <= n+1; l++ {
		for _, key := range [2]typoKey{{n: l, r: rw[0]}, {n: l, r: rw[len(rw)-1], last: true}} {
			for _, i := range x.typos[key] {
				if i == found || !withinOneEdit(rw, x.typoRunes[i]) {
					continue
				}
				if found >= 0 {
					return "", false
				}
				found = i
			}
		}
	}
	if found < 0 {
		return "", false
	}
	return x.typoWords[found], true
}

// typoKey buckets the known words by length and first (or last) rune.
type typoKey struct {
	n    int
	r    rune
	last bool
}

// Ticket finds a ticket number of this office anywhere in a sentence.
func (x *Intents) Ticket(text string) (string, bool) {
	return x.findTicket(x.words(text))
}

// findTicket finds a ticket of this office written anywhere: "LKS-261207-
// 0002", "lks 261207 0002", "LKS2612070002" (normalized: the prefix, then
// 6 date digits and a serial of 4 to 6, in up to three words).
func (x *Intents) findTicket(words []string) (string, bool) {
	if x.prefix == "" {
		return "", false
	}
	for i, w := range words {
		if !strings.HasPrefix(w, x.prefix) {
			continue
		}
		digits := w[len(x.prefix):]
		if !isASCIIDigits(digits) && digits != "" {
			continue
		}
		var b strings.Builder
		b.WriteString(digits)
		for j := i + 1; j < len(words) && j <= i+2 && b.Len() < 6+4; j++ {
			if !isASCIIDigits(words[j]) {
				break
			}
			b.WriteString(words[j])
		}
		all := b.String()
		if len(all) < 6+4 || len(all) > 6+maxTicketSerial {
			continue
		}
		return strings.ToUpper(x.prefix) + "-" + all[:6] + "-" + all[6:], true
	}
	return "", false
}

// Greeting reads a greeting at the start of a sentence: its kind (a key of
// IntentWords.Greetings: "salam", "pagi") and the rest of the sentence,
// normalized. The greeting may be written with spaces moved
// ("assalamu'alaikum") or with one typo in a greeting of five letters or
// more ("asalamualaikum"). kind is "" when the sentence opens with none.
func (x *Intents) Greeting(text string) (kind, rest string) {
	words := x.words(text)
	// Greetings are looked up without their spaces, so allow for words cut
	// in two ("assalamu alaikum wr wb" is the three words of one).
	for n := min(2*x.maxGreet, len(words)); n >= 1; n-- {
		compact := strings.Join(words[:n], "")
		kind, ok := x.greetings[compact]
		if !ok && n == 1 {
			kind, ok = x.greetingTypo(compact)
		}
		if ok {
			return kind, strings.Join(words[n:], " ")
		}
	}
	return "", ""
}

func (x *Intents) greetingTypo(w string) (string, bool) {
	n := utf8.RuneCountInString(w)
	if n < minTypoRunes {
		return "", false
	}
	rw := []rune(w)
	found := ""
	for i, g := range x.greetRunes {
		if len(g) < minTypoRunes || len(g) < n-1 || len(g) > n+1 || !withinOneEdit(rw, g) {
			continue
		}
		kind := x.greetings[x.greetList[i]]
		if found != "" && found != kind {
			return "", false
		}
		found = kind
	}
	return found, found != ""
}
