package services

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Status is a step of a case's life. The values are stored in the database
// and shown to people through the locale keys status.<value>.
type Status string

// The statuses of a case.
const (
	StatusReceived    Status = "diterima"        // submitted, nobody looked yet
	StatusVerifying   Status = "verifikasi"      // an officer checks the file
	StatusIncomplete  Status = "perlu_perbaikan" // back to the citizen; the deadline clock is paused
	StatusProcessing  Status = "diproses"        // file complete; the deadline runs
	StatusDone        Status = "selesai"         // finished, with a pick-up or delivery note
	StatusRejected    Status = "ditolak"         // refused, with a reason
	StatusNotOurRemit Status = "bukan_wewenang"  // referred elsewhere, with where to go
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusReceived, StatusVerifying, StatusIncomplete, StatusProcessing, StatusDone, StatusRejected, StatusNotOurRemit}

// transitions is the one place that says which status may follow which.
// A case that was never verified can still be sent back, refused or
// referred: an officer may see at once that a document is missing.
var transitions = map[Status][]Status{
	StatusReceived:   {StatusVerifying, StatusIncomplete, StatusRejected, StatusNotOurRemit},
	StatusVerifying:  {StatusIncomplete, StatusProcessing, StatusRejected, StatusNotOurRemit},
	StatusIncomplete: {StatusVerifying, StatusRejected, StatusNotOurRemit},
	StatusProcessing: {StatusIncomplete, StatusDone, StatusRejected},
}

// ErrIllegalTransition is returned when a status may not follow another.
var ErrIllegalTransition = errors.New("illegal status change")

// CheckTransition reports whether a case may go from one status to another,
// with ErrIllegalTransition wrapped when it may not.
func CheckTransition(from, to Status) error {
	for _, next := range transitions[from] {
		if next == to {
			return nil
		}
	}
	return fmt.Errorf("%w: %s -> %s", ErrIllegalTransition, from, to)
}

// Next lists the statuses that may follow s, in lifecycle order.
func Next(s Status) []Status {
	return append([]Status(nil), transitions[s]...)
}

// Open reports whether a case in status s still waits for the office.
func (s Status) Open() bool { return len(transitions[s]) > 0 }

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, known := range Statuses {
		if s == known {
			return true
		}
	}
	return false
}

// Printable reports whether a letter may be printed for a case in status s:
// once an officer has checked the file (verifikasi, diproses) and after it
// is finished. Never for a file still unchecked or incomplete, nor for a
// case refused or referred elsewhere.
func (s Status) Printable() bool {
	return s == StatusVerifying || s == StatusProcessing || s == StatusDone
}

// ClockRuns reports whether the deadline counts while a case is in status
// s: it starts when the file is complete and pauses while the citizen
// completes it.
func (s Status) ClockRuns() bool { return s == StatusProcessing }

var ticketRe = regexp.MustCompile(`^([A-Z]{2,5})([0-9]{6})([0-9]{4,})$`)

// NormalizeTicket reads a ticket number as people type it ("lks 261123
// 0001", "LKS2611230001", "lks-261123-0001") and returns its canonical
// form LKS-261123-0001, or false when it is not a ticket number.
func NormalizeTicket(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == ' ' || r == '.' || r == '/' || r == '_':
		default:
			return "", false
		}
	}
	m := ticketRe.FindStringSubmatch(b.String())
	if m == nil {
		return "", false
	}
	return m[1] + "-" + m[2] + "-" + m[3], true
}
