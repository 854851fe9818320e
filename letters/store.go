package letters

import (
	"context"
	"errors"
	"time"

	"github.com/leksono/sapa/services"
)

// Errors of the register and of the Issuer. Each is wrapped with what was
// being done.
var (
	// ErrNoCase: no case has the ticket.
	ErrNoCase = errors.New("case not found")
	// ErrNoLetter: no letter has the code. Verify never returns it: an
	// unknown code is an answer, not an error.
	ErrNoLetter = errors.New("letter not found")
	// ErrNotPrintable: the case's status allows no letter (see
	// services.Status.Printable), or its service produces none.
	ErrNotPrintable = errors.New("no letter can be printed for this case")
	// ErrRevoked: the letter was revoked already.
	ErrRevoked = errors.New("letter already revoked")
)

// Record is one entry of the office's outgoing-letter register.
type Record struct {
	Office  string // the office's region code, 33.07.05
	Year    int
	Seq     int64  // running number of the year, from 1
	Number  string // as printed: 470/012/IV/2026
	Code    string // verification code, canonical (no dash)
	Ticket  string
	Service string
	// HolderName is the name the letter was made out to; "" once the
	// citizen's data was erased on their request. HolderMasked stays: it
	// is what verification shows.
	HolderName   string
	HolderMasked string
	VillageCode  string
	IssuedAt     time.Time // in the office time zone
	IssuedBy     string    // officer id
	Prints       int       // how many times it was printed, reprints included
	// RevokedAt is nil while the letter is valid.
	RevokedAt    *time.Time
	RevokedBy    string
	RevokeReason string
}

// Revoked reports whether the letter was revoked.
func (r Record) Revoked() bool { return r.RevokedAt != nil }

// NewLetter is a letter to enter in the register.
type NewLetter struct {
	Office  string // the office's region code: each office and year has its own counter
	Year    int    // the year of At in the office time zone
	Ticket  string
	Officer string
	At      time.Time
	// Code is a fresh verification code.
	Code         string
	HolderName   string
	HolderMasked string
	VillageCode  string
	// Number writes the number of running number seq, which the register
	// allocates.
	Number func(seq int64) string
}

// Register is the office's outgoing-letter register, kept beside the cases
// in the case store (pgstore.Store.Letters), and the cases it prints from.
type Register interface {
	// Case returns the case with its form open: NIK and KK in full. It
	// fails with ErrNoCase.
	Case(ctx context.Context, ticket string) (services.CaseView, error)
	// Issue enters a letter for the case in one transaction: it checks the
	// case's status may have a letter (else ErrNotPrintable), takes the
	// next number of the office's year (never reused, never skipped, even
	// under concurrent prints), stores the letter, and records the print in
	// the case's history. When the case already has a letter that is not
	// revoked, it records a reprint of that one and returns it with
	// reprint true: the same number, code and date.
	Issue(ctx context.Context, l NewLetter) (rec Record, reprint bool, err error)
	// ByCode returns the letter with a verification code, or ErrNoLetter.
	ByCode(ctx context.Context, code string) (Record, error)
	// Year lists the office's letters of a year in number order.
	Year(ctx context.Context, office string, year int) ([]Record, error)
	// Revoke marks a letter revoked and records it, with the reason, in its
	// case's history. It fails with ErrNoLetter or ErrRevoked.
	Revoke(ctx context.Context, code, officer, reason string, at time.Time) (Record, error)
}
