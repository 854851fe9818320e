package pause

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	if !For(context.Background(), time.Millisecond) {
		t.Error("a full wait reported cut short")
	}
	if !For(context.Background(), 0) {
		t.Error("a zero wait reported cut short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if For(ctx, time.Hour) {
		t.Error("a wait on an ended context reported elapsed")
	}
	if For(ctx, 0) {
		t.Error("a zero wait on an ended context reported elapsed")
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 30 * time.Second}
	var got []time.Duration
	for range 7 {
		got = append(got, b.Next())
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(got, want) {
		t.Errorf("backoff = %v, want %v", got, want)
	}
	b.Reset()
	if d := b.Next(); d != time.Second {
		t.Errorf("after reset = %v, want 1s", d)
	}
	uncapped := Backoff{Min: time.Second}
	for range 6 {
		uncapped.Next()
	}
	if d := uncapped.Next(); d != 64*time.Second {
		t.Errorf("seventh delay without a cap = %v, want 64s", d)
	}
}
