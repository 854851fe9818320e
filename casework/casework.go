// Package casework is what staff do to a case, in one place: list the open
// ones, read one (on record), take it, give it to a colleague, move its
// status, ask the citizen, note. The officers' chat commands (conversation)
// and the office console both call it, so the two can never disagree.
//
// It applies one visibility rule, services.CanSee, to every list, read,
// action and assignment target, and it tells the citizen of each step at
// once, in their language, reporting truthfully whether they could be told.
// It knows no chat app and no store: it declares the small interfaces it
// needs.
package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// Cases is what casework needs from case storage. Every change records its
// step in the case's history in the same transaction. A ticket that does
// not exist fails with services.ErrNoCase; a move the lifecycle forbids
// with services.ErrIllegalTransition. The views of a change carry the
// citizen's chat (even for an anonim complaint), so the citizen can be
// told; the staff views (Case, OpenCases) of an anonim complaint never
// name who filed it.
type Cases interface {
	Case(ctx context.Context, ticket string) (services.CaseView, []services.Event, error)
	OpenCases(ctx context.Context, f services.CaseFilter) ([]services.CaseView, error)
	ChangeStatus(ctx context.Context, c services.StatusChange) (services.CaseView, error)
	Assign(ctx context.Context, ticket, assignee, actor string, at time.Time) (services.CaseView, error)
	AddEvent(ctx context.Context, ticket, kind, actor, note string, at time.Time) (services.CaseView, error)
}

// Reads keeps the record of who read which case, when and why, which the
// personal data law asks for (UU 27/2022): purpose is "" for opening a
// case, the officer's reason for revealing its identity numbers.
type Reads interface {
	RecordRead(ctx context.Context, ticket, officer, purpose string, at time.Time) error
}

// Citizens is what casework asks of the citizens' conversations, which
// live elsewhere (the engine's chat states).
type Citizens interface {
	// AwaitAnswer makes the citizen's next message in their chat the
	// answer to the officer's question on ticket.
	AwaitAnswer(ctx context.Context, channel, chatID, ticket string, at time.Time) error
	// InviteToSurvey opens the satisfaction survey of a finished case,
	// once per case, and returns the invitation to add to the citizen's
	// notification; "" when the case had its survey already.
	InviteToSurvey(ctx context.Context, c services.CaseView, lang string, at time.Time) (string, error)
}

// Send delivers text to the chat chatID of channel: sent, or queued for
// the channel to send at its pace. An error means it will not arrive.
type Send func(ctx context.Context, channel, chatID, text string) error

// Config is what New needs.
type Config struct {
	Catalog *services.Catalog
	Texts   *locales.Bundle
	Staff   *services.Staff
	Cases   Cases
	// Reads records who opened which case; nil records nothing.
	Reads Reads
	// Citizens, nil: no question waits for an answer, no survey invites.
	Citizens Citizens
	// Send delivers the citizens' and officers' notifications; nil drops
	// them (and says so: the citizen was not told).
	Send Send
	// SendFiles delivers photos and documents with a text (an officer's
	// reply with a file, a citizen's photo forwarded); nil: text only.
	SendFiles SendFiles
	// Handovers keeps the conversations citizens have with officers;
	// nil: there are none.
	Handovers Handovers
	// Chats gives a citizen's chat back to the bot when their
	// conversation ends; nil: the citizen is not told.
	Chats HandoverChats
	Now   func() time.Time // defaults to time.Now
	Log   *slog.Logger     // defaults to slog.Default()
}

// Desk is the office's desk: every staff action on a case. It is safe for
// concurrent use.
type Desk struct {
	catalog  *services.Catalog
	texts    *locales.Bundle
	staff    *services.Staff
	cases    Cases
	reads    Reads
	citizens Citizens
	send     Send
	// The conversations (handover.go).
	sendFiles SendFiles
	handovers Handovers
	chats     HandoverChats
	now       func() time.Time
	log       *slog.Logger
	calendar  services.Calendar
}

// New builds a Desk and checks that the texts it sends exist, so a missing
// one fails start-up, not a citizen.
func New(cfg Config) (*Desk, error) {
	if cfg.Catalog == nil || cfg.Texts == nil || cfg.Cases == nil {
		return nil, errors.New("casework needs a catalog, texts and a case store")
	}
	keys := textKeys()
	if cfg.Handovers != nil {
		keys = append(keys, handoverTextKeys()...)
	}
	if missing := cfg.Texts.Missing(keys); len(missing) > 0 {
		return nil, fmt.Errorf("the staff actions: missing locale keys %v", missing)
	}
	d := &Desk{
		catalog: cfg.Catalog, texts: cfg.Texts, staff: cfg.Staff, cases: cfg.Cases, reads: cfg.Reads,
		citizens: cfg.Citizens, send: cfg.Send, now: cfg.Now, log: cmp.Or(cfg.Log, slog.Default()),
		sendFiles: cfg.SendFiles, handovers: cfg.Handovers, chats: cfg.Chats,
		calendar: services.NewCalendar(cfg.Catalog.Office),
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.staff == nil {
		d.staff = &services.Staff{UnitGroups: map[string]services.Contacts{}}
	}
	return d, nil
}

// Refusals: an action the desk does not carry out, the case unchanged.
// Each comes wrapped with the ticket; Outcome.Case then holds the case as
// it stands, so the caller can say why.
var (
	// ErrForbidden: the officer's role may not do this (a petugas giving
	// a case to someone else).
	ErrForbidden = errors.New("the officer's role may not do this")
	// ErrNoTarget: the case cannot be given to that officer: unknown,
	// inactive, or not allowed to see it.
	ErrNoTarget = errors.New("no such officer may be given the case")
	// ErrClosed: the case is finished and cannot be given to anyone.
	ErrClosed = errors.New("the case is closed")
	// ErrNoteNeeded: the step needs a note (a reason, a pick-up note,
	// where to go instead, the question).
	ErrNoteNeeded = errors.New("the step needs a note")
)

// IllegalError is a status change the lifecycle forbids from the case's
// status; it wraps services.ErrIllegalTransition.
type IllegalError struct {
	From, To services.Status
}

func (e *IllegalError) Error() string {
	return fmt.Sprintf("%s: %s -> %s", services.ErrIllegalTransition, e.From, e.To)
}

// Unwrap makes errors.Is(err, services.ErrIllegalTransition) hold.
func (e *IllegalError) Unwrap() error { return services.ErrIllegalTransition }

// Allowed are the statuses the case may move to instead.
func (e *IllegalError) Allowed() []services.Status { return services.Next(e.From) }

// Notice is what became of the citizen's notification of a step.
type Notice int

// The outcomes of a citizen's notification.
const (
	// NoNotice: the step tells the citizen nothing (an assignment, a note).
	NoNotice Notice = iota
	// Sent: the notification was handed to the citizen's channel.
	Sent
	// Erased: the citizen's data was erased on their request; their chat
	// is no longer known, so nobody can be told.
	Erased
	// Unreachable: the citizen's chat refuses the bot's messages (they
	// blocked it, see Outcome.Case.UnreachableAt); nothing was sent.
	Unreachable
	// Failed: the notification could not be handed to the channel.
	Failed
)

// Told reports whether the citizen was told of the step, or needed not be.
func (n Notice) Told() bool { return n == NoNotice || n == Sent }

// Outcome is what an action did.
type Outcome struct {
	// Case is the case after the action (on a refusal: as it stands).
	Case services.CaseView
	// Citizen is what became of the citizen's notification.
	Citizen Notice
}

// NeedsNote reports whether moving a case to status to needs a note: the
// pick-up note, the reason, where to go instead, the question.
func NeedsNote(to services.Status) bool {
	switch to {
	case services.StatusDone, services.StatusRejected, services.StatusNotOurRemit, services.StatusIncomplete:
		return true
	}
	return false
}

// List returns the open cases officer o may see among those f selects,
// oldest first: their unit's (the camat's and admins': every unit's),
// without the rahasia complaints of other units.
func (d *Desk) List(ctx context.Context, o services.Officer, f services.CaseFilter) ([]services.CaseView, error) {
	if !o.Role.AllUnits() {
		f.Unit = o.Unit
	}
	cases, err := d.cases.OpenCases(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list open cases for %s: %w", o.ID, err)
	}
	out := cases[:0]
	for _, c := range cases {
		if services.CanSee(o, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Open returns a case with its history for officer o to read, and records
// the read. A case o may not see fails exactly like one that does not
// exist, with services.ErrNoCase.
func (d *Desk) Open(ctx context.Context, o services.Officer, ticket string) (services.CaseView, []services.Event, error) {
	c, events, err := d.visible(ctx, o, ticket)
	if err != nil {
		return services.CaseView{}, nil, err
	}
	if d.reads != nil {
		if err := d.reads.RecordRead(ctx, c.Ticket, o.ID, "", d.now()); err != nil {
			return services.CaseView{}, nil, fmt.Errorf("record that %s read %s: %w", o.ID, c.Ticket, err)
		}
	}
	return c, events, nil
}

// Reread returns a case with its history like Open, without a new read
// record: for showing again, to officer o, a case whose reading by o is
// already on record (the console records the first open of a case in a
// session; the page refreshing itself, or shown again after an action, is
// not a new read).
func (d *Desk) Reread(ctx context.Context, o services.Officer, ticket string) (services.CaseView, []services.Event, error) {
	return d.visible(ctx, o, ticket)
}

// Reveal is Open for showing the case's identity numbers (NIK, KK) in
// full: the read record keeps why, which the officer must say. It fails
// with ErrNoteNeeded without a reason, and when reads are not recorded.
func (d *Desk) Reveal(ctx context.Context, o services.Officer, ticket, why string) (services.CaseView, []services.Event, error) {
	c, events, err := d.visible(ctx, o, ticket)
	if err != nil {
		return services.CaseView{}, nil, err
	}
	if why == "" || d.reads == nil {
		return services.CaseView{}, nil, fmt.Errorf("reveal %s: %w", ticket, ErrNoteNeeded)
	}
	if err := d.reads.RecordRead(ctx, c.Ticket, o.ID, why, d.now()); err != nil {
		return services.CaseView{}, nil, fmt.Errorf("record that %s revealed %s: %w", o.ID, c.Ticket, err)
	}
	return c, events, nil
}

// Files is what a case store that keeps the citizens' photos and
// documents offers besides Cases.
type Files interface {
	Attachments(ctx context.Context, ticket string) ([]services.StoredFile, error)
}

// Files lists the photos and documents of a case officer o may see; none
// when the case store keeps no files.
func (d *Desk) Files(ctx context.Context, o services.Officer, ticket string) ([]services.StoredFile, error) {
	c, _, err := d.visible(ctx, o, ticket)
	if err != nil {
		return nil, err
	}
	files, ok := d.cases.(Files)
	if !ok {
		return nil, nil
	}
	out, err := files.Attachments(ctx, c.Ticket)
	if err != nil {
		return nil, fmt.Errorf("files of %s: %w", c.Ticket, err)
	}
	return out, nil
}

// File is the photo or document with the SHA-256 sha of a case officer o
// may see; looking at it is on record (purpose "berkas <sha>"). A file the
// case does not hold fails like a case o may not see, with
// services.ErrNoCase.
func (d *Desk) File(ctx context.Context, o services.Officer, ticket, sha string) (services.StoredFile, error) {
	files, err := d.Files(ctx, o, ticket)
	if err != nil {
		return services.StoredFile{}, err
	}
	for _, f := range files {
		if f.SHA256 == sha {
			if d.reads != nil {
				if err := d.reads.RecordRead(ctx, ticket, o.ID, "berkas "+sha, d.now()); err != nil {
					return services.StoredFile{}, fmt.Errorf("record that %s opened a file of %s: %w", o.ID, ticket, err)
				}
			}
			return f, nil
		}
	}
	return services.StoredFile{}, fmt.Errorf("file of %s for %s: %w", ticket, o.ID, services.ErrNoCase)
}

// Look returns a case officer o may see, without recording a read: for
// deciding what to offer, never for showing its contents.
func (d *Desk) Look(ctx context.Context, o services.Officer, ticket string) (services.CaseView, error) {
	c, _, err := d.visible(ctx, o, ticket)
	return c, err
}

// visible loads a case officer o may see; services.ErrNoCase otherwise,
// the same whether the case exists or not.
func (d *Desk) visible(ctx context.Context, o services.Officer, ticket string) (services.CaseView, []services.Event, error) {
	c, events, err := d.cases.Case(ctx, ticket)
	if errors.Is(err, services.ErrNoCase) || (err == nil && !services.CanSee(o, c)) {
		return services.CaseView{}, nil, fmt.Errorf("case %s for %s: %w", ticket, o.ID, services.ErrNoCase)
	}
	if err != nil {
		return services.CaseView{}, nil, fmt.Errorf("load case %s for %s: %w", ticket, o.ID, err)
	}
	return c, events, nil
}

// Assignable lists the officers of the case's unit it may be given to, in
// the order of staff.yaml. (The camat and admins who may see it can be
// given it too; a case is handed down, so they are not offered.)
func (d *Desk) Assignable(c services.CaseView) []services.Officer {
	var out []services.Officer
	for _, o := range d.staff.OfUnit(c.Unit) {
		if services.CanSee(o, c) {
			out = append(out, o)
		}
	}
	return out
}

// Take gives the case to officer o themself.
func (d *Desk) Take(ctx context.Context, o services.Officer, ticket string) (Outcome, error) {
	return d.Assign(ctx, o, ticket, o.ID)
}

// Assign gives the case to the officer with id to, on behalf of officer
// by: a kasi, the camat or an admin may give it to anyone who may see it
// (services.CanSee), everyone may take it themself. The officer given it
// is told in their chat.
func (d *Desk) Assign(ctx context.Context, by services.Officer, ticket, to string) (Outcome, error) {
	c, _, err := d.visible(ctx, by, ticket)
	if err != nil {
		return Outcome{}, err
	}
	target, ok := d.staff.Officer(to)
	switch {
	case target.ID != by.ID && !by.Role.CanAssign():
		return Outcome{Case: c}, fmt.Errorf("assign %s: %s is %s: %w", ticket, by.ID, by.Role, ErrForbidden)
	case !ok || !services.CanSee(target, c):
		return Outcome{Case: c}, fmt.Errorf("assign %s to %q: %w", ticket, to, ErrNoTarget)
	case !c.Status.Open():
		return Outcome{Case: c}, fmt.Errorf("assign %s: %w (%s)", ticket, ErrClosed, c.Status)
	}
	updated, err := d.cases.Assign(ctx, c.Ticket, target.ID, by.ID, d.now())
	if err != nil {
		return Outcome{Case: c}, fmt.Errorf("assign %s to %s by %s: %w", c.Ticket, target.ID, by.ID, err)
	}
	if target.ID != by.ID {
		text := d.texts.T(locales.DefaultLang, "staff.assigned_to_you", map[string]string{
			"ticket": c.Ticket, "service": d.texts.T(locales.DefaultLang, "service."+c.ServiceCode+".name", nil), "by": by.Name,
		})
		d.tellOfficer(ctx, target, text)
	}
	return Outcome{Case: updated}, nil
}

// Note adds an internal note to the case's history, never sent to the
// citizen.
func (d *Desk) Note(ctx context.Context, o services.Officer, ticket, note string) (Outcome, error) {
	c, _, err := d.visible(ctx, o, ticket)
	if err != nil {
		return Outcome{}, err
	}
	if note == "" {
		return Outcome{Case: c}, fmt.Errorf("note on %s: %w", ticket, ErrNoteNeeded)
	}
	updated, err := d.cases.AddEvent(ctx, c.Ticket, services.EventNote, o.ID, note, d.now())
	if err != nil {
		return Outcome{Case: c}, fmt.Errorf("note on %s by %s: %w", c.Ticket, o.ID, err)
	}
	return Outcome{Case: updated}, nil
}

// Move changes the case's status on officer o's decision, with note (the
// reason, the pick-up note, where the citizen must go, the question:
// NeedsNote says when one is needed), and tells the citizen at once in
// their language. Moving to perlu_perbaikan is a question: the citizen's
// next message answers it. Finishing invites the citizen to the
// satisfaction survey. Referring to a referral named in services.yaml
// ("lapor_bupati") gives the citizen its full text.
//
// The clock starts when the file is complete (diproses): the due date is
// set from the service's working days.
func (d *Desk) Move(ctx context.Context, o services.Officer, ticket string, to services.Status, note string) (Outcome, error) {
	c, _, err := d.visible(ctx, o, ticket)
	if err != nil {
		return Outcome{}, err
	}
	if NeedsNote(to) && note == "" {
		return Outcome{Case: c}, fmt.Errorf("move %s to %s: %w", ticket, to, ErrNoteNeeded)
	}
	now := d.now()
	question := to == services.StatusIncomplete
	referral, referred := services.Referral{}, false
	if to == services.StatusNotOurRemit {
		if referral, referred = d.referralOf(note); referred {
			// The history keeps where the case went, by name.
			note = d.texts.T(locales.DefaultLang, "referral."+referral.Code+".name", nil)
		}
	}
	change := services.StatusChange{Ticket: c.Ticket, To: to, Actor: o.ID, Note: note, At: now, Kind: services.EventStatus}
	if question {
		change.Kind = services.EventQuestion
	}
	if to.ClockRuns() {
		// The file is complete now: the time limit counts from here.
		if svc, ok := d.catalog.Service(c.ServiceCode); ok {
			due := d.calendar.DueDate(now, svc.Days)
			change.DueAt = &due
		}
	}
	updated, err := d.cases.ChangeStatus(ctx, change)
	if errors.Is(err, services.ErrIllegalTransition) {
		return Outcome{Case: c}, fmt.Errorf("move %s: %w", c.Ticket, &IllegalError{From: c.Status, To: to})
	}
	if err != nil {
		return Outcome{Case: c}, fmt.Errorf("move %s to %s by %s: %w", c.Ticket, to, o.ID, err)
	}
	return Outcome{Case: updated, Citizen: d.tellCitizen(ctx, updated, to, note, referral, referred, now)}, nil
}

// referralOf finds the configured referral an officer named ("lapor_bupati",
// "sp4n", ...), so the citizen gets its full text in their language.
func (d *Desk) referralOf(note string) (services.Referral, bool) {
	choices := make([]services.Choice, 0, len(d.catalog.Referrals))
	for _, r := range d.catalog.Referrals {
		choices = append(choices, services.Choice{Value: r.Code, Label: r.Code, Keywords: r.Keywords})
	}
	if i, ok := services.MatchChoice(note, choices, services.Vocabulary{}); ok {
		return d.catalog.Referrals[i], true
	}
	return services.Referral{}, false
}

// tellCitizen sends the citizen of c the news of their case moving to
// status to, in their language, and says what became of it. The step is
// already stored: a failure here is the officer's to know, never a reason
// to undo it.
func (d *Desk) tellCitizen(ctx context.Context, c services.CaseView, to services.Status, note string, referral services.Referral, referred bool, now time.Time) Notice {
	switch {
	case c.Erased:
		return Erased
	case !c.UnreachableAt.IsZero():
		// A question they cannot read must not wait for their answer,
		// and a survey they cannot see must not stand open.
		return Unreachable
	case d.send == nil || c.ChatID == "":
		return Failed
	}
	lang := cmp.Or(c.CitizenLang, locales.DefaultLang)
	key := "notify.status." + string(to)
	if to == services.StatusIncomplete {
		key = "notify.question"
		if d.citizens != nil {
			if err := d.citizens.AwaitAnswer(ctx, c.Channel, c.ChatID, c.Ticket, now); err != nil {
				// Their answer would be read as anything but an answer:
				// better the officer asks again than the citizen is lost.
				d.log.Warn("question not sent: the citizen's chat cannot wait for the answer", "ticket", c.Ticket, "err", err)
				return Failed
			}
		}
	}
	if referred {
		note = d.texts.T(lang, "referral."+referral.Code+".name", nil) + ". " + d.texts.T(lang, "referral."+referral.Code+".text", nil)
	}
	text := d.texts.T(lang, key, map[string]string{
		"ticket": c.Ticket, "service": d.texts.T(lang, "service."+c.ServiceCode+".name", nil),
		"note": note, "due": d.texts.Date(lang, c.DueAt.In(d.catalog.Office.Location)),
	})
	if to == services.StatusDone && d.citizens != nil {
		invite, err := d.citizens.InviteToSurvey(ctx, c, lang, now)
		if err != nil {
			// The news matters more than the survey: send it without.
			d.log.Warn("survey invitation not opened", "ticket", c.Ticket, "err", err)
		}
		if invite != "" {
			text += "\n\n" + invite
		}
	}
	if err := d.send(ctx, c.Channel, c.ChatID, text); err != nil {
		d.log.Warn("citizen not told of their case", "ticket", c.Ticket, "channel", c.Channel, "chat", services.MaskID(c.ChatID), "err", err)
		return Failed
	}
	return Sent
}

// tellOfficer sends text to every chat an officer is reachable in; what
// cannot be sent is logged (the officer sees the case in their list).
func (d *Desk) tellOfficer(ctx context.Context, o services.Officer, text string) {
	if d.send == nil {
		return
	}
	for _, channel := range o.Contacts.Channels() {
		if err := d.send(ctx, channel, o.Contacts[channel], text); err != nil {
			d.log.Warn("officer not told", "officer", o.ID, "channel", channel, "err", err)
		}
	}
}

// textKeys are the locale keys the desk sends, checked at New.
func textKeys() []string {
	keys := []string{"notify.question", "staff.assigned_to_you", "date.format"}
	for _, s := range services.Statuses {
		if s != services.StatusReceived && s != services.StatusIncomplete {
			keys = append(keys, "notify.status."+string(s))
		}
	}
	return keys
}
