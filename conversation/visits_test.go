package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

// TestVisitSlotTakenMeanwhile: the last place of the slot the citizen
// picks went to others since the list was shown; the citizen is told and
// offered the times still open, without the full one, and books one.
func TestVisitSlotTakenMeanwhile(t *testing.T) {
	h := newHarness(t)
	completeSKTM(h)
	offer := strings.Join(h.send(h.inbound("ya")), "\n")
	if !strings.Contains(offer, "[1] Selasa 24 November, 08.00-09.00") {
		t.Fatalf("the filing's answer offers no times:\n%s", offer)
	}
	slot := services.Slot{Day: "2026-11-24", Start: "08:00", End: "09:00"}
	for i := range 4 { // the unit's capacity in configs/kecamatan.yaml
		_, err := h.visits.BookVisit(context.Background(), services.NewVisit{
			Ticket: fmt.Sprintf("LKS-261122-%04d", i+1), ServiceCode: "sktm", Unit: "kesejahteraan_sosial",
			Purpose: services.VisitPickup, Slot: slot, Capacity: 4, At: h.clock, Channel: "telegram", ChatID: fmt.Sprint(2000 + i),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(h.send(h.inbound("1")), "\n")
	if !strings.Contains(got, "Maaf, waktu Selasa 24 November, 08.00-09.00 baru saja penuh") ||
		strings.Contains(got, "] Selasa 24 November, 08.00-09.00") || !strings.Contains(got, "[1] Selasa 24 November, 09.00-10.00") {
		t.Fatalf("after the slot filled up:\n%s", got)
	}
	got = strings.Join(h.send(h.inbound("1")), "\n")
	if !strings.Contains(got, "Jadwal kunjungan Anda: Selasa 24 November, 09.00-10.00") {
		t.Fatalf("booking the next time:\n%s", got)
	}
}

// TestVisitStaleList: a list answered after its times passed books
// nothing: the times open now are offered instead.
func TestVisitStaleList(t *testing.T) {
	h := newHarness(t)
	completeSKTM(h)
	h.send(h.inbound("ya"))
	h.clock = time.Date(2026, 11, 24, 8, 30, 0, 0, start.Location()) // Tuesday 08:30
	got := strings.Join(h.send(h.inbound("2")), "\n")                // 09:00, now within the hour's lead time
	if !strings.Contains(got, "sudah lewat atau terlalu dekat") || !strings.Contains(got, "[1] Selasa 24 November, 10.00-11.00") {
		t.Fatalf("a stale pick:\n%s", got)
	}
	if visits, _ := h.visits.ChatVisits(context.Background(), "telegram", "1001", "2026-11-24"); len(visits) != 0 {
		t.Errorf("a stale pick booked %+v", visits)
	}
}

// TestVisitReminderSurvivesAFailedQueue: a reminder the outbox could not
// take is sent at the next run, and once only after that.
func TestVisitReminderSurvivesAFailedQueue(t *testing.T) {
	h := newHarness(t)
	completeSKTM(h)
	h.send(h.inbound("ya"))
	h.send(h.inbound("2")) // Tuesday 24 November, 09.00-10.00
	ctx := context.Background()
	h.notes.Take()
	reminders := func() []string {
		t.Helper()
		if _, err := h.engine.Remind(ctx, &h.once); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range h.notes.Take() {
			if n.To == citizenChat {
				out = append(out, n.Reply.Text)
			}
		}
		return out
	}
	h.clock = time.Date(2026, 11, 23, 14, 59, 0, 0, start.Location())
	if got := reminders(); len(got) != 0 {
		t.Fatalf("reminded before 15:00: %q", got)
	}
	h.clock = h.clock.Add(2 * time.Minute)
	h.notes.Fail = errors.New("outbox down")
	if got := reminders(); len(got) != 0 {
		t.Fatalf("reminded while the outbox failed: %q", got)
	}
	h.notes.Fail = nil
	h.clock = h.clock.Add(time.Minute)
	got := reminders()
	if len(got) != 1 || !strings.Contains(got[0], "besok, Selasa 24 November, 09.00-10.00") {
		t.Fatalf("reminder after the outbox came back: %q", got)
	}
	h.clock = h.clock.Add(time.Minute)
	if got := reminders(); len(got) != 0 {
		t.Fatalf("reminded twice: %q", got)
	}
}
