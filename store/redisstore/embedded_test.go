package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/store/redisstore"
)

// TestEmbeddedExpiresWithTheWallClock: keys on the embedded server expire
// on their own, as on Redis, and Close stops the server.
func TestEmbeddedExpiresWithTheWallClock(t *testing.T) {
	e, err := redisstore.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: e.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "1", 300*time.Millisecond).Err(); err != nil {
		t.Fatalf("set: %v", err)
	}
	wait.Until(t, "a 300ms key to expire", redisstore.EmbeddedTick+2*time.Second, func() bool {
		return rdb.Exists(ctx, "k").Val() == 0
	})
	e.Close()
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Errorf("the embedded store at %s still answers after Close", e.Addr())
	}
}
