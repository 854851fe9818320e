package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/store/redisstore"
)

// Tokens expire, refresh on Get when asked, are spent by exactly one
// Delete, count from their first count, and are claimed once.
func TestTokens(t *testing.T) { eachBackend(t, testTokens) }

func testTokens(t *testing.T, b backend) {
	ctx := context.Background()
	rdb, prefix, advance := b.open(t)
	tok := redisstore.NewTokens(rdb, prefix)

	if _, ok, err := tok.Get(ctx, "session:a", 0); ok || err != nil {
		t.Fatalf("missing token: ok %v, err %v", ok, err)
	}
	if err := tok.Put(ctx, "session:a", []byte("budi"), time.Second); err != nil {
		t.Fatal(err)
	}
	advance(600 * time.Millisecond)
	// Refreshed: a second more from now.
	if v, ok, err := tok.Get(ctx, "session:a", time.Second); !ok || err != nil || string(v) != "budi" {
		t.Fatalf("get: %q, %v, %v", v, ok, err)
	}
	advance(600 * time.Millisecond)
	if _, ok, _ := tok.Get(ctx, "session:a", 0); !ok {
		t.Fatal("a refreshed token expired at its first deadline")
	}
	advance(600 * time.Millisecond)
	if _, ok, _ := tok.Get(ctx, "session:a", 0); ok {
		t.Fatal("a token outlived its refresh")
	}

	if err := tok.Put(ctx, "code:x", []byte("h"), time.Minute); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	spent := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := tok.Delete(ctx, "code:x"); err == nil && ok {
				mu.Lock()
				spent++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if spent != 1 {
		t.Errorf("a token was spent %d times, want once", spent)
	}

	for want := int64(1); want <= 3; want++ {
		if n, err := tok.Count(ctx, "tries:x", 500*time.Millisecond); err != nil || n != want {
			t.Fatalf("count %d: %d, %v", want, n, err)
		}
	}
	advance(600 * time.Millisecond)
	if n, _ := tok.Count(ctx, "tries:x", 500*time.Millisecond); n != 1 {
		t.Errorf("the counter did not start again after its ttl: %d", n)
	}

	if ok, err := tok.Claim(ctx, "link:n1", time.Minute); !ok || err != nil {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if ok, _ := tok.Claim(ctx, "link:n1", time.Minute); ok {
		t.Error("a link was claimed twice")
	}
}

// What one process publishes, another's listener hears, after ready.
func TestChanges(t *testing.T) { eachBackend(t, testChanges) }

func testChanges(t *testing.T, b backend) {
	rdb, prefix, _ := b.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	heard := make(chan string, 4)
	done := make(chan error, 1)
	go func() {
		done <- redisstore.NewChanges(rdb, prefix, nil).Listen(ctx, func() { close(ready) }, func(ticket string) { heard <- ticket })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("listen: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the listener never became ready")
	}
	redisstore.NewChanges(rdb, prefix, nil).Tell("LKS-261123-0001")
	select {
	case got := <-heard:
		if got != "LKS-261123-0001" {
			t.Errorf("heard %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the change was not heard")
	}
	// Another prefix (another bot on the same Redis) is not heard.
	redisstore.NewChanges(rdb, prefix+"other:", nil).Tell("LKS-261123-0002")
	if err := redisstore.NewChanges(rdb, prefix, nil).Publish(context.Background(), "LKS-261123-0003"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-heard:
		if got != "LKS-261123-0003" {
			t.Errorf("heard %q from another bot", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second change was not heard")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("listen ended with %v", err)
	}
}
