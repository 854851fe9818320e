package wait

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWithin(t *testing.T) {
	var n atomic.Int32
	if !Within(time.Second, func() bool { return n.Add(1) >= 3 }) {
		t.Error("a condition that comes true was not seen")
	}
	if Within(20*time.Millisecond, func() bool { return false }) {
		t.Error("a condition that never holds was reported to hold")
	}
}

func TestReceive(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if v := Receive(t, "a value", time.Second, ch); v != 7 {
		t.Errorf("received %d, want 7", v)
	}
}

// fatalRecorder is a testing.TB that records Fatalf instead of stopping.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(string, ...any) { f.failed = true }

func TestUntil(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	Until(t, "three increments", 5*time.Second, func() bool { return n.Load() == 3 })

	r := &fatalRecorder{TB: t}
	start := time.Now()
	Until(r, "nothing", 20*time.Millisecond, func() bool { return false })
	if !r.failed {
		t.Fatal("Until did not fail on a condition that never held")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("failed after %s, before its deadline", d)
	}
}
