package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/leksono/sapa/services"
)

// actorCitizen is the actor of the event that opens a case.
const actorCitizen = "citizen"

// maxNameRunes bounds a citizen's display name to its column size; chat
// platforms allow longer names than anyone needs on a case file.
const maxNameRunes = 200

// ErrTicketTaken is returned by SubmitCase when the ticket number the
// caller took (NewCase.TicketNumber) belongs to another case already: the
// counter it came from is behind the database's (another process numbered
// from a counter it did not share, or Redis lost its counter). Take a new
// number past LastTicketNumber and submit again.
var ErrTicketTaken = errors.New("ticket number taken by another case")

// errRaceLost ends a submission transaction whose case another transaction
// inserted first: rolling back gives its ticket number back.
var errRaceLost = errors.New("case of this source message inserted concurrently")

// SubmitCase stores the case and its first event in one transaction and
// returns its receipt. Submitting the same SourceMessage again, even
// concurrently, returns the first receipt without a second case or event.
func (s *Store) SubmitCase(ctx context.Context, nc services.NewCase) (services.Receipt, error) {
	if err := validate(nc); err != nil {
		return services.Receipt{}, fmt.Errorf("submit case for %s: %w", nc.ServiceCode, err)
	}
	submitted := dbTime(nc.SubmittedAt)
	due := dbTime(nc.DueAt)
	// The case keeps the source message's keyed hash; rows written before
	// it keep the message itself, and are looked up by it too.
	legacy := nc.SourceMessage
	nc.SourceMessage = s.sec.sourceKey(legacy)
	form, nikHash, serr := s.sec.seal(nc.Form)
	if serr != nil {
		return services.Receipt{}, fmt.Errorf("submit case for %s: %w", nc.ServiceCode, serr)
	}

	if nc.TicketNumber > 0 && len(nc.Attachments) == 0 && s.db.Dialector.Name() == "postgres" {
		c := s.newCase(nc, nc.TicketNumber, form, nikHash)
		return s.submitInOneStatement(ctx, nc, c)
	}
	var (
		rec   services.Receipt
		filed bool // this call inserted the case
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The citizen row lock taken here also serialises repeated
		// submissions from one chat, so the check below usually settles
		// duplicates before a ticket number is taken.
		citizenID, err := upsertCitizen(tx, nc.Channel, nc.ChatID, nc.CitizenName)
		if err != nil {
			return err
		}
		if nc.TicketNumber <= 0 {
			// Settle a repeat before taking a number from the counter. A
			// number taken beforehand is spent anyway, and the insert below
			// settles repeats by itself: one statement less per case.
			if r, ok, err := s.receiptOf(tx, nc.SourceMessage, legacy); err != nil || ok {
				rec = r
				return err
			}
		}
		day := submitted.In(s.loc)
		n := nc.TicketNumber
		if n <= 0 {
			if n, err = s.nextTicketNumber(tx, day.Format(time.DateOnly)); err != nil {
				return err
			}
		}
		c := s.newCase(nc, n, form, nikHash)
		c.CitizenID = citizenID
		// DO NOTHING waits for a concurrent insert of the same source
		// message and then skips: the case exists, return its receipt.
		inserted, err := insertCase(tx, &c)
		if err != nil {
			return err
		}
		if !inserted {
			r, ok, err := s.receiptOf(tx, nc.SourceMessage, legacy)
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("source message conflicts with no visible case")
			}
			rec = r
			return errRaceLost
		}
		err = tx.Exec(`INSERT INTO case_events (`+firstEventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			append([]any{c.ID}, firstEventValues(submitted, c.Status)...)...).Error
		if err != nil {
			return fmt.Errorf("insert first event of %s: %w", c.Ticket, err)
		}
		if err := insertAttachments(tx, c.ID, nc.Attachments, submitted); err != nil {
			return fmt.Errorf("file attachments of %s: %w", c.Ticket, err)
		}
		rec, filed = services.Receipt{Ticket: c.Ticket, DueAt: due.In(s.loc)}, true
		return nil
	})
	if errors.Is(err, errRaceLost) {
		return rec, nil
	}
	if err != nil {
		return services.Receipt{}, fmt.Errorf("submit case for %s: %w", nc.ServiceCode, ticketTaken(err))
	}
	if filed {
		s.changed(rec.Ticket)
	}
	return rec, nil
}

// ticketTaken marks err with ErrTicketTaken when it is the database's
// refusal of a second case under one ticket (the unique index on
// cases.ticket), on PostgreSQL or SQLite.
func ticketTaken(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "idx_cases_ticket" {
		return fmt.Errorf("%w: %w", ErrTicketTaken, err)
	}
	if strings.Contains(err.Error(), "UNIQUE constraint failed: cases.ticket") {
		return fmt.Errorf("%w: %w", ErrTicketTaken, err)
	}
	return err
}

// submitInOneStatement files a case whose number the caller took (the
// bot's way, from Redis) in one PostgreSQL statement: the citizen, the case
// and its first event are written by data-modifying WITH queries, which
// commit together. The transaction SubmitCase otherwise runs costs five
// round trips (BEGIN, three inserts, COMMIT); this is one, and every form
// a citizen finishes runs it. SQLite has no data-modifying WITH, and files
// with attachments take the transaction too.
func (s *Store) submitInOneStatement(ctx context.Context, nc services.NewCase, c Case) (services.Receipt, error) {
	now := dbTime(time.Now())
	// The case's values but its citizen id, which the first query returns.
	values := caseValues(&c)
	values = append(values[:caseCitizenID:caseCitizenID], values[caseCitizenID+1:]...)
	args := append([]any{nc.Channel, nc.ChatID, citizenName(nc.CitizenName), now, now}, values...)
	args = append(args, firstEventValues(c.CreatedAt, c.Status)...)
	var id int64
	err := scanRow(s.db.WithContext(ctx).Raw(`WITH citizen AS (
	`+upsertCitizenSQL+`
), filed AS (
	INSERT INTO cases (`+caseColumns+`)
	SELECT ?, ?, ?, ?, ?, ?, ?, citizen.id, ?, ?, ?, ?, ?, ?, ?, ? FROM citizen
	ON CONFLICT (source_message) DO NOTHING
	RETURNING id
), first_event AS (
	INSERT INTO case_events (`+firstEventColumns+`)
	SELECT filed.id, ?, ?, ?, ?, ?, ? FROM filed
)
SELECT id FROM filed`, args...), &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// DO NOTHING waited for the case of the same source message filed
		// before or concurrently: answer with its receipt.
		r, ok, err := s.receiptOf(s.db.WithContext(ctx), nc.SourceMessage, "")
		if err != nil {
			return services.Receipt{}, fmt.Errorf("submit case for %s: %w", nc.ServiceCode, err)
		}
		if !ok {
			return services.Receipt{}, fmt.Errorf("submit case for %s: source message conflicts with no visible case", nc.ServiceCode)
		}
		return r, nil
	case err != nil:
		return services.Receipt{}, fmt.Errorf("submit case %s: %w", c.Ticket, ticketTaken(err))
	}
	s.changed(c.Ticket)
	return services.Receipt{Ticket: c.Ticket, DueAt: c.DueAt.In(s.loc)}, nil
}

// The statements of a submission, shared by its transaction and its one-
// statement form so the two cannot drift apart.
const (
	// upsertCitizenSQL creates a chat's citizen or refreshes its name (an
	// empty name keeps the known one) and returns its id. Arguments:
	// channel, chat id, name, created, updated.
	upsertCitizenSQL = `INSERT INTO citizens (channel, external_id, name, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (channel, external_id) DO UPDATE SET
		name = CASE WHEN excluded.name = '' THEN citizens.name ELSE excluded.name END,
		unreachable_at = NULL,
		updated_at = excluded.updated_at
	RETURNING id`
	// caseColumns are the columns caseValues fills, in its order.
	caseColumns = `ticket, kind, service_code, unit, status, channel, assignee, citizen_id,
	form_data, village_code, confidentiality, source_message, due_at, created_at, updated_at, nik_hash`
	// caseCitizenID is citizen_id's place in caseColumns.
	caseCitizenID = 7
	// firstEventColumns are the columns of a case's first event: its case
	// id, then what firstEventValues gives.
	firstEventColumns = `case_id, kind, actor, "at", from_status, to_status, note`
)

// caseValues are c's values for caseColumns.
func caseValues(c *Case) []any {
	return []any{c.Ticket, string(c.Kind), c.ServiceCode, c.Unit, string(c.Status), c.Channel, c.Assignee, c.CitizenID,
		c.FormData, c.VillageCode, c.Confidentiality, c.SourceMessage, c.DueAt, c.CreatedAt, c.UpdatedAt, c.NIKHash}
}

// firstEventValues are the values of a case's first event after its case
// id: submitted by the citizen at submitted, from no status to the case's
// first one (received, or perlu_perbaikan while documents are missing).
func firstEventValues(submitted time.Time, status services.Status) []any {
	return []any{EventSubmit, actorCitizen, submitted, "", string(status), ""}
}

// newCase is the case of submission nc with ticket number n, its form
// sealed; its citizen id is still to be set.
func (s *Store) newCase(nc services.NewCase, n int64, form FormData, nikHash string) Case {
	submitted := dbTime(nc.SubmittedAt)
	status := services.StatusReceived
	if nc.Incomplete {
		// Documents are to come: the clock waits for them.
		status = services.StatusIncomplete
	}
	return Case{
		Ticket:          s.ticket(submitted.In(s.loc), n),
		Kind:            nc.Kind,
		ServiceCode:     nc.ServiceCode,
		Unit:            nc.Unit,
		Status:          status,
		Channel:         nc.Channel,
		FormData:        form,
		NIKHash:         nikHash,
		VillageCode:     nc.VillageCode,
		Confidentiality: confidentiality(nc.Confidentiality),
		SourceMessage:   nc.SourceMessage,
		DueAt:           dbTime(nc.DueAt),
		CreatedAt:       submitted,
		UpdatedAt:       submitted,
	}
}

// insertCase writes a new case and sets its id, in one statement written
// out rather than built by GORM: every submission runs it, and GORM's
// reflection over the model was most of the submission's CPU in the load
// benchmark. It reports false, without error, when a case of the same
// source message exists (the insert did nothing).
func insertCase(tx *gorm.DB, c *Case) (bool, error) {
	err := scanRow(tx.Raw(`INSERT INTO cases (`+caseColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source_message) DO NOTHING
RETURNING id`, caseValues(c)...), &c.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert case %s: %w", c.Ticket, err)
	}
	return true, nil
}

// validate rejects submissions missing what a case file needs. Its errors
// name fields, never their values.
func validate(nc services.NewCase) error {
	switch {
	case nc.Channel == "":
		return errors.New("channel is empty")
	case nc.ChatID == "":
		return errors.New("chat id is empty")
	case nc.SourceMessage == "":
		return errors.New("source message is empty")
	case nc.ServiceCode == "":
		return errors.New("service code is empty")
	case nc.Kind == "":
		return errors.New("kind is empty")
	case nc.SubmittedAt.IsZero():
		return errors.New("submission time is zero")
	case nc.DueAt.IsZero():
		return errors.New("due time is zero")
	}
	return nil
}

// upsertCitizen returns the id of the citizen of a chat, creating it or
// refreshing its name. An empty name (some channels have none) keeps the
// known one.
func upsertCitizen(tx *gorm.DB, channel, chatID, name string) (int64, error) {
	name = citizenName(name)
	now := dbTime(time.Now())
	var id int64
	err := scanRow(tx.Raw(upsertCitizenSQL, channel, chatID, name, now, now), &id)
	if err != nil {
		return 0, fmt.Errorf("upsert citizen: %w", err)
	}
	if id == 0 {
		return 0, errors.New("upsert citizen: no id returned")
	}
	return id, nil
}

// citizenName is name cut to its column's size.
func citizenName(name string) string {
	if r := []rune(name); len(r) > maxNameRunes {
		return string(r[:maxNameRunes])
	}
	return name
}

// nextTicketNumber takes the next number of an office day: past the day's
// counter and past every ticket filed that day, since numbers taken from
// Redis (the bot's way with a Redis server) leave the counter behind. The
// row lock it takes is held until the transaction ends, so numbers follow
// commit order and a rollback gives the number back unless a later one was
// taken.
func (s *Store) nextTicketNumber(tx *gorm.DB, day string) (int64, error) {
	filed, err := s.highestTicket(tx, day)
	if err != nil {
		return 0, fmt.Errorf("take ticket number of %s: %w", day, err)
	}
	var last int64
	err = scanRow(tx.Raw(`INSERT INTO ticket_counters (day, last) VALUES (?, ? + 1)
ON CONFLICT (day) DO UPDATE SET last = CASE WHEN ticket_counters.last > ? THEN ticket_counters.last ELSE ? END + 1
RETURNING last`, day, filed, filed, filed), &last)
	if err != nil {
		return 0, fmt.Errorf("take ticket number of %s: %w", day, err)
	}
	if last == 0 {
		return 0, fmt.Errorf("take ticket number of %s: no number returned", day)
	}
	return last, nil
}

// LastTicketNumber is the highest ticket number given on an office day
// ("2006-01-02"), 0 when none: the day's counter, or the highest ticket
// filed that day if above it. Numbers taken from Redis (the bot's way) do
// not touch the counter row, which every submission of the day would
// otherwise queue on; this is how Redis's counter is seeded again after
// Redis lost it.
func (s *Store) LastTicketNumber(ctx context.Context, day string) (int64, error) {
	db := s.db.WithContext(ctx)
	var c TicketCounter
	res := db.Where("day = ?", day).Limit(1).Find(&c)
	if res.Error != nil {
		return 0, fmt.Errorf("read ticket counter of %s: %w", day, res.Error)
	}
	filed, err := s.highestTicket(db, day)
	if err != nil {
		return 0, err
	}
	return max(filed, c.Last), nil
}

// highestTicket is the highest number of the tickets filed on an office
// day ("2006-01-02"), 0 when none.
func (s *Store) highestTicket(db *gorm.DB, day string) (int64, error) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0, fmt.Errorf("read last ticket of %s: %w", day, err)
	}
	// The day's tickets sort between "LKS-261127-" and "LKS-261127." ('.'
	// follows '-'); the longest, then the greatest, holds the highest number.
	from := s.ticket(d, 0)
	from = from[:strings.LastIndexByte(from, '-')+1]
	var last []string
	err = db.Model(&Case{}).
		Where("ticket >= ? AND ticket < ?", from, from[:len(from)-1]+".").
		Order("length(ticket) DESC, ticket DESC").Limit(1).Pluck("ticket", &last).Error
	if err != nil {
		return 0, fmt.Errorf("read last ticket of %s: %w", day, err)
	}
	if len(last) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(last[0], from), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read last ticket of %s: %q: %w", day, last[0], err)
	}
	return n, nil
}

// Ticket writes ticket number n of the office day of at.
func (s *Store) Ticket(at time.Time, n int64) string { return s.ticket(at.In(s.loc), n) }

// scanRow runs a raw query returning one row into dest. It avoids
// gorm.DB.Scan, whose logging interpolates the parameters (chat ids, names)
// even when the logger is set to ParameterizedQueries; Row goes through the
// logger's parameter filter.
//
// A statement read through Row fails only at Scan, after GORM traced it as
// a success, so the failure is logged here, as GORM logs others: at error
// level, without the parameters (drivers' messages name constraints and
// columns, not values).
func scanRow(q *gorm.DB, dest ...any) error {
	if q.Error != nil {
		return q.Error
	}
	err := q.Row().Scan(dest...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		q.Logger.Error(q.Statement.Context, "statement failed: %v", err)
	}
	return err
}

// dbTime is t as written to the database: in UTC, because SQLite compares
// times as text, and truncated to the microseconds PostgreSQL keeps, so a
// value returned before writing equals the one read back.
func dbTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// localizeCase puts the times of c and of its citizen in the office zone.
func (s *Store) localizeCase(c *Case) {
	c.DueAt = c.DueAt.In(s.loc)
	c.CreatedAt = c.CreatedAt.In(s.loc)
	c.UpdatedAt = c.UpdatedAt.In(s.loc)
	if c.Citizen != nil {
		c.Citizen.CreatedAt = c.Citizen.CreatedAt.In(s.loc)
		c.Citizen.UpdatedAt = c.Citizen.UpdatedAt.In(s.loc)
		if c.Citizen.UnreachableAt != nil {
			t := c.Citizen.UnreachableAt.In(s.loc)
			c.Citizen.UnreachableAt = &t
		}
	}
}

// localizeEvents puts the times of events in the office zone.
func (s *Store) localizeEvents(events []CaseEvent) {
	for i := range events {
		events[i].At = events[i].At.In(s.loc)
	}
}

// ticket formats <prefix>-YYMMDD-NNNN; past 9999 the number simply grows.
func (s *Store) ticket(day time.Time, n int64) string {
	return fmt.Sprintf("%s-%s-%04d", s.prefix, day.Format("060102"), n)
}

// receiptOf finds the receipt of the case filed from a source message, by
// its hash or, when legacy is not empty, by the message itself (cases filed
// before source messages were hashed).
func (s *Store) receiptOf(tx *gorm.DB, sourceMessage, legacy string) (services.Receipt, bool, error) {
	var c Case
	keys := []string{sourceMessage}
	if legacy != "" && legacy != sourceMessage {
		keys = append(keys, legacy)
	}
	res := tx.Select("ticket", "due_at").Where("source_message IN ?", keys).Limit(1).Find(&c)
	if res.Error != nil {
		return services.Receipt{}, false, fmt.Errorf("look up earlier submission: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return services.Receipt{}, false, nil
	}
	return services.Receipt{Ticket: c.Ticket, DueAt: c.DueAt.In(s.loc)}, true, nil
}

// CaseByTicket returns the case with its citizen and its events, oldest
// first, with times in the office time zone. It fails with ErrNotFound when
// no case has the ticket.
func (s *Store) CaseByTicket(ctx context.Context, ticket string) (Case, []CaseEvent, error) {
	db := s.db.WithContext(ctx)
	var c Case
	res := db.Preload("Citizen").Where("ticket = ?", ticket).Limit(1).Find(&c)
	if res.Error != nil {
		return Case{}, nil, fmt.Errorf("load case %s: %w", ticket, res.Error)
	}
	if res.RowsAffected == 0 {
		return Case{}, nil, fmt.Errorf("load case %s: %w", ticket, ErrNotFound)
	}
	return s.withEvents(db, c)
}

// withEvents completes a loaded case for reading: its history, times in
// the office zone, sealed fields opened.
func (s *Store) withEvents(db *gorm.DB, c Case) (Case, []CaseEvent, error) {
	var events []CaseEvent
	if err := db.Where("case_id = ?", c.ID).Order("at, id").Find(&events).Error; err != nil {
		return Case{}, nil, fmt.Errorf("load events of case %s: %w", c.Ticket, err)
	}
	s.localizeCase(&c)
	s.localizeEvents(events)
	if err := s.reveal(&c); err != nil {
		return Case{}, nil, fmt.Errorf("load case %s: %w", c.Ticket, err)
	}
	if err := s.openNotes(db, c.ID, events); err != nil {
		return Case{}, nil, fmt.Errorf("load events of case %s: %w", c.Ticket, err)
	}
	return c, events, nil
}

// confidentiality is a case's level, "biasa" when the submission set none.
func confidentiality(c string) string {
	if c == "" {
		return services.ConfidentialNormal
	}
	return c
}

// StaffCase is CaseByTicket as staff read it: an anonymous case comes
// without its citizen, who is never even loaded.
func (s *Store) StaffCase(ctx context.Context, ticket string) (Case, []CaseEvent, error) {
	db := s.db.WithContext(ctx)
	var c Case
	res := db.Where("ticket = ?", ticket).Limit(1).Find(&c)
	if res.Error != nil {
		return Case{}, nil, fmt.Errorf("load case %s: %w", ticket, res.Error)
	}
	if res.RowsAffected == 0 {
		return Case{}, nil, fmt.Errorf("load case %s: %w", ticket, ErrNotFound)
	}
	if err := s.loadCitizens(ctx, []*Case{&c}); err != nil {
		return Case{}, nil, fmt.Errorf("load case %s: %w", ticket, err)
	}
	return s.withEvents(db, c)
}

// loadCitizens fills the citizen of every case that is not anonymous, in
// one query; anonymous cases keep a nil Citizen.
func (s *Store) loadCitizens(ctx context.Context, cases []*Case) error {
	var ids []int64
	for _, c := range cases {
		if c.Confidentiality != services.ConfidentialAnonymous {
			ids = append(ids, c.CitizenID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var citizens []Citizen
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&citizens).Error; err != nil {
		return fmt.Errorf("load citizens: %w", err)
	}
	byID := make(map[int64]*Citizen, len(citizens))
	for i := range citizens {
		byID[citizens[i].ID] = &citizens[i]
	}
	for _, c := range cases {
		if c.Confidentiality != services.ConfidentialAnonymous {
			c.Citizen = byID[c.CitizenID]
		}
	}
	return nil
}

// MarkUnreachable records that a chat app refused to deliver to a citizen
// (they blocked the bot or left): updates are no longer tried. Filing a new
// case clears the mark, since the citizen has written again. It reports
// whether this call made the mark: a chat marked already keeps the time it
// was first found refusing, and whoever is told of it is told once, even
// when two sends find it at the same moment.
func (s *Store) MarkUnreachable(ctx context.Context, channel, chatID string, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Citizen{}).
		Where("channel = ? AND external_id = ? AND unreachable_at IS NULL", channel, chatID).
		Update("unreachable_at", dbTime(at))
	if res.Error != nil {
		return false, fmt.Errorf("mark a %s citizen unreachable: %w", channel, res.Error)
	}
	return res.RowsAffected > 0, nil
}
