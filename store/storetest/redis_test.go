package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestRedisIsolatesAndCleansUp(t *testing.T) {
	var key string
	var prefixes []string
	t.Run("writer", func(t *testing.T) {
		rdb, prefix := Redis(t)
		_, other := Redis(t)
		prefixes = append(prefixes, prefix, other)
		if !strings.HasPrefix(prefix, "test:") || prefix == other {
			t.Fatalf("prefixes %q and %q: want distinct test: prefixes", prefix, other)
		}
		key = prefix + "{telegram:42}:state"
		for i := range 1500 { // more than one SCAN batch
			if err := rdb.Set(context.Background(), fmt.Sprintf("%sk%d", prefix, i), "1", 0).Err(); err != nil {
				t.Fatalf("set: %v", err)
			}
		}
		if err := rdb.Set(context.Background(), key, "1", 0).Err(); err != nil {
			t.Fatalf("set: %v", err)
		}
	})

	rdb, _ := Redis(t)
	n, err := rdb.Exists(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("exists: %v", err)
	}
	if n != 0 {
		t.Errorf("key %s survived the cleanup of its test", key)
	}
	left, _, err := rdb.Scan(context.Background(), 0, prefixes[0]+"*", 10000).Result()
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if len(left) != 0 {
		t.Errorf("%d keys under %s survived the cleanup", len(left), prefixes[0])
	}
}

// fatalTB records Fatalf instead of ending the test, so the unreachable
// path can be checked.
type fatalTB struct {
	testing.TB
	msg string
}

type fatalStop struct{}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatalStop{})
}

func TestRedisUnreachableFails(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1/0") // port 1: nothing listens
	f := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(fatalStop); !ok {
					panic(r)
				}
			}
		}()
		Redis(f)
	}()
	for _, want := range []string{"Redis is not reachable at 127.0.0.1:1", "redis-server --daemonize yes"} {
		if !strings.Contains(f.msg, want) {
			t.Errorf("failure message %q lacks %q", f.msg, want)
		}
	}
}
