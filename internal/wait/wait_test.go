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
