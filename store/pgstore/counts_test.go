package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

func TestCountOpen(t *testing.T) { eachBackend(t, testCountOpen) }

func testCountOpen(t *testing.T, b backend) {
	ctx := context.Background()
	loc := jakarta(t)
	s, _ := openStore(t, b)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	var tickets []string
	for i, due := range []time.Time{at.Add(time.Hour), at.Add(48 * time.Hour), at.Add(time.Hour), at.Add(time.Hour)} {
		r, err := s.SubmitCase(ctx, services.NewCase{Kind: services.KindRequest, ServiceCode: "sktm", Unit: "u",
			Channel: "telegram", ChatID: "1", CitizenName: "x", VillageCode: "v", Form: map[string]string{},
			SourceMessage: "m" + string(rune('a'+i)), SubmittedAt: at, DueAt: due})
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, r.Ticket)
	}
	// One waits for the citizen (never overdue), one is refused (not open).
	for _, c := range []services.StatusChange{
		{Ticket: tickets[2], To: services.StatusIncomplete, Actor: "o", Note: "kirim KK", At: at, Kind: services.EventQuestion},
		{Ticket: tickets[3], To: services.StatusRejected, Actor: "o", Note: "ganda", At: at},
	} {
		if _, _, err := s.ChangeStatus(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	o, late, err := s.CountOpen(ctx, at.Add(3*time.Hour))
	if err != nil || o != 3 || late != 1 {
		t.Fatalf("open %d overdue %d (%v), want 3 and 1", o, late, err)
	}
}
