package dispatchtest

import (
	"context"
	"testing"
	"time"

	"github.com/leksono/sapa/internal/wait"
)

func TestTimelineSleepsOverlap(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	c := NewTimeline(t0)
	done := make(chan time.Time, 2)
	for _, d := range []time.Duration{time.Second, 3 * time.Second} {
		go func() {
			if c.Sleep(context.Background(), d) {
				done <- c.Now()
			}
		}()
	}
	wait.Until(t, "both sleepers", 5*time.Second, func() bool { return c.Sleepers() == 2 })
	next, ok := c.NextWake()
	if !ok || next.Sub(t0) != time.Second {
		t.Fatalf("next wake %v %v, want 1s", next.Sub(t0), ok)
	}
	c.AdvanceTo(next)
	if woke := <-done; woke.Sub(t0) != time.Second {
		t.Errorf("first sleeper woke at %v", woke.Sub(t0))
	}
	if c.Sleepers() != 1 {
		t.Errorf("%d sleepers left, want 1", c.Sleepers())
	}
	c.AdvanceTo(t0.Add(3 * time.Second))
	if woke := <-done; woke.Sub(t0) != 3*time.Second {
		t.Errorf("two overlapping sleeps took %v in all, want 3s", woke.Sub(t0))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c.Sleep(ctx, time.Hour) {
		t.Error("a sleep on a done context reported the full wait")
	}
}
