package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// Desk is the Store as the conversation's CaseDesk sees it: the same
// operations returning services views, and conversation.ErrNoCase for a
// ticket that does not exist or is not the asking citizen's.
type Desk struct{ s *Store }

// Desk returns the store's CaseDesk.
func (s *Store) Desk() Desk { return Desk{s: s} }

// ChangeStatus implements conversation.CaseDesk.
func (d Desk) ChangeStatus(ctx context.Context, c services.StatusChange) (services.CaseView, error) {
	cs, _, err := d.s.ChangeStatus(ctx, c)
	return view(cs), noCase(err)
}

// Assign implements conversation.CaseDesk.
func (d Desk) Assign(ctx context.Context, ticket, assignee, actor string, at time.Time) (services.CaseView, error) {
	cs, _, err := d.s.Assign(ctx, ticket, assignee, actor, at)
	return view(cs), noCase(err)
}

// AddEvent implements conversation.CaseDesk.
func (d Desk) AddEvent(ctx context.Context, ticket, kind, actor, note string, at time.Time) (services.CaseView, error) {
	cs, _, err := d.s.AddEvent(ctx, ticket, kind, actor, note, at)
	return view(cs), noCase(err)
}

// Case implements conversation.CaseDesk.
func (d Desk) Case(ctx context.Context, ticket string) (services.CaseView, []services.Event, error) {
	cs, events, err := d.s.StaffCase(ctx, ticket)
	if err != nil {
		return services.CaseView{}, nil, noCase(err)
	}
	return view(cs), eventViews(events), nil
}

// OpenCases implements conversation.CaseDesk.
func (d Desk) OpenCases(ctx context.Context, f services.CaseFilter) ([]services.CaseView, error) {
	cases, err := d.s.OpenCases(ctx, f)
	return views(cases), err
}

// CitizenCases implements conversation.CaseDesk.
func (d Desk) CitizenCases(ctx context.Context, channel, chatID string, limit int) ([]services.CaseView, error) {
	cases, err := d.s.CitizenCases(ctx, channel, chatID, limit)
	return views(cases), err
}

// CitizenCase implements conversation.CaseDesk.
func (d Desk) CitizenCase(ctx context.Context, ticket, channel, chatID string) (services.CaseView, []services.Event, error) {
	cs, events, err := d.s.CitizenCase(ctx, ticket, channel, chatID)
	if err != nil {
		return services.CaseView{}, nil, noCase(err)
	}
	return view(cs), eventViews(events), nil
}

// CitizenLang implements conversation.CaseDesk.
func (d Desk) CitizenLang(ctx context.Context, channel, chatID string) (string, error) {
	return d.s.CitizenLang(ctx, channel, chatID)
}

// SetCitizenLang implements conversation.CaseDesk.
func (d Desk) SetCitizenLang(ctx context.Context, channel, chatID, lang string) error {
	return d.s.SetCitizenLang(ctx, channel, chatID, lang)
}

// StartSurvey implements conversation.SurveyDesk.
func (d Desk) StartSurvey(ctx context.Context, ticket string, at time.Time) (bool, error) {
	return d.s.StartSurvey(ctx, ticket, at)
}

// AnswerSurvey implements conversation.SurveyDesk.
func (d Desk) AnswerSurvey(ctx context.Context, ticket, element string, score int, at time.Time) error {
	return d.s.AnswerSurvey(ctx, ticket, element, score, at)
}

// AnswerProfile implements conversation.SurveyDesk.
func (d Desk) AnswerProfile(ctx context.Context, ticket, question, value string, at time.Time) error {
	return d.s.AnswerProfile(ctx, ticket, question, value, at)
}

// CompleteSurvey implements conversation.SurveyDesk.
func (d Desk) CompleteSurvey(ctx context.Context, ticket, comment string, at time.Time) error {
	return d.s.CompleteSurvey(ctx, ticket, comment, at)
}

// Attachments lists the photos and documents filed with a case, for the
// staff notification; ErrNoCase for an unknown ticket.
func (d Desk) Attachments(ctx context.Context, ticket string) ([]services.StoredFile, error) {
	files, err := d.s.Attachments(ctx, ticket)
	return files, noCase(err)
}

// noCase turns the store's ErrNotFound into the conversation's ErrNoCase,
// keeping the rest of the message.
func noCase(err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", conversation.ErrNoCase, err)
	}
	return err
}

func view(c Case) services.CaseView { return c.View() }

func views(cases []Case) []services.CaseView {
	out := make([]services.CaseView, 0, len(cases))
	for _, c := range cases {
		out = append(out, c.View())
	}
	return out
}

func eventViews(events []CaseEvent) []services.Event {
	out := make([]services.Event, 0, len(events))
	for _, e := range events {
		out = append(out, e.Event())
	}
	return out
}

// DeletionRequests implements conversation.PrivacyDesk: the open requests,
// oldest first.
func (d Desk) DeletionRequests(ctx context.Context) ([]services.DeletionRequest, error) {
	reqs, err := d.s.OpenDeletionRequests(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]services.DeletionRequest, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, services.DeletionRequest{ID: r.ID, Channel: r.Channel, ChatID: r.ChatID, RequestedAt: r.RequestedAt, DueAt: r.DueAt})
	}
	return out, nil
}

// AddDocuments implements conversation.DocumentDesk.
func (d Desk) AddDocuments(ctx context.Context, docs services.DocumentsAdded) (services.CaseView, error) {
	c, _, err := d.s.AddDocuments(ctx, docs)
	return view(c), noCase(err)
}

// AddAttachments implements conversation.AttachmentDesk: the files of a
// citizen's answer, or of a complaint on the same matter.
func (d Desk) AddAttachments(ctx context.Context, ticket string, files []services.StoredFile, at time.Time) error {
	return noCase(d.s.AddAttachments(ctx, ticket, files, at))
}
