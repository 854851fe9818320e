package conversationtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/services"
)

// Letters is a hand-written letters.Register beside Cases: letters of the
// cases filed there, numbered per office and year, their prints and
// revocations in the cases' histories, so transcripts run a real
// letters.Issuer. PostgreSQL's and SQLite's register is tested in
// store/pgstore.
type Letters struct {
	cases    *Cases
	mu       sync.Mutex
	records  []*letters.Record
	counters map[string]int64
}

// NewLetters is an empty register of the letters of cases.
func NewLetters(cases *Cases) *Letters {
	return &Letters{cases: cases, counters: map[string]int64{}}
}

var _ letters.Register = (*Letters)(nil)

// Case implements letters.Register.
func (l *Letters) Case(_ context.Context, ticket string) (services.CaseView, error) {
	l.cases.mu.Lock()
	defer l.cases.mu.Unlock()
	v, ok := l.cases.views[ticket]
	if !ok {
		return services.CaseView{}, letters.ErrNoCase
	}
	return *v, nil
}

// Issue implements letters.Register.
func (l *Letters) Issue(_ context.Context, n letters.NewLetter) (letters.Record, bool, error) {
	l.cases.mu.Lock()
	defer l.cases.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.cases.views[n.Ticket]
	if !ok {
		return letters.Record{}, false, letters.ErrNoCase
	}
	if !v.Status.Printable() {
		return letters.Record{}, false, fmt.Errorf("%w: the case is %s", letters.ErrNotPrintable, v.Status)
	}
	var rec *letters.Record
	for _, r := range l.records {
		if r.Ticket == n.Ticket && !r.Revoked() {
			rec = r
		}
	}
	reprint := rec != nil
	if reprint {
		rec.Prints++
	} else {
		key := fmt.Sprintf("%s/%d", n.Office, n.Year)
		l.counters[key]++
		seq := l.counters[key]
		rec = &letters.Record{
			Office: n.Office, Year: n.Year, Seq: seq, Number: n.Number(seq), Code: n.Code, Ticket: n.Ticket,
			Service: v.ServiceCode, HolderName: n.HolderName, HolderMasked: n.HolderMasked, VillageCode: n.VillageCode,
			IssuedAt: n.At, IssuedBy: n.Officer, Prints: 1,
		}
		l.records = append(l.records, rec)
	}
	l.cases.events[n.Ticket] = append(l.cases.events[n.Ticket], services.Event{
		Kind: services.EventLetter, Actor: n.Officer, At: n.At, From: v.Status, To: v.Status, Note: rec.Number,
	})
	return *rec, reprint, nil
}

// ByCode implements letters.Register.
func (l *Letters) ByCode(_ context.Context, code string) (letters.Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if r.Code == code {
			return *r, nil
		}
	}
	return letters.Record{}, letters.ErrNoLetter
}

// Year implements letters.Register.
func (l *Letters) Year(_ context.Context, office string, year int) ([]letters.Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []letters.Record
	for _, r := range l.records {
		if r.Office == office && r.Year == year {
			out = append(out, *r)
		}
	}
	return out, nil
}

// Revoke implements letters.Register.
func (l *Letters) Revoke(_ context.Context, code, officer, reason string, at time.Time) (letters.Record, error) {
	l.cases.mu.Lock()
	defer l.cases.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if r.Code != code {
			continue
		}
		if r.Revoked() {
			return letters.Record{}, letters.ErrRevoked
		}
		r.RevokedAt, r.RevokedBy, r.RevokeReason = &at, officer, reason
		v := l.cases.views[r.Ticket]
		l.cases.events[r.Ticket] = append(l.cases.events[r.Ticket], services.Event{
			Kind: services.EventLetterRevoked, Actor: officer, At: at, From: v.Status, To: v.Status, Note: r.Number + " — " + reason,
		})
		return *r, nil
	}
	return letters.Record{}, letters.ErrNoLetter
}
