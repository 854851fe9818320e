package services

import (
	"testing"
	"unicode"
)

func TestStripInvisible(t *testing.T) {
	for in, want := range map[string]string{
		"Camat Leksono\u202e (petugas resmi)":        "Camat Leksono (petugas resmi)",
		"Siti\u200b Ami\u200dnah\ufeff":              "Siti Aminah",
		"\u2066Budi\u2069 \u200e\u200fSantoso\u00ad": "Budi Santoso",
		"\u3164": "",
		"Jalan rusak di RT 02, mohon diperbaiki 🙏": "Jalan rusak di RT 02, mohon diperbaiki 🙏",
		"": "",
	} {
		got := StripInvisible(in)
		if got != want {
			t.Errorf("StripInvisible(%+q) = %+q, want %+q", in, got, want)
		}
		for _, r := range got {
			if unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("StripInvisible(%+q) kept %U", in, r)
			}
		}
	}
}

func TestHoldsIDNumber(t *testing.T) {
	for in, want := range map[string]bool{
		"3307051708900001":               true,
		"nama saya 3307 0517 0890 0001":  true,
		"3307.0517.0890.0001":            true,
		"Siti Aminah":                    false,
		"RT 02 RW 01 no 123456789012345": false,
		"NOP 33.07.050.001.002-0003.0":   false,
	} {
		if got := HoldsIDNumber(in); got != want {
			t.Errorf("HoldsIDNumber(%q) = %v, want %v", in, got, want)
		}
	}
}
