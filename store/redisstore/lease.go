package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/internal/pause"
)

// leaseScript takes a free lease or renews one the caller holds, in one
// round trip. It answers {-1} when the caller holds the lease now, else the
// milliseconds left to the other holder and that holder's name, so a waiter
// can come back right when it expires instead of polling blindly, or take
// it at once from a holder that is provably gone.
//
// KEYS: lease. ARGV: holder, ttl ms.
var leaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	return {-1}
end
if v == ARGV[1] then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return {-1}
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
	left = 0
end
return {left, v}
`)

// takeOverScript gives the lease to the caller if it is still held by the
// holder the caller found gone.
//
// KEYS: lease. ARGV: gone holder, new holder, ttl ms.
var takeOverScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
	return 1
end
return 0
`)

// unleaseScript deletes the lease only if the caller still holds it: a
// holder that lost it must not free the lease of its successor.
var unleaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// ErrLeaseLost is the cause (context.Cause) of the cancellation of the
// work HoldLease runs when the lease was lost: another process may hold it
// now. Work that must not overlap with its successor's (a WhatsApp
// connection: two replace each other's stream) recognises it by its
// TakenOver method and stops at once instead of draining.
var ErrLeaseLost error = leaseLost{}

type leaseLost struct{}

func (leaseLost) Error() string { return "lease lost: another process may hold it" }

// TakenOver reports that another process may do the work now.
func (leaseLost) TakenOver() bool { return true }

func (s *Store) leaseKey(name string) string { return s.prefix + "lease:" + escape(name) }

// Lease takes the lease name for holder for ttl, or renews it when holder
// already has it, atomically (one script, one round trip). It reports
// whether holder holds the lease when it returns. A lease that is not
// renewed expires after ttl, so a process that died frees it by itself; a
// lease whose holder is provably gone (a process of this machine that no
// longer runs, see NewHolder) is taken at once, so a process restarted
// after a crash does not wait for its own predecessor. Holder must be
// unique per process: use NewHolder.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	held, _, err := s.lease(ctx, name, holder, ttl)
	return held, err
}

// lease is Lease that also returns, when another process holds the lease,
// how long it has left.
func (s *Store) lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, time.Duration, error) {
	if holder == "" || ttl < time.Millisecond {
		return false, 0, fmt.Errorf("lease %s: empty holder or ttl %v under 1ms: %w", name, ttl, ErrInvalidKey)
	}
	key := s.leaseKey(name)
	res, err := leaseScript.Run(ctx, s.rdb, []string{key}, holder, ttl.Milliseconds()).Slice()
	if err != nil {
		return false, 0, fmt.Errorf("lease %s: %w", name, err)
	}
	if len(res) == 0 {
		return false, 0, fmt.Errorf("lease %s: empty script reply", name)
	}
	left, _ := res[0].(int64)
	if left < 0 {
		return true, 0, nil
	}
	if len(res) < 2 {
		return false, 0, fmt.Errorf("lease %s: script reply without the holder", name)
	}
	if other, _ := res[1].(string); holderGone(other, holder) {
		took, err := takeOverScript.Run(ctx, s.rdb, []string{key}, other, holder, ttl.Milliseconds()).Int()
		if err != nil {
			return false, 0, fmt.Errorf("lease %s: take over from a process gone: %w", name, err)
		}
		if took == 1 {
			return true, 0, nil
		}
	}
	return false, time.Duration(left) * time.Millisecond, nil
}

// Unlease gives the lease name back if holder holds it, so another process
// can take it at once instead of after its TTL. Giving back a lease one does
// not hold is not an error.
func (s *Store) Unlease(ctx context.Context, name, holder string) error {
	if err := unleaseScript.Run(ctx, s.rdb, []string{s.leaseKey(name)}, holder).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// HoldLease runs work while this process holds the lease name, so that
// exactly one of several processes on one Redis does it (the WhatsApp
// connection of one phone number, the webhook queue's consumer).
//
// It tries to take the lease; while another process holds it, it waits until
// that lease would expire (at most ttl/3) and tries again, so when the holder
// dies another process takes over at most ttl after the holder's last
// renewal. Once it holds the lease it calls onAcquire with a context that is
// cancelled, with the cause ErrLeaseLost, when the lease is lost, and renews
// the lease every ttl/3. The lease counts as lost when a renewal finds
// another holder, or when renewals have failed (Redis unreachable) for half
// of ttl: the next renewal would come too close to the lease's expiry on the
// server, and two holders must never work at once, so the work is stopped
// with a third of ttl to spare before another process can take the lease.
// On loss it cancels work, waits for onAcquire to return, calls onLost (may
// be nil) and starts waiting for the lease again: a lease lost and won back
// runs onAcquire again in the same process.
//
// HoldLease returns nil when ctx is done, after onAcquire returned and the
// lease was given back. When onAcquire returns by itself while the lease is
// held, the lease is given back and HoldLease returns onAcquire's error (nil
// included): the work has ended, there is nothing to hold the lease for.
func HoldLease(ctx context.Context, s *Store, name, holder string, ttl time.Duration, onAcquire func(ctx context.Context) error, onLost func()) error {
	if ttl < 3*time.Millisecond {
		return fmt.Errorf("hold lease %s: ttl %v under 3ms", name, ttl)
	}
	renewEvery := ttl / 3
	for {
		held, left, err := s.lease(ctx, name, holder, ttl)
		if ctx.Err() != nil {
			return nil
		}
		if !held {
			wait := renewEvery
			if err == nil {
				// Come back just after the other holder's lease would end.
				wait = min(left+5*time.Millisecond, renewEvery)
			}
			if !pause.For(ctx, wait) {
				return nil
			}
			continue
		}
		done, workErr := holdWhileRenewed(ctx, s, name, holder, ttl, renewEvery, onAcquire)
		if done {
			// Given back with a fresh context: ctx may be cancelled already.
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			uerr := s.Unlease(uctx, name, holder)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if workErr != nil {
				return workErr
			}
			return uerr
		}
		if onLost != nil {
			onLost()
		}
	}
}

// holdWhileRenewed runs work and renews the lease until work returns (done
// true, with its error), ctx is done (done true) or the lease is lost (done
// false).
func holdWhileRenewed(ctx context.Context, s *Store, name, holder string, ttl, renewEvery time.Duration, work func(context.Context) error) (done bool, err error) {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	finished := make(chan error, 1)
	go func() { finished <- work(wctx) }()

	lastRenewed := time.Now()
	t := time.NewTicker(renewEvery)
	defer t.Stop()
	for {
		select {
		case err := <-finished:
			return true, err
		case <-ctx.Done():
			return true, <-finished
		case <-t.C:
			// A hung Redis must not delay the decision past the next tick.
			rctx, rcancel := context.WithTimeout(ctx, renewEvery/2)
			held, _, err := s.lease(rctx, name, holder, ttl)
			rcancel()
			switch {
			case ctx.Err() != nil:
				return true, <-finished
			case err == nil && held:
				lastRenewed = time.Now()
				continue
			case err != nil && time.Since(lastRenewed) < ttl/2:
				continue // the next renewal still comes well before the lease runs out
			}
			cancel(ErrLeaseLost)
			<-finished
			return false, nil
		}
	}
}
