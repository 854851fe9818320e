package console_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leksono/sapa/locales"
)

// Every locale key the templates and the Go code name whole exists in the
// default language (and so, by the locales' own test, in every other);
// the keys built at run time are checked by New.
func TestLocaleKeysExist(t *testing.T) {
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	inTemplate := regexp.MustCompile(`\{\{-?\s*t "([a-z0-9_.]+)"`)
	inGo := regexp.MustCompile(`"((?:console|staff|status|report|field|date)\.[a-z0-9_.]+)"`)
	found := 0
	check := func(file string, re *regexp.Regexp) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue
			}
			found++
			if !texts.Has(m[1]) {
				t.Errorf("%s: locale key %q is not in locales/%s", file, m[1], locales.DefaultLang)
			}
		}
	}
	templates, err := fs.Glob(os.DirFS("templates"), "*.html")
	if err != nil || len(templates) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, f := range templates {
		check(filepath.Join("templates", f), inTemplate)
	}
	sources, _ := filepath.Glob("*.go")
	for _, f := range sources {
		if !strings.HasSuffix(f, "_test.go") {
			check(f, inGo)
		}
	}
	if found < 50 {
		t.Fatalf("found only %d keys: the scan is broken", found)
	}
}
