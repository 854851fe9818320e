package whatsapp

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leksono/sapa/conversation"
)

// MaxMessageRunes is the longest message the bot sends in one piece.
// WhatsApp accepts far longer texts, but folds them behind "Read more" and
// some phones render very long ones slowly; a longer reply is split.
const MaxMessageRunes = 4000

// render turns one reply into the texts to send, in order. WhatsApp shows
// no buttons to unofficial clients, so options become numbered lines
// ("1. Label") after a blank line, followed by hint, a line telling the
// citizen to answer with the number; the engine accepts the number or the
// label as the answer. A reply over MaxMessageRunes is split at paragraph
// boundaries, and the option list always stays whole in the last part.
func render(r conversation.Reply, hint string) []string {
	paras := splitParagraphs(strings.TrimSpace(r.Text))
	if len(r.Options) > 0 {
		lines := make([]string, 0, len(r.Options))
		for i, o := range r.Options {
			lines = append(lines, strconv.Itoa(i+1)+". "+strings.TrimSpace(o.Label))
		}
		paras = append(paras, strings.Join(lines, "\n"))
		if hint = strings.TrimSpace(hint); hint != "" {
			paras = append(paras, hint)
		}
	}
	return pack(paras, MaxMessageRunes)
}

// splitParagraphs cuts text at blank lines, dropping empty paragraphs.
func splitParagraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// pack joins paragraphs with blank lines into messages of at most limit
// runes. A paragraph over the limit is cut at line ends, then at spaces; a
// single word over the limit (a pasted link, say) is the only thing ever cut
// in its middle.
func pack(paras []string, limit int) []string {
	var (
		out []string
		cur strings.Builder
		n   int // runes in cur
	)
	flush := func() {
		if n > 0 {
			out = append(out, cur.String())
			cur.Reset()
			n = 0
		}
	}
	add := func(piece, sep string) {
		pn := utf8.RuneCountInString(piece)
		if n > 0 && n+utf8.RuneCountInString(sep)+pn > limit {
			flush()
		}
		if n > 0 {
			cur.WriteString(sep)
			n += utf8.RuneCountInString(sep)
		}
		cur.WriteString(piece)
		n += pn
	}
	for _, p := range paras {
		if utf8.RuneCountInString(p) <= limit {
			add(p, "\n\n")
			continue
		}
		// An oversized paragraph starts its own message and is cut finer.
		flush()
		for _, piece := range cutLong(p, limit) {
			add(piece, "\n")
		}
		flush()
	}
	flush()
	return out
}

// cutLong cuts one paragraph over limit into pieces of at most limit
// runes, at line ends where it can, else at spaces. Pieces are rejoined
// with newlines by pack.
func cutLong(p string, limit int) []string {
	var out []string
	for _, line := range strings.Split(p, "\n") {
		if utf8.RuneCountInString(line) <= limit {
			out = append(out, line)
			continue
		}
		var cur []rune
		for _, word := range strings.Fields(line) {
			w := []rune(word)
			for len(w) > limit {
				if len(cur) > 0 {
					out = append(out, string(cur))
					cur = nil
				}
				out = append(out, string(w[:limit]))
				w = w[limit:]
			}
			switch {
			case len(cur) == 0:
				cur = w
			case len(cur)+1+len(w) <= limit:
				cur = append(append(cur, ' '), w...)
			default:
				out = append(out, string(cur))
				cur = w
			}
		}
		if len(cur) > 0 {
			out = append(out, string(cur))
		}
	}
	return out
}
