package redisstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/store/redisstore"
)

var _ conversation.OnceGuard = (*redisstore.Store)(nil)

func TestOnceHasOneWinner(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		rdb, prefix, _ := be.open(t)
		store := redisstore.New(rdb, prefix)
		ctx := context.Background()
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := store.Once(ctx, "remind:2026-11-23", time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d callers won, want exactly 1", wins.Load())
		}
		if ok, _ := store.Once(ctx, "remind:2026-11-24", time.Minute); !ok {
			t.Fatal("another key must have its own winner")
		}
	})
}

// TestOnceAgainAfterTTL checks the claim lasts exactly its TTL on each
// backend's clock.
func TestOnceAgainAfterTTL(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		store, _, _, advance := newStore(t, be)
		ctx := context.Background()
		claim := func() bool {
			t.Helper()
			ok, err := store.Once(ctx, "remind:2026-11-23", 300*time.Millisecond)
			if err != nil {
				t.Fatalf("Once: %v", err)
			}
			return ok
		}
		if !claim() || claim() {
			t.Fatal("want the first claim won and the second lost")
		}
		advance(600 * time.Millisecond)
		if !claim() {
			t.Error("the claim did not expire with its TTL")
		}
	})
}
