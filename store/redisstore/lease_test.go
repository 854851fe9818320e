package redisstore_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/internal/wait"
	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/store/redisstore"
)

func TestLeaseTakeRenewRelease(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, advance := newStore(t, be)
		ctx := context.Background()
		take := func(holder string, ttl time.Duration) bool {
			t.Helper()
			ok, err := s.Lease(ctx, "whatsapp:628123", holder, ttl)
			if err != nil {
				t.Fatalf("Lease(%s): %v", holder, err)
			}
			return ok
		}
		if !take("a", 400*time.Millisecond) {
			t.Fatal("a free lease was refused")
		}
		if take("b", 400*time.Millisecond) {
			t.Fatal("b took a lease a holds")
		}
		advance(250 * time.Millisecond)
		if !take("a", 400*time.Millisecond) {
			t.Fatal("the holder could not renew")
		}
		// The renewal moved the expiry: 250 ms later the original TTL is
		// over but the renewed one is not.
		advance(250 * time.Millisecond)
		if take("b", 400*time.Millisecond) {
			t.Fatal("b took the lease although a renewed it")
		}
		advance(300 * time.Millisecond)
		if !take("b", 400*time.Millisecond) {
			t.Fatal("b could not take a lease that expired")
		}
		// a no longer holds it: its Unlease must not free b's lease.
		if err := s.Unlease(ctx, "whatsapp:628123", "a"); err != nil {
			t.Fatal(err)
		}
		if take("a", 400*time.Millisecond) {
			t.Fatal("a's Unlease freed b's lease")
		}
		if err := s.Unlease(ctx, "whatsapp:628123", "b"); err != nil {
			t.Fatal(err)
		}
		if !take("a", 400*time.Millisecond) {
			t.Fatal("the lease b gave back was not free")
		}
		if _, err := s.Lease(ctx, "x", "", time.Second); !errors.Is(err, redisstore.ErrInvalidKey) {
			t.Errorf("Lease with an empty holder = %v, want ErrInvalidKey", err)
		}
	})
}

// holding runs HoldLease for holder in the background and reports whether
// its work is running.
type holding struct {
	running atomic.Bool
	started atomic.Int32
	lost    atomic.Int32
	stop    context.CancelFunc
	done    chan error
}

func hold(t *testing.T, s *redisstore.Store, holder string, ttl time.Duration, overlap *atomic.Int32) *holding {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &holding{stop: cancel, done: make(chan error, 1)}
	go func() {
		h.done <- redisstore.HoldLease(ctx, s, "whatsapp:628123", holder, ttl, func(ctx context.Context) error {
			if overlap != nil && overlap.Add(1) > 1 {
				t.Errorf("%s started while another holder works", holder)
			}
			h.started.Add(1)
			h.running.Store(true)
			<-ctx.Done()
			h.running.Store(false)
			if overlap != nil {
				overlap.Add(-1)
			}
			return nil
		}, func() { h.lost.Add(1) })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Errorf("HoldLease(%s) did not return within 5s of its stop", holder)
		}
	})
	return h
}

func TestHoldLeaseOneHolderAndHandover(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, _, _ := newStore(t, be)
		var overlap atomic.Int32
		a := hold(t, s, "a", 300*time.Millisecond, &overlap)
		wait.Until(t, "a holds", 2*time.Second, a.running.Load)
		triedB := leaseAttempts(rdb, "b")
		b := hold(t, s, "b", 300*time.Millisecond, &overlap)
		// b tries several times while a renews: a keeps it, b waits.
		wait.Until(t, "b to try three times", 5*time.Second, func() bool { return triedB.Load() >= 3 })
		if !a.running.Load() || b.running.Load() {
			t.Fatalf("a running %v, b running %v: want a only", a.running.Load(), b.running.Load())
		}
		a.stop()
		if err := <-a.done; err != nil {
			t.Errorf("HoldLease(a) = %v after its stop, want nil", err)
		}
		a.done <- nil // for the cleanup
		// a gave the lease back: b gets it at its next try, within ttl/3.
		wait.Until(t, "b takes over", 300*time.Millisecond, b.running.Load)
		if a.lost.Load() != 0 || b.lost.Load() != 0 {
			t.Errorf("lost calls a=%d b=%d, want none", a.lost.Load(), b.lost.Load())
		}
	})
}

// TestHoldLeaseTakesOverFromDeadHolder: a holder that stops renewing (a
// killed process) loses the lease when its TTL runs out, and the waiting
// process takes over then.
func TestHoldLeaseTakesOverFromDeadHolder(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, _, advance := newStore(t, be)
		ctx := context.Background()
		const ttl = 300 * time.Millisecond
		if ok, err := s.Lease(ctx, "whatsapp:628123", "dead", ttl); !ok || err != nil {
			t.Fatalf("Lease(dead) = %v, %v", ok, err)
		}
		triedB := leaseAttempts(rdb, "b")
		b := hold(t, s, "b", ttl, nil)
		// A second try comes only after a first that failed.
		wait.Until(t, "b to try twice", 5*time.Second, func() bool { return triedB.Load() >= 2 })
		if b.running.Load() {
			t.Fatal("b works while the dead holder's lease is still valid")
		}
		advance(ttl)
		wait.Until(t, "b takes over after the TTL", 2*time.Second, b.running.Load)
	})
}

// TestHoldLeaseStopsWorkWhenLost: a holder whose lease was taken (it expired
// during a long pause and another process took it) stops its work at the
// next renewal and calls onLost.
func TestHoldLeaseStopsWorkWhenLost(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		a := hold(t, s, "a", 300*time.Millisecond, nil)
		wait.Until(t, "a holds", 2*time.Second, a.running.Load)
		if err := rdb.Set(context.Background(), prefix+"lease:whatsapp%3A628123", "thief", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		wait.Until(t, "a stops", time.Second, func() bool { return !a.running.Load() && a.lost.Load() == 1 })
		if a.started.Load() != 1 {
			t.Errorf("a started %d times, want 1 (the thief still holds the lease)", a.started.Load())
		}
	})
}

// TestHoldLeaseReturnsWorkError: work that ends by itself ends HoldLease
// with its error and frees the lease.
func TestHoldLeaseReturnsWorkError(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		boom := errors.New("logged out")
		err := redisstore.HoldLease(context.Background(), s, "wa", "a", time.Second,
			func(context.Context) error { return boom }, nil)
		if !errors.Is(err, boom) {
			t.Fatalf("HoldLease = %v, want the work's error", err)
		}
		if ok, err := s.Lease(context.Background(), "wa", "b", time.Second); !ok || err != nil {
			t.Errorf("the lease was not given back: Lease(b) = %v, %v", ok, err)
		}
	})
}

// TestLeaseOfAGoneProcessIsTakenAtOnce: after a crash and an immediate
// restart, the new process stood by for about 20 seconds until its dead
// predecessor's polling lease expired. A lease whose holder is provably
// gone (this machine, no process with its pid, or this process's own pid
// under another name) is taken at once; one that may be alive is not.
func TestLeaseOfAGoneProcessIsTakenAtOnce(t *testing.T) {
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	self := redisstore.NewHolder()
	deadPid := exited.ProcessState.Pid()
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		ctx := context.Background()
		for _, tc := range []struct {
			name, holder string
			takenAtOnce  bool
		}{
			{"a process of this machine that exited", withPid(self, deadPid), true},
			{"a predecessor with this process's pid", withPid(self, os.Getpid()) + "0", true},
			{"a running process of this machine", withPid(self, os.Getppid()), false},
			{"a process of another machine", withPid("elsewhere@0123456789ab.4026531836-1-beef", deadPid), false},
			{"a name without the machine's boot and namespace", withPid("vm-1-beef", deadPid), false},
			{"a name that is no holder name", "dead", false},
		} {
			lease := "poller-" + strings.ReplaceAll(tc.name, " ", "-")
			if ok, err := s.Lease(ctx, lease, tc.holder, time.Minute); !ok || err != nil {
				t.Fatalf("%s: Lease = %v, %v", tc.name, ok, err)
			}
			ok, err := s.Lease(ctx, lease, self, time.Minute)
			if err != nil || ok != tc.takenAtOnce {
				t.Errorf("%s: taken at once = %v (%v), want %v", tc.name, ok, err, tc.takenAtOnce)
			}
		}
	})
}

// withPid is holder with its pid replaced by pid.
func withPid(holder string, pid int) string {
	random := holder[strings.LastIndex(holder, "-"):]
	machine := holder[:strings.LastIndex(holder, "-")]
	machine = machine[:strings.LastIndex(machine, "-")]
	return machine + "-" + strconv.Itoa(pid) + random
}

// TestHoldLeaseGivesItBackOnStop: a graceful stop releases the lease, so
// the next process takes it at once rather than after the TTL.
func TestHoldLeaseGivesItBackOnStop(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		a := hold(t, s, "a", time.Minute, nil)
		wait.Until(t, "a holds", 2*time.Second, a.running.Load)
		a.stop()
		if err := <-a.done; err != nil {
			t.Fatalf("HoldLease(a) = %v after its stop", err)
		}
		a.done <- nil // for the cleanup
		if ok, err := s.Lease(context.Background(), "whatsapp:628123", "b", time.Minute); !ok || err != nil {
			t.Errorf("after a graceful stop the lease is still held: Lease(b) = %v, %v", ok, err)
		}
	})
}

// cutHook fails every command while cut is set: Redis unreachable from one
// process only.
type cutHook struct{ cut *atomic.Bool }

func (h cutHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h cutHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.cut.Load() {
			return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
		}
		return next(ctx, cmd)
	}
}

func (h cutHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.cut.Load() {
			return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
		}
		return next(ctx, cmds)
	}
}

// TestHoldLeaseLostToAnOutageStopsBeforeTheSuccessor: a holder that cannot
// reach Redis stops its work, with the cause ErrLeaseLost, before the lease
// can expire on the server, so its successor never starts while it still
// works (a WhatsApp connection kept open then would be replaced by the
// successor's, a false "stream replaced"). Once Redis is back the holder
// waits for the lease again, and wins it back in the same process.
func TestHoldLeaseLostToAnOutageStopsBeforeTheSuccessor(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		_, rdb, prefix, advance := newStore(t, be)
		var cut atomic.Bool
		cutClient := redis.NewClient(rdb.(*redis.Client).Options())
		cutClient.AddHook(cutHook{cut: &cut})
		t.Cleanup(func() { _ = cutClient.Close() })
		sa := redisstore.New(cutClient, prefix)
		sb := redisstore.New(rdb, prefix)

		const ttl = 600 * time.Millisecond
		var overlap atomic.Int32
		causes := make(chan error, 4)
		var stopped atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		aStarted := make(chan struct{}, 4)
		aDone := make(chan error, 1)
		go func() {
			aDone <- redisstore.HoldLease(ctx, sa, "whatsapp:628123", "a", ttl, func(ctx context.Context) error {
				if overlap.Add(1) > 1 {
					t.Errorf("a started while b works")
				}
				aStarted <- struct{}{}
				<-ctx.Done()
				stopped.Store(time.Now().UnixNano())
				causes <- context.Cause(ctx)
				overlap.Add(-1)
				return nil
			}, nil)
		}()
		<-aStarted
		b := hold(t, sb, "b", ttl, &overlap)

		cut.Store(true)
		wait.Until(t, "b takes over once a's lease expired", 5*time.Second, func() bool {
			advance(5 * time.Millisecond) // miniredis's clock moves only when told
			return b.running.Load()
		})
		// a stopped with time to spare (disconnecting takes a moment), not
		// just before b could start.
		if margin := time.Since(time.Unix(0, stopped.Load())); margin < ttl/6 {
			t.Errorf("a stopped only %v before b started, want at least %v", margin, ttl/6)
		}
		cause := <-causes
		var taken interface{ TakenOver() bool }
		if !errors.Is(cause, redisstore.ErrLeaseLost) || !errors.As(cause, &taken) || !taken.TakenOver() {
			t.Errorf("a's work ended with cause %v, want ErrLeaseLost", cause)
		}

		cut.Store(false)
		b.stop()
		select {
		case <-aStarted:
		case <-time.After(5 * time.Second):
			t.Fatal("a did not win the lease back in the same process")
		}
		cancel()
		if err := <-aDone; err != nil {
			t.Errorf("HoldLease(a) = %v", err)
		}
	})
}
