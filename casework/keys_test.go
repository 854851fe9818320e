package casework_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leksono/sapa/locales"
)

// Every locale key written whole in the desk's source exists in the
// default language; the keys it builds at run time are checked by New
// (notify.status.*) and by the catalog's own check (service.*, referral.*).
func TestLocaleKeysExist(t *testing.T) {
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`"((?:notify|staff|date|survey|handover)\.[a-z0-9_.]+)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // the start of a key built at run time
			}
			found++
			if !texts.Has(m[1]) {
				t.Errorf("%s: locale key %q is not in locales/%s", f, m[1], locales.DefaultLang)
			}
		}
	}
	if found < 3 {
		t.Fatalf("found only %d keys in the source: the scan is broken", found)
	}
}
