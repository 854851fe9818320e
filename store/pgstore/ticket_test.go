package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// TestLastTicketNumber: the highest number of a day is found whether it
// came from the store's counter or was taken from Redis beforehand (which
// leaves the counter alone), and other days do not count.
func TestLastTicketNumber(t *testing.T) { eachBackend(t, testLastTicketNumber) }

func testLastTicketNumber(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, jakarta(t))
	submit := func(at time.Time, n int64, msg string) string {
		t.Helper()
		r, err := s.SubmitCase(ctx, services.NewCase{Kind: services.KindRequest, ServiceCode: "sktm", Unit: "u",
			Channel: "telegram", ChatID: "1", CitizenName: "x", VillageCode: "v", Form: map[string]string{},
			SourceMessage: msg, SubmittedAt: at, DueAt: at.Add(72 * time.Hour), TicketNumber: n})
		if err != nil {
			t.Fatal(err)
		}
		return r.Ticket
	}
	last := func(day string) int64 {
		t.Helper()
		n, err := s.LastTicketNumber(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := last("2026-11-27"); n != 0 {
		t.Fatalf("empty day: %d, want 0", n)
	}
	submit(at, 0, "a") // the counter's 1
	submit(at, 0, "b") // the counter's 2
	if n := last("2026-11-27"); n != 2 {
		t.Errorf("after two counted cases: %d, want 2", n)
	}
	// Redis gave 9 and then 12345 (more than four digits sorts by length).
	submit(at, 9, "c")
	if ticket := submit(at, 12345, "d"); ticket != fmt.Sprintf("LKS-261127-%d", 12345) {
		t.Fatalf("ticket = %q", ticket)
	}
	if n := last("2026-11-27"); n != 12345 {
		t.Errorf("after Redis-numbered cases: %d, want 12345", n)
	}
	// The store's own counter continues past them: a process numbering by
	// the database beside one numbering from Redis never repeats a ticket.
	if ticket := submit(at, 0, "f"); ticket != "LKS-261127-12346" {
		t.Errorf("the counter after Redis-numbered cases gave %q, want LKS-261127-12346", ticket)
	}
	// A number another case holds is refused as such, for the caller to
	// number again.
	_, err := s.SubmitCase(ctx, services.NewCase{Kind: services.KindRequest, ServiceCode: "sktm", Unit: "u",
		Channel: "telegram", ChatID: "1", CitizenName: "x", VillageCode: "v", Form: map[string]string{},
		SourceMessage: "g", SubmittedAt: at, DueAt: at.Add(72 * time.Hour), TicketNumber: 9})
	if !errors.Is(err, pgstore.ErrTicketTaken) {
		t.Errorf("a taken number: %v, want ErrTicketTaken", err)
	}
	submit(at.AddDate(0, 0, 1), 77, "e")
	if n := last("2026-11-27"); n != 12346 {
		t.Errorf("the next day's case counted: %d, want 12346", n)
	}
	if n := last("2026-11-28"); n != 77 {
		t.Errorf("next day: %d, want 77", n)
	}
	if _, err := s.LastTicketNumber(ctx, "27-11-2026"); err == nil {
		t.Error("a malformed day was accepted")
	}
}

// TestRepeatWithNumberTakenBeforehand: a message submitted again with a new
// number from Redis (its first answer was lost) gets the first case's
// receipt, and no second case.
func TestRepeatWithNumberTakenBeforehand(t *testing.T) { eachBackend(t, testRepeatWithNumber) }

func testRepeatWithNumber(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, jakarta(t))
	var tickets []string
	for _, n := range []int64{5, 6} {
		r, err := s.SubmitCase(ctx, services.NewCase{Kind: services.KindRequest, ServiceCode: "sktm", Unit: "u",
			Channel: "telegram", ChatID: "1", CitizenName: "x", VillageCode: "v", Form: map[string]string{},
			SourceMessage: "telegram:1:42", SubmittedAt: at, DueAt: at.Add(72 * time.Hour), TicketNumber: n})
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, r.Ticket)
	}
	if tickets[0] != "LKS-261127-0005" || tickets[1] != tickets[0] {
		t.Errorf("tickets %q, want the first one twice", tickets)
	}
	if n := count(t, rawDB(t, b, dsn), `SELECT count(*) FROM cases`); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
}
