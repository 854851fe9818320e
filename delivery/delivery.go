// Package delivery is the core between the engine and the chat channels:
// what must reach its destination although a process dies or PostgreSQL
// stops answering. It files cases through a write-behind queue, routes the
// engine's notifications to a durable outbox per channel, moves a channel's
// updates between its polling journal and its webhook shards, and runs each
// of these jobs under a Redis lease, so that of several processes sharing
// one Redis exactly one does it.
//
// Channels plug in through function types (Deliver, SendFunc, ShardFunc)
// and a channel's own Run or ServeWebhook: delivery imports no channel
// package, and neither channels nor the engine import delivery.
package delivery

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

// LeaseTTL is how long a dead process can hold a lease (the WhatsApp
// session, the polling, an outbox, the case writer) before another takes
// over: under 30 seconds.
const LeaseTTL = 25 * time.Second

// Gauges is where the core reports what each of its queues owes;
// *metrics.Metrics is one.
type Gauges interface {
	Backlog(name string, count func(ctx context.Context) (int, error))
}

// Config is what New needs.
type Config struct {
	// Redis holds the queues: outboxes, journals, shards, queued cases.
	Redis redis.UniversalClient
	// Prefix starts every queue's key, as it does the states' (REDIS_PREFIX).
	Prefix string
	// States holds the leases and the ticket counters.
	States *redisstore.Store
	// Cases is the case database the queued cases are written to.
	Cases *pgstore.Store
	// Keys seal every queue's messages (updates, journal entries,
	// notifications, queued cases): they hold what citizens typed. Nil
	// stores them as given.
	Keys *pgstore.Keys
	// Location is the office's time zone: it decides a ticket's day.
	Location *time.Location
	// Durable is true on a Redis server, false on the in-process store,
	// which a restart empties: then no update is handed over to a journal.
	Durable bool
	// Gauges, when not nil, gets every queue's backlog.
	Gauges Gauges
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Core is one process's delivery core. It is the engine's Notifier: each
// notification goes to the outbox of its chat's channel.
type Core struct {
	Router
	cfg    Config
	holder string // this process, in leases
	ttl    time.Duration
	log    *slog.Logger
	cases  *CaseQueue
}

// New builds the core on cfg's stores. Nothing runs until its jobs do.
func New(cfg Config) *Core {
	log := cmp.Or(cfg.Log, slog.Default())
	c := &Core{cfg: cfg, holder: redisstore.NewHolder(), ttl: LeaseTTL, log: log}
	// A queued case is sealed whole by CaseQueue itself (sealedField),
	// as it was before every queue was: its queue stores it as given.
	cases := redisstore.NewQueue(cfg.Redis, cfg.Prefix+"{cases}")
	if cfg.Gauges != nil {
		cfg.Gauges.Backlog("cases", cases.Backlog)
	}
	c.cases = &CaseQueue{
		db: cfg.Cases, states: cfg.States, queue: cases,
		keys: cfg.Keys, loc: cfg.Location, timeout: 3 * time.Second, shared: cfg.Durable, log: log,
	}
	return c
}

// Cases files the engine's cases, queueing them while the database is down.
func (c *Core) Cases() *CaseQueue { return c.cases }

// WriteCases writes the queued cases to the database, in one process at a
// time (the lease case-writer), until ctx is done.
func (c *Core) WriteCases(ctx context.Context) error {
	return c.alone(ctx, "case-writer", c.cases.drain)
}

// Journal opens the Redis queue where a channel keeps what it received
// until it was handled (the WhatsApp inbox), its backlog reported as name.
func (c *Core) Journal(name string) *redisstore.Queue { return c.queue(name) }

// Unreachable is what a channel calls when a chat blocked the bot: the
// case database records it, so staff know their messages no longer arrive.
func (c *Core) Unreachable(channel string) func(chatID string) {
	return func(chatID string) {
		if err := c.cfg.Cases.MarkUnreachable(context.Background(), channel, chatID, time.Now()); err != nil {
			c.log.Warn("could not record an unreachable chat", "channel", channel, "err", err)
		}
	}
}

// Reminders runs the engine's daily deadline reminders: it looks every
// minute whether they are due, and the states' once-a-day claim makes one
// process a day send them.
func (c *Core) Reminders(e Reminder) func(ctx context.Context) error {
	return remindEvery(time.Minute, e, c.cfg.States, c.log)
}

// queue opens the Redis queue name ({name} under the prefix), sealed, and
// reports its backlog.
func (c *Core) queue(name string) *redisstore.Queue {
	q := c.sealedQueue(name)
	if c.cfg.Gauges != nil {
		c.cfg.Gauges.Backlog(name, q.Backlog)
	}
	return q
}

// queueField is what every queue's messages are sealed as.
const queueField = "queue"

// sealedQueue opens the Redis queue name with its messages sealed by the
// data keys: updates, journal entries and notifications carry what
// citizens typed. Without keys (plaintext mode, tests) they are stored as
// given.
func (c *Core) sealedQueue(name string) *redisstore.Queue {
	key := c.cfg.Prefix + "{" + name + "}"
	if c.cfg.Keys == nil {
		return redisstore.NewQueue(c.cfg.Redis, key)
	}
	return redisstore.NewQueue(c.cfg.Redis, key, redisstore.SealedWith(c.cfg.Keys, queueField, func(err error) {
		c.log.Error("a queued message no data key opens was set aside; restore its key in DATA_KEYS to recover it", "queue", name, "err", err)
	}))
}

// alone runs work while this process holds the lease name, so that one
// process of those sharing the Redis does it; another takes over within
// the lease's TTL when it dies.
func (c *Core) alone(ctx context.Context, name string, work func(ctx context.Context) error) error {
	return redisstore.HoldLease(ctx, c.cfg.States, name, c.holder, c.ttl, work, func() {
		c.log.Warn("lease lost to another process: this one stands by", "lease", name)
	})
}

// Reminder sends the day's deadline reminders: *conversation.Engine.
type Reminder interface {
	Remind(ctx context.Context, guard conversation.OnceGuard) (bool, error)
}

// remindEvery runs the reminders check every interval until ctx is done;
// the guard makes one process per day do the work.
func remindEvery(interval time.Duration, e Reminder, guard conversation.OnceGuard, log *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if ran, err := e.Remind(ctx, guard); err != nil {
				log.Warn("deadline reminders failed; retrying at the next tick", "err", err)
			} else if ran {
				log.Info("deadline reminders sent")
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}
