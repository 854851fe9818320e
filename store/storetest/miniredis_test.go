package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMiniRedisFastForwardAndCleanup(t *testing.T) {
	ctx := context.Background()
	var addr string
	t.Run("use", func(t *testing.T) {
		rdb, prefix, mr := MiniRedis(t)
		addr = mr.Addr()
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("miniredis listens on %s, want 127.0.0.1", addr)
		}
		if !strings.HasPrefix(prefix, "test:") {
			t.Errorf("prefix %q, want test:*", prefix)
		}
		if err := rdb.Set(ctx, prefix+"k", "1", 200*time.Millisecond).Err(); err != nil {
			t.Fatalf("set: %v", err)
		}
		mr.FastForward(199 * time.Millisecond)
		if n := rdb.Exists(ctx, prefix+"k").Val(); n != 1 {
			t.Errorf("key gone before its TTL ran out")
		}
		mr.FastForward(time.Millisecond)
		if n := rdb.Exists(ctx, prefix+"k").Val(); n != 0 {
			t.Errorf("key still there after FastForward past its TTL")
		}
	})

	// The server is gone once its test ended.
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err == nil || errors.Is(err, redis.Nil) {
		t.Errorf("miniredis at %s still answers after its test ended", addr)
	}
}
