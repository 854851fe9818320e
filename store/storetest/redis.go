package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// defaultRedisURL is the Redis the tests expect when REDIS_URL is unset.
const defaultRedisURL = "redis://127.0.0.1:6379/0"

// Redis connects to the Redis named by REDIS_URL (default
// redis://127.0.0.1:6379/0) and returns the client with a key prefix unique
// to this test, such as "test:3f9a0c1e2b4d5a6f:". Everything the test writes
// must live under that prefix: a cleanup registered on t deletes every key
// with it and closes the client. When Redis cannot be reached, Redis fails
// the test with the command that starts it; it never skips, so a missing
// server cannot pass for a green run.
func Redis(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()

	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = defaultRedisURL
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL %q is not a valid Redis URL: %v", url, err)
	}
	rdb := redis.NewClient(opts)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close() // the ping error is the one worth reporting
		t.Fatalf("Redis is not reachable at %s: %v: start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no` or set REDIS_URL",
			opts.Addr, err)
	}

	prefix := "test:" + randomHex(t, 8) + ":"
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := deletePrefix(ctx, rdb, prefix); err != nil {
			t.Errorf("delete test keys %s*: %v", prefix, err)
		}
		if err := rdb.Close(); err != nil {
			t.Errorf("close Redis client: %v", err)
		}
	})
	return rdb, prefix
}

// deletePrefix unlinks every key starting with prefix. SCAN rather than KEYS
// so a shared server is not blocked; the prefix holds only hex digits, colons
// and letters, so it needs no glob escaping.
func deletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := rdb.Unlink(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random key prefix: %v", err)
	}
	return hex.EncodeToString(b)
}
