package redisstore_test

import (
	"context"
	"testing"

	"github.com/leksono/sapa/store/redisstore"
)

func TestShelf(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		_, rdb, prefix, _ := newStore(t, b)
		ctx := context.Background()
		s := redisstore.NewShelf(rdb, prefix+"{dead-letters}")
		if err := s.Put(ctx, "a", []byte("one")); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "b", []byte("two")); err != nil {
			t.Fatal(err)
		}
		if raw, ok, err := s.Get(ctx, "a"); err != nil || !ok || string(raw) != "one" {
			t.Errorf("Get(a) = %q, %v, %v", raw, ok, err)
		}
		if _, ok, err := s.Get(ctx, "z"); err != nil || ok {
			t.Errorf("Get(z) = %v, %v; want none", ok, err)
		}
		all, err := s.All(ctx)
		if err != nil || len(all) != 2 || string(all["b"]) != "two" {
			t.Errorf("All = %v, %v", all, err)
		}
		if gone, err := s.Delete(ctx, "a"); err != nil || !gone {
			t.Errorf("Delete(a) = %v, %v", gone, err)
		}
		if gone, err := s.Delete(ctx, "a"); err != nil || gone {
			t.Errorf("Delete(a) again = %v, %v; want false", gone, err)
		}
		if n, err := s.Len(ctx); err != nil || n != 1 {
			t.Errorf("Len = %d, %v; want 1", n, err)
		}
	})
}
