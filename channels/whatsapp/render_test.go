package whatsapp

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leksono/sapa/conversation"
)

func TestRenderNumbersOptions(t *testing.T) {
	r := conversation.Reply{
		Text:    "Silakan pilih layanan:",
		Options: []conversation.Option{{Label: "Informasi layanan", Payload: "m:info"}, {Label: "Ajukan surat", Payload: "m:req"}},
	}
	got := render(r, "Balas dengan angka pilihan Anda.")
	want := "Silakan pilih layanan:\n\n1. Informasi layanan\n2. Ajukan surat\n\nBalas dengan angka pilihan Anda."
	if len(got) != 1 || got[0] != want {
		t.Fatalf("render =\n%q\nwant\n%q", got, want)
	}
	if got := render(conversation.Reply{Text: "Terima kasih."}, "hint"); len(got) != 1 || got[0] != "Terima kasih." {
		t.Errorf("a reply without options gets no list and no hint: %q", got)
	}
}

func TestRenderSplitsLongRepliesAtParagraphs(t *testing.T) {
	para := func(word string, n int) string { return strings.TrimSpace(strings.Repeat(word+" ", n)) }
	p1, p2, p3 := para("satu", 500), para("dua", 700), para("tiga", 400) // 2499, 2799, 1999 runes
	r := conversation.Reply{Text: p1 + "\n\n" + p2 + "\n\n" + p3, Options: []conversation.Option{{Label: "Ya", Payload: "y"}}}
	got := render(r, "Balas dengan angka.")
	if len(got) != 3 {
		t.Fatalf("got %d parts, want 3: %q", len(got), got)
	}
	if got[0] != p1 || got[1] != p2 {
		t.Errorf("the first parts are not whole paragraphs")
	}
	if got[2] != p3+"\n\n1. Ya\n\nBalas dengan angka." {
		t.Errorf("the options do not stay with the last part: %q", got[2][len(got[2])-40:])
	}
	for i, part := range got {
		if n := utf8.RuneCountInString(part); n > MaxMessageRunes {
			t.Errorf("part %d has %d runes, over %d", i, n, MaxMessageRunes)
		}
	}
}

func TestRenderCutsAnOversizedParagraphBetweenWords(t *testing.T) {
	long := strings.TrimSpace(strings.Repeat("persyaratan ", 900)) // one paragraph of ~10,800 runes
	got := render(conversation.Reply{Text: "Awal.\n\n" + long}, "")
	if len(got) < 3 || got[0] != "Awal." {
		t.Fatalf("got %d parts starting %q", len(got), got[0])
	}
	var words int
	for i, part := range got {
		if n := utf8.RuneCountInString(part); n > MaxMessageRunes {
			t.Errorf("part %d has %d runes", i, n)
		}
		for _, w := range strings.Fields(part) {
			if w != "persyaratan" && w != "Awal." {
				t.Errorf("part %d holds a cut word %q", i, w)
			}
			if w == "persyaratan" {
				words++
			}
		}
	}
	if words != 900 {
		t.Errorf("%d words survived the split, want 900", words)
	}
	// A single word longer than a message is the one thing cut mid-word.
	huge := strings.Repeat("x", 2*MaxMessageRunes+5)
	parts := render(conversation.Reply{Text: huge}, "")
	if len(parts) != 3 || strings.Join(parts, "") != huge {
		t.Errorf("an oversized word is not cut into 3 pieces that rejoin: %d parts", len(parts))
	}
}
