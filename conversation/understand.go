package conversation

import (
	"context"
	"fmt"
	"strings"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// Understanding a citizen's own words wherever a menu is shown: a service,
// a redirect, a complaint or a ticket named in a sentence ("mau buat
// sktm", "ktp saya hilang", "tiket saya LKS-261207-0002"), a greeting
// answered in kind, and one short question when a sentence names two
// things. The matching itself is services.Intents, built once in New.

// StepWhich asks which of two things a sentence named (State.Offered).
const StepWhich Step = "which"

func init() {
	register(StepWhich, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "understood.which", nil) },
		scope:    fixedScope("which"),
		choices:  (*Engine).whichChoices,
		handle:   (*Engine).onWhich,
		menu:     true,
	})
}

// understandingLists are the word lists the intent matcher reads; CheckTexts
// requires each.
var understandingLists = []string{"intent.info", "intent.request", "intent.purpose"}

// newIntents builds the intent matcher from the catalog and the words of
// every locale, names included.
func newIntents(c *services.Catalog, texts *locales.Bundle) (*services.Intents, error) {
	names := map[string][]string{}
	for _, lang := range texts.Langs() {
		for _, s := range c.Services {
			names[s.Code] = append(names[s.Code], texts.T(lang, "service."+s.Code+".name", nil))
		}
		for _, r := range c.Redirects {
			names[r.Code] = append(names[r.Code], texts.T(lang, "redirect."+r.Code+".name", nil))
		}
	}
	x, err := services.NewIntents(c, services.IntentWords{
		Info:      texts.Words("intent.info"),
		Request:   texts.Words("intent.request"),
		Purpose:   texts.Words("intent.purpose"),
		Expand:    texts.WordGroups("abbreviations"),
		Greetings: texts.WordGroups("greetings"),
		Names:     names,
	})
	if err != nil {
		return x, fmt.Errorf("the words citizens type lead two places: %w", err)
	}
	return x, nil
}

// greetingBack is the answer to a greeting at the start of the text, and
// the text after it; "" when the text opens with none.
func (e *Engine) greetingBack(t *turn, text string) (back, rest string) {
	kind, rest := e.intents.Greeting(text)
	if kind == "" {
		return "", text
	}
	return e.tr(t, "greeting_back."+kind, nil), rest
}

// chooseOrUnderstand is choose at a step that shows a menu: the citizen
// may pick one of its options, or say in their own words what they want
// (understand). A greeting opening the text is answered first. When
// nothing fits and an officer's question waits for the citizen, the text
// is taken as its answer. ok is false when the turn was answered here.
func (e *Engine) chooseOrUnderstand(ctx context.Context, t *turn, unknownKey string) (value string, ok bool, err error) {
	k := stepOf(t.st.Step)
	choices := k.choices(e, t)
	if t.in.Kind != KindText {
		value, ok = e.chooseAmong(t, k, choices, unknownKey)
		return value, ok, nil
	}
	// The options first: the answer of nearly every message, at no cost
	// beyond what choosing always cost.
	if i, ok := services.MatchChoice(t.text, choices, e.vocab); ok {
		return choices[i].Value, true, nil
	}
	if back, rest := e.greetingBack(t, t.text); back != "" {
		t.say(back)
		if t.text = rest; rest == "" {
			e.prompt(t)
			return "", false, nil
		}
		if i, ok := services.MatchChoice(t.text, choices, e.vocab); ok {
			return choices[i].Value, true, nil
		}
	}
	if done, err := e.understand(ctx, t, e.intents.Find(t.text)); done || err != nil {
		return "", false, err
	}
	if i, ok := services.FindChoice(t.text, choices); ok {
		return choices[i].Value, true, nil
	}
	if len(t.st.Questions) > 0 {
		return "", false, e.answerPending(ctx, t)
	}
	e.wrong(t, e.tr(t, unknownKey, nil))
	return "", false, nil
}

// understand acts on what a sentence asks for, and reports whether it did.
// Two things named alike are offered side by side (StepWhich).
func (e *Engine) understand(ctx context.Context, t *turn, u services.Understood) (bool, error) {
	switch {
	case u.Intent.Kind == services.NoIntent:
		return false, nil
	case u.Other.Kind != services.NoIntent:
		t.st.Offered = []string{encodeIntent(u.Intent), encodeIntent(u.Other)}
		t.st.Step = StepWhich
		t.st.Retries = 0
		e.prompt(t)
		return true, nil
	}
	return true, e.act(ctx, t, u.Intent)
}

// act does what one intent asks.
func (e *Engine) act(ctx context.Context, t *turn, in services.Intent) error {
	t.st.Retries = 0
	t.st.Offered = nil
	switch in.Kind {
	case services.IntentTicket:
		return e.showTimeline(ctx, t, in.Ticket)
	case services.IntentRedirect:
		e.showRedirect(t, in.Code)
		return nil
	case services.IntentStandard:
		t.st.Showing = in.Code
		t.st.Step = StepInfo
		e.prompt(t)
		return nil
	}
	return e.startForm(ctx, t, in.Code)
}

// Intents travel in State.Offered as "f:sktm" (its form), "i:sktm" (its
// standard), "r:ktp" (a redirect).
func encodeIntent(in services.Intent) string {
	switch in.Kind {
	case services.IntentStandard:
		return "i:" + in.Code
	case services.IntentRedirect:
		return "r:" + in.Code
	}
	return "f:" + in.Code
}

func decodeIntent(s string) services.Intent {
	kind, code, _ := strings.Cut(s, ":")
	switch kind {
	case "i":
		return services.Intent{Kind: services.IntentStandard, Code: code}
	case "r":
		return services.Intent{Kind: services.IntentRedirect, Code: code}
	}
	return services.Intent{Kind: services.IntentForm, Code: code}
}

func (e *Engine) whichChoices(t *turn) []services.Choice {
	out := make([]services.Choice, 0, len(t.st.Offered)+1)
	for _, s := range t.st.Offered {
		in := decodeIntent(s)
		var label string
		switch in.Kind {
		case services.IntentRedirect:
			label = e.tr(t, "redirect."+in.Code+".name", nil)
		case services.IntentStandard:
			label = e.tr(t, "understood.standard", map[string]string{"service": e.serviceName(t, in.Code)})
		default:
			if svc, _ := e.catalog.Service(in.Code); svc.Kind == services.KindComplaint {
				label = e.serviceName(t, in.Code)
			} else {
				label = e.tr(t, "understood.form", map[string]string{"service": e.serviceName(t, in.Code)})
			}
		}
		out = append(out, services.Choice{Value: s, Label: label, Keywords: []string{in.Code}})
	}
	return e.withBack(t, out)
}

func (e *Engine) onWhich(ctx context.Context, t *turn) error {
	value, ok, err := e.chooseOrUnderstand(ctx, t, "input.unknown_choice")
	if !ok || err != nil {
		return err
	}
	t.st.Offered = nil
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	in := decodeIntent(value)
	_, service := e.catalog.Service(in.Code)
	_, redirect := e.catalog.Redirect(in.Code)
	if in.Kind == services.IntentRedirect && !redirect || in.Kind != services.IntentRedirect && !service {
		// The catalog changed under the question.
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	return e.act(ctx, t, in)
}
