package pause

import (
	"context"
	"testing"
	"time"
)

func TestForElapses(t *testing.T) {
	start := time.Now()
	if !For(context.Background(), 20*time.Millisecond) {
		t.Fatal("a wait with a live context did not elapse")
	}
	if took := time.Since(start); took < 20*time.Millisecond {
		t.Errorf("returned after %v, before the wait of 20ms", took)
	}
	if !For(context.Background(), 0) || !For(context.Background(), -time.Second) {
		t.Error("a wait of zero or less with a live context reported false")
	}
}

// A cancelled context ends the wait at once, whatever is left of it.
func TestForStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- For(ctx, time.Hour) }()
	cancel()
	select {
	case elapsed := <-done:
		if elapsed {
			t.Error("a cancelled wait reported that it elapsed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait of an hour did not end with its context")
	}
	if For(ctx, 0) {
		t.Error("a wait of zero on a done context reported true")
	}
}
