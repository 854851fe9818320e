package redisstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

var _ conversation.OnceGuard = (*redisstore.Store)(nil)

func TestOnceHasOneWinner(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
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
}
