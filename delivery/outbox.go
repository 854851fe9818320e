package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/internal/pause"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/redisstore"
)

// Outbox is a channel's notifications waiting in Redis until they were
// sent: any process may queue them (the staff action or submission that
// causes one may be handled anywhere), one process sends them, in order,
// at the channel's pace. The engine's turn is not held up by the pacing,
// and a notification survives a crash until it was sent; one sent just
// before a crash may be sent again.
type Outbox struct {
	core    *Core
	channel string
	q       *redisstore.Queue
	holding atomic.Bool // Session holds the channel's lease
}

// Outbox opens channel's outbox ({<channel>-outbox}) and routes the
// channel's notifications into it. Call it once per channel.
func (c *Core) Outbox(channel string) *Outbox {
	o := &Outbox{core: c, channel: channel, q: c.queue(channel + "-outbox")}
	c.Route(channel, o.push)
	return o
}

// Drainer is the job that hands the outbox's notifications to deliver, in
// one process at a time (the lease <channel>-outbox), until ctx is done:
// for a channel any process can send on (Telegram's Bot API).
func (o *Outbox) Drainer(deliver Deliver) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return o.core.alone(ctx, o.channel+"-outbox", func(ctx context.Context) error {
			drainOutbox(ctx, o.q, deliver, o.core.log)
			return nil
		})
	}
}

// Session is the job of a channel whose connection one process at a time
// may hold (WhatsApp: two would replace each other's stream): it runs run
// under the lease named for the channel, and drains the outbox beside it
// through deliver, so notifications leave through the connection's holder.
// Another process takes over within the lease's TTL when it dies.
func (o *Outbox) Session(run func(ctx context.Context) error, deliver Deliver) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return o.core.alone(ctx, o.channel, func(ctx context.Context) error {
			o.holding.Store(true)
			defer o.holding.Store(false)
			dctx, stop := context.WithCancel(ctx)
			drained := make(chan struct{})
			go func() {
				defer close(drained)
				drainOutbox(dctx, o.q, deliver, o.core.log)
			}()
			err := run(ctx)
			stop()
			<-drained
			return err
		})
	}
}

// Holding reports whether this process holds the channel's session now
// (Session): a process standing by is not expected to be connected.
func (o *Outbox) Holding() bool { return o.holding.Load() }

// outboxItem is a notification waiting in a channel's outbox.
type outboxItem struct {
	ChatID string             `json:"chat"`
	Reply  conversation.Reply `json:"reply"`
}

// push queues a notification for the process that sends on the channel.
func (o *Outbox) push(ctx context.Context, chatID string, r conversation.Reply) error {
	return queueNotification(ctx, o.q, chatID, r)
}

func queueNotification(ctx context.Context, q *redisstore.Queue, chatID string, r conversation.Reply) error {
	raw, err := json.Marshal(outboxItem{ChatID: chatID, Reply: r})
	if err != nil {
		return fmt.Errorf("queue notification: %w", err)
	}
	return q.Push(ctx, raw)
}

// Deliver hands one notification to a channel and calls done once it was
// sent or given up. An error means the channel did not take it.
type Deliver func(ctx context.Context, chatID string, r conversation.Reply, done func()) error

// SendNow delivers through a channel that sends before it returns.
func SendNow(send SendFunc) Deliver {
	return func(ctx context.Context, chatID string, r conversation.Reply, done func()) error {
		if err := send(ctx, chatID, r); err != nil {
			return err
		}
		done()
		return nil
	}
}

// maxDelivering bounds the notifications handed to a channel and not yet
// done, so a channel that cannot send does not pull the whole outbox into
// memory.
const maxDelivering = 1000

// drainOutbox hands queued notifications to deliver, in order, until ctx is
// done. An item is removed once done (sent, or given up by the channel,
// which retries what is worth retrying and logs the rest) or refused; one
// that a stop interrupted stays for the next holder. Run it in one process
// at a time, one that can send on the channel.
func drainOutbox(ctx context.Context, q *redisstore.Queue, deliver Deliver, log *slog.Logger) {
	if n, err := q.Requeue(ctx); err != nil {
		log.Warn("outbox: notifications of a stopped process not put back yet", "err", err)
	} else if n > 0 {
		log.Info("outbox: notifications of a stopped process put back", "count", n)
	}
	slots := make(chan struct{}, maxDelivering)
	ack := func(raw []byte) {
		<-slots
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := q.Ack(actx, raw); err != nil {
			log.Warn("outbox: sent notification not acknowledged; it may be sent again", "err", err)
		}
	}
	wait := pause.Backoff{Min: time.Second, Max: 30 * time.Second}
	for ctx.Err() == nil {
		items, err := q.Pop(ctx, 20, time.Second)
		if err != nil {
			if ctx.Err() == nil {
				delay := wait.Next()
				log.Warn("outbox unreadable, retrying", "err", err, "retry_in", delay)
				pause.For(ctx, delay)
			}
			continue
		}
		wait.Reset()
		for _, raw := range items {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return // unacknowledged: the next holder sends it
			}
			var it outboxItem
			if err := json.Unmarshal(raw, &it); err != nil {
				log.Error("outbox: entry unreadable, dropped", "err", err)
				ack(raw)
				continue
			}
			if err := deliver(ctx, it.ChatID, it.Reply, sync.OnceFunc(func() { ack(raw) })); err != nil {
				if ctx.Err() != nil {
					<-slots
					return // unacknowledged: the next holder sends it
				}
				log.Warn("notification not sent", "chat", services.MaskID(it.ChatID), "err", err)
				ack(raw)
			}
		}
	}
}
