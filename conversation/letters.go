package conversation

import (
	"context"
	"fmt"
	"strings"
)

// LetterChecker answers the verification code printed on a letter of the
// office, for anyone who writes: a school, a hospital, a bank. It counts
// each look-up against the chat (guessing is slowed down) and logs it
// masked. letters.Issuer implements it.
type LetterChecker interface {
	// IsCode reports whether text, sent alone, is meant as a code.
	IsCode(text string) bool
	// CheckLetter answers code in lang: valid or revoked with what may be
	// known of the letter, the same "no such letter" for a code made up or
	// mistyped, or when to ask again past the limit. An error means the
	// look-up could not be made.
	CheckLetter(ctx context.Context, code, channel, chatID, lang string) (string, error)
}

// StepLetterCheck waits for a letter's code after "cek surat" alone.
const StepLetterCheck Step = "letter_check"

func init() {
	register(StepLetterCheck, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "verify.ask", nil) },
		handle: func(e *Engine, ctx context.Context, t *turn) error {
			if t.in.Kind != KindText {
				e.unsupported(t)
				return nil
			}
			return e.answerLetter(ctx, t, t.text)
		},
		// The code is free text; "menu" and "batal" still leave.
		typed: true,
		help:  "help.letter",
	})
}

// letterWord handles "cek surat <code>" at every step but those that take
// free text (where it may be an answer), and "cek surat" alone, which asks
// for the code. It reports whether the message was one of them.
func (e *Engine) letterWord(ctx context.Context, t *turn) (bool, error) {
	if e.letters == nil || t.in.Kind != KindText {
		return false, nil
	}
	if k := stepOf(t.st.Step); k.typed && t.st.Step != StepLetterCheck {
		return false, nil
	}
	text := normalize(t.text)
	for _, phrase := range e.letterPhrases {
		rest, ok := strings.CutPrefix(text, phrase)
		switch {
		case !ok:
			continue
		case rest == "":
			t.st.Step, t.st.Retries = StepLetterCheck, 0
			e.prompt(t)
			return true, nil
		case strings.HasPrefix(rest, " "), strings.HasPrefix(rest, ":"):
			return true, e.answerLetter(ctx, t, strings.TrimLeft(rest, " :"))
		}
	}
	return false, nil
}

// isLetterCode reports whether typed text alone is a letter's code.
func (e *Engine) isLetterCode(t *turn) bool {
	return e.letters != nil && t.in.Kind == KindText && e.letters.IsCode(t.text)
}

// answerLetter answers a letter's code, then asks again what the chat was
// at; after "cek surat" alone, the menu.
func (e *Engine) answerLetter(ctx context.Context, t *turn, code string) error {
	answer, err := e.letters.CheckLetter(ctx, code, t.in.Chat.Channel, t.in.Chat.ChatID, t.st.Lang)
	if err != nil {
		return fmt.Errorf("check a letter's code for %s: %w", t.in.Chat, err)
	}
	t.say(answer)
	if t.st.Step == StepLetterCheck {
		e.toMenu(t)
	}
	e.prompt(t)
	return nil
}
