package redisstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/store/redisstore"
)

var _ letters.Limiter = (*redisstore.Store)(nil)

func TestTakeLimitsABurstThenRefills(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		rdb, prefix, _ := be.open(t)
		store := redisstore.New(rdb, prefix)
		ctx := context.Background()
		now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		take := func(key string, at time.Time) time.Duration {
			t.Helper()
			wait, err := store.Take(ctx, key, 5, time.Minute, at)
			if err != nil {
				t.Fatal(err)
			}
			return wait
		}
		for i := range 5 {
			if wait := take("web:203.0.113.7", now); wait != 0 {
				t.Fatalf("take %d of a burst of 5 waits %s", i+1, wait)
			}
		}
		if wait := take("web:203.0.113.7", now); wait != time.Minute {
			t.Errorf("sixth take waits %s, want 1m", wait)
		}
		// Refused takes spend nothing: after the interval there is one.
		if wait := take("web:203.0.113.7", now.Add(30*time.Second)); wait != 30*time.Second {
			t.Errorf("take half an interval later waits %s, want 30s", wait)
		}
		if wait := take("web:203.0.113.7", now.Add(time.Minute)); wait != 0 {
			t.Errorf("take an interval later waits %s, want none", wait)
		}
		if wait := take("web:203.0.113.7", now.Add(time.Minute)); wait == 0 {
			t.Error("a second take an interval later was allowed")
		}
		// Another key has its own bucket.
		if wait := take("web:198.51.100.1", now); wait != 0 {
			t.Errorf("another key waits %s", wait)
		}
		if _, err := store.Take(ctx, "x", 0, time.Minute, now); err == nil {
			t.Error("a burst of 0 was accepted")
		}
	})
}

func TestTakeIsAtomicAcrossCallers(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		rdb, prefix, _ := be.open(t)
		store := redisstore.New(rdb, prefix)
		now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				wait, err := store.Take(context.Background(), "chat:telegram:42", 20, time.Hour, now)
				if err != nil {
					t.Error(err)
				}
				if wait == 0 {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 20 {
			t.Errorf("%d of 100 concurrent takes allowed, want the burst of 20", allowed.Load())
		}
	})
}
