package pgstore

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/leksono/sapa/services"
)

// Citizen is one person as known on one chat channel. The same person on
// two channels is two citizens: channels give no shared identity.
//
// The keyed hash of a NIK, for look-up, is on the case (Case.NIKHash): one
// chat may file for several people.
type Citizen struct {
	ID         int64  `gorm:"primaryKey"`
	Channel    string `gorm:"size:32;not null;uniqueIndex:idx_citizens_channel_external_id,priority:1"`
	ExternalID string `gorm:"size:128;not null;uniqueIndex:idx_citizens_channel_external_id,priority:2"` // chat id on the channel
	Name       string `gorm:"size:200;not null"`
	// Lang is the locale the citizen chose; "id" until they choose.
	Lang string `gorm:"size:8;not null;default:id"`
	// UnreachableAt is when the channel reported that the chat blocked the
	// bot; nil while messages can be delivered.
	UnreachableAt *time.Time
	CreatedAt     time.Time `gorm:"not null"`
	UpdatedAt     time.Time `gorm:"not null"`
}

// Case is one submitted request or complaint.
type Case struct {
	ID          int64           `gorm:"primaryKey"`
	Ticket      string          `gorm:"size:40;not null;uniqueIndex"`
	Kind        services.Kind   `gorm:"size:16;not null"`
	ServiceCode string          `gorm:"size:64;not null"`
	Unit        string          `gorm:"size:64;not null;index:idx_cases_unit_status,priority:1"`
	Status      services.Status `gorm:"size:32;not null;index:idx_cases_status_due_at,priority:1;index:idx_cases_unit_status,priority:2"`
	Channel     string          `gorm:"size:32;not null"`
	// Assignee is the id of the officer in charge (services.Officer.ID),
	// "" while nobody is.
	Assignee  string `gorm:"size:64;not null;default:'';index"`
	CitizenID int64  `gorm:"not null;index"`
	// Citizen is loaded by the read methods; it is never written through
	// Case.
	Citizen     *Citizen `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	FormData    FormData `gorm:"not null"`
	VillageCode string   `gorm:"size:32;not null"`
	// Confidentiality of a complaint: biasa, rahasia or anonim. The staff
	// views of an anonim case never load its citizen.
	Confidentiality string `gorm:"size:16;not null;default:biasa"`
	// SourceMessage is "<channel>:<chat>:<message id>": the idempotency key
	// of the submission.
	SourceMessage string    `gorm:"size:255;not null;uniqueIndex"`
	DueAt         time.Time `gorm:"not null;index:idx_cases_status_due_at,priority:2"`
	// CreatedAt is the submission time given by the caller.
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
	// NIKHash is the keyed hash (Keys.Hash) of the form's nik field, for
	// CasesByNIK; "" without a NIK or in plaintext mode. Form values of
	// sensitive fields are sealed (crypto.go), never stored in clear.
	NIKHash string `gorm:"size:64;not null;default:'';index"`
	// EraseWhenClosed is set when the citizen asked for erasure while the
	// case was open: the data it needs is kept until it is finished, then
	// erased in the same transaction that closes it.
	EraseWhenClosed bool `gorm:"not null;default:false"`
}

// The kinds of case events, the same strings as services.Event*.
const (
	// EventSubmit opens a case: "" -> diterima, by the citizen.
	EventSubmit = services.EventSubmit
	// EventStatus is an officer's status change.
	EventStatus = services.EventStatus
	// EventAssign gives the case to an officer; its note is the officer's
	// id, "" when the case is taken back from everyone.
	EventAssign = services.EventAssign
	// EventNote is an internal remark of the office, never shown to the
	// citizen.
	EventNote = services.EventNote
	// EventQuestion is sent to the citizen: what the file lacks.
	EventQuestion = services.EventQuestion
	// EventReply is the citizen's answer to a question.
	EventReply = services.EventReply
	// EventLetter records that a letter was printed; its note is the
	// letter's number.
	EventLetter = services.EventLetter
	// EventLetterRevoked records that a letter was revoked; its note is the
	// number and the reason.
	EventLetterRevoked = services.EventLetterRevoked
)

// CaseEvent is one step of a case's history. Events are append-only: this
// package never updates or deletes them, and a trigger in the database
// rejects any attempt to, on PostgreSQL and on SQLite.
type CaseEvent struct {
	ID     int64 `gorm:"primaryKey"`
	CaseID int64 `gorm:"not null;index"`
	// Case exists for the foreign key; it is never loaded nor written.
	Case *Case `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	// Kind is one of the Event* constants. Rows written before kinds
	// existed read as EventStatus.
	Kind       string          `gorm:"size:16;not null;default:status"`
	Actor      string          `gorm:"size:64;not null"`
	At         time.Time       `gorm:"not null"`
	FromStatus services.Status `gorm:"size:32;not null"`
	ToStatus   services.Status `gorm:"size:32;not null"`
	// Note is the reason, question, answer or assignee id of the event.
	// Free text is stored sealed with the case's key (casekeys.go); the
	// read methods return it opened.
	Note string `gorm:"not null"`
	// NoteErased is set on read when the note was sealed with a case key
	// an erasure destroyed: Note is "" and cannot be recovered.
	NoteErased bool `gorm:"-"`
}

// View is the case as the conversation shows it. Citizen must be loaded,
// as every read method of the store does, for the chat and the name.
func (c Case) View() services.CaseView {
	v := services.CaseView{
		Ticket:          c.Ticket,
		Kind:            c.Kind,
		ServiceCode:     c.ServiceCode,
		Unit:            c.Unit,
		Status:          c.Status,
		Channel:         c.Channel,
		VillageCode:     c.VillageCode,
		Assignee:        c.Assignee,
		Confidentiality: c.Confidentiality,
		EraseWhenClosed: c.EraseWhenClosed,
		Form:            map[string]string(c.FormData),
		DueAt:           c.DueAt,
		CreatedAt:       c.CreatedAt,
		UpdatedAt:       c.UpdatedAt,
	}
	if c.Citizen != nil {
		v.ChatID = c.Citizen.ExternalID
		v.CitizenName = c.Citizen.Name
		v.CitizenLang = c.Citizen.Lang
		v.Erased = strings.HasPrefix(c.Citizen.ExternalID, erasedPrefix)
		if c.Citizen.UnreachableAt != nil {
			v.UnreachableAt = *c.Citizen.UnreachableAt
		}
	}
	return v
}

// Event is the event as the conversation shows it.
func (e CaseEvent) Event() services.Event {
	return services.Event{Kind: e.Kind, Actor: e.Actor, At: e.At, From: e.FromStatus, To: e.ToStatus, Note: e.Note, NoteErased: e.NoteErased}
}

// TicketCounter holds the last ticket number given on one office day
// ("2006-01-02" in the office time zone). Counters only ever go up, so a
// ticket is never reused.
type TicketCounter struct {
	Day  string `gorm:"primaryKey;size:10"`
	Last int64  `gorm:"not null"`
}

// FormData is a case's answers keyed by field name. It is stored as JSONB
// on PostgreSQL and as JSON text elsewhere.
//
// It holds NIK and KK numbers: its values must never appear in errors or
// logs. The Store seals the sensitive fields before writing and opens them
// after reading (crypto.go): Value and Scan only see sealed values, since
// they have no access to the keys.
type FormData map[string]string

// GormDataType is the generic GORM data type of FormData.
func (FormData) GormDataType() string { return "json" }

// GormDBDataType is the column type of FormData for the dialect in use:
// the only dialect-specific part of the models.
func (FormData) GormDBDataType(db *gorm.DB, _ *schema.Field) string {
	switch db.Dialector.Name() {
	case "postgres":
		return "JSONB"
	case "mysql":
		return "JSON"
	default: // sqlite and others: JSON kept as text
		return "TEXT"
	}
}

// Value encodes the form as a JSON object; a nil form is stored as {}.
func (f FormData) Value() (driver.Value, error) {
	if f == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(f))
	if err != nil {
		return nil, fmt.Errorf("encode form data: %w", err)
	}
	// A string, not []byte: drivers would send []byte to JSONB as bytea.
	return string(b), nil
}

// Scan decodes a JSON object read from the database.
func (f *FormData) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*f = nil
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("decode form data: unsupported column type %T", src)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		// The JSON error may quote the stored text, which holds NIKs:
		// report where it broke, not what it read.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("decode form data: malformed JSON at byte %d", syn.Offset)
		}
		return errors.New("decode form data: not a JSON object of strings")
	}
	*f = m
	return nil
}
