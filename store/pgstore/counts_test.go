package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

func TestCountOpen(t *testing.T) {
	ctx := context.Background()
	loc := time.FixedZone("WIB", 7*3600)
	open := func(t *testing.T) *pgstore.Store {
		s, err := pgstore.OpenSQLite(ctx, storetest.SQLite(t), pgstore.Options{TicketPrefix: "LKS", Location: loc, Keys: testKeys(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	for name, store := range map[string]func(*testing.T) *pgstore.Store{
		"sqlite": open,
		"postgres": func(t *testing.T) *pgstore.Store {
			s, err := pgstore.Open(ctx, storetest.Postgres(t), pgstore.Options{TicketPrefix: "LKS", Location: loc, Keys: testKeys(t)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := store(t)
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
		})
	}
}
