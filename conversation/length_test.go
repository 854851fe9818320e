package conversation_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leksono/sapa/conversation"
)

// maxPhoneRunes is the longest message a citizen or an officer should get:
// longer ones need scrolling on a phone screen (issue #18, point 8).
const maxPhoneRunes = 600

// phoneText is a reply as WhatsApp shows it: the text, then the options as
// a numbered list after a blank line (the channel's hint aside).
func phoneText(r conversation.Reply) string {
	if len(r.Options) == 0 {
		return r.Text
	}
	lines := make([]string, len(r.Options))
	for i, o := range r.Options {
		lines[i] = strconv.Itoa(i+1) + ". " + o.Label
	}
	return r.Text + "\n\n" + strings.Join(lines, "\n")
}

// TestRepliesFitAPhoneScreen replays every transcript and fails on any
// message, to a citizen or to staff, longer than maxPhoneRunes.
func TestRepliesFitAPhoneScreen(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in testdata/: %v", err)
	}
	checked := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := replay(t, string(raw))
		for _, m := range h.rendered {
			checked++
			if n := utf8.RuneCountInString(m.text); n > maxPhoneRunes {
				t.Errorf("%s: the reply to %s after %q has %d characters, over %d:\n%s",
					filepath.Base(file), m.to, m.after, n, maxPhoneRunes, m.text)
			}
		}
	}
	if checked < 500 {
		t.Fatalf("only %d messages checked: the replay is broken", checked)
	}
}
