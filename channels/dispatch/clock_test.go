package dispatch

import (
	"context"
	"slices"
	"testing"
	"time"
)

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

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("a full sleep reported cut short")
	}
	if !Sleep(context.Background(), 0) {
		t.Error("a zero sleep reported cut short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("a sleep on an ended context reported elapsed")
	}
	if Sleep(ctx, 0) {
		t.Error("a zero sleep on an ended context reported elapsed")
	}
	if Wall.Sleep(ctx, time.Hour) {
		t.Error("Wall.Sleep on an ended context reported elapsed")
	}
	if before := time.Now(); Wall.Now().Before(before) {
		t.Error("Wall.Now is behind time.Now")
	}
}
