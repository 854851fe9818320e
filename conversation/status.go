package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// StepStatus lists the citizen's own cases (State.Listed), to pick one.
const StepStatus Step = "status"

func init() {
	register(StepStatus, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "status.pick", nil) },
		scope:    fixedScope("st"),
		choices:  func(e *Engine, t *turn) []services.Choice { return e.withBack(t, e.statusChoices(t)) },
		handle:   (*Engine).onStatus,
	})
}

// maxListed bounds the cases shown in one status list.
const maxListed = 10

// showStatusList lists the citizen's own cases, newest first, and offers
// each ticket for its timeline.
func (e *Engine) showStatusList(ctx context.Context, t *turn) error {
	cases, err := e.desk.CitizenCases(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, maxListed)
	if err != nil {
		return fmt.Errorf("list cases of %s: %w", t.in.Chat, err)
	}
	t.st.Retries = 0
	if len(cases) == 0 {
		t.say(e.tr(t, "status.none", nil))
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	lines := []string{e.tr(t, "status.title", nil)}
	t.st.Listed = t.st.Listed[:0]
	for _, c := range cases {
		lines = append(lines, e.tr(t, "status.line", e.caseArgs(t, c)))
		t.st.Listed = append(t.st.Listed, c.Ticket)
	}
	t.say(strings.Join(lines, "\n"))
	t.st.Step = StepStatus
	e.prompt(t)
	return nil
}

func (e *Engine) statusChoices(t *turn) []services.Choice {
	out := make([]services.Choice, 0, len(t.st.Listed))
	for _, ticket := range t.st.Listed {
		out = append(out, services.Choice{Value: ticket, Label: ticket})
	}
	return out
}

func (e *Engine) onStatus(ctx context.Context, t *turn) error {
	if ticket, ok := services.NormalizeTicket(t.text); ok && t.in.Kind == KindText {
		return e.showTimeline(ctx, t, ticket)
	}
	value, ok := e.choose(t, "input.unknown_choice")
	if !ok {
		return nil
	}
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	return e.showTimeline(ctx, t, value)
}

// showTimeline shows one of the citizen's own cases with its history. A
// ticket of another citizen answers exactly like one that does not exist.
func (e *Engine) showTimeline(ctx context.Context, t *turn, ticket string) error {
	c, events, err := e.desk.CitizenCase(ctx, ticket, t.in.Chat.Channel, t.in.Chat.ChatID)
	if errors.Is(err, ErrNoCase) {
		e.wrong(t, e.tr(t, "status.not_found", map[string]string{"ticket": ticket}))
		return nil
	}
	if err != nil {
		return fmt.Errorf("show case %s to %s: %w", ticket, t.in.Chat, err)
	}
	t.st.Retries = 0
	lines := []string{e.tr(t, "status.case", e.caseArgs(t, c))}
	for _, ev := range events {
		if !ev.Shown() {
			continue
		}
		lines = append(lines, e.tr(t, "status.event", map[string]string{
			"when": e.formatDateTime(t, ev.At),
			"what": e.describeEvent(t, ev),
		}))
	}
	t.say(strings.Join(lines, "\n"))
	if len(t.st.Listed) == 0 {
		e.toMenu(t)
	} else {
		t.st.Step = StepStatus
	}
	e.prompt(t)
	return nil
}

// describeEvent says in one line what happened, as a citizen reads it.
func (e *Engine) describeEvent(t *turn, ev services.Event) string {
	args := map[string]string{"status": e.statusLabel(t, ev.To), "note": ev.Note}
	switch {
	case ev.Kind == services.EventSubmit:
		return e.tr(t, "status.what.submit", args)
	case ev.Kind == services.EventQuestion:
		return e.tr(t, "status.what.question", args)
	case ev.Kind == services.EventReply:
		return e.tr(t, "status.what.reply", args)
	case ev.Kind == services.EventLetter:
		return e.tr(t, "status.what.letter", args)
	case ev.Kind == services.EventLetterRevoked:
		return e.tr(t, "status.what.letter_revoked", args)
	case ev.Note != "":
		return e.tr(t, "status.what.status_note", args)
	default:
		return e.tr(t, "status.what.status", args)
	}
}

// caseArgs are the placeholders every case line uses.
func (e *Engine) caseArgs(t *turn, c services.CaseView) map[string]string {
	due := e.formatDate(t, c.DueAt)
	if !c.Status.Open() {
		due = "-"
	} else if c.Status == services.StatusIncomplete {
		due = e.tr(t, "status.paused", nil)
	}
	village := c.VillageCode
	if v, ok := e.catalog.Village(c.VillageCode); ok {
		village = v.Name
	}
	return map[string]string{
		"ticket":  c.Ticket,
		"service": e.serviceName(t, c.ServiceCode),
		"status":  e.statusLabel(t, c.Status),
		"due":     due,
		"village": village,
	}
}

func (e *Engine) statusLabel(t *turn, s services.Status) string {
	return e.tr(t, "status.label."+string(s), nil)
}

func (e *Engine) formatDateTime(t *turn, at time.Time) string {
	return e.formatDate(t, at) + " " + at.In(e.catalog.Office.Location).Format("15.04")
}

// answerQuestion attaches the citizen's message to the case whose officer
// asked them something; a case waiting for that answer goes back to
// verification, and its officer is told.
func (e *Engine) answerQuestion(ctx context.Context, t *turn) error {
	ticket := t.st.Awaiting
	t.st.Awaiting = ""
	c, _, err := e.desk.CitizenCase(ctx, ticket, t.in.Chat.Channel, t.in.Chat.ChatID)
	if errors.Is(err, ErrNoCase) {
		e.prompt(t)
		return nil
	}
	if err != nil {
		return fmt.Errorf("load case %s for the answer of %s: %w", ticket, t.in.Chat, err)
	}
	now := e.now()
	if c.Status == services.StatusIncomplete {
		c, err = e.desk.ChangeStatus(ctx, services.StatusChange{
			Ticket: ticket, To: services.StatusVerifying, Actor: "citizen", Note: t.text, At: now, Kind: services.EventReply,
		})
	} else {
		c, err = e.desk.AddEvent(ctx, ticket, services.EventReply, "citizen", t.text, now)
	}
	if err != nil {
		return fmt.Errorf("attach the answer of %s to %s: %w", t.in.Chat, ticket, err)
	}
	t.say(e.tr(t, "status.reply_sent", map[string]string{"ticket": ticket}))
	e.prompt(t)
	text := e.texts.T(e.staffLang(), "staff.citizen_replied", map[string]string{
		"ticket": ticket, "service": e.texts.T(e.staffLang(), "service."+c.ServiceCode+".name", nil),
		"note": t.text, "status": e.texts.T(e.staffLang(), "status.label."+string(c.Status), nil),
	})
	for _, to := range e.caseStaff(c) {
		t.out = append(t.out, outgoing{to: to, reply: Reply{Text: text}})
	}
	return nil
}

// caseStaff are the chats told about a case's news: its officer when it has
// one, else its unit.
func (e *Engine) caseStaff(c services.CaseView) []ChatKey {
	if c.Assignee != "" {
		// The one visibility rule: an assignee who may no longer see the
		// case (moved to another unit, a rahasia complaint) is not told.
		if o, ok := e.staff.Officer(c.Assignee); ok && services.CanSee(o, c) {
			if chats := officerChats(o); len(chats) > 0 {
				return chats
			}
		}
	}
	return e.unitTargets(c.Unit)
}
