package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/leksono/sapa/services"
)

// A returning citizen's data reused: the next form offers, in one message,
// the answers about them from their last request (the fields of
// Catalog.Reuse: name, birth date, village, address, phone, the NIK masked),
// and "ya" fills them in. The answers come from the case store, where they
// are sealed at rest, and are read again when accepted: no copy waits in
// the conversation state while the citizen decides.

// PastRequests finds what a returning citizen gave before.
type PastRequests interface {
	// LastRequest returns the newest request (not a complaint) of the
	// chat's citizen that was not rejected, with its form. It fails with
	// ErrNoCase when there is none, and while the citizen's request to
	// erase their data is open: nothing personal is offered after "hapus
	// data saya".
	LastRequest(ctx context.Context, channel, chatID string) (services.CaseView, error)
}

// StepReuse offers the answers of the citizen's last request.
const StepReuse Step = "reuse"

func init() {
	register(StepReuse, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "form.reuse_ask", nil) },
		scope:    func(_ *Engine, t *turn) string { return "ru:" + t.st.Service },
		choices:  (*Engine).reuseChoices,
		handle:   (*Engine).onReuse,
		help:     "help.reuse",
		draft:    true,
	})
}

func (e *Engine) reuseChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "yes", Label: e.tr(t, "form.reuse_yes", nil), Keywords: e.vocab.Yes},
		{Value: "edit", Label: e.tr(t, "form.reuse_edit", nil), Keywords: append(append([]string{}, e.edit...), e.vocab.No...)},
	}
}

// pastAnswers are the answers of the citizen's last request that the form
// of svc can take again: the fields of Catalog.Reuse it has and the
// citizen has not answered yet, each still valid, and the documents of
// Catalog.ReuseDocuments still within their validity, with their files.
// ticket is the request's.
func (e *Engine) pastAnswers(ctx context.Context, t *turn, svc services.Service) (answers map[string]string, files []services.StoredFile, ticket string, err error) {
	if e.past == nil || (len(e.catalog.Reuse) == 0 && len(e.catalog.ReuseDocuments) == 0) || svc.Kind != services.KindRequest {
		return nil, nil, "", nil
	}
	c, err := e.past.LastRequest(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if errors.Is(err, ErrNoCase) {
		return nil, nil, "", nil
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("last request of %s: %w", t.in.Chat, err)
	}
	env := e.env(t)
	answers, files = e.pastDocuments(t, svc, c)
	for _, f := range svc.Form {
		old := c.Form[f.Name]
		if _, answered := t.st.Data[f.Name]; answered || old == "" || !e.reusable(f.Name) || f.Type == services.FieldDocument {
			continue
		}
		// Parsed again: the catalog may have changed since (a village
		// merged, a stricter rule).
		if v, problem := f.Parse(old, env); problem == nil {
			if answers == nil {
				answers = map[string]string{}
			}
			answers[f.Name] = v
		}
	}
	return answers, files, c.Ticket, nil
}

func (e *Engine) reusable(field string) bool {
	for _, f := range e.catalog.Reuse {
		if f == field {
			return true
		}
	}
	return false
}

// offerPast is the list of what the citizen's last request can fill in this
// form, for startForm to say, or "" when it has nothing. It moves the form
// to StepReuse when it has something.
func (e *Engine) offerPast(ctx context.Context, t *turn, svc services.Service) (string, error) {
	answers, _, ticket, err := e.pastAnswers(ctx, t, svc)
	if err != nil || len(answers) == 0 {
		return "", err
	}
	lines := []string{e.tr(t, "form.reuse_title", map[string]string{"ticket": ticket})}
	for _, f := range svc.Form {
		if v, ok := answers[f.Name]; ok {
			shown := e.display(t, f, v)
			if f.Type == services.FieldDocument {
				// Never the picture itself: a KTP's photo shows the NIK.
				shown = e.tr(t, "document.reused", map[string]string{"count": v})
			}
			lines = append(lines, e.tr(t, "form.summary_line", map[string]string{
				"label": e.tr(t, f.LabelKey(), nil), "value": shown,
			}))
		}
	}
	t.st.Step = StepReuse
	return strings.Join(lines, "\n"), nil
}

// onReuse fills the form with the last request's answers ("ya"), or fills
// it and shows what to change ("ubah"). Any other text is the first answer
// of the form, filled anew.
func (e *Engine) onReuse(ctx context.Context, t *turn) error {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok {
		e.dropDraft(t)
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	if t.in.Kind == KindText {
		choices := e.reuseChoices(t)
		if _, ok := services.MatchChoice(t.text, choices, e.vocab); !ok {
			if _, ok := services.FindChoice(t.text, choices); !ok {
				t.st.Step = StepForm
				return e.onForm(ctx, t)
			}
		}
	}
	value, ok := e.choose(t, "input.unknown_choice")
	if !ok {
		return nil
	}
	answers, files, _, err := e.pastAnswers(ctx, t, svc)
	if err != nil {
		return err
	}
	if t.st.Data == nil {
		t.st.Data = map[string]string{}
	}
	for name, v := range answers {
		t.st.Data[name] = v
	}
	t.st.Files = append(t.st.Files, files...)
	t.st.Retries = 0
	if value == "edit" && len(answers) > 0 {
		t.st.Step = StepEdit
		e.prompt(t)
		return nil
	}
	t.st.Field = 0
	e.seekField(t, svc)
	e.prompt(t)
	return nil
}
