package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/services"
)

// Default and largest page sizes of the list methods: a chat message cannot
// show more anyway.
const (
	defaultOpenCases    = 50
	defaultCitizenCases = 10
	maxListed           = 500
)

// maxLangLen is the size of citizens.lang.
const maxLangLen = 8

// StatusChange is one officer's decision on a case, or the citizen's answer
// that returns it to verification. It is services.StatusChange, so the
// conversation's desk passes its value through: Kind is EventStatus by
// default, EventQuestion when the officer asks the citizen (To must be
// perlu_perbaikan), EventReply when the citizen's answer returns the case to
// verifikasi (To must be verifikasi); DueAt, when set, is the case's new due
// date, and when nil the due date is kept.
type StatusChange = services.StatusChange

// CaseFilter selects open cases for the staff's lists: Unit "" = all units,
// Assignee "" = anyone, DueBefore keeps only cases due before it and leaves
// out perlu_perbaikan cases (their clock is paused while the citizen
// completes the file), Limit 0 = 50. It is services.CaseFilter.
type CaseFilter = services.CaseFilter

// ChangeStatus moves a case to c.To and records the event, in one
// transaction that locks the case row (on SQLite the single connection
// serialises it), so concurrent decisions on one case are taken one after
// the other against the status the previous one left. A move the lifecycle
// forbids fails with services.ErrIllegalTransition wrapped and changes
// nothing; an unknown ticket fails with ErrNotFound. It returns the updated
// case, its citizen loaded, and the event.
func (s *Store) ChangeStatus(ctx context.Context, c StatusChange) (Case, CaseEvent, error) {
	if c.Kind == "" {
		c.Kind = EventStatus
	}
	if err := validateChange(c); err != nil {
		return Case{}, CaseEvent{}, fmt.Errorf("change status of %s: %w", c.Ticket, err)
	}
	at := dbTime(c.At)
	return s.onCase(ctx, "change status of", c.Ticket, func(tx *gorm.DB, cs *Case) (CaseEvent, error) {
		if err := services.CheckTransition(cs.Status, c.To); err != nil {
			return CaseEvent{}, err
		}
		set := map[string]any{"status": c.To, "updated_at": at}
		if c.DueAt != nil {
			set["due_at"] = dbTime(*c.DueAt)
		}
		if err := updateCase(tx, cs.ID, set); err != nil {
			return CaseEvent{}, err
		}
		return s.insertEvent(tx, CaseEvent{
			CaseID: cs.ID, Kind: c.Kind, Actor: c.Actor, At: at,
			FromStatus: cs.Status, ToStatus: c.To, Note: c.Note,
		})
	})
}

// validateChange rejects a change that is malformed, whatever the case's
// status.
func validateChange(c StatusChange) error {
	switch {
	case c.Ticket == "":
		return errors.New("ticket is empty")
	case !c.To.Valid():
		return fmt.Errorf("unknown status %q", c.To)
	case c.Actor == "":
		return errors.New("actor is empty")
	case c.At.IsZero():
		return errors.New("time is zero")
	}
	switch c.Kind {
	case EventStatus:
	case EventQuestion:
		if c.To != services.StatusIncomplete {
			return fmt.Errorf("a question moves a case to %s, not %s", services.StatusIncomplete, c.To)
		}
	case EventReply:
		if c.To != services.StatusVerifying {
			return fmt.Errorf("a reply moves a case to %s, not %s", services.StatusVerifying, c.To)
		}
	default:
		return fmt.Errorf("event kind %q does not change a status", c.Kind)
	}
	return nil
}

// Assign gives an open case to the officer assignee ("" takes it back from
// everyone) and records an EventAssign whose note is assignee. A case in a
// final status fails with ErrClosed.
func (s *Store) Assign(ctx context.Context, ticket, assignee, actor string, at time.Time) (Case, CaseEvent, error) {
	switch {
	case ticket == "":
		return Case{}, CaseEvent{}, errors.New("assign case: ticket is empty")
	case actor == "":
		return Case{}, CaseEvent{}, fmt.Errorf("assign case %s: actor is empty", ticket)
	case at.IsZero():
		return Case{}, CaseEvent{}, fmt.Errorf("assign case %s: time is zero", ticket)
	}
	at = dbTime(at)
	return s.onCase(ctx, "assign case", ticket, func(tx *gorm.DB, cs *Case) (CaseEvent, error) {
		if !cs.Status.Open() {
			return CaseEvent{}, fmt.Errorf("%w: %s", ErrClosed, cs.Status)
		}
		if err := updateCase(tx, cs.ID, map[string]any{"assignee": assignee, "updated_at": at}); err != nil {
			return CaseEvent{}, err
		}
		return s.insertEvent(tx, CaseEvent{
			CaseID: cs.ID, Kind: EventAssign, Actor: actor, At: at,
			FromStatus: cs.Status, ToStatus: cs.Status, Note: assignee,
		})
	})
}

// AddEvent records a note, question or reply that leaves the status as it
// is (from = to = the current status) and marks the case as updated at
// that time. Closed cases accept events too: an office may still remark on
// them and a citizen may still write. The note must not be empty.
func (s *Store) AddEvent(ctx context.Context, ticket, kind, actor, note string, at time.Time) (Case, CaseEvent, error) {
	switch {
	case ticket == "":
		return Case{}, CaseEvent{}, errors.New("add event: ticket is empty")
	case kind != EventNote && kind != EventQuestion && kind != EventReply:
		return Case{}, CaseEvent{}, fmt.Errorf("add event to %s: kind %q is not note, question or reply", ticket, kind)
	case actor == "":
		return Case{}, CaseEvent{}, fmt.Errorf("add event to %s: actor is empty", ticket)
	case note == "":
		return Case{}, CaseEvent{}, fmt.Errorf("add event to %s: note is empty", ticket)
	case at.IsZero():
		return Case{}, CaseEvent{}, fmt.Errorf("add event to %s: time is zero", ticket)
	}
	at = dbTime(at)
	return s.onCase(ctx, "add event to", ticket, func(tx *gorm.DB, cs *Case) (CaseEvent, error) {
		if err := updateCase(tx, cs.ID, map[string]any{"updated_at": at}); err != nil {
			return CaseEvent{}, err
		}
		return s.insertEvent(tx, CaseEvent{
			CaseID: cs.ID, Kind: kind, Actor: actor, At: at,
			FromStatus: cs.Status, ToStatus: cs.Status, Note: note,
		})
	})
}

// onCase runs change on the case with the ticket inside one transaction
// holding the case row's lock, then reads the case back with its citizen.
// A change that finishes a case marked EraseWhenClosed erases it in the
// same transaction (eraseOnClose); the case returned is the one read back
// before, so the caller can still tell the citizen how it ended. what
// names the operation in errors.
func (s *Store) onCase(ctx context.Context, what, ticket string, change func(tx *gorm.DB, c *Case) (CaseEvent, error)) (Case, CaseEvent, error) {
	var (
		c      Case
		ev     CaseEvent
		erased *erasure
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// FOR UPDATE on PostgreSQL; the SQLite dialect drops the clause and
		// the single connection serialises transactions instead.
		res := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
			Where("ticket = ?", ticket).Limit(1).Find(&c)
		if res.Error != nil {
			return fmt.Errorf("lock case: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		var err error
		if ev, err = change(tx, &c); err != nil {
			return err
		}
		c = Case{}
		if err := tx.Preload("Citizen").Where("ticket = ?", ticket).Take(&c).Error; err != nil {
			return fmt.Errorf("reload case: %w", err)
		}
		erased, err = s.eraseOnClose(tx, c, ev.At)
		return err
	})
	if err != nil {
		return Case{}, CaseEvent{}, fmt.Errorf("%s %s: %w", what, ticket, err)
	}
	if erased != nil {
		s.finish(ctx, erased)
	}
	s.changed(c.Ticket)
	s.localizeCase(&c)
	ev.At = ev.At.In(s.loc)
	if err := s.reveal(&c); err != nil {
		return Case{}, CaseEvent{}, fmt.Errorf("%s %s: %w", what, ticket, err)
	}
	return c, ev, nil
}

// updateCase sets columns of one case. UpdateColumns, not Updates: the
// caller gives updated_at, GORM must not replace it with the clock.
func updateCase(tx *gorm.DB, id int64, set map[string]any) error {
	if err := tx.Model(&Case{}).Where("id = ?", id).UpdateColumns(set).Error; err != nil {
		return fmt.Errorf("update case: %w", err)
	}
	return nil
}

// insertEvent appends ev to its case's history, its note sealed with the
// case's key (sealNote), and returns it with its id and its note as given.
// tx must hold the case row's lock.
func (s *Store) insertEvent(tx *gorm.DB, ev CaseEvent) (CaseEvent, error) {
	note := ev.Note
	sealed, err := s.sealNote(tx, ev.CaseID, ev.Kind, note)
	if err != nil {
		return CaseEvent{}, fmt.Errorf("insert %s event: %w", ev.Kind, err)
	}
	ev.Note = sealed
	if err := tx.Omit(clause.Associations).Create(&ev).Error; err != nil {
		return CaseEvent{}, fmt.Errorf("insert %s event: %w", ev.Kind, err)
	}
	ev.Note = note
	return ev, nil
}

// openStatuses are the statuses that still wait for the office.
func openStatuses() []services.Status {
	var open []services.Status
	for _, st := range services.Statuses {
		if st.Open() {
			open = append(open, st)
		}
	}
	return open
}

// OpenCases lists the cases that still wait for the office, oldest first
// (by submission, then id), with their citizens loaded.
func (s *Store) OpenCases(ctx context.Context, f CaseFilter) ([]Case, error) {
	// Staff lists: an anonymous complainant is never loaded.
	q := s.db.WithContext(ctx).Where("status IN ?", openStatuses())
	if f.Unit != "" {
		q = q.Where("unit = ?", f.Unit)
	}
	if f.Assignee != "" {
		q = q.Where("assignee = ?", f.Assignee)
	}
	if f.DueBefore != nil {
		q = q.Where("due_at < ? AND status <> ?", dbTime(*f.DueBefore), services.StatusIncomplete)
	}
	var cases []Case
	if err := q.Order("created_at, id").Limit(pageSize(f.Limit, defaultOpenCases)).Find(&cases).Error; err != nil {
		return nil, fmt.Errorf("list open cases: %w", err)
	}
	refs := make([]*Case, len(cases))
	for i := range cases {
		refs[i] = &cases[i]
	}
	if err := s.loadCitizens(ctx, refs); err != nil {
		return nil, fmt.Errorf("list open cases: %w", err)
	}
	for i := range cases {
		s.localizeCase(&cases[i])
	}
	if err := s.revealAll(cases); err != nil {
		return nil, fmt.Errorf("list open cases: %w", err)
	}
	return cases, nil
}

// CitizenCases lists the cases of the citizen of a chat, newest first,
// with the citizen loaded; limit 0 means 10. A chat that never submitted
// has none.
func (s *Store) CitizenCases(ctx context.Context, channel, chatID string, limit int) ([]Case, error) {
	var cases []Case
	err := s.db.WithContext(ctx).Preload("Citizen").
		Where("citizen_id IN (?)", citizenIDQuery(s.db.WithContext(ctx), channel, chatID)).
		Order("created_at DESC, id DESC").Limit(pageSize(limit, defaultCitizenCases)).
		Find(&cases).Error
	if err != nil {
		return nil, fmt.Errorf("list cases of a %s chat: %w", channel, err)
	}
	for i := range cases {
		s.localizeCase(&cases[i])
	}
	if err := s.revealAll(cases); err != nil {
		return nil, fmt.Errorf("list cases of a %s chat: %w", channel, err)
	}
	return cases, nil
}

// citizenVisible are the event kinds a citizen may see of their case:
// internal notes and assignments (which name officers) stay in the office;
// the letter printed for them, and its revocation, are theirs to know.
var citizenVisible = []string{EventSubmit, EventStatus, EventQuestion, EventReply, EventLetter, EventLetterRevoked}

// CitizenCase returns a case of the citizen of a chat with the events the
// citizen may see (no EventNote nor EventAssign), oldest first. It fails
// with ErrNotFound both when no case has the ticket and when the case
// belongs to someone else, so a citizen cannot probe other tickets.
func (s *Store) CitizenCase(ctx context.Context, ticket, channel, chatID string) (Case, []CaseEvent, error) {
	db := s.db.WithContext(ctx)
	var c Case
	res := db.Preload("Citizen").
		Where("ticket = ? AND citizen_id IN (?)", ticket, citizenIDQuery(db, channel, chatID)).
		Limit(1).Find(&c)
	if res.Error != nil {
		return Case{}, nil, fmt.Errorf("load case %s for its citizen: %w", ticket, res.Error)
	}
	if res.RowsAffected == 0 {
		return Case{}, nil, fmt.Errorf("load case %s for its citizen: %w", ticket, ErrNotFound)
	}
	var events []CaseEvent
	if err := db.Where("case_id = ? AND kind IN ?", c.ID, citizenVisible).Order("at, id").Find(&events).Error; err != nil {
		return Case{}, nil, fmt.Errorf("load events of case %s for its citizen: %w", ticket, err)
	}
	s.localizeCase(&c)
	s.localizeEvents(events)
	if err := s.reveal(&c); err != nil {
		return Case{}, nil, fmt.Errorf("load case %s for its citizen: %w", ticket, err)
	}
	if err := s.openNotes(db, c.ID, events); err != nil {
		return Case{}, nil, fmt.Errorf("load events of case %s for its citizen: %w", ticket, err)
	}
	return c, events, nil
}

// citizenIDQuery is the subquery of the id of a chat's citizen.
func citizenIDQuery(db *gorm.DB, channel, chatID string) *gorm.DB {
	return db.Model(&Citizen{}).Select("id").Where("channel = ? AND external_id = ?", channel, chatID)
}

// pageSize bounds a caller's limit: 0 or less means def.
func pageSize(limit, def int) int {
	switch {
	case limit <= 0:
		return def
	case limit > maxListed:
		return maxListed
	}
	return limit
}

// SetCitizenLang records the locale a chat chose, creating its citizen
// (without a name yet) when the chat never submitted a case.
func (s *Store) SetCitizenLang(ctx context.Context, channel, chatID, lang string) error {
	switch {
	case channel == "" || chatID == "":
		return errors.New("set citizen language: channel or chat id is empty")
	case lang == "" || len(lang) > maxLangLen:
		return fmt.Errorf("set citizen language: %q is not a locale code", lang)
	}
	now := dbTime(time.Now())
	err := s.db.WithContext(ctx).Exec(`INSERT INTO citizens (channel, external_id, name, lang, created_at, updated_at)
VALUES (?, ?, '', ?, ?, ?)
ON CONFLICT (channel, external_id) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at`,
		channel, chatID, lang, now, now).Error
	if err != nil {
		return fmt.Errorf("set language of a %s chat: %w", channel, err)
	}
	return nil
}

// CitizenLang returns the locale of a chat's citizen: "" when the chat is
// unknown, "id" when it submitted without ever choosing.
func (s *Store) CitizenLang(ctx context.Context, channel, chatID string) (string, error) {
	// Written out: every new conversation asks, and GORM's Find into a
	// model cost twice the CPU of the statement itself.
	var lang string
	err := scanRow(s.db.WithContext(ctx).Raw(`SELECT lang FROM citizens WHERE channel = ? AND external_id = ?`,
		channel, chatID), &lang)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("language of a %s chat: %w", channel, err)
	}
	return lang, nil
}
