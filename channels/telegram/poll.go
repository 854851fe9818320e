package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/grace"
)

// Poll tuning.
const (
	// maxOpen bounds the updates taken and not yet handled: past it the
	// poll waits, so a stalled engine cannot make the process hoard
	// Telegram's backlog in memory.
	maxOpen = 1000
	// holdLinger is how long the poll waits for the updates in hand to
	// finish before it journals them: most take a few milliseconds, and
	// one that finishes needs no journal round trip.
	holdLinger = 3 * time.Millisecond
	// ackBatch is how many handled journal entries wait before they are
	// removed on their own; otherwise they go with the next hold, at the
	// first poll with nothing in hand (an entry is a citizen's message,
	// maybe a NIK: it must not outlast the traffic), or at stop.
	ackBatch = 100
)

// Journal keeps the updates the poll has taken and not yet handled, so they
// can be confirmed to Telegram at once instead of after their handling, and
// a slow chat never holds the offset back. Without a journal (the embedded
// store, which a crash loses anyway) the offset stays at the lowest update
// not handled.
type Journal = dispatch.Journal

// Run polls for updates and handles them until ctx is done: each chat's in
// order, one at a time, different chats in parallel, with no barrier
// between polls. An update is confirmed to Telegram (by polling past it)
// only once it was handled or held in the journal. On stop the updates in
// hand get the grace (30 s) to finish, what was handled is confirmed, and
// Run returns nil. Poll and handling failures are logged and retried with
// backoff; they never end Run.
func (b *Bot) Run(ctx context.Context) error {
	b.dropWebhook() // polling with a webhook set fails with 409: webhook.go
	b.log.Info("telegram polling started", "workers", b.workers, "journal", b.journal != nil)
	hctx, release := grace.Context(ctx, b.grace)
	defer release()

	p := &poller{b: b, journal: b.journal, open: make(map[int]*openUpdate), progress: make(chan struct{}, 1), suspects: suspects{}}
	b.polling.Store(p)
	defer b.polling.Store(nil)
	pool := dispatch.NewPool(b.workers)
	defer pool.Close() // after d.Close(): the handlers are done
	d := b.dispatcher(ctx, hctx, pool, p.finished)
	// What a stopped process left in the journal goes first. If the journal
	// does not answer, polling starts anyway and the replay is tried again
	// between polls: those updates are older than anything Telegram holds.
	replayed := p.journal == nil
	var nextReplay time.Time
	replayWait := dispatch.Backoff{Min: b.minBackoff, Max: b.maxBackoff}
	wait := dispatch.Backoff{Min: b.minBackoff, Max: b.maxBackoff}
	confirmed := -1 // the offset Telegram last received
	for ctx.Err() == nil {
		if !replayed && !time.Now().Before(nextReplay) {
			if err := p.replay(ctx, d); err != nil {
				delay := replayWait.Next()
				b.log.Warn("telegram journal: updates of a stopped process not handled yet; trying again", "retry_in", delay, "err", err)
				nextReplay = time.Now().Add(delay)
			} else {
				replayed = true
			}
		}
		offset, ok := p.prepare(ctx)
		if !ok {
			break
		}
		updates, err := b.getUpdates(ctx, tgbotapi.UpdateConfig{
			Offset:         offset,
			Timeout:        b.pollSeconds,
			AllowedUpdates: allowedUpdates,
		})
		if err != nil {
			if ctx.Err() != nil {
				break // the poll was cut short by the stop
			}
			dispatch.Sleep(ctx, b.pollFailureWait(err, &wait))
			continue
		}
		wait.Reset()
		// What the first poll returns was not confirmed by the previous
		// process: it may have handled it and stopped before answering.
		first := confirmed < 0
		confirmed = offset
		for _, u := range p.take(updates) {
			d.Add(chatOf(u), queued{update: u, redelivered: first && p.suspects.mark(u)})
		}
		if !first {
			p.suspects = nil // only the replay and the first poll are suspect
		}
	}
	d.Close()
	offset := p.settle(ctx)
	if offset > confirmed {
		b.confirm(ctx, offset)
	}
	b.log.Info("telegram polling stopped", "offset", offset)
	return nil
}

// Open returns how many polled updates this process has taken and not
// finished: the Telegram backlog of a polling bot (0 when it does not poll).
func (b *Bot) Open() int {
	if p := b.polling.Load(); p != nil {
		return p.count(false)
	}
	return 0
}

// poller tracks the updates the poll has taken: which are still open and
// which of those the journal holds.
type poller struct {
	b       *Bot
	journal Journal

	mu       sync.Mutex
	open     map[int]*openUpdate // taken and not finished, by update id
	unheld   int                 // how many of them the journal does not hold
	highest  int                 // highest update id a poll returned
	lastNew  bool                // the last poll returned an update not taken before
	handled  [][]byte            // journal entries of finished updates, to remove
	progress chan struct{}       // signalled when an update finishes
	suspects suspects            // messages marked redelivered so far; nil after the first poll
}

type openUpdate struct {
	update tgbotapi.Update
	raw    []byte // its journal entry; nil while not held
}

// take returns the updates not taken before, in order, and opens them.
// Telegram returns open ones again while the offset stays below them.
func (p *poller) take(updates []tgbotapi.Update) []tgbotapi.Update {
	p.mu.Lock()
	defer p.mu.Unlock()
	var fresh []tgbotapi.Update
	for _, u := range updates {
		if _, open := p.open[u.UpdateID]; open || u.UpdateID <= p.highest {
			continue
		}
		p.highest = u.UpdateID
		p.open[u.UpdateID] = &openUpdate{update: u}
		p.unheld++
		fresh = append(fresh, u)
	}
	p.lastNew = len(fresh) > 0
	return fresh
}

// finished is the dispatcher's report that u needs no more work: handled,
// or given up.
func (p *poller) finished(u queued) {
	p.mu.Lock()
	if o, ok := p.open[u.update.UpdateID]; ok {
		if o.raw != nil {
			p.handled = append(p.handled, o.raw)
		} else {
			p.unheld--
		}
		delete(p.open, u.update.UpdateID)
	}
	p.mu.Unlock()
	select {
	case p.progress <- struct{}{}:
	default:
	}
}

// waitProgress waits until an update finishes, d passes or ctx ends.
func (p *poller) waitProgress(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.progress:
	case <-t.C:
	case <-ctx.Done():
	}
}

// prepare waits until the next poll is worth making and returns its offset:
// above every update taken when the journal holds the open ones, else the
// lowest open one (Telegram then returns the open ones again, which take
// skips). It reports false when ctx ended.
func (p *poller) prepare(ctx context.Context) (int, bool) {
	for p.count(false) >= maxOpen && ctx.Err() == nil {
		p.waitProgress(ctx, time.Second)
	}
	if ctx.Err() != nil {
		return 0, false
	}
	if p.journal == nil {
		p.mu.Lock()
		idle := len(p.open) > 0 && !p.lastNew
		p.mu.Unlock()
		if idle {
			// The last poll brought only updates in hand: asking again
			// at once would return the same ones.
			p.waitProgress(ctx, 250*time.Millisecond)
		}
		return p.lowestUnheld(), ctx.Err() == nil
	}
	deadline := time.Now().Add(holdLinger)
	for p.count(true) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		p.waitProgress(ctx, left)
	}
	p.hold(ctx)
	return p.lowestUnheld(), ctx.Err() == nil
}

// count returns how many updates are open; unheld counts only those the
// journal does not hold.
func (p *poller) count(unheld bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if unheld {
		return p.unheld
	}
	return len(p.open)
}

// lowestUnheld is the offset that confirms only what is handled or held.
func (p *poller) lowestUnheld() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	lowest := math.MaxInt
	for id, o := range p.open {
		if o.raw == nil {
			lowest = min(lowest, id)
		}
	}
	if lowest == math.MaxInt {
		return p.highest + 1
	}
	return lowest
}

// hold journals the open updates not held yet, and removes the entries of
// finished ones when there are enough of them, anything is to be held, or
// nothing is in hand. A failure leaves them unheld: the offset then stays
// below them.
func (p *poller) hold(ctx context.Context) {
	p.mu.Lock()
	var (
		taken   [][]byte
		entries []*openUpdate
	)
	for _, o := range p.open {
		if o.raw != nil {
			continue
		}
		raw, err := json.Marshal(o.update)
		if err != nil {
			p.b.log.Error("telegram update not journaled: cannot encode it", "update", o.update.UpdateID, "err", err)
			continue
		}
		o.raw = raw
		p.unheld--
		taken = append(taken, raw)
		entries = append(entries, o)
	}
	var handled [][]byte
	idle := len(p.open) == 0
	if len(taken) > 0 || len(p.handled) >= ackBatch || (idle && len(p.handled) > 0) {
		handled, p.handled = p.handled, nil
	}
	p.mu.Unlock()
	if len(taken) == 0 && len(handled) == 0 {
		return
	}
	if err := p.journal.Hold(ctx, taken, handled); err != nil {
		p.b.log.Warn("telegram journal unavailable; the offset waits for the updates in hand", "updates", len(taken), "err", err)
		p.mu.Lock()
		for _, o := range entries {
			if _, ok := p.open[o.update.UpdateID]; ok {
				o.raw = nil
				p.unheld++
			}
		}
		p.handled = append(p.handled, handled...)
		p.mu.Unlock()
	}
}

// replay hands the dispatcher what the journal holds from a process that
// stopped before handling it. Those updates are older than anything
// Telegram still has, so they go first. An update already open (a replay
// that failed halfway and is tried again) is not handed over twice.
func (p *poller) replay(ctx context.Context, d *dispatch.Dispatcher[int64, queued]) error {
	n, err := dispatch.Replay(ctx, p.journal, func(m []byte) {
		var u tgbotapi.Update
		if err := json.Unmarshal(m, &u); err != nil {
			p.b.log.Error("telegram journal: entry is not an update, dropped", "err", err)
			p.mu.Lock()
			p.handled = append(p.handled, m)
			p.mu.Unlock()
			return
		}
		p.mu.Lock()
		if _, open := p.open[u.UpdateID]; open {
			p.mu.Unlock()
			return
		}
		// Replayed updates are open, not "taken by a poll": Telegram
		// may still return some, and take skips the open ones.
		p.open[u.UpdateID] = &openUpdate{update: u, raw: m}
		p.mu.Unlock()
		d.Add(chatOf(u), queued{update: u, raw: m, redelivered: p.suspects.mark(u)})
	})
	if n > 0 {
		p.b.log.Info("telegram journal: updates a stopped process had taken handed over", "updates", n)
	}
	return err
}

// settle runs after the stop: it removes the journal entries of finished
// updates and returns the offset to confirm.
func (p *poller) settle(ctx context.Context) int {
	if p.journal != nil {
		p.mu.Lock()
		handled := p.handled
		p.handled = nil
		p.mu.Unlock()
		if len(handled) > 0 {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := p.journal.Hold(cctx, nil, handled); err != nil {
				p.b.log.Warn("telegram journal: handled entries not removed; they are handled again (and ignored) at the next start", "err", err)
			}
		}
	}
	return p.lowestUnheld()
}

// confirm tells Telegram the updates below offset are done with. Telegram
// confirms on the next getUpdates with a higher offset; without this call
// a stop would make it redeliver the last ones (harmless, the engine
// deduplicates, but wasteful).
func (b *Bot) confirm(ctx context.Context, offset int) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// Limit 1 and no timeout: the answer is immediate and its one update,
	// if any, stays unconfirmed for the next start.
	if _, err := b.getUpdates(cctx, tgbotapi.UpdateConfig{Offset: offset, Limit: 1, AllowedUpdates: allowedUpdates}); err != nil {
		b.log.Warn("telegram confirm on stop failed; the last updates will be delivered again", "offset", offset, "err", fmt.Errorf("confirm: %w", err))
	}
}
