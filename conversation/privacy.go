package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// PrivacyDesk keeps what the personal data law (UU 27/2022) asks the office
// to record: consent before identity numbers are collected, deletion
// requests and their deadline, and who read which case.
type PrivacyDesk interface {
	RecordConsent(ctx context.Context, channel, chatID, purpose string, at time.Time) error
	HasConsent(ctx context.Context, channel, chatID, purpose string) (bool, error)
	// RequestDeletion files the chat's request (or returns its open one).
	RequestDeletion(ctx context.Context, channel, chatID string, at time.Time) (services.DeletionRequest, error)
	DeletionRequests(ctx context.Context) ([]services.DeletionRequest, error)
	// CompleteDeletion erases the citizen's data and returns the tickets of
	// their open cases, whose data is kept until they are finished.
	CompleteDeletion(ctx context.Context, id int64, officer string, at time.Time) ([]string, error)
	// RecordRead keeps who read which case and why ("" for opening it):
	// the casework desk records every staff read through it.
	RecordRead(ctx context.Context, ticket, officer, purpose string, at time.Time) error
}

// StepConsent shows the privacy notice before a form's first identity
// number, and asks for consent.
const StepConsent Step = "consent"

func init() {
	register(StepConsent, stepKind{
		question: func(e *Engine, t *turn) string {
			return e.tr(t, "privacy.notice", map[string]string{"office": e.catalog.Office.Name})
		},
		scope:   fixedScope("consent"),
		choices: (*Engine).consentChoices,
		handle:  (*Engine).onConsent,
	})
}

// consentPurpose names what the citizen agreed to; a new wording of the
// notice gets a new version, and is asked again.
const consentPurpose = "nik.v1"

// needsConsent reports whether the form asks for identity numbers and the
// citizen has not yet agreed to their use.
func (e *Engine) needsConsent(ctx context.Context, t *turn, svc services.Service) (bool, error) {
	if e.privacy == nil {
		return false, nil
	}
	asksID := false
	for _, f := range svc.Form {
		asksID = asksID || f.Type == services.FieldNIK || f.Type == services.FieldKK
	}
	if !asksID {
		return false, nil
	}
	ok, err := e.privacy.HasConsent(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, consentPurpose)
	if err != nil {
		return false, fmt.Errorf("consent of %s: %w", t.in.Chat, err)
	}
	return !ok, nil
}

func (e *Engine) consentChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "agree", Label: e.tr(t, "privacy.agree", nil), Keywords: e.agreeWords},
		{Value: "cancel", Label: e.tr(t, "form.confirm_cancel", nil), Keywords: e.vocab.No},
	}
}

// onConsent records the citizen's agreement, with its time, and asks the
// form's first question; refusing cancels the form. A number sent right
// after the notice (the NIK it is about, as the notice invites) agrees and
// answers the first question in one message.
func (e *Engine) onConsent(ctx context.Context, t *turn) error {
	value, ok := "", false
	if t.in.Kind == KindText && sendsIDNumber(t.text) {
		value, ok = "agree", true
	} else if value, ok = e.choose(t, "input.unknown_choice"); !ok {
		return nil
	}
	if value != "agree" {
		t.say(e.tr(t, "form.cancelled", map[string]string{"service": e.serviceName(t, t.st.Draft)}))
		e.dropDraft(t)
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	if err := e.privacy.RecordConsent(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, consentPurpose, e.now()); err != nil {
		return fmt.Errorf("record consent of %s: %w", t.in.Chat, err)
	}
	t.st.Step = StepForm
	t.st.Retries = 0
	if t.in.Kind == KindText && sendsIDNumber(t.text) {
		return e.onForm(ctx, t)
	}
	e.prompt(t)
	return nil
}

// minIDDigits is how many digits make a message an identity number sent
// (a NIK or KK has 16; a slip or two still counts).
const minIDDigits = 12

// sendsIDNumber reports whether a message is an identity number, alone or
// in a sentence ("nik saya 3307...").
func sendsIDNumber(text string) bool {
	digits := 0
	for i := 0; i < len(text); i++ {
		if text[i] >= '0' && text[i] <= '9' {
			digits++
		}
	}
	return digits >= minIDDigits
}

// showMyData tells a citizen what is stored about them.
func (e *Engine) showMyData(ctx context.Context, t *turn) error {
	cases, err := e.desk.CitizenCases(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, maxListed)
	if err != nil {
		return fmt.Errorf("list data of %s: %w", t.in.Chat, err)
	}
	lines := []string{e.tr(t, "privacy.mydata_title", nil)}
	consent := e.tr(t, "privacy.consent_none", nil)
	if e.privacy != nil {
		if ok, err := e.privacy.HasConsent(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, consentPurpose); err != nil {
			return fmt.Errorf("consent of %s: %w", t.in.Chat, err)
		} else if ok {
			consent = e.tr(t, "privacy.consent_given", nil)
		}
	}
	lines = append(lines, e.tr(t, "privacy.mydata_lang", map[string]string{"lang": e.tr(t, "language.name", nil)}), consent)
	if line, err := e.subscriptionLine(ctx, t); err != nil {
		return err
	} else if line != "" {
		lines = append(lines, line)
	}
	for _, c := range cases {
		args := e.caseArgs(t, c)
		args["nik"] = services.MaskID(c.Form[services.NIKField])
		if c.Form[services.NIKField] == "" {
			args["nik"] = "-"
		}
		line := e.tr(t, "privacy.mydata_case", args)
		if c.EraseWhenClosed {
			line += " " + e.tr(t, "privacy.mydata_case_kept", nil)
		}
		lines = append(lines, line)
	}
	if e.privacy != nil {
		reqs, err := e.privacy.DeletionRequests(ctx)
		if err != nil {
			return fmt.Errorf("deletion requests of %s: %w", t.in.Chat, err)
		}
		for _, r := range reqs {
			if r.Channel == t.in.Chat.Channel && r.ChatID == t.in.Chat.ChatID {
				lines = append(lines, e.tr(t, "privacy.mydata_erasure", map[string]string{"id": strconv.FormatInt(r.ID, 10), "due": e.formatDateTime(t, r.DueAt)}))
			}
		}
	}
	talks, err := e.handoverLines(ctx, t)
	if err != nil {
		return err
	}
	lines = append(lines, talks...)
	if len(cases) == 0 {
		lines = append(lines, e.tr(t, "privacy.mydata_nocase", nil))
	}
	lines = append(lines, e.tr(t, "privacy.mydata_footer", nil))
	t.say(strings.Join(lines, "\n"))
	e.prompt(t)
	return nil
}

// eraseMe files a deletion request for staff, says what it covers, and
// forgets the conversation at once, drafts included: the state this turn
// commits is the bare menu. The citizen's open cases are kept until they
// are finished (pgstore.Store.CompleteDeletion), and the citizen is told so.
func (e *Engine) eraseMe(ctx context.Context, t *turn) error {
	if e.privacy == nil {
		t.say(e.tr(t, "privacy.unavailable", nil))
		e.prompt(t)
		return nil
	}
	r, err := e.privacy.RequestDeletion(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, e.now())
	if err != nil {
		return fmt.Errorf("request deletion for %s: %w", t.in.Chat, err)
	}
	open, err := e.openTickets(ctx, t)
	if err != nil {
		return err
	}
	if err := e.leaveHandover(ctx, t); err != nil {
		return err
	}
	// What stays of the state is the bare menu: no draft, no answers. The
	// commit of this turn replaces the stored state, and its draft marker.
	t.st = State{Chat: t.st.Chat, Step: StepMenu, Lang: t.st.Lang, UpdatedAt: t.st.UpdatedAt, Version: t.st.Version}
	t.say(e.tr(t, "privacy.erase_requested", map[string]string{"id": strconv.FormatInt(r.ID, 10), "due": e.formatDateTime(t, r.DueAt)}))
	if err := e.eraseSubscriptions(ctx, t); err != nil {
		return err
	}
	if len(open) > 0 {
		t.say(e.tr(t, "privacy.erase_keeps_open", map[string]string{"tickets": strings.Join(open, ", ")}))
	}
	e.prompt(t)
	return nil
}

// openTickets are the tickets of the chat's cases still open.
func (e *Engine) openTickets(ctx context.Context, t *turn) ([]string, error) {
	cases, err := e.desk.CitizenCases(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, maxListed)
	if err != nil {
		return nil, fmt.Errorf("list cases of %s: %w", t.in.Chat, err)
	}
	var open []string
	for _, c := range cases {
		if c.Status.Open() {
			open = append(open, c.Ticket)
		}
	}
	return open, nil
}

// staffDeletions lists open deletion requests (camat and admin), and
// "hapusdata <id>" completes one.
func (e *Engine) staffDeletions(ctx context.Context, t *turn, o services.Officer, args []string) error {
	if e.privacy == nil || !o.Role.AllUnits() {
		t.say(e.tr(t, "staff.deletion_forbidden", nil))
		return nil
	}
	if len(args) > 0 {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			t.say(e.tr(t, "staff.deletion_usage", nil))
			return nil
		}
		kept, err := e.privacy.CompleteDeletion(ctx, id, o.ID, e.now())
		if err != nil {
			t.say(e.tr(t, "staff.deletion_failed", map[string]string{"id": args[0]}))
			if !errors.Is(err, ErrNoCase) {
				e.log.Warn("deletion request not completed", "id", id, "officer", o.ID, "err", err)
			}
			return nil
		}
		if len(kept) > 0 {
			t.say(e.tr(t, "staff.deletion_kept", map[string]string{"id": args[0], "tickets": strings.Join(kept, ", ")}))
			return nil
		}
		t.say(e.tr(t, "staff.deletion_done", map[string]string{"id": args[0]}))
		return nil
	}
	reqs, err := e.privacy.DeletionRequests(ctx)
	if err != nil {
		return fmt.Errorf("list deletion requests: %w", err)
	}
	if len(reqs) == 0 {
		t.say(e.tr(t, "staff.deletion_none", nil))
		return nil
	}
	lines := []string{e.tr(t, "staff.deletion_title", nil)}
	for _, r := range reqs {
		key := "staff.deletion_line"
		if r.DueAt.Before(e.now()) {
			key = "staff.deletion_line_late"
		}
		lines = append(lines, e.tr(t, key, map[string]string{
			"id": strconv.FormatInt(r.ID, 10), "channel": r.Channel, "chat": services.MaskID(r.ChatID),
			"due": e.formatDateTime(t, r.DueAt),
		}))
	}
	t.say(strings.Join(lines, "\n"))
	return nil
}
