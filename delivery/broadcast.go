package delivery

import (
	"context"
	"github.com/leksono/sapa/internal/pause"
	"log/slog"
	"sync"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// BroadcastStore is the durable outbox of broadcasts (announcements,
// consultation results, the office's responses): *pgstore.Store.
type BroadcastStore interface {
	RequeueClaimed(ctx context.Context, channel string) (int, error)
	ClaimBroadcast(ctx context.Context, channel string, now time.Time, limit int) ([]pgstore.BroadcastMessage, error)
	HandBroadcast(ctx context.Context, id int64) error
	MarkBroadcastSent(ctx context.Context, id int64, at time.Time) error
	ReleaseBroadcast(ctx context.Context, id int64) error
}

// TelegramBroadcastRate is the messages a second a broadcast hands to
// Telegram: its limit is about 30 a second for all of the bot's messages,
// and the answers to citizens writing meanwhile need their share. On
// WhatsApp the cap of an unofficial client is WHATSAPP_NOTICES_PER_MINUTE,
// which cmd/bot gives the broadcast. A broadcast of 1,030 takes 41 seconds
// on Telegram and 52 minutes at 20 a minute on WhatsApp.
const TelegramBroadcastRate = 25

// Broadcast is one channel's broadcast sender.
type Broadcast struct {
	Store   BroadcastStore
	Channel string
	// Deliver hands a message to the channel, which paces each chat;
	// done marks it sent.
	Deliver Deliver
	// PerSecond is the most messages a second the broadcast hands to the
	// channel, spread evenly.
	PerSecond float64
	// Idle is how long it waits when nothing is due (default 10 s).
	Idle time.Duration
	// Idled, if set, is called each time nothing is due: every message due
	// was handed over.
	Idled func()
	Now   func() time.Time
	Log   *slog.Logger
}

// broadcastBatch is how many messages are claimed at once: a stop leaves
// at most that many to put back.
const broadcastBatch = 50

// finishWait bounds how long a stopping broadcast waits for the messages
// the channel holds to be confirmed.
const finishWait = 30 * time.Second

// Broadcaster runs b under the lease <channel>-broadcast, in one process at
// a time, until ctx is done.
func (c *Core) Broadcaster(b Broadcast) func(ctx context.Context) error {
	if b.Log == nil {
		b.Log = c.log
	}
	return func(ctx context.Context) error {
		return c.alone(ctx, b.Channel+"-broadcast", b.Run)
	}
}

// Run sends the channel's due broadcast messages until ctx is done, each
// once: messages are claimed in batches, each is marked as handed over
// just before the channel takes it and marked sent when the channel says
// it went out. A stop puts back what was claimed and not handed over, and
// waits for the channel to confirm what it holds, so a restart resumes
// exactly where this one stopped. A process killed outright leaves its
// claimed messages to the next sender, which puts them back; the one or
// few it had handed over may have gone out and are never sent again.
func (b Broadcast) Run(ctx context.Context) error {
	now := b.Now
	if now == nil {
		now = time.Now
	}
	log := b.Log
	if log == nil {
		log = slog.Default()
	}
	idle := b.Idle
	if idle <= 0 {
		idle = 10 * time.Second
	}
	perSecond := b.PerSecond
	if perSecond <= 0 {
		perSecond = 1 // a rate left unset is slow, not unbounded
	}
	gap := time.Duration(float64(time.Second) / perSecond)
	var inFlight sync.WaitGroup
	defer func() {
		waited := make(chan struct{})
		go func() { inFlight.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(finishWait):
			log.Warn("broadcast stopped before the channel confirmed every message; those are not sent again", "channel", b.Channel)
		}
	}()
	// Confirmations outlive the stop: the channel sends what it took. A
	// claim is not cut off halfway either: a batch claimed whose answer
	// was lost would wait for the next sender.
	keep := context.WithoutCancel(ctx)
	if n, err := b.Store.RequeueClaimed(ctx, b.Channel); err != nil {
		log.Warn("broadcast messages a stopped sender claimed not put back yet", "channel", b.Channel, "err", err)
	} else if n > 0 {
		log.Info("broadcast messages a stopped sender claimed put back", "channel", b.Channel, "count", n)
	}
	next := time.Now()
	for ctx.Err() == nil {
		batch, err := b.Store.ClaimBroadcast(keep, b.Channel, now(), broadcastBatch)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("broadcast messages not read, retrying", "channel", b.Channel, "err", err)
				pause.For(ctx, idle)
			}
			continue
		}
		if len(batch) == 0 {
			if b.Idled != nil {
				b.Idled()
			}
			pause.For(ctx, idle)
			continue
		}
		for i, m := range batch {
			if wait := time.Until(next); wait > 0 {
				pause.For(ctx, wait)
			}
			if ctx.Err() != nil {
				b.release(keep, batch[i:], log)
				return nil
			}
			next = time.Now().Add(gap)
			if err := b.Store.HandBroadcast(keep, m.ID); err != nil {
				// Not recorded as handed over: not handed over.
				log.Warn("broadcast paused: a message could not be marked", "channel", b.Channel, "err", err, "retry_in", idle)
				b.release(keep, batch[i:], log)
				pause.For(ctx, idle)
				break
			}
			inFlight.Add(1)
			done := sync.OnceFunc(func() {
				defer inFlight.Done()
				if err := b.Store.MarkBroadcastSent(keep, m.ID, now()); err != nil {
					log.Warn("broadcast message sent but not marked; it is not sent again", "channel", b.Channel, "err", err)
				}
			})
			if err := b.Deliver(ctx, m.ChatID, conversation.Reply{Text: m.Text}, done); err != nil {
				// The channel did not take it (not connected, a stop):
				// it and the rest of the batch wait for a later try.
				inFlight.Done()
				b.release(keep, batch[i:], log)
				if ctx.Err() != nil {
					return nil
				}
				log.Warn("broadcast paused: the channel refused a message", "channel", b.Channel, "chat", services.MaskID(m.ChatID), "err", err, "retry_in", idle)
				pause.For(ctx, idle)
				break
			}
		}
	}
	return nil
}

// release puts back claimed messages that were not handed over.
func (b Broadcast) release(ctx context.Context, msgs []pgstore.BroadcastMessage, log *slog.Logger) {
	for _, m := range msgs {
		if err := b.Store.ReleaseBroadcast(ctx, m.ID); err != nil {
			log.Warn("broadcast message not put back; it is not sent", "channel", b.Channel, "err", err)
		}
	}
}

// Alongside runs jobs beside run, for as long as run runs: a channel's
// broadcast beside the connection only the session's holder has
// (WhatsApp). It returns what run returned.
func Alongside(run func(ctx context.Context) error, jobs ...func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		jctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, job := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := job(jctx); err != nil && jctx.Err() == nil {
					slog.Default().Warn("a job beside the channel stopped", "err", err)
				}
			}()
		}
		err := run(ctx)
		stop()
		wg.Wait()
		return err
	}
}

// Closer closes the consultations whose time is up and queues their
// results: casework.Consultations.
type Closer interface {
	CloseDue(ctx context.Context) (int, error)
}

// ClosingTime runs closer every minute, in one process at a time (the
// lease consultation-closer), until ctx is done: a consultation that
// reaches its closing time gets its result sent as if the office closed it.
func (c *Core) ClosingTime(closer Closer) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return c.alone(ctx, "consultation-closer", func(ctx context.Context) error {
			for ctx.Err() == nil {
				if n, err := closer.CloseDue(ctx); err != nil {
					c.log.Warn("consultations due to close not closed yet", "err", err)
				} else if n > 0 {
					c.log.Info("consultations closed at their time; results queued", "count", n)
				}
				pause.For(ctx, time.Minute)
			}
			return nil
		})
	}
}
