package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// MiniRedis starts an in-process miniredis for the calling test, the store
// the bot embeds when REDIS_URL is unset, and returns a go-redis client
// connected to it over TCP, a key prefix like the one Redis returns, and the
// server. Its TTLs count down only when FastForward is called, which makes
// expiry tests instant and deterministic; the embedded bot calls
// FastForward itself, each second, with the time that passed. A cleanup
// registered on t closes the client and stops the server.
func MiniRedis(t testing.TB) (redis.UniversalClient, string, *miniredis.Miniredis) {
	t.Helper()
	mr, err := miniredis.Run()
	if err != nil {
		t.Fatalf("start miniredis on 127.0.0.1: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close() // the ping error is the one worth reporting
		mr.Close()
		t.Fatalf("miniredis at %s does not answer: %v", mr.Addr(), err)
	}
	t.Cleanup(func() {
		if err := rdb.Close(); err != nil {
			t.Errorf("close miniredis client: %v", err)
		}
		mr.Close()
	})
	return rdb, "test:" + randomHex(t, 8) + ":", mr
}
