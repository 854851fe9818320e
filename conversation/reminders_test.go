package conversation_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// memOnce is a hand-written OnceGuard; redisstore's is tested on real Redis.
type memOnce struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memOnce) Once(_ context.Context, key string, _ time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	if m.seen[key] {
		return false, nil
	}
	m.seen[key] = true
	return true, nil
}

func TestRemindersAndEscalation(t *testing.T) {
	h := newHarness(t)
	completeSKTM(h)
	h.send(h.inbound("ya")) // LKS-261123-0001, due Monday 23 November 16:00
	h.notes.Take()
	guard := &memOnce{}
	ctx := context.Background()

	// Monday 07:00: before the reminder time, nothing happens.
	h.clock = time.Date(2026, 11, 23, 7, 0, 0, 0, start.Location())
	if ran, err := h.engine.Remind(ctx, guard); ran || err != nil {
		t.Fatalf("before 07:30: ran %v, err %v", ran, err)
	}
	// Monday 16:30: the case is due today: the unit hears about it, once.
	h.clock = time.Date(2026, 11, 23, 16, 30, 0, 0, start.Location())
	if ran, err := h.engine.Remind(ctx, guard); !ran || err != nil {
		t.Fatalf("Monday: ran %v, err %v", ran, err)
	}
	sent := h.notes.Take()
	if len(sent) != 2 || !strings.Contains(sent[0].Reply.Text, "LKS-261123-0001") || strings.Contains(sent[0].Reply.Text, "Eskalasi") {
		t.Fatalf("Monday: want the reminder to both officers of the unit, got %+v", sent)
	}
	if ran, _ := h.engine.Remind(ctx, guard); ran || len(h.notes.Take()) != 0 {
		t.Fatal("a second call on the same day must send nothing")
	}
	// Saturday: no reminders on a day off.
	h.clock = time.Date(2026, 11, 28, 9, 0, 0, 0, start.Location())
	if ran, _ := h.engine.Remind(ctx, guard); ran {
		t.Fatal("no reminders on Saturday")
	}
	// Thursday 26 November: Tuesday and Wednesday are late working days, so
	// the case is 2 days late: reminded, not yet escalated (limit 2).
	h.clock = time.Date(2026, 11, 26, 8, 0, 0, 0, start.Location())
	h.engine.Remind(ctx, guard)
	for _, n := range h.notes.Take() {
		if strings.Contains(n.Reply.Text, "Eskalasi") {
			t.Fatalf("escalated after 2 late days: %+v", n)
		}
	}
	// Monday 30 November: 4 working days late: the kasi and the camat hear.
	h.clock = time.Date(2026, 11, 30, 8, 0, 0, 0, start.Location())
	h.engine.Remind(ctx, guard)
	escalated := map[string]bool{}
	for _, n := range h.notes.Take() {
		if strings.Contains(n.Reply.Text, "Eskalasi") && strings.Contains(n.Reply.Text, "TERLAMBAT") {
			escalated[h.who(n.To)] = true
		}
	}
	if !escalated["kasi_kesos"] || !escalated["camat"] || escalated["petugas_kesos"] {
		t.Fatalf("escalation went to %v, want kasi_kesos and camat only", escalated)
	}
}
