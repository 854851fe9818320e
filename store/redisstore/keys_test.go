package redisstore

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"6281234567890":     "6281234567890",
		"-1001234567890":    "-1001234567890",
		"wamid.HBgM_a+b/c=": "wamid.HBgM_a+b%2Fc=",
		"a}:msg:1":          "a%7D%3Amsg%3A1",
		"{b}":               "%7Bb%7D",
		"100%":              "100%25",
		"%41":               "%2541",
		"a b*?[":            "a%20b%2A%3F%5B",
		"☕":                 "%E2%98%95",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEscapeInjective checks that distinct IDs never share a key name and
// that no escaped ID holds a separator of the key scheme.
func TestEscapeInjective(t *testing.T) {
	ids := []string{"", "A", "%41", "%2541", "a:b", "a%3Ab", "a}", "a%7D", "{", "}", ":", "%", "%%", "x\x00y", "\xff"}
	seen := map[string]string{}
	for _, id := range ids {
		e := escape(id)
		if prev, ok := seen[e]; ok {
			t.Errorf("escape(%q) = escape(%q) = %q", id, prev, e)
		}
		seen[e] = id
		if strings.ContainsAny(e, ":{}*?[] ") {
			t.Errorf("escape(%q) = %q holds a separator or glob character", id, e)
		}
	}
}
