package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/internal/pause"
)

// memberScript records holder as alive now, forgets members silent for a
// ttl, and returns how many are alive, in one round trip.
//
// KEYS: members (a sorted set: holder -> last heartbeat ms). ARGV: holder,
// now ms, ttl ms.
var memberScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('ZCARD', KEYS[1])
`)

// HoldShare spreads shards of one kind of work over the processes on one
// Redis: the consumers of the webhook's queue shards, say, so every replica
// handles chats and each chat (always in the same shard) is still handled
// by one process at a time, in order.
//
// Each process announces itself every ttl/3 (at most 2 s), and holds at most its fair
// share of the shard leases, ceil(shards / processes alive). It runs work
// for each shard it holds, with a context that ends when the shard is given
// up: when a process joins and the share shrinks (the shard is released as
// soon as its work returned, for the newcomer to take), when a renewal
// finds another holder, or when renewals failed for 2/3 of ttl (the lease
// may be about to expire on the server, and two holders must never work at
// once). A process that dies frees its shards after ttl. Shard leases are
// named name/0, name/1, ...
//
// A shard given up stays leased, and its lease renewed, until its work has
// returned: a consumer may take a moment to finish what it holds, and
// nobody else may start on the shard meanwhile.
//
// HoldShare returns nil when ctx is done, after every work returned and its
// lease was given back. A work that returns by itself is started again at
// the next round while its shard is held.
func HoldShare(ctx context.Context, s *Store, name, holder string, shards int, ttl time.Duration, work func(ctx context.Context, shard int) error) error {
	if shards < 1 || ttl < 3*time.Millisecond || holder == "" {
		return fmt.Errorf("hold share %s: %d shards, ttl %v, holder %q: %w", name, shards, ttl, holder, ErrInvalidKey)
	}
	h := &shareHolder{s: s, name: name, holder: holder, ttl: ttl, work: work, held: map[int]*heldShard{}}
	// Rounds of at most 2 s, whatever the TTL: a process joining waits for
	// the others to notice it and make room, so they must look often.
	round := min(ttl/3, 2*time.Second)
	// While shards change hands a process comes back sooner: below its
	// share to take freed ones, with shards being given up to free them as
	// soon as their work returned. A handover then takes a fraction of a
	// second instead of a round.
	moving := min(round, 200*time.Millisecond)
	for ctx.Err() == nil {
		wait := round
		if h.round(ctx, shards) {
			wait = moving
		}
		pause.For(ctx, wait)
	}
	// Give everything up, renewing what is still being finished.
	uctx := context.WithoutCancel(ctx)
	for i := range h.held {
		h.giveUp(i, true)
	}
	for len(h.held) > 0 {
		h.renew(uctx)
		if len(h.held) > 0 {
			h.waitAny(round)
		}
	}
	rctx, cancel := context.WithTimeout(uctx, 5*time.Second)
	defer cancel()
	_ = s.rdb.ZRem(rctx, s.prefix+"share:"+escape(name), holder).Err() // else it ages out after ttl
	return nil
}

type shareHolder struct {
	s            *Store
	name, holder string
	ttl          time.Duration
	work         func(ctx context.Context, shard int) error
	held         map[int]*heldShard
}

type heldShard struct {
	cancel      context.CancelFunc
	done        chan struct{}
	lastRenewed time.Time
	stopping    bool // cancelled; the lease goes when the work has returned
	release     bool // give the lease back then (false: it was lost)
}

func (h *shareHolder) shardName(i int) string { return h.name + "/" + strconv.Itoa(i) }

// round announces this process, renews what it holds, gives up what is
// beyond its share and takes free shards up to it. It reports whether
// shards are changing hands: this process holds less than its share, or
// is giving some up.
func (h *shareHolder) round(ctx context.Context, shards int) (moving bool) {
	members, err := memberScript.Run(ctx, h.s.rdb, []string{h.s.prefix + "share:" + escape(h.name)},
		h.holder, time.Now().UnixMilli(), h.ttl.Milliseconds()).Int()
	if err != nil || members < 1 {
		members = 1 // unknown: keep what is held, renewals decide
	}
	if members > 1 {
		members -= h.forgetGone(ctx)
	}
	share := (shards + members - 1) / members

	h.renew(ctx)
	active := 0
	for _, sh := range h.held {
		if !sh.stopping {
			active++
		}
	}
	for i, sh := range h.held {
		if active <= share {
			break
		}
		if !sh.stopping {
			h.giveUp(i, true)
			active--
		}
	}
	// Shards being finished count: taking new ones before they are gone
	// would hold more than the share.
	stopping := len(h.held) > active
	if len(h.held) >= share {
		return stopping
	}
	// Start at a random shard, so processes starting together do not all
	// race for shard 0.
	first := rand.IntN(shards)
	for k := 0; k < shards && len(h.held) < share; k++ {
		i := (first + k) % shards
		if _, mine := h.held[i]; mine {
			continue
		}
		ok, _, err := h.s.lease(ctx, h.shardName(i), h.holder, h.ttl)
		if err != nil || !ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		sh := &heldShard{cancel: cancel, done: make(chan struct{}), lastRenewed: time.Now()}
		h.held[i] = sh
		go func() {
			defer close(sh.done)
			_ = h.work(wctx, i) // the work logs its own failures; it is started again next round
		}()
	}
	return stopping || len(h.held) < share
}

// forgetGone removes from the members the processes provably gone (see
// holderGone), so that a restarted process takes its dead predecessor's
// share at once instead of after the ttl, and returns how many it removed.
func (h *shareHolder) forgetGone(ctx context.Context) int {
	key := h.s.prefix + "share:" + escape(h.name)
	all, err := h.s.rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return 0 // they age out after the ttl
	}
	gone := 0
	for _, m := range all {
		if holderGone(m, h.holder) && h.s.rdb.ZRem(ctx, key, m).Err() == nil {
			gone++
		}
	}
	return gone
}

// renew renews every held lease and lets go of shards whose work returned:
// given-up ones are unleased, the others are taken again by the next round.
func (h *shareHolder) renew(ctx context.Context) {
	now := time.Now()
	for i, sh := range h.held {
		select {
		case <-sh.done:
			delete(h.held, i)
			if sh.release || !sh.stopping {
				uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				_ = h.s.Unlease(uctx, h.shardName(i), h.holder) // else it expires after ttl
				cancel()
			}
			continue
		default:
		}
		ok, _, err := h.s.lease(ctx, h.shardName(i), h.holder, h.ttl)
		switch {
		case err == nil && ok:
			sh.lastRenewed = now
		case err != nil && now.Sub(sh.lastRenewed) < 2*h.ttl/3:
			// Redis may be back before the lease runs out.
		default:
			// Another holder, or too long unrenewed: stop at once.
			sh.cancel()
			sh.stopping, sh.release = true, false
		}
	}
}

// giveUp cancels the work of shard i; its lease is kept until it returned.
func (h *shareHolder) giveUp(i int, release bool) {
	sh := h.held[i]
	if sh.stopping {
		return
	}
	sh.cancel()
	sh.stopping, sh.release = true, release
}

// waitAny waits until one held shard's work returns, or d.
func (h *shareHolder) waitAny(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for _, sh := range h.held {
		select {
		case <-sh.done:
			return
		case <-t.C:
			return
		}
	}
}
