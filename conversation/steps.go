package conversation

import (
	"context"
	"strconv"
	"strings"

	"github.com/leksono/sapa/services"
)

// A stepKind is one step of the conversation, whole: the question that asks
// it, the options it offers and the scope their payloads carry, and the
// handler of the citizen's answer. The file of each flow declares its steps
// and registers them from init (as goflow registers its action types);
// prompt, choose and the turn's dispatch find them in steps and nowhere
// else, so a new step is one file with one registration:
//
//	const StepHandOver Step = "hand_over"
//
//	func init() {
//		register(StepHandOver, stepKind{
//			question: (*Engine).handOverQuestion,
//			scope:    fixedScope("ho"),
//			choices:  (*Engine).handOverChoices,
//			handle:   (*Engine).onHandOver,
//		})
//	}
//
// A handler picks among the step's options with e.choose(t, unknownKey)
// and ends its turn with e.prompt(t), which asks whatever step it moved to.
type stepKind struct {
	// question is the text that asks for the answer.
	question func(e *Engine, t *turn) string
	// scope prefixes the payload of every option offered ("scope|value"),
	// so a button pressed on an older message is known to be old. It may
	// name what is asked ("c:sktm", "f:sktm:3"). Nil: the step offers no
	// options.
	scope func(e *Engine, t *turn) string
	// choices are the options offered; nil offers none.
	choices func(e *Engine, t *turn) []services.Choice
	// handle reads the citizen's answer and moves the state. Nil: the
	// step takes no answer from a citizen, who is put back at the menu.
	handle func(e *Engine, ctx context.Context, t *turn) error
	// help is the locale key of what "bantuan" says at this step; "" is
	// help.list.
	help string
	// draft marks a step inside a form: after resume_after of silence the
	// citizen is asked first whether to go on with it.
	draft bool
	// typed marks a step that takes free text: the global words "status"
	// and "terima kasih" are answers there, not commands.
	typed bool
	// files reports whether the message's photos, documents or shared
	// location answer the step; nil: they never do.
	files func(e *Engine, t *turn) bool
	// menu marks a step that shows a menu: a citizen may say there in
	// their own words what they want (chooseOrUnderstand), and a photo
	// sent there answers an officer's waiting question.
	menu bool
}

// steps is the table of every step, filled by register.
var steps = map[Step]*stepKind{}

// register adds a step to the table. It runs from init: a step named
// twice, or registered without a question, stops the program at once.
func register(s Step, k stepKind) {
	if _, dup := steps[s]; dup || k.question == nil || (k.choices != nil && k.scope == nil) {
		panic("conversation: step " + string(s) + " registered twice, without a question, or with options and no scope")
	}
	steps[s] = &k
}

// fixedScope is the scope of a step whose options mean the same whatever
// the state.
func fixedScope(scope string) func(*Engine, *turn) string {
	return func(*Engine, *turn) string { return scope }
}

// stepOf finds a step in the table; a step no longer known (a state saved
// by an older version) is the menu.
func stepOf(s Step) *stepKind {
	if k, ok := steps[s]; ok {
		return k
	}
	return steps[StepMenu]
}

// prompt ends the turn with the question of the current step and its
// options. Every path through the engine ends here, so a citizen always
// knows what is expected next.
func (e *Engine) prompt(t *turn) {
	if t.st.Handover != 0 {
		// Talking to an officer: what comes next is theirs (handover.go).
		t.say(e.tr(t, "handover.still_open", map[string]string{"number": strconv.FormatInt(t.st.Handover, 10)}))
		t.options = t.options[:0]
		return
	}
	if t.st.Survey != "" && t.st.SurveyQ >= 0 && e.surveys != nil {
		e.promptSurvey(t)
		return
	}
	k := stepOf(t.st.Step)
	var scope string
	var choices []services.Choice
	if k.choices != nil {
		scope, choices = k.scope(e, t), k.choices(e, t)
	}
	e.ask(t, k.question(e, t), scope, choices)
}

// ask adds the question and offers the choices as options whose payload
// names the scope they belong to, so a button from an old message is
// recognised as old.
func (e *Engine) ask(t *turn, question, scope string, choices []services.Choice) {
	t.say(question)
	t.options = t.options[:0]
	// The payloads are cut from one string: one allocation per question,
	// not one per option.
	size := 0
	for _, c := range choices {
		size += len(scope) + 1 + len(c.Value)
	}
	var b strings.Builder
	b.Grow(size)
	for _, c := range choices {
		b.WriteString(scope)
		b.WriteByte('|')
		b.WriteString(c.Value)
	}
	payloads := b.String()
	for _, c := range choices {
		label := c.Label
		if label == "" && c.LabelKey != "" {
			label = e.tr(t, c.LabelKey, nil)
		}
		n := len(scope) + 1 + len(c.Value)
		t.options = append(t.options, Option{Label: label, Payload: payloads[:n]})
		payloads = payloads[n:]
	}
}

// scope is the scope of the current step's options.
func (e *Engine) scope(t *turn) string {
	if k := stepOf(t.st.Step); k.scope != nil {
		return k.scope(e, t)
	}
	return ""
}

// choose resolves the citizen's pick among the current step's options, the
// same ones its question offered, named alone or inside a sentence. When nothing matches it answers the
// citizen itself (unknownKey, then the question again) and returns ok
// false.
func (e *Engine) choose(t *turn, unknownKey string) (string, bool) {
	k := stepOf(t.st.Step)
	return e.chooseAmong(t, k, k.choices(e, t), unknownKey)
}

// chooseAmong is choose with the step's options already at hand.
func (e *Engine) chooseAmong(t *turn, k *stepKind, choices []services.Choice, unknownKey string) (string, bool) {
	switch t.in.Kind {
	case KindChoice:
		gotScope, value, _ := strings.Cut(t.in.Payload, "|")
		if gotScope == k.scope(e, t) {
			for _, c := range choices {
				if c.Value == value {
					return value, true
				}
			}
		}
		t.say(e.tr(t, "input.old_button", nil))
		e.prompt(t)
		return "", false
	case KindText:
		if i, ok := services.MatchChoice(t.text, choices, e.vocab); ok {
			return choices[i].Value, true
		}
		// An answer in a sentence: "nggih sampun leres", "biasa saja".
		if i, ok := services.FindChoice(t.text, choices); ok {
			return choices[i].Value, true
		}
	}
	e.wrong(t, e.tr(t, unknownKey, nil))
	return "", false
}

// wrong answers a wrong answer: the hint, the menu offer after too many in a
// row, and the same question again.
func (e *Engine) wrong(t *turn, hint string) {
	t.st.Retries++
	t.say(hint)
	// At the menu itself, pointing to the menu would be no help.
	tooMany := t.st.Retries >= e.catalog.Office.MaxRetries && t.st.Step != StepMenu
	if tooMany {
		t.say(e.tr(t, "form.too_many_errors", nil))
	}
	e.prompt(t)
	if tooMany && !offersMenu(t.options) {
		t.options = append(t.options, Option{Label: e.tr(t, "menu.back", nil), Payload: menuPayload})
	}
}

// offersMenu reports whether options already lead to the main menu.
func offersMenu(options []Option) bool {
	for _, o := range options {
		if strings.HasSuffix(o.Payload, "|menu") {
			return true
		}
	}
	return false
}

// menuPayload is the payload of the "main menu" button offered at any step;
// it is accepted whatever the current step.
const menuPayload = "go|menu"

// withBack adds "back to the menu" to a list of options.
func (e *Engine) withBack(t *turn, choices []services.Choice) []services.Choice {
	return append(choices, services.Choice{Value: "menu", Label: e.tr(t, "menu.back", nil)})
}

// unsupported answers a message the current step cannot read.
func (e *Engine) unsupported(t *turn) {
	media := "media." + t.in.Media
	if !e.texts.Has(media) {
		media = "media.other"
	}
	t.say(e.tr(t, "input.unsupported", map[string]string{"media": e.tr(t, media, nil)}))
	e.prompt(t)
}
