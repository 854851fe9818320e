package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/services"
)

// Letter is one entry of the office's outgoing-letter register: a letter
// printed for a case, its number and its verification code. Revoking sets
// the Revoked* columns; nothing else changes after the letter is made.
type Letter struct {
	ID int64 `gorm:"primaryKey"`
	// Office, Year and Seq: the running number Seq of the office's year,
	// unique, so no number is given twice whatever the format prints.
	Office string `gorm:"size:32;not null;uniqueIndex:idx_letters_office_year_seq,priority:1"`
	Year   int    `gorm:"not null;uniqueIndex:idx_letters_office_year_seq,priority:2"`
	Seq    int64  `gorm:"not null;uniqueIndex:idx_letters_office_year_seq,priority:3"`
	Number string `gorm:"size:128;not null"`
	// Code is the verification code, canonical, unique.
	Code   string `gorm:"size:16;not null;uniqueIndex"`
	CaseID int64  `gorm:"not null;index"`
	// Case exists for the foreign key; it is never loaded nor written.
	Case        *Case  `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	ServiceCode string `gorm:"size:64;not null"`
	// HolderName is erased with the citizen's data (CompleteDeletion);
	// HolderMasked, what verification shows, stays.
	HolderName   string    `gorm:"size:200;not null"`
	HolderMasked string    `gorm:"size:200;not null"`
	VillageCode  string    `gorm:"size:32;not null"`
	IssuedAt     time.Time `gorm:"not null"`
	IssuedBy     string    `gorm:"size:64;not null"`
	Prints       int       `gorm:"not null;default:1"`
	RevokedAt    *time.Time
	RevokedBy    string `gorm:"size:64;not null;default:''"`
	RevokeReason string `gorm:"not null;default:''"`
}

// LetterCounter holds the last running number given in an office's year.
// It only goes up, inside the transaction that stores the letter: a
// rolled-back print gives its number back, so numbers are never skipped.
type LetterCounter struct {
	Office string `gorm:"primaryKey;size:32"`
	Year   int    `gorm:"primaryKey;autoIncrement:false"`
	Last   int64  `gorm:"not null"`
}

// letterModels are the tables of this file, migrated after the cases.
func letterModels() []any { return []any{&Letter{}, &LetterCounter{}} }

// Register is the store as package letters sees it: the outgoing-letter
// register and the cases it prints from.
type Register struct{ s *Store }

// Letters returns the store's letter register.
func (s *Store) Letters() Register { return Register{s: s} }

var _ letters.Register = Register{}

// letterRow is a letter read with its case's ticket.
type letterRow struct {
	Letter
	Ticket string
}

func (r Register) record(l letterRow) letters.Record {
	rec := letters.Record{
		Office: l.Office, Year: l.Year, Seq: l.Seq, Number: l.Number, Code: l.Code, Ticket: l.Ticket,
		Service: l.ServiceCode, HolderName: l.HolderName, HolderMasked: l.HolderMasked, VillageCode: l.VillageCode,
		IssuedAt: l.IssuedAt.In(r.s.loc), IssuedBy: l.IssuedBy, Prints: l.Prints,
		RevokedBy: l.RevokedBy, RevokeReason: l.RevokeReason,
	}
	if l.RevokedAt != nil {
		at := l.RevokedAt.In(r.s.loc)
		rec.RevokedAt = &at
	}
	return rec
}

// lettersWithTicket selects letters joined to their case's ticket.
func lettersWithTicket(db *gorm.DB) *gorm.DB {
	return db.Model(&Letter{}).Select("letters.*, cases.ticket AS ticket").
		Joins("JOIN cases ON cases.id = letters.case_id")
}

// Case implements letters.Register: the case as staff read it, identity
// numbers open.
func (r Register) Case(ctx context.Context, ticket string) (services.CaseView, error) {
	c, _, err := r.s.StaffCase(ctx, ticket)
	if errors.Is(err, ErrNotFound) {
		return services.CaseView{}, fmt.Errorf("%w: %w", letters.ErrNoCase, err)
	}
	if err != nil {
		return services.CaseView{}, err
	}
	return c.View(), nil
}

// Issue implements letters.Register. The case's row lock serialises prints
// of one case (a second print finds the first letter); the counter's row
// lock serialises numbering across cases until commit (on SQLite the single
// connection does both).
func (r Register) Issue(ctx context.Context, n letters.NewLetter) (letters.Record, bool, error) {
	switch {
	case n.Office == "" || n.Year == 0:
		return letters.Record{}, false, fmt.Errorf("issue letter for %s: office or year is empty", n.Ticket)
	case n.Officer == "":
		return letters.Record{}, false, fmt.Errorf("issue letter for %s: officer is empty", n.Ticket)
	case n.At.IsZero():
		return letters.Record{}, false, fmt.Errorf("issue letter for %s: time is zero", n.Ticket)
	case n.Code == "" || n.Number == nil:
		return letters.Record{}, false, fmt.Errorf("issue letter for %s: code or number format is missing", n.Ticket)
	}
	at := dbTime(n.At)
	var (
		row     letterRow
		reprint bool
	)
	err := r.s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Case
		res := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
			Select("id", "status", "service_code").Where("ticket = ?", n.Ticket).Limit(1).Find(&c)
		if res.Error != nil {
			return fmt.Errorf("lock case: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("%w: %w", letters.ErrNoCase, ErrNotFound)
		}
		if !c.Status.Printable() {
			return fmt.Errorf("%w: the case is %s", letters.ErrNotPrintable, c.Status)
		}
		res = tx.Where("case_id = ? AND revoked_at IS NULL", c.ID).Order("id DESC").Limit(1).Find(&row.Letter)
		if res.Error != nil {
			return fmt.Errorf("find earlier letter: %w", res.Error)
		}
		if reprint = res.RowsAffected > 0; reprint {
			row.Prints++
			if err := tx.Model(&Letter{}).Where("id = ?", row.ID).UpdateColumn("prints", row.Prints).Error; err != nil {
				return fmt.Errorf("count reprint: %w", err)
			}
		} else {
			seq, err := nextLetterNumber(tx, n.Office, n.Year)
			if err != nil {
				return err
			}
			row.Letter = Letter{
				Office: n.Office, Year: n.Year, Seq: seq, Number: n.Number(seq), Code: n.Code, CaseID: c.ID,
				ServiceCode: c.ServiceCode, HolderName: citizenName(n.HolderName), HolderMasked: citizenName(n.HolderMasked),
				VillageCode: n.VillageCode, IssuedAt: at, IssuedBy: n.Officer, Prints: 1,
			}
			if err := tx.Omit(clause.Associations).Create(&row.Letter).Error; err != nil {
				return fmt.Errorf("store letter: %w", err)
			}
		}
		if err := updateCase(tx, c.ID, map[string]any{"updated_at": at}); err != nil {
			return err
		}
		_, err := r.s.insertEvent(tx, CaseEvent{
			CaseID: c.ID, Kind: EventLetter, Actor: n.Officer, At: at,
			FromStatus: c.Status, ToStatus: c.Status, Note: row.Number,
		})
		return err
	})
	if err != nil {
		return letters.Record{}, false, fmt.Errorf("issue letter for %s: %w", n.Ticket, err)
	}
	row.Ticket = n.Ticket
	return r.record(row), reprint, nil
}

// nextLetterNumber takes the next running number of an office's year. The
// counter row stays locked until the transaction ends, so numbers follow
// commit order and a rollback gives the number back.
func nextLetterNumber(tx *gorm.DB, office string, year int) (int64, error) {
	var last int64
	err := scanRow(tx.Raw(`INSERT INTO letter_counters (office, year, last) VALUES (?, ?, 1)
ON CONFLICT (office, year) DO UPDATE SET last = letter_counters.last + 1
RETURNING last`, office, year), &last)
	if err != nil {
		return 0, fmt.Errorf("take letter number of %d: %w", year, err)
	}
	if last == 0 {
		return 0, fmt.Errorf("take letter number of %d: no number returned", year)
	}
	return last, nil
}

// ByCode implements letters.Register.
func (r Register) ByCode(ctx context.Context, code string) (letters.Record, error) {
	var row letterRow
	res := lettersWithTicket(r.s.db.WithContext(ctx)).Where("letters.code = ?", code).Limit(1).Find(&row)
	if res.Error != nil {
		return letters.Record{}, fmt.Errorf("find letter by code: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return letters.Record{}, fmt.Errorf("find letter by code: %w", letters.ErrNoLetter)
	}
	return r.record(row), nil
}

// Year implements letters.Register.
func (r Register) Year(ctx context.Context, office string, year int) ([]letters.Record, error) {
	var rows []letterRow
	err := lettersWithTicket(r.s.db.WithContext(ctx)).
		Where("letters.office = ? AND letters.year = ?", office, year).Order("letters.seq").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list letters of %d: %w", year, err)
	}
	out := make([]letters.Record, 0, len(rows))
	for _, row := range rows {
		out = append(out, r.record(row))
	}
	return out, nil
}

// Revoke implements letters.Register. It locks the letter's case first, as
// Issue does, so a reprint never returns a letter being revoked.
func (r Register) Revoke(ctx context.Context, code, officer, reason string, at time.Time) (letters.Record, error) {
	switch {
	case officer == "":
		return letters.Record{}, errors.New("revoke letter: officer is empty")
	case reason == "":
		return letters.Record{}, errors.New("revoke letter: reason is empty")
	case at.IsZero():
		return letters.Record{}, errors.New("revoke letter: time is zero")
	}
	at = dbTime(at)
	var row letterRow
	err := r.s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var caseID int64
		var found Letter
		res := tx.Select("case_id").Where("code = ?", code).Limit(1).Find(&found)
		if res.Error != nil {
			return fmt.Errorf("find letter: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return letters.ErrNoLetter
		}
		caseID = found.CaseID
		var c Case
		if err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
			Select("id", "ticket", "status").Where("id = ?", caseID).Take(&c).Error; err != nil {
			return fmt.Errorf("lock case: %w", err)
		}
		if err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
			Where("code = ?", code).Take(&row.Letter).Error; err != nil {
			return fmt.Errorf("lock letter: %w", err)
		}
		if row.RevokedAt != nil {
			return letters.ErrRevoked
		}
		row.RevokedAt, row.RevokedBy, row.RevokeReason = &at, officer, reason
		err := tx.Model(&Letter{}).Where("id = ?", row.ID).UpdateColumns(map[string]any{
			"revoked_at": at, "revoked_by": officer, "revoke_reason": reason,
		}).Error
		if err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		if err := updateCase(tx, c.ID, map[string]any{"updated_at": at}); err != nil {
			return err
		}
		row.Ticket = c.Ticket
		_, err = r.s.insertEvent(tx, CaseEvent{
			CaseID: c.ID, Kind: EventLetterRevoked, Actor: officer, At: at,
			FromStatus: c.Status, ToStatus: c.Status, Note: row.Number + " — " + reason,
		})
		return err
	})
	if err != nil {
		return letters.Record{}, fmt.Errorf("revoke letter: %w", err)
	}
	return r.record(row), nil
}
