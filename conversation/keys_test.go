package conversation

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// A key the engine names: where, and either the key itself or the pattern it
// is built by ("status.label.*": the literal parts, * for the rest).
type usedKey struct {
	pos     token.Position
	key     string
	pattern bool
}

// keyArgs are the functions that take a locale key, by the position of the
// key among their arguments.
var keyArgs = map[string]int{"tr": 1, "T": 1, "Has": 0}

// wordArgs are the functions that take the name of a word list (words.<name>).
var wordArgs = map[string]int{"Words": 0, "WordGroups": 0, "isWord": 0}

var (
	// keyRe is a whole key; fragmentRe the start of one built at run time.
	keyRe      = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z0-9_]+)+$`)
	fragmentRe = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z0-9_]+)*\.$`)
)

// engineFamilies enumerate the keys the engine builds from its own
// constants, by the pattern its source builds them with. A new pattern in
// the source fails TestLocaleKeysExist until it is listed here.
func engineFamilies() map[string][]string {
	var labels []string
	for _, s := range services.Statuses {
		labels = append(labels, "status.label."+string(s))
	}
	var events []string
	for _, kind := range []string{services.EventSubmit, services.EventStatus, "status_plain", services.EventAssign,
		services.EventNote, services.EventQuestion, services.EventReply, services.EventLetter, services.EventLetterRevoked} {
		events = append(events, "staff.event."+kind)
	}
	var asks, answers []string
	for _, el := range services.SurveyElements {
		asks = append(asks, "survey.ask."+el)
		for score := 1; score <= 4; score++ {
			answers = append(answers, "survey.answer."+el+"."+strconv.Itoa(score))
		}
	}
	var profileAsks, profileOptions []string
	for _, q := range services.SurveyProfile {
		profileAsks = append(profileAsks, "survey.profile."+q.Code+".ask")
		for _, o := range q.Options {
			profileOptions = append(profileOptions, "survey.profile."+q.Code+".option."+o)
		}
	}
	var months []string
	for m := 1; m <= 12; m++ {
		months = append(months, "date.month."+strconv.Itoa(m))
	}
	// A greeting's answer is named after its kind, which the locales
	// declare (words.greetings.<kind>); CheckTexts holds every kind to an
	// answer at start-up.
	texts, err := locales.Load(locales.FS)
	if err != nil {
		panic(err)
	}
	var greetings []string
	for kind := range texts.WordGroups("greetings") {
		greetings = append(greetings, "greeting_back."+kind)
	}
	var purposes, staffPurposes, weekdays, outcomes []string
	for _, s := range []services.VisitStatus{services.VisitBooked, services.VisitVisited, services.VisitNoShow} {
		outcomes = append(outcomes, "visit.staff.outcome."+string(s))
	}
	for _, p := range []services.VisitPurpose{services.VisitPickup, services.VisitOriginals, services.VisitSignature} {
		purposes = append(purposes, "visit.purpose."+string(p))
		staffPurposes = append(staffPurposes, "visit.staff.purpose."+string(p))
	}
	for d := 1; d <= 7; d++ {
		weekdays = append(weekdays, "visit.weekday."+strconv.Itoa(d))
	}
	var commands, global []string
	for _, cmd := range staffCommands {
		commands = append(commands, "words.staff."+cmd)
	}
	for _, list := range globalWords {
		global = append(global, "words."+list)
	}
	var talkWeekdays, ratings, talkStates []string
	for d := 0; d < 7; d++ {
		talkWeekdays = append(talkWeekdays, "handover.weekday."+strconv.Itoa(d))
	}
	for score := 1; score <= 4; score++ {
		ratings = append(ratings, "handover.rate."+strconv.Itoa(score))
	}
	for _, s := range []services.HandoverState{services.HandoverWaiting, services.HandoverHeld, services.HandoverClosed} {
		talkStates = append(talkStates, "handover.state."+string(s))
	}
	return map[string][]string{
		"handover.weekday.*":        talkWeekdays,
		"handover.rate.*":           ratings,
		"handover.state.*":          talkStates,
		"status.label.*":            labels,
		"staff.event.*":             events,
		"survey.ask.*":              asks,
		"survey.answer.*.*":         answers,
		"survey.profile.*.ask":      profileAsks,
		"survey.profile.*.option.*": profileOptions,
		"date.month.*":              months,
		"words.staff.*":             commands,
		"words.*":                   global,
		"media.*":                   {"media.other"}, // any other media falls back to media.other
		"greeting_back.*":           greetings,
		"visit.purpose.*":           purposes,
		"visit.weekday.*":           weekdays,
		"visit.staff.purpose.*":     staffPurposes,
		"visit.staff.outcome.*":     outcomes,
	}
}

// catalogNamespaces are built from the catalog: its own check
// (Catalog.CheckKeys, run at start-up) covers every key of those.
var catalogNamespaces = []string{"service.", "redirect.", "referral.", "unit.", "field."}

// TestLocaleKeysExist reads the engine's source and checks that every
// locale key it names exists in the default language: each key written
// whole (in a call to tr, T or Has, or any dotted string of a namespace the
// locales use), each word list, and each key built at run time, enumerated
// from the catalog and the engine's constants. A missing key would reach a
// citizen as "[key]".
func TestLocaleKeysExist(t *testing.T) {
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	used, words := keysInSource(t, namespaces(t))
	if len(used) < 100 {
		t.Fatalf("found only %d keys in the source: the scan is broken", len(used))
	}
	families := engineFamilies()
	catalogKeys := catalog.Keys()
	for _, u := range used {
		switch {
		case !u.pattern:
			if !texts.Has(u.key) {
				t.Errorf("%s: locale key %q is not in locales/%s", u.pos, u.key, locales.DefaultLang)
			}
		case hasAnyPrefix(u.key, catalogNamespaces):
			if !matchesAny(u.key, catalogKeys) {
				t.Errorf("%s: key built as %q matches no key the catalog declares (Catalog.Keys), so nothing checks it", u.pos, u.key)
			}
		default:
			keys, ok := families[u.key]
			if !ok {
				t.Errorf("%s: key built as %q: list the keys it can be in engineFamilies", u.pos, u.key)
			}
			for _, k := range keys {
				if !texts.Has(k) && len(texts.WordGroups(k)) == 0 {
					t.Errorf("%s: locale key %q (built as %q) is not in locales/%s", u.pos, k, u.key, locales.DefaultLang)
				}
			}
		}
	}
	for _, w := range words {
		if len(texts.Words(w.key)) == 0 && len(texts.WordGroups(w.key)) == 0 {
			t.Errorf("%s: word list %q is not in locales/%s", w.pos, "words."+w.key, locales.DefaultLang)
		}
	}
	for _, k := range services.ProblemKeys() {
		if !texts.Has(k) {
			t.Errorf("field parsers: locale key %q is not in locales/%s", k, locales.DefaultLang)
		}
	}
	if err := CheckTexts(catalog, texts); err != nil {
		t.Errorf("start-up check: %v", err)
	}
}

// The scan finds what it must: a key in a call, a key in a struct, a key
// built at run time, and a word list.
func TestKeysInSourceFinds(t *testing.T) {
	used, words := keysInSource(t, namespaces(t))
	want := map[string]bool{"greeting": false, "help.form": false, "status.label.*": false, "survey.answer.*.*": false,
		"menu.title": false, "words.staff.*": false, "words.skip": false}
	for _, u := range used {
		if _, ok := want[u.key]; ok {
			want[u.key] = true
		}
	}
	for _, w := range words {
		if _, ok := want["words."+w.key]; ok {
			want["words."+w.key] = true
		}
	}
	for k, found := range want {
		if !found {
			t.Errorf("the scan missed %s", k)
		}
	}
	for _, u := range used {
		if u.key == "staff.*" {
			t.Errorf("%s: the word list words.staff.* was also taken for a text key", u.pos)
		}
	}
}

// namespaces are the first parts of every key of the default language
// ("menu", "form", "staff", ...), read from its files.
func namespaces(t *testing.T) map[string]bool {
	t.Helper()
	names, err := fs.Glob(locales.FS, locales.DefaultLang+"/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no locale files: %v", err)
	}
	out := map[string]bool{}
	for _, name := range names {
		raw, err := fs.ReadFile(locales.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]any
		if err := yaml.Unmarshal(raw, &top); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k := range top {
			out[k] = true
		}
	}
	return out
}

// keysInSource parses the package's Go files (tests aside) and returns the
// keys and the word lists they name.
func keysInSource(t *testing.T, ns map[string]bool) (keys, words []usedKey) {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			files = append(files, n)
		}
	}
	sort.Strings(files)
	consumed := map[ast.Node]bool{} // word-list names, not text keys
	inNamespace := func(s string) bool {
		first, _, _ := strings.Cut(s, ".")
		return ns[first]
	}
	for _, name := range files {
		f, err := parser.ParseFile(fset, path.Clean(name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if consumed[n] {
				return false
			}
			switch n := n.(type) {
			case *ast.CallExpr:
				fn := calleeName(n.Fun)
				if i, ok := keyArgs[fn]; ok && i < len(n.Args) {
					if s, ok := stringLit(n.Args[i]); ok && !strings.Contains(s, ".") {
						// A key of one part ("greeting"): only a call says it is one.
						keys = append(keys, usedKey{pos: fset.Position(n.Args[i].Pos()), key: s})
					}
				}
				if i, ok := wordArgs[fn]; ok && i < len(n.Args) {
					consumed[n.Args[i]] = true
					if s, ok := stringLit(n.Args[i]); ok {
						words = append(words, usedKey{pos: fset.Position(n.Args[i].Pos()), key: s})
					} else if p, ok := pattern(n.Args[i]); ok {
						keys = append(keys, usedKey{pos: fset.Position(n.Args[i].Pos()), key: "words." + p, pattern: true})
					}
				}
			case *ast.BinaryExpr:
				if p, ok := pattern(n); ok && inNamespace(p) {
					keys = append(keys, usedKey{pos: fset.Position(n.Pos()), key: p, pattern: true})
					return false
				}
			case *ast.BasicLit:
				if s, ok := stringLit(n); ok && keyRe.MatchString(s) && inNamespace(s) {
					keys = append(keys, usedKey{pos: fset.Position(n.Pos()), key: s})
				}
			}
			return true
		})
	}
	return keys, words
}

// pattern turns a key built by concatenation ("survey.answer." + el + "." +
// n) into its pattern ("survey.answer.*.*"). It reports false unless the
// first operand is the literal start of a key.
func pattern(e ast.Expr) (string, bool) {
	var parts []ast.Expr
	var flatten func(ast.Expr)
	flatten = func(e ast.Expr) {
		if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
			flatten(b.X)
			flatten(b.Y)
			return
		}
		parts = append(parts, e)
	}
	flatten(e)
	first, ok := stringLit(parts[0])
	if len(parts) < 2 || !ok || !fragmentRe.MatchString(first) {
		return "", false
	}
	var b strings.Builder
	for _, p := range parts {
		if s, ok := stringLit(p); ok {
			b.WriteString(s)
		} else {
			b.WriteString("*")
		}
	}
	return b.String(), true
}

func calleeName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// matchesAny reports whether a pattern (* for one key part) matches a key.
func matchesAny(pattern string, keys []string) bool {
	re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, `[a-z0-9_]+`) + "$")
	for _, k := range keys {
		if re.MatchString(k) {
			return true
		}
	}
	return false
}
