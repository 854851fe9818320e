package locales

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

var placeholderRe = regexp.MustCompile(`\{[a-z_]+\}`)

// TestLocalesMatch holds every shipped language to the default one: the same
// text keys, and in each text the same placeholders. Word lists (words.*)
// are vocabulary, merged across languages, and may differ.
func TestLocalesMatch(t *testing.T) {
	b, err := Load(FS)
	if err != nil {
		t.Fatalf("load shipped locales: %v", err)
	}
	base := b.texts[DefaultLang]
	for _, lang := range b.Langs() {
		if lang == DefaultLang {
			continue
		}
		other := b.texts[lang]
		for key, text := range base {
			got, ok := other[key]
			if !ok {
				t.Errorf("%s lacks %s (defined at %s)", lang, key, b.from[DefaultLang][key])
				continue
			}
			if want, have := placeholders(text), placeholders(got); want != have {
				t.Errorf("%s: %s has placeholders %s, %s has %s (%s)", b.from[lang][key], key, have, DefaultLang, want, b.from[DefaultLang][key])
			}
		}
		for key := range other {
			if _, ok := base[key]; !ok {
				t.Errorf("%s defines %s, which %s lacks", b.from[lang][key], key, DefaultLang)
			}
		}
	}
}

func placeholders(s string) string {
	found := placeholderRe.FindAllString(s, -1)
	sort.Strings(found)
	return strings.Join(found, " ")
}

func TestLoadAndTranslate(t *testing.T) {
	b, err := Load(fstest.MapFS{
		"id/a.yaml": {Data: []byte("menu:\n  title: Halo {name}\nwords:\n  yes: [Ya, iya]\n  numbers:\n    \"2\": [dua]\n")},
		"en/a.yaml": {Data: []byte("menu:\n  title: Hello {name}\nwords:\n  yes: [yes, ya]\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.T("en", "menu.title", map[string]string{"name": "Siti"}); got != "Hello Siti" {
		t.Errorf("T en = %q", got)
	}
	if got := b.T("jv", "menu.title", map[string]string{"name": "Siti"}); got != "Halo Siti" {
		t.Errorf("unknown language must fall back to id, got %q", got)
	}
	if got := b.T("id", "menu.none", nil); got != "[menu.none]" {
		t.Errorf("missing key = %q", got)
	}
	if got := strings.Join(b.Words("yes"), ","); got != "yes,ya,iya" {
		t.Errorf("words merged across languages, lower-cased, once each: %q", got)
	}
	if g := b.WordGroups("numbers"); len(g) != 1 || g["2"][0] != "dua" {
		t.Errorf("word groups = %v", g)
	}
	if !b.Has("menu.title") || b.Has("menu.none") {
		t.Error("Has is wrong")
	}
}

func TestLoadReportsProblems(t *testing.T) {
	_, err := Load(fstest.MapFS{
		"id/a.yaml": {Data: []byte("menu:\n  title: Halo\n")},
		"id/b.yaml": {Data: []byte("menu:\n  title: Lagi\n")},
	})
	if err == nil || !strings.Contains(err.Error(), "locales/id/b.yaml:2: menu.title is already defined at locales/id/a.yaml:2") {
		t.Errorf("duplicate key: %v", err)
	}
	_, err = Load(fstest.MapFS{"en/a.yaml": {Data: []byte("a: b\n")}})
	if err == nil || !strings.Contains(err.Error(), "id/ is missing") {
		t.Errorf("missing default language: %v", err)
	}
	_, err = Load(fstest.MapFS{"id/a.yaml": {Data: []byte("a: [b\n")}})
	if err == nil || !strings.Contains(err.Error(), "locales/id/a.yaml") {
		t.Errorf("broken YAML must name the file: %v", err)
	}
}
