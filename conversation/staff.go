package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

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
		question: func(e *Engine, t *turn) string { return e.tr(t, "staff.help", nil) },
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

// statusCommands map a command to the status it sets, and whether it needs
// a note (a reason, a pick-up note, where to go instead, the question).
var statusCommands = map[string]struct {
	to       services.Status
	noteNeed bool
}{
	cmdVerify:  {services.StatusVerifying, false},
	cmdProcess: {services.StatusProcessing, false},
	cmdDone:    {services.StatusDone, true},
	cmdReject:  {services.StatusRejected, true},
	cmdRefer:   {services.StatusNotOurRemit, true},
	cmdAsk:     {services.StatusIncomplete, true},
}

// staffLang is the language of staff messages.
func (e *Engine) staffLang() string { return locales.DefaultLang }

// staffStep handles one officer's message: a command, never a menu.
func (e *Engine) staffStep(ctx context.Context, t *turn, loaded Loaded, o services.Officer) error {
	if loaded.State != nil {
		t.st = *loaded.State
	} else {
		t.st = State{Chat: t.in.Chat}
	}
	t.st.Step, t.st.Lang, t.st.UpdatedAt = StepStaff, e.staffLang(), e.now()
	fields := strings.Fields(t.text)
	if t.in.Kind != KindText || len(fields) == 0 {
		t.say(e.tr(t, "staff.help", nil))
		return nil
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
		f := services.CaseFilter{Unit: o.Unit}
		if o.Role.AllUnits() {
			f.Unit = ""
			// Deletion requests have a legal deadline: they head the list.
			if e.privacy != nil {
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
		}
		return e.staffList(ctx, t, f, "staff.list_title")
	case cmdMine:
		return e.staffList(ctx, t, services.CaseFilter{Assignee: o.ID}, "staff.mine_title")
	case "", cmdHelp:
		t.say(e.tr(t, "staff.help", nil))
		return nil
	}

	ticket, rest, ok := splitTicket(args)
	if !ok {
		t.say(e.tr(t, "staff.need_ticket", map[string]string{"command": fields[0]}))
		return nil
	}
	c, events, err := e.desk.Case(ctx, ticket)
	if errors.Is(err, ErrNoCase) || (err == nil && !canSee(o, c)) {
		t.say(e.tr(t, "staff.not_found", map[string]string{"ticket": ticket}))
		return nil
	}
	if err != nil {
		return fmt.Errorf("load case %s for officer %s: %w", ticket, o.ID, err)
	}
	note := strings.Join(rest, " ")
	switch cmd {
	case cmdShow:
		if e.privacy != nil {
			// The law asks for a record of who read which citizen's file.
			if err := e.privacy.RecordRead(ctx, c.Ticket, o.ID, e.now()); err != nil {
				return fmt.Errorf("record that %s read %s: %w", o.ID, c.Ticket, err)
			}
		}
		t.say(e.caseDetail(t, c, events))
		return nil
	case cmdTake:
		return e.staffAssign(ctx, t, o, c, o)
	case cmdAssign:
		target, ok := e.staff.Officer(strings.TrimSpace(note))
		switch {
		case !o.Role.CanAssign():
			t.say(e.tr(t, "staff.assign_forbidden", nil))
			return nil
		case !ok || !target.Active || (target.Unit != c.Unit && !target.Role.AllUnits()):
			t.say(e.tr(t, "staff.assign_unknown", map[string]string{"officer": note, "officers": e.unitOfficerIDs(c.Unit)}))
			return nil
		}
		return e.staffAssign(ctx, t, o, c, target)
	case cmdNote:
		if note == "" {
			t.say(e.tr(t, "staff.need_note", map[string]string{"command": fields[0]}))
			return nil
		}
		if _, err := e.desk.AddEvent(ctx, c.Ticket, services.EventNote, o.ID, note, e.now()); err != nil {
			return fmt.Errorf("note on %s by %s: %w", c.Ticket, o.ID, err)
		}
		t.say(e.tr(t, "staff.noted", map[string]string{"ticket": c.Ticket}))
		return nil
	}
	sc, ok := statusCommands[cmd]
	if !ok {
		t.say(e.tr(t, "staff.help", nil))
		return nil
	}
	if sc.noteNeed && note == "" {
		t.say(e.tr(t, "staff.need_note", map[string]string{"command": fields[0]}))
		return nil
	}
	return e.staffChangeStatus(ctx, t, o, c, sc.to, cmd == cmdAsk, note)
}

// referralOf finds the configured referral an officer named ("lapor_bupati",
// "sp4n", ...), so the citizen gets its full text in their language.
func (e *Engine) referralOf(note string) (services.Referral, bool) {
	choices := make([]services.Choice, 0, len(e.catalog.Referrals))
	for _, r := range e.catalog.Referrals {
		choices = append(choices, services.Choice{Value: r.Code, Label: r.Code, Keywords: r.Keywords})
	}
	if i, ok := services.MatchChoice(note, choices, services.Vocabulary{}); ok {
		return e.catalog.Referrals[i], true
	}
	return services.Referral{}, false
}

// staffChangeStatus moves a case and tells its citizen, in their language,
// on the channel they used.
func (e *Engine) staffChangeStatus(ctx context.Context, t *turn, o services.Officer, c services.CaseView, to services.Status, question bool, note string) error {
	now := e.now()
	referral, referred := services.Referral{}, false
	if to == services.StatusNotOurRemit {
		if referral, referred = e.referralOf(note); referred {
			// The history keeps where the case went, by name.
			note = e.texts.T(e.staffLang(), "referral."+referral.Code+".name", nil)
		}
	}
	change := services.StatusChange{Ticket: c.Ticket, To: to, Actor: o.ID, Note: note, At: now, Kind: services.EventStatus}
	if question {
		change.Kind = services.EventQuestion
	}
	if to.ClockRuns() {
		// The file is complete now: the time limit counts from here.
		if svc, ok := e.catalog.Service(c.ServiceCode); ok {
			due := e.calendar.DueDate(now, svc.Days)
			change.DueAt = &due
		}
	}
	updated, err := e.desk.ChangeStatus(ctx, change)
	if errors.Is(err, services.ErrIllegalTransition) {
		var next []string
		for _, s := range services.Next(c.Status) {
			next = append(next, e.statusLabel(t, s))
		}
		allowed := strings.Join(next, ", ")
		if allowed == "" {
			allowed = "-"
		}
		t.say(e.tr(t, "staff.illegal", map[string]string{
			"ticket": c.Ticket, "from": e.statusLabel(t, c.Status), "to": e.statusLabel(t, to), "allowed": allowed,
		}))
		return nil
	}
	if err != nil {
		return fmt.Errorf("change %s to %s by %s: %w", c.Ticket, to, o.ID, err)
	}
	t.say(e.tr(t, "staff.changed", map[string]string{
		"ticket": updated.Ticket, "status": e.statusLabel(t, updated.Status), "due": e.formatDate(t, updated.DueAt),
	}))

	lang := updated.CitizenLang
	if lang == "" {
		lang = locales.DefaultLang
	}
	key := "notify.status." + string(to)
	if question {
		key = "notify.question"
		if err := e.setAwaiting(ctx, ChatKey{Channel: updated.Channel, ChatID: updated.ChatID}, updated.Ticket, now); err != nil {
			return err
		}
	}
	citizenNote := note
	if referred {
		citizenNote = e.texts.T(lang, "referral."+referral.Code+".name", nil) + ". " + e.texts.T(lang, "referral."+referral.Code+".text", nil)
	}
	text := e.texts.T(lang, key, map[string]string{
		"ticket": updated.Ticket, "service": e.texts.T(lang, "service."+updated.ServiceCode+".name", nil),
		"note": citizenNote, "due": e.formatDateIn(lang, updated.DueAt),
	})
	if to == services.StatusDone {
		invite, err := e.inviteToSurvey(ctx, updated, lang, now)
		if err != nil {
			return err
		}
		if invite != "" {
			text += "\n\n" + invite
		}
	}
	t.out = append(t.out, outgoing{to: ChatKey{Channel: updated.Channel, ChatID: updated.ChatID}, reply: Reply{Text: text}})
	return nil
}

// setAwaiting marks the citizen's chat so that their next message answers
// the officer's question on ticket.
func (e *Engine) setAwaiting(ctx context.Context, chat ChatKey, ticket string, now time.Time) error {
	id := fmt.Sprintf("question:%s:%d", ticket, now.UnixNano())
	return e.updateState(ctx, chat, id, now, func(st *State) { st.Awaiting = ticket })
}

func (e *Engine) staffAssign(ctx context.Context, t *turn, by services.Officer, c services.CaseView, to services.Officer) error {
	if !c.Status.Open() {
		t.say(e.tr(t, "staff.closed", map[string]string{"ticket": c.Ticket, "status": e.statusLabel(t, c.Status)}))
		return nil
	}
	if _, err := e.desk.Assign(ctx, c.Ticket, to.ID, by.ID, e.now()); err != nil {
		return fmt.Errorf("assign %s to %s by %s: %w", c.Ticket, to.ID, by.ID, err)
	}
	t.say(e.tr(t, "staff.assigned", map[string]string{"ticket": c.Ticket, "officer": to.Name}))
	if to.ID != by.ID {
		text := e.tr(t, "staff.assigned_to_you", map[string]string{
			"ticket": c.Ticket, "service": e.serviceName(t, c.ServiceCode), "by": by.Name,
		})
		for _, chat := range officerChats(to) {
			t.out = append(t.out, outgoing{to: chat, reply: Reply{Text: text}})
		}
	}
	return nil
}

func (e *Engine) staffList(ctx context.Context, t *turn, f services.CaseFilter, titleKey string) error {
	cases, err := e.desk.OpenCases(ctx, f)
	if err != nil {
		return fmt.Errorf("list open cases: %w", err)
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

func (e *Engine) unitOfficerIDs(unit string) string {
	var ids []string
	for _, o := range e.staff.OfUnit(unit) {
		ids = append(ids, o.ID)
	}
	return strings.Join(ids, ", ")
}

// canSee reports whether an officer may read and act on a case.
func canSee(o services.Officer, c services.CaseView) bool {
	if c.Confidentiality == services.ConfidentialSecret {
		// A confidential complaint stays with the unit handling it and the
		// camat who answers for it.
		return o.Unit == c.Unit || o.Role == services.RoleCamat
	}
	return o.Role.AllUnits() || o.Unit == c.Unit
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
