package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/leksono/sapa/store/redisstore"
)

// ShardFunc tells which of shards queues a raw update belongs to: one chat's
// updates always in the same one (telegram.ShardOf).
type ShardFunc func(raw []byte, shards int) (int, error)

// Share runs consume for each shard this process takes on, with a context
// cancelled when it gives the shard up (telegram.WebhookConfig.Consume).
type Share func(ctx context.Context, consume func(ctx context.Context, shard int) error) error

// Inbound is where a channel's updates wait in Redis between the chat app
// and the engine, in either of its two modes: long polling, one process at
// a time, with a journal ({<channel>-updates}) of what it took and did not
// handle yet; or a webhook every process answers, its updates in shards
// ({<channel>-updates-<n>}) that the processes split between them. Each
// mode first moves what the other left, so switching loses nothing.
type Inbound struct {
	core    *Core
	channel string
	journal *redisstore.Queue
	shards  []*redisstore.Queue
	shardOf ShardFunc
	active  atomic.Bool
	log     *slog.Logger
}

// Inbound opens channel's journal and its n webhook shards.
func (c *Core) Inbound(channel string, n int, shardOf ShardFunc) *Inbound {
	in := &Inbound{core: c, channel: channel, shardOf: shardOf, shards: make([]*redisstore.Queue, n),
		journal: c.sealedQueue(channel + "-updates"),
		log:     c.log.With("channel", channel)}
	for i := range in.shards {
		in.shards[i] = c.sealedQueue(fmt.Sprintf("%s-updates-%d", channel, i))
	}
	return in
}

// Journal is the polling mode's journal.
func (in *Inbound) Journal() *redisstore.Queue { return in.journal }

// Shards are the webhook mode's queues, in shard order.
func (in *Inbound) Shards() []*redisstore.Queue { return in.shards }

// Active reports whether this process takes the channel's updates: always
// in webhook mode, while it holds the polling lease in polling mode. One
// standing by for the lease is healthy: it takes over when the poller dies.
func (in *Inbound) Active() bool { return in.active.Load() }

// Backlog counts the updates taken from the chat app and not handled yet:
// inHand in this process, plus what waits in the shards. (The journal is
// not counted: its handled entries are removed lazily.)
func (in *Inbound) Backlog(inHand func() int) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		total := inHand()
		for _, q := range in.shards {
			n, err := q.Backlog(ctx)
			if err != nil {
				return 0, err
			}
			total += n
		}
		return total, nil
	}
}

// Poll is the polling mode's job: one process polls (Telegram answers a
// second poller on one token with 409), under the lease <channel>-poller,
// and another takes over within the lease's TTL when it dies. Holding the lease, it first moves what the webhook shards hold to
// the journal, then runs poll.
func (in *Inbound) Poll(poll func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return in.core.alone(ctx, in.channel+"-poller", func(ctx context.Context) error {
			// Without a Redis server the poller keeps no journal.
			if in.core.cfg.Durable {
				if err := handOver(ctx, in.shards, in.journal.Push, in.log); err != nil {
					in.log.Warn("updates left in the webhook queues not moved yet; they are moved at the next start", "err", err)
				}
			}
			in.active.Store(true)
			defer in.active.Store(false)
			return poll(ctx)
		})
	}
}

// Webhook is the webhook mode's job: it moves what the polling journal
// holds to the shards, then runs serve, which answers the chat app and
// consumes this process's share of the shards: each replica at most its
// fair share, one consumer per shard (the lease <channel>-consumer), so
// each chat's updates are handled in order.
func (in *Inbound) Webhook(serve func(ctx context.Context, consume Share) error) func(ctx context.Context) error {
	in.active.Store(true)
	return func(ctx context.Context) error {
		if err := handOver(ctx, []*redisstore.Queue{in.journal}, func(ctx context.Context, raw []byte) error {
			shard, err := in.shardOf(raw, len(in.shards))
			if err != nil {
				return err
			}
			return in.shards[shard].Push(ctx, raw)
		}, in.log); err != nil {
			in.log.Warn("updates left by long polling not moved yet; they are moved at the next start", "err", err)
		}
		return serve(ctx, func(ctx context.Context, consume func(ctx context.Context, shard int) error) error {
			return redisstore.HoldShare(ctx, in.core.cfg.States, in.channel+"-consumer", in.core.holder, len(in.shards), in.core.ttl, consume)
		})
	}
}

// handOver moves the updates a stopped process left in the other
// mode's Redis queues (taken and not handled, or not taken yet) to put, so
// switching between long polling and webhook loses none: the poll journal's
// go to the webhook shards by chat, the shards' to the journal. Each queue
// keeps its order, so each chat does. An update is removed only after put
// took it; a failure leaves the rest for the next start, and an update put
// twice is dropped by the engine as a repeat. It logs how many it moved.
func handOver(ctx context.Context, from []*redisstore.Queue, put func(ctx context.Context, raw []byte) error, log *slog.Logger) error {
	moved := 0
	for _, q := range from {
		if _, err := q.Requeue(ctx); err != nil {
			return fmt.Errorf("hand over updates: %w", err)
		}
		for {
			msgs, err := q.Pop(ctx, 100, 0)
			if err != nil {
				return fmt.Errorf("hand over updates: %w", err)
			}
			if len(msgs) == 0 {
				break
			}
			for _, m := range msgs {
				if err := put(ctx, m); err != nil {
					return fmt.Errorf("hand over updates: %w", err)
				}
				if err := q.Ack(ctx, m); err != nil {
					return fmt.Errorf("hand over updates: %w", err)
				}
				moved++
			}
		}
	}
	if moved > 0 {
		log.Info("updates moved from the other mode's queues", "updates", moved)
	}
	return nil
}
