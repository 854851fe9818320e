package dispatchtest

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitForReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	WaitFor(t, 5*time.Second, "three increments", func() bool { return n.Load() == 3 })
}

// fatalRecorder is a testing.TB that records Fatalf instead of stopping.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(string, ...any) { f.failed = true }

func TestWaitForFailsAfterItsDeadline(t *testing.T) {
	r := &fatalRecorder{TB: t}
	start := time.Now()
	WaitFor(r, 20*time.Millisecond, "nothing", func() bool { return false })
	if !r.failed {
		t.Fatal("WaitFor did not fail on a condition that never held")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("failed after %s, before its deadline", d)
	}
}

func TestClockAdvancesOnSleepAndRecordsIt(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	if !c.Sleep(t.Context(), time.Second) {
		t.Fatal("a sleep on a live context reported cut short")
	}
	c.Advance(time.Minute)
	if got := c.Now().Sub(t0); got != time.Minute+time.Second {
		t.Errorf("clock moved %v, want 1m1s", got)
	}
	if s := c.Sleeps(); len(s) != 1 || s[0] != time.Second {
		t.Errorf("sleeps %v, want [1s]", s)
	}
}
