// Package locales holds every sentence a citizen or staff member reads, one
// YAML file per language (id.yaml first), and the words citizens type that
// the bot must understand (yes/no, month names, number words).
package locales

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed */*.yaml
var embedded embed.FS

// FS is the locale files shipped with the binary.
var FS fs.FS = embedded

// DefaultLang is the language of a chat that chose none: Bahasa Indonesia.
const DefaultLang = "id"

// Bundle is the loaded texts of every language. Texts are flattened to
// dotted keys ("menu.title"); word lists live under "words.".
type Bundle struct {
	texts map[string]map[string]string
	words map[string]map[string][]string
	from  map[string]map[string]string // lang -> key -> file:line that defined it
}

// Load reads every <lang>/*.yaml of fsys: one directory per language, its
// files merged (a key defined twice is an error). Splitting a language into
// files (citizen.yaml, staff.yaml, ...) keeps each part of the bot's wording
// in one place. The default language must exist.
func Load(fsys fs.FS) (*Bundle, error) {
	names, err := fs.Glob(fsys, "*/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list locale files: %w", err)
	}
	b := &Bundle{texts: map[string]map[string]string{}, words: map[string]map[string][]string{}, from: map[string]map[string]string{}}
	var problems []error
	for _, name := range names {
		lang := path.Dir(name)
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read locale %s: %w", name, err)
		}
		var root yaml.Node
		if err := yaml.Unmarshal(raw, &root); err != nil {
			problems = append(problems, fmt.Errorf("locales/%s: %w", name, err))
			continue
		}
		if b.texts[lang] == nil {
			b.texts[lang] = map[string]string{}
			b.words[lang] = map[string][]string{}
			b.from[lang] = map[string]string{}
		}
		if len(root.Content) == 1 {
			problems = append(problems, b.flatten(lang, name, "", root.Content[0])...)
		}
	}
	if _, ok := b.texts[DefaultLang]; !ok && len(problems) == 0 {
		problems = append(problems, fmt.Errorf("locales: %s/ is missing: it is the default language", DefaultLang))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return b, nil
}

// define records where key was defined, and reports a second definition.
func (b *Bundle) define(lang, file, key string, line int) error {
	where := fmt.Sprintf("locales/%s:%d", file, line)
	if first, ok := b.from[lang][key]; ok {
		return fmt.Errorf("%s: %s is already defined at %s", where, key, first)
	}
	b.from[lang][key] = where
	return nil
}

func (b *Bundle) flatten(lang, file, prefix string, n *yaml.Node) []error {
	var problems []error
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			problems = append(problems, b.flatten(lang, file, key, n.Content[i+1])...)
		}
	case yaml.SequenceNode:
		var list []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				problems = append(problems, fmt.Errorf("locales/%s:%d: %s: a word list holds plain words only", file, item.Line, prefix))
				continue
			}
			list = append(list, item.Value)
		}
		if err := b.define(lang, file, prefix, n.Line); err != nil {
			return append(problems, err)
		}
		b.words[lang][prefix] = list
	case yaml.ScalarNode:
		if err := b.define(lang, file, prefix, n.Line); err != nil {
			return append(problems, err)
		}
		b.texts[lang][prefix] = strings.TrimRight(n.Value, "\n")
	default:
		problems = append(problems, fmt.Errorf("locales/%s:%d: %s: unexpected YAML node", file, n.Line, prefix))
	}
	return problems
}

// Langs lists the loaded languages, sorted.
func (b *Bundle) Langs() []string {
	var out []string
	for l := range b.texts {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the default language defines key, as text or words.
func (b *Bundle) Has(key string) bool {
	if _, ok := b.texts[DefaultLang][key]; ok {
		return true
	}
	_, ok := b.words[DefaultLang][key]
	return ok
}

// T returns the text of key in lang (falling back to the default language)
// with each {name} replaced by args[name]. A missing key returns the key in
// brackets; start-up checks make sure that never reaches a citizen.
func (b *Bundle) T(lang, key string, args map[string]string) string {
	text, ok := b.texts[lang][key]
	if !ok {
		text, ok = b.texts[DefaultLang][key]
	}
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return text
	}
	return fill(text, args)
}

// fill replaces each {name} of text whose name is in args by its value, in
// one pass; other braces stay as they are, and values are not scanned again.
// (strings.NewReplacer built a matcher for every call: most of T's cost,
// and T runs several times for every message.)
func fill(text string, args map[string]string) string {
	var b strings.Builder
	b.Grow(len(text) + 64)
	for {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(text[open+1:], '}')
		if end < 0 {
			break
		}
		end += open + 1
		if v, ok := args[text[open+1:end]]; ok {
			b.WriteString(text[:open])
			b.WriteString(v)
		} else {
			b.WriteString(text[:open+1]) // keep the brace, look further
			text = text[open+1:]
			continue
		}
		text = text[end+1:]
	}
	b.WriteString(text)
	return b.String()
}

// Words returns the word list under words.<key> of every language merged,
// since a citizen may answer in any language whatever their chat's setting.
func (b *Bundle) Words(key string) []string {
	seen := map[string]bool{}
	var out []string
	for _, lang := range b.Langs() {
		for _, w := range b.words[lang]["words."+key] {
			w = strings.ToLower(strings.TrimSpace(w))
			if w != "" && !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// Missing returns the keys of want that the default language lacks.
func (b *Bundle) Missing(want []string) []string {
	var out []string
	for _, k := range want {
		if !b.Has(k) {
			out = append(out, k)
		}
	}
	return out
}

// WordGroups returns the word lists directly under words.<prefix>, keyed by
// their last key part ("1" for words.numbers.1), merged across languages.
func (b *Bundle) WordGroups(prefix string) map[string][]string {
	out := map[string][]string{}
	lead := "words." + prefix + "."
	for _, lang := range b.Langs() {
		for key := range b.words[lang] {
			if name, ok := strings.CutPrefix(key, lead); ok && !strings.Contains(name, ".") {
				if _, done := out[name]; !done {
					out[name] = b.Words(prefix + "." + name)
				}
			}
		}
	}
	return out
}

// Date writes d the way people of lang read a date ("17 Agustus 2026"),
// in d's own time zone: callers put it in the office's first.
func (b *Bundle) Date(lang string, d time.Time) string {
	return b.T(lang, "date.format", map[string]string{
		"day":   strconv.Itoa(d.Day()),
		"month": b.T(lang, "date.month."+strconv.Itoa(int(d.Month())), nil),
		"year":  strconv.Itoa(d.Year()),
	})
}
