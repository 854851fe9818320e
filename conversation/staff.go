package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// StepStaff is an officer's chat: commands, never menus. Officers are told
// apart by who writes (Config.Staff), not by their step, so the step takes
// no answer: a citizen found there (an officer no longer in staff.yaml)
// is put back at the menu.
const StepStaff Step = "staff"

func init() {
	register(StepStaff, stepKind{
		question: func(e *Engine, t *turn) string { return e.staffHelp(t) },
	})
}

// The staff commands. Officers type them in Indonesian (the words, with
// short aliases, are words.staff.<command> in locales).
const (
	cmdList    = "list"
	cmdMine    = "mine"
	cmdShow    = "show"
	cmdTake    = "take"
	cmdAssign  = "assign"
	cmdVerify  = "verify"
	cmdProcess = "process"
	cmdDone    = "done"
	cmdReject  = "reject"
	cmdRefer   = "refer"
	cmdAsk     = "ask"
	cmdNote    = "note"
	cmdHelp    = "help"
	cmdErase   = "deletions"
)

var staffCommands = []string{cmdList, cmdMine, cmdShow, cmdTake, cmdAssign, cmdVerify, cmdProcess, cmdDone, cmdReject, cmdRefer, cmdAsk, cmdNote, cmdHelp, cmdErase}

// statusCommands map a command to the status it moves a case to. Which of
// them need a note (a reason, a pick-up note, where to go instead, the
// question) is casework.NeedsNote.
var statusCommands = map[string]struct{ to services.Status }{
	cmdVerify:  {services.StatusVerifying},
	cmdProcess: {services.StatusProcessing},
	cmdDone:    {services.StatusDone},
	cmdReject:  {services.StatusRejected},
	cmdRefer:   {services.StatusNotOurRemit},
	cmdAsk:     {services.StatusIncomplete},
}

// staffLang is the language of staff messages.
func (e *Engine) staffLang() string { return locales.DefaultLang }

// staffStep handles one officer's message: a command, never a menu. It
// parses the command and renders the answer; the action itself is the
// casework desk's, the same one the office console calls.
func (e *Engine) staffStep(ctx context.Context, t *turn, loaded Loaded, o services.Officer) error {
	if loaded.State != nil {
		t.st = *loaded.State
	} else {
		t.st = State{Chat: t.in.Chat}
	}
	t.st.Step, t.st.Lang, t.st.UpdatedAt = StepStaff, e.staffLang(), e.now()
	if len(t.in.Attachments) > 0 && t.text == "" {
		// A photo or PDF captioned "balas 12" answers a conversation.
		t.text = strings.TrimSpace(services.StripInvisible(strings.ToValidUTF8(t.in.Text, "")))
	}
	fields := strings.Fields(t.text)
	if len(fields) > 0 {
		if done, err := e.staffHandover(ctx, t, o, e.staffCmd[normalize(fields[0])], fields); done || err != nil {
			return err
		}
	}
	if t.in.Kind != KindText || len(fields) == 0 {
		t.say(e.staffHelp(t))
		return nil
	}
	if done, err := e.visitCommand(ctx, t, o, fields); done {
		return err
	}
	cmd, args := e.staffCmd[normalize(fields[0])], fields[1:]
	if cmd == "" {
		if ticket, ok := services.NormalizeTicket(t.text); ok {
			cmd, args = cmdShow, []string{ticket}
		}
	}
	switch cmd {
	case cmdErase:
		return e.staffDeletions(ctx, t, o, args)
	case cmdList:
		if o.Role.AllUnits() && e.privacy != nil {
			// Deletion requests have a legal deadline: they head the list.
			reqs, err := e.privacy.DeletionRequests(ctx)
			if err != nil {
				return fmt.Errorf("list deletion requests: %w", err)
			}
			if len(reqs) > 0 {
				t.say(e.tr(t, "staff.deletions_pending", map[string]string{
					"count": strconv.Itoa(len(reqs)), "due": e.formatDateTime(t, reqs[0].DueAt),
				}))
			}
		}
		return e.staffList(ctx, t, o, services.CaseFilter{}, "staff.list_title")
	case cmdMine:
		return e.staffList(ctx, t, o, services.CaseFilter{Assignee: o.ID}, "staff.mine_title")
	case "", cmdHelp:
		t.say(e.staffHelp(t))
		return nil
	}

	ticket, rest, ok := splitTicket(args)
	if !ok {
		t.say(e.tr(t, "staff.need_ticket", map[string]string{"command": fields[0]}))
		return nil
	}
	note := strings.Join(rest, " ")
	var (
		out casework.Outcome
		err error
	)
	switch cmd {
	case cmdShow:
		// The desk records the read: the law asks who read which file.
		c, events, err := e.work.Open(ctx, o, ticket)
		if err != nil {
			return e.staffRefused(t, fields[0], ticket, note, casework.Outcome{}, err)
		}
		t.say(e.caseDetail(t, c, events))
		return nil
	case cmdTake:
		out, err = e.work.Take(ctx, o, ticket)
	case cmdAssign:
		out, err = e.work.Assign(ctx, o, ticket, strings.TrimSpace(note))
	case cmdNote:
		out, err = e.work.Note(ctx, o, ticket, note)
	default:
		sc, ok := statusCommands[cmd]
		if !ok {
			t.say(e.staffHelp(t))
			return nil
		}
		out, err = e.work.Move(ctx, o, ticket, sc.to, note)
	}
	if err != nil {
		return e.staffRefused(t, fields[0], ticket, note, out, err)
	}
	c := out.Case
	switch cmd {
	case cmdTake, cmdAssign:
		name := c.Assignee
		if a, ok := e.staff.Officer(c.Assignee); ok {
			name = a.Name
		}
		t.say(e.tr(t, "staff.assigned", map[string]string{"ticket": c.Ticket, "officer": name}))
	case cmdNote:
		t.say(e.tr(t, "staff.noted", map[string]string{"ticket": c.Ticket}))
	default:
		t.say(e.staffChanged(t, out))
	}
	return nil
}

// staffChanged tells the officer the case's new status, and the truth
// about the citizen's notification.
func (e *Engine) staffChanged(t *turn, out casework.Outcome) string {
	c := out.Case
	args := map[string]string{"ticket": c.Ticket, "status": e.statusLabel(t, c.Status), "due": e.formatDate(t, c.DueAt)}
	switch out.Citizen {
	case casework.Sent, casework.NoNotice:
		return e.tr(t, "staff.changed", args)
	case casework.Erased:
		args["reason"] = e.tr(t, "staff.untold.erased", nil)
	case casework.Unreachable:
		args["reason"] = e.tr(t, "staff.untold.unreachable", map[string]string{"since": e.formatDateTime(t, c.UnreachableAt)})
	default:
		args["reason"] = e.tr(t, "staff.untold.failed", nil)
	}
	return e.tr(t, "staff.changed_untold", args)
}

// staffRefused answers an action the desk refused, or returns the error
// that kept it from being done.
func (e *Engine) staffRefused(t *turn, command, ticket, note string, out casework.Outcome, err error) error {
	var illegal *casework.IllegalError
	switch {
	case errors.Is(err, services.ErrNoCase):
		t.say(e.tr(t, "staff.not_found", map[string]string{"ticket": ticket}))
	case errors.Is(err, casework.ErrForbidden):
		t.say(e.tr(t, "staff.assign_forbidden", nil))
	case errors.Is(err, casework.ErrNoTarget):
		var ids []string
		for _, o := range e.work.Assignable(out.Case) {
			ids = append(ids, o.ID)
		}
		t.say(e.tr(t, "staff.assign_unknown", map[string]string{"officer": note, "officers": strings.Join(ids, ", ")}))
	case errors.Is(err, casework.ErrClosed):
		t.say(e.tr(t, "staff.closed", map[string]string{"ticket": out.Case.Ticket, "status": e.statusLabel(t, out.Case.Status)}))
	case errors.Is(err, casework.ErrNoteNeeded):
		t.say(e.tr(t, "staff.need_note", map[string]string{"command": command}))
	case errors.As(err, &illegal):
		var next []string
		for _, s := range illegal.Allowed() {
			next = append(next, e.statusLabel(t, s))
		}
		allowed := strings.Join(next, ", ")
		if allowed == "" {
			allowed = "-"
		}
		t.say(e.tr(t, "staff.illegal", map[string]string{
			"ticket": out.Case.Ticket, "from": e.statusLabel(t, illegal.From), "to": e.statusLabel(t, illegal.To), "allowed": allowed,
		}))
	default:
		return err
	}
	return nil
}

// setAwaiting marks the citizen's chat so that their next message answers
// the officer's question on ticket.
func (e *Engine) setAwaiting(ctx context.Context, chat ChatKey, ticket string, now time.Time) error {
	id := fmt.Sprintf("question:%s:%d", ticket, now.UnixNano())
	return e.updateState(ctx, chat, id, now, func(st *State) { st.Awaiting = ticket })
}

// citizenChats is the engine as the casework desk sees it: the keeper of
// the citizens' chat states.
type citizenChats struct{ e *Engine }

// AwaitAnswer implements casework.Citizens.
func (c citizenChats) AwaitAnswer(ctx context.Context, channel, chatID, ticket string, at time.Time) error {
	return c.e.setAwaiting(ctx, ChatKey{Channel: channel, ChatID: chatID}, ticket, at)
}

// InviteToSurvey implements casework.Citizens.
func (c citizenChats) InviteToSurvey(ctx context.Context, v services.CaseView, lang string, at time.Time) (string, error) {
	return c.e.inviteToSurvey(ctx, v, lang, at)
}

// sendText is the desk's way out: a text to a chat, through the engine's
// notifier.
func (e *Engine) sendText(ctx context.Context, channel, chatID, text string) error {
	return e.notifier.Notify(ctx, ChatKey{Channel: channel, ChatID: chatID}, Reply{Text: text})
}

// Casework is the desk the engine's staff commands act through: the office
// console acts through the same one.
func (e *Engine) Casework() *casework.Desk { return e.work }

func (e *Engine) staffList(ctx context.Context, t *turn, o services.Officer, f services.CaseFilter, titleKey string) error {
	cases, err := e.work.List(ctx, o, f)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		t.say(e.tr(t, "staff.list_empty", nil))
		return nil
	}
	lines := []string{e.tr(t, titleKey, map[string]string{"count": fmt.Sprint(len(cases))})}
	for _, c := range cases {
		lines = append(lines, e.staffLine(t, c))
	}
	t.say(strings.Join(lines, "\n"))
	return nil
}

// staffLine is one case in a staff list.
func (e *Engine) staffLine(t *turn, c services.CaseView) string {
	args := e.caseArgs(t, c)
	args["assignee"] = "-"
	if o, ok := e.staff.Officer(c.Assignee); ok {
		args["assignee"] = o.Name
	}
	key := "staff.list_line"
	if c.Status != services.StatusIncomplete && c.DueAt.Before(e.now()) {
		key = "staff.list_line_late"
	}
	return e.tr(t, key, args)
}

// caseDetail shows an officer everything about a case, identity numbers
// masked, with its whole history.
func (e *Engine) caseDetail(t *turn, c services.CaseView, events []services.Event) string {
	args := e.caseArgs(t, c)
	args["name"] = c.CitizenName
	if c.Confidentiality == services.ConfidentialAnonymous {
		args["name"] = e.tr(t, "staff.anonymous", nil)
	}
	args["channel"] = c.Channel
	args["assignee"] = "-"
	if o, ok := e.staff.Officer(c.Assignee); ok {
		args["assignee"] = o.Name
	}
	lines := []string{e.tr(t, "staff.detail", args)}
	if svc, ok := e.catalog.Service(c.ServiceCode); ok {
		for _, f := range svc.Form {
			if _, answered := c.Form[f.Name]; !answered && f.Skipped(c.Form) {
				continue
			}
			lines = append(lines, e.tr(t, "form.summary_line", map[string]string{
				"label": e.tr(t, f.LabelKey(), nil), "value": e.display(t, f, c.Form[f.Name]),
			}))
		}
	}
	lines = append(lines, e.tr(t, "staff.history", nil))
	for _, ev := range events {
		actor := ev.Actor
		if o, ok := e.staff.Officer(ev.Actor); ok {
			actor = o.Name
		} else if actor == "citizen" {
			actor = e.tr(t, "staff.actor_citizen", nil)
		}
		note, kind := ev.Note, ev.Kind
		if ev.NoteErased {
			note = e.tr(t, "privacy.note_erased", nil)
		}
		if o, ok := e.staff.Officer(note); ok && kind == services.EventAssign {
			note = o.Name
		}
		if kind == services.EventStatus && note == "" {
			kind = "status_plain"
		}
		lines = append(lines, e.tr(t, "staff.history_line", map[string]string{
			"when": e.formatDateTime(t, ev.At), "actor": actor,
			"what": e.tr(t, "staff.event."+kind, map[string]string{"status": e.statusLabel(t, ev.To), "note": note}),
		}))
	}
	return strings.Join(lines, "\n")
}

// splitTicket takes the ticket number at the start of a command's
// arguments, typed with or without dashes, possibly with spaces inside
// ("LKS 261123 0001").
func splitTicket(args []string) (string, []string, bool) {
	for n := min(3, len(args)); n >= 1; n-- {
		if ticket, ok := services.NormalizeTicket(strings.Join(args[:n], "")); ok {
			return ticket, args[n:], true
		}
	}
	return "", nil, false
}
