package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// RedisContents is every key of rdb matching pattern and every value under
// it, of any type, as one text: what a test scans for personal data that
// must not sit there in clear. A type it cannot read fails the test, so a
// new kind of key is not skipped unseen.
func RedisContents(t testing.TB, rdb redis.UniversalClient, pattern string) string {
	t.Helper()
	ctx := context.Background()
	var all strings.Builder
	iter := rdb.Scan(ctx, 0, pattern, 500).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		all.WriteString(k + "\n")
		var vals any
		var err error
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "string":
			vals, err = rdb.Get(ctx, k).Result()
		case "hash":
			vals, err = rdb.HGetAll(ctx, k).Result()
		case "list":
			vals, err = rdb.LRange(ctx, k, 0, -1).Result()
		case "set":
			vals, err = rdb.SMembers(ctx, k).Result()
		case "zset":
			vals, err = rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			vals, err = rdb.XRange(ctx, k, "-", "+").Result()
		case "none":
			continue // expired between SCAN and TYPE
		default:
			t.Fatalf("key %s is a %s: extend storetest.RedisContents", k, typ)
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("read %s: %v", k, err)
		}
		fmt.Fprintf(&all, "%v\n", vals)
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan keys: %v", err)
	}
	return all.String()
}
