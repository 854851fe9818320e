package whatsapp

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestPacerOneMessagePerSecondPerChat(t *testing.T) {
	c := newFakeClock(t0)
	p := newPacer(c, 100)
	var at []time.Duration
	for range 3 {
		if err := p.wait(context.Background(), "6281"); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.Now().Sub(t0))
	}
	if want := []time.Duration{0, time.Second, 2 * time.Second}; !equalDurations(at, want) {
		t.Errorf("sends to one chat at %v, want %v", at, want)
	}
	// Another chat is not held back by the first chat's gap beyond its last slot.
	if err := p.wait(context.Background(), "6282"); err != nil {
		t.Fatal(err)
	}
	if got := c.Now().Sub(t0); got != 2*time.Second {
		t.Errorf("other chat sent at %v, want 2s", got)
	}
	// Once time has passed, no wait at all.
	c.Advance(10 * time.Second)
	before := c.Now()
	if err := p.wait(context.Background(), "6281"); err != nil {
		t.Fatal(err)
	}
	if c.Now() != before {
		t.Errorf("waited %v although the chat was quiet for 10s", c.Now().Sub(before))
	}
}

func TestPacerGlobalCapPerMinute(t *testing.T) {
	c := newFakeClock(t0)
	p := newPacer(c, 20)
	var at []time.Duration
	for i := range 45 {
		if err := p.wait(context.Background(), "chat"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.Now().Sub(t0))
	}
	for i, d := range at {
		var want time.Duration
		switch {
		case i < 20:
			want = 0
		case i < 40:
			want = time.Minute
		default:
			want = 2 * time.Minute
		}
		if d != want {
			t.Errorf("message %d sent at %v, want %v", i+1, d, want)
		}
	}
	// No 60-second window holds more than 20 sends.
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j]-at[i] < time.Minute; j++ {
			n++
		}
		if n > 20 {
			t.Fatalf("%d sends within a minute from message %d", n, i+1)
		}
	}
}

func TestPacerStopsWithContext(t *testing.T) {
	c := newFakeClock(t0)
	p := newPacer(c, 1)
	if err := p.wait(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(ctx, "b"); err == nil {
		t.Error("wait returned nil although its context ended before the slot")
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
