package services

import (
	"strings"
	"testing"
)

func TestMaskID(t *testing.T) {
	for in, want := range map[string]string{
		"3307054107900001":             "3307**********01",
		"6281234567890":                "6281*******90",
		"6281234567890@s.whatsapp.net": "6281**********************et",
		"5550001234":                   "********34",
		"5550001":                      "*******",
		"":                             "",
	} {
		got := MaskID(in)
		if got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
		if hidden := strings.Count(got, "*"); 2*hidden < len(in) {
			t.Errorf("MaskID(%q) = %q hides less than half", in, got)
		}
	}
}
