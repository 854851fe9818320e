package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

var visitSlot = services.Slot{Day: "2026-12-15", Start: "09:00", End: "10:00"}

func newVisit(ticket string, slot services.Slot, capacity int) services.NewVisit {
	return services.NewVisit{
		Ticket: ticket, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Purpose: services.VisitPickup,
		Slot: slot, Capacity: capacity, At: time.Date(2026, 12, 10, 3, 0, 0, 0, time.UTC),
		Channel: "telegram", ChatID: "chat-" + ticket, Lang: "id",
	}
}

// TestVisitLastPlace: many citizens booking the last places of a slot at
// the same moment get exactly the places there are, on PostgreSQL and on
// SQLite; the others are told the slot is full.
func TestVisitLastPlace(t *testing.T) { eachBackend(t, testVisitLastPlace) }

func testVisitLastPlace(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	raw := rawDB(t, b, where)
	for _, idx := range []string{"idx_visits_seat", "idx_visits_ticket_open"} {
		if c := count(t, raw, b.indexCount, idx); c != 1 {
			t.Errorf("index %s: %d, want 1", idx, c)
		}
	}
	const capacity = 3
	// One place is already taken: two remain for the crowd.
	if _, err := s.BookVisit(ctx, newVisit("LKS-261210-0100", visitSlot, capacity)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BookVisit(ctx, newVisit("LKS-261210-0101", visitSlot, capacity)); err != nil {
		t.Fatal(err)
	}
	const crowd = 12
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		booked  []services.Visit
		refused int
	)
	for i := range crowd {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, err := s.BookVisit(ctx, newVisit(fmt.Sprintf("LKS-261210-%04d", i), visitSlot, capacity))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				booked = append(booked, v)
			case errors.Is(err, services.ErrSlotFull):
				refused++
			default:
				t.Errorf("booking %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(booked) != 1 || refused != crowd-1 {
		t.Fatalf("%d booked and %d refused the last place, want 1 and %d", len(booked), refused, crowd-1)
	}
	taken, err := s.TakenSlots(ctx, "kesejahteraan_sosial", "2026-12-15", "2026-12-15")
	if err != nil || taken[visitSlot.Key()] != capacity {
		t.Errorf("taken = %v, %v; want %d in %s", taken, err, capacity, visitSlot.Key())
	}
	// The same race for a whole empty slot: exactly capacity win.
	other := services.Slot{Day: "2026-12-16", Start: "13:00", End: "14:00"}
	var wins int
	start = make(chan struct{})
	for i := range crowd {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.BookVisit(ctx, newVisit(fmt.Sprintf("LKS-261211-%04d", i), other, capacity))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, services.ErrSlotFull) {
				t.Errorf("booking %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != capacity {
		t.Errorf("%d citizens got the %d places of an empty slot", wins, capacity)
	}
}

// TestVisitMoveAndCancel: moving gives the old place back and keeps one
// open booking per case; cancelling frees the place; the day's list, the
// outcomes and the missed visits are recorded.
func TestVisitMoveAndCancel(t *testing.T) { eachBackend(t, testVisitMoveAndCancel) }

func testVisitMoveAndCancel(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	ticket := submitAt(t, s, 1, time.Date(2026, 12, 10, 2, 0, 0, 0, time.UTC))
	first, err := s.BookVisit(ctx, newVisit(ticket, visitSlot, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BookVisit(ctx, newVisit("LKS-261210-0999", visitSlot, 1)); !errors.Is(err, services.ErrSlotFull) {
		t.Fatalf("second citizen in a slot of one: %v, want ErrSlotFull", err)
	}
	again, err := s.BookVisit(ctx, newVisit(ticket, visitSlot, 1))
	if err != nil || again.ID != first.ID {
		t.Errorf("booking the same slot again = %+v, %v; want the first booking", again, err)
	}
	later := services.Slot{Day: "2026-12-16", Start: "10:00", End: "11:00"}
	moved, err := s.BookVisit(ctx, newVisit(ticket, later, 1))
	if err != nil || moved.Slot != later {
		t.Fatalf("move = %+v, %v", moved, err)
	}
	// The old place is free again.
	if _, err := s.BookVisit(ctx, newVisit("LKS-261210-0999", visitSlot, 1)); err != nil {
		t.Errorf("the moved-from place is not free: %v", err)
	}
	mine, err := s.ChatVisits(ctx, "telegram", "chat-"+ticket, "2026-12-10")
	if err != nil || len(mine) != 1 || mine[0].Slot != later {
		t.Errorf("chat's visits = %+v, %v; want the moved one only", mine, err)
	}
	day, err := s.DayVisits(ctx, "2026-12-16", nil)
	if err != nil || len(day) != 1 || day[0].Ticket != ticket || day[0].CitizenName != "Siti Aminah" {
		t.Errorf("day list = %+v, %v; want the case with its citizen's name", day, err)
	}
	if _, err := s.CancelVisit(ctx, ticket, time.Date(2026, 12, 11, 1, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelVisit(ctx, ticket, time.Now()); !errors.Is(err, services.ErrNoVisit) {
		t.Errorf("cancel twice: %v, want ErrNoVisit", err)
	}
	if day, _ := s.DayVisits(ctx, "2026-12-16", nil); len(day) != 0 {
		t.Errorf("a cancelled visit is still listed: %+v", day)
	}

	// Outcomes: one came, one did not and is recorded at the day's end.
	if _, err := s.BookVisit(ctx, newVisit(ticket, later, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BookVisit(ctx, newVisit("LKS-261210-0998", later, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkVisit(ctx, ticket, services.VisitVisited, "petugas_kesos", time.Date(2026, 12, 16, 3, 10, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// During the 16th only the 15th's visit is missed.
	if n, err := s.RecordNoShows(ctx, "2026-12-16", false, time.Now()); err != nil || n != 1 {
		t.Errorf("no-shows during the day = %d, %v; want the day before's", n, err)
	}
	if n, err := s.RecordNoShows(ctx, "2026-12-16", true, time.Date(2026, 12, 16, 9, 0, 0, 0, time.UTC)); err != nil || n != 1 {
		t.Errorf("no-shows at the day's end = %d, %v; want 1", n, err)
	}
	// A refused case's booking gives its place back; the others stay.
	refused := submitAt(t, s, 2, time.Date(2026, 12, 10, 2, 0, 0, 0, time.UTC))
	if _, err := s.BookVisit(ctx, newVisit(refused, services.Slot{Day: "2026-12-17", Start: "09:00", End: "10:00"}, 1)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ReleaseRefusedVisits(ctx, time.Now()); err != nil || n != 0 {
		t.Errorf("released %d, %v before any refusal", n, err)
	}
	move(t, s, refused, services.StatusRejected, time.Date(2026, 12, 10, 4, 0, 0, 0, time.UTC))
	if n, err := s.ReleaseRefusedVisits(ctx, time.Now()); err != nil || n != 1 {
		t.Errorf("released %d, %v after the refusal; want 1", n, err)
	}
	if _, err := s.TicketVisit(ctx, refused); !errors.Is(err, services.ErrNoVisit) {
		t.Errorf("the refused case still holds a place: %v", err)
	}
	all, err := s.VisitsBetween(ctx, "2026-12-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]services.VisitStatus{}
	for _, v := range all {
		got[v.Ticket+" "+v.Slot.Key()] = v.Status
	}
	want := map[string]services.VisitStatus{
		ticket + " 2026-12-16T10:00":       services.VisitVisited,
		"LKS-261210-0998 2026-12-16T10:00": services.VisitNoShow,
		"LKS-261210-0999 2026-12-15T09:00": services.VisitNoShow,
	}
	if len(got) != len(want) {
		t.Errorf("visits between = %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("visit %s = %q, want %q", k, got[k], w)
		}
	}
}

// TestVisitReminderClaim: one claim per visit, given back when the
// reminder could not be queued.
func TestVisitReminderClaim(t *testing.T) { eachBackend(t, testVisitReminderClaim) }

func testVisitReminderClaim(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	v, err := s.BookVisit(ctx, newVisit("LKS-261210-0001", visitSlot, 2))
	if err != nil {
		t.Fatal(err)
	}
	due, err := s.VisitsToRemind(ctx, visitSlot.Day)
	if err != nil || len(due) != 1 || due[0].ChatID != "chat-LKS-261210-0001" {
		t.Fatalf("to remind = %+v, %v", due, err)
	}
	at := time.Date(2026, 12, 14, 8, 0, 0, 0, time.UTC)
	var claims int
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimReminder(ctx, v.ID, at)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				claims++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if claims != 1 {
		t.Errorf("%d processes claimed one reminder", claims)
	}
	if due, _ := s.VisitsToRemind(ctx, visitSlot.Day); len(due) != 0 {
		t.Errorf("a claimed reminder is still due: %+v", due)
	}
	if err := s.UnclaimReminder(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.VisitsToRemind(ctx, visitSlot.Day); len(due) != 1 {
		t.Errorf("a reminder given back is not due again: %+v", due)
	}
}
