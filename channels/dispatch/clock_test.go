package dispatch

import (
	"context"
	"testing"
	"time"
)

// The wall clock waits with package pause (tested there) and reads the
// time of day.
func TestWall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Wall.Sleep(ctx, time.Hour) {
		t.Error("Wall.Sleep on an ended context reported elapsed")
	}
	if before := time.Now(); Wall.Now().Before(before) {
		t.Error("Wall.Now is behind time.Now")
	}
}
