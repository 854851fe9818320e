package redisstore_test

import (
	"context"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/store/redisstore"
)

// sharing runs HoldShare for one holder and records which shards it works on.
type sharing struct {
	mu      sync.Mutex
	working map[int]bool
	stop    context.CancelFunc
	done    chan error
}

func (s *sharing) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.working)
}

// share starts HoldShare for holder on shards; perShard counts the works
// running on each shard across every holder, to catch two at once.
func share(t *testing.T, s *redisstore.Store, holder string, shards int, ttl time.Duration, perShard []atomic.Int32) *sharing {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &sharing{working: map[int]bool{}, stop: cancel, done: make(chan error, 1)}
	go func() {
		h.done <- redisstore.HoldShare(ctx, s, "tg-consumer", holder, shards, ttl, func(ctx context.Context, shard int) error {
			if perShard[shard].Add(1) > 1 {
				t.Errorf("%s started shard %d while another holder works on it", holder, shard)
			}
			h.mu.Lock()
			h.working[shard] = true
			h.mu.Unlock()
			<-ctx.Done()
			h.mu.Lock()
			delete(h.working, shard)
			h.mu.Unlock()
			perShard[shard].Add(-1)
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Errorf("HoldShare(%s) did not return within 5s of its stop", holder)
		}
	})
	return h
}

// TestHoldShareSpreadsShards: one process takes every shard; a second one
// joining gets half of them; when it leaves, the first takes them back. No
// shard is ever worked on by two processes at once.
func TestHoldShareSpreadsShards(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, _, _ := newStore(t, be)
		const (
			shards = 6
			ttl    = 300 * time.Millisecond
		)
		triedA, triedB := leaseAttempts(rdb, "a"), leaseAttempts(rdb, "b")
		perShard := make([]atomic.Int32, shards)
		a := share(t, s, "a", shards, ttl, perShard)
		wait.Until(t, "a works on every shard", 2*time.Second, func() bool { return a.count() == shards })

		b := share(t, s, "b", shards, ttl, perShard)
		wait.Until(t, "the shards are split three and three", 3*time.Second, func() bool {
			return a.count() == shards/2 && b.count() == shards/2
		})
		// They stay split over several rounds: each renews its shards
		// twice more.
		fromA, fromB := triedA.Load(), triedB.Load()
		wait.Until(t, "two more rounds of both", 5*time.Second, func() bool {
			return triedA.Load() >= fromA+2*shards/2 && triedB.Load() >= fromB+2*shards/2
		})
		if a.count() != shards/2 || b.count() != shards/2 {
			t.Errorf("after some rounds a works on %d and b on %d shards, want %d each", a.count(), b.count(), shards/2)
		}

		b.stop()
		if err := <-b.done; err != nil {
			t.Errorf("HoldShare(b) = %v after its stop, want nil", err)
		}
		b.done <- nil // for the cleanup
		if b.count() != 0 {
			t.Errorf("b still works on %d shards after it returned", b.count())
		}
		wait.Until(t, "a takes b's shards back", 3*time.Second, func() bool { return a.count() == shards })
	})
}

func TestHoldShareRejectsBadArguments(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		work := func(context.Context, int) error { return nil }
		for _, tc := range []struct {
			holder string
			shards int
			ttl    time.Duration
		}{{"", 4, time.Second}, {"a", 0, time.Second}, {"a", 4, time.Millisecond}} {
			if err := redisstore.HoldShare(context.Background(), s, "x", tc.holder, tc.shards, tc.ttl, work); err == nil {
				t.Errorf("HoldShare(%q, %d shards, %v) succeeded", tc.holder, tc.shards, tc.ttl)
			}
		}
	})
}

// TestHoldShareTakesOverFromDeadHolder: the shards of a killed process are
// taken when their leases run out.
func TestHoldShareTakesOverFromDeadHolder(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, _, advance := newStore(t, be)
		const (
			shards = 3
			ttl    = 300 * time.Millisecond
		)
		triedA := leaseAttempts(rdb, "a")
		for i := range shards {
			if ok, err := s.Lease(context.Background(), "tg-consumer/"+string(rune('0'+i)), "dead", ttl); !ok || err != nil {
				t.Fatalf("Lease(dead, %d) = %v, %v", i, ok, err)
			}
		}
		perShard := make([]atomic.Int32, shards)
		a := share(t, s, "a", shards, ttl, perShard)
		wait.Until(t, "a to try every shard twice", 5*time.Second, func() bool { return triedA.Load() >= 2*shards })
		if n := a.count(); n != 0 {
			t.Fatalf("a works on %d shards while the dead holder's leases are valid", n)
		}
		advance(ttl)
		wait.Until(t, "a takes every shard after the TTL", 3*time.Second, func() bool { return a.count() == shards })
	})
}

// TestHoldShareTakesOverAtOnceFromAGoneProcess: a process restarted after a
// crash takes its dead predecessor's shards at once: the dead one leaves
// the members, and its shard leases are taken, long before their TTL.
func TestHoldShareTakesOverAtOnceFromAGoneProcess(t *testing.T) {
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	dead := withPid(redisstore.NewHolder(), exited.ProcessState.Pid())
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		const shards = 4
		ctx := context.Background()
		for i := range shards {
			if ok, err := s.Lease(ctx, "tg-consumer/"+strconv.Itoa(i), dead, time.Hour); !ok || err != nil {
				t.Fatalf("Lease(dead, %d) = %v, %v", i, ok, err)
			}
		}
		if err := rdb.ZAdd(ctx, prefix+"share:tg-consumer", redis.Z{Score: float64(time.Now().UnixMilli()), Member: dead}).Err(); err != nil {
			t.Fatal(err)
		}
		perShard := make([]atomic.Int32, shards)
		a := share(t, s, "a-1-beef", shards, time.Hour, perShard)
		// Within a few rounds of 2 s, not the hour of the TTL.
		wait.Until(t, "a to take every shard of the gone process", 10*time.Second, func() bool { return a.count() == shards })
	})
}

// TestHoldShareKeepsASlowShardUntilItsWorkReturns: a work that takes longer
// than the lease TTL to finish after it was told to stop keeps its lease
// renewed meanwhile, so the process taking the shard over never works on it
// at the same time.
func TestHoldShareKeepsASlowShardUntilItsWorkReturns(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		const (
			shards = 2
			ttl    = 150 * time.Millisecond
		)
		perShard := make([]atomic.Int32, shards)
		var slowStops atomic.Int32
		run := func(holder string) (stop func()) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- redisstore.HoldShare(ctx, s, "slow", holder, shards, ttl, func(ctx context.Context, shard int) error {
					if perShard[shard].Add(1) > 1 {
						t.Errorf("%s started shard %d while another holder works on it", holder, shard)
					}
					<-ctx.Done()
					// Simulated slow work: finishing what it holds takes
					// longer than the lease's TTL, which is the point.
					time.Sleep(3 * ttl)
					slowStops.Add(1)
					perShard[shard].Add(-1)
					return nil
				})
			}()
			return func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("HoldShare(%s) = %v", holder, err)
				}
			}
		}
		stopA := run("a")
		wait.Until(t, "a works on both shards", 2*time.Second, func() bool { return perShard[0].Load()+perShard[1].Load() == 2 })
		stopB := run("b")
		wait.Until(t, "a gave one shard up and b took it", 5*time.Second, func() bool {
			return slowStops.Load() == 1 && perShard[0].Load() == 1 && perShard[1].Load() == 1
		})
		stopB()
		stopA()
	})
}
