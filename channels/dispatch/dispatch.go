// Package dispatch is the runtime every chat channel shares, so that a
// channel package holds only what is its platform's: its wire format, its
// client, its rendering.
//
//   - Dispatcher hands each chat's messages to a handler in order and one at
//     a time, different chats in parallel on a bounded Pool; it retries a
//     failed message after a backoff without holding a worker, gives it up
//     after bounded attempts (the GiveUp hook), and drains on stop.
//   - Journal is where a channel keeps what it took and has not finished, so
//     a crash loses none; Replay hands it to the next process.
//   - Pacer spaces the sends to each chat and caps them overall.
//   - Clock, Sleep, Backoff and Guard are the small parts they share.
//
// A channel is then its translation (platform message to
// conversation.Inbound), its sending, and a Dispatcher fed by its source.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/leksono/sapa/services"
)

// Config configures a Dispatcher of messages of type T in chats keyed by K.
type Config[K comparable, T any] struct {
	// Name begins the log lines about a message, e.g. "telegram update".
	Name string
	// Handle handles one message of a chat. An error makes the message be
	// tried again after a backoff, the chat's later messages waiting behind
	// it; a panic is an error too (see Guard).
	Handle func(ctx context.Context, chat K, msg T) error
	// Finished, if set, is called once for every message handled or given
	// up, on a worker, before the chat's next message starts. A message left
	// unhandled at the stop is not reported: its source must deliver it
	// again (a journal, an unconfirmed offset).
	Finished func(chat K, msg T)
	// GiveUp, if set, is called for a message given up because its attempts
	// are used up, before Finished: the place to park it in a dead-letter
	// list and tell someone. The chat's next message starts after it.
	GiveUp func(ctx context.Context, chat K, msg T, attempts int, err error)
	// MaxAttempts bounds the attempts at a message whose handling fails:
	// once they are used up it is given up. 0 tries a message that fails
	// with an error until it succeeds or the stop, so an outage of the
	// storage loses nothing.
	MaxAttempts int
	// Transient, if set, tells the failures that are no fault of the
	// message (its storage down: conversation.ErrUnavailable): they are
	// tried again without counting against MaxAttempts, for as long as
	// the outage lasts. A panic is never transient.
	Transient func(error) bool
	// MaxPanics bounds the attempts at a message whose handling panics,
	// counting every failed attempt: one that always crashes the handler
	// must not hold its chat forever. 0 leaves panics to MaxAttempts.
	MaxPanics int
	// Backoff spaces the attempts at a failed message: Min after the first
	// failure, doubling up to Max.
	Backoff Backoff
	// Clock times the backoff; nil is Wall.
	Clock Clock
	// Log receives what went wrong; nil is slog.Default().
	Log *slog.Logger
}

// Dispatcher hands messages to Config.Handle as they arrive: each chat's in
// order and one at a time, different chats in parallel on the pool's
// workers. There is no batch barrier: a slow chat (a case written to a slow
// database, a photo downloaded) holds up only itself, and the source keeps
// adding while it works. A chat with more messages waiting goes back behind
// the chats already waiting after each one, so a chat that sends fast does
// not keep a worker to itself.
type Dispatcher[K comparable, T any] struct {
	cfg        Config[K, T]
	stop, work context.Context
	pool       *Pool
	clock      Clock
	log        *slog.Logger

	mu      sync.Mutex
	lines   map[K]*line[K, T] // chats with messages in hand
	spare   []*line[K, T]     // ended lines, kept to be reused
	closed  bool
	dropped int       // messages left unhandled at the stop
	idle    sync.Cond // signalled when lines empties
}

// line is one chat's messages in hand, the head being handled or retried.
// It is either waiting in the pool, running, or waiting out a backoff:
// never two of these at once, so only one goroutine touches it.
type line[K comparable, T any] struct {
	d        *Dispatcher[K, T]
	chat     K
	queue    []T
	head     int // queue[head:] are in hand
	attempts int // failed attempts at the head
	wait     Backoff
}

func (l *line[K, T]) run() { l.d.next(l) }

// New returns a dispatcher that handles messages on pool; dispatchers
// sharing a pool share its workers. Once stop is done no message starts:
// the messages still waiting are dropped unhandled and a failure is not
// retried. work is the context handlers get; it may outlive stop by a grace
// (channels/grace), so the messages in hand can finish.
func New[K comparable, T any](stop, work context.Context, pool *Pool, cfg Config[K, T]) *Dispatcher[K, T] {
	d := &Dispatcher[K, T]{
		cfg: cfg, stop: stop, work: work, pool: pool,
		clock: cfg.Clock, log: cfg.Log,
		lines: make(map[K]*line[K, T]),
	}
	if d.clock == nil {
		d.clock = Wall
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	d.idle.L = &d.mu
	return d
}

// Add queues msg behind its chat's earlier messages, and schedules the chat
// when it had none in hand. It never blocks. It reports false, and queues
// nothing, once the dispatcher is closed.
func (d *Dispatcher[K, T]) Add(chat K, msg T) bool {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return false
	}
	l, running := d.lines[chat]
	if !running {
		if n := len(d.spare); n > 0 {
			l, d.spare = d.spare[n-1], d.spare[:n-1]
		} else {
			l = &line[K, T]{d: d}
		}
		l.chat, l.wait = chat, d.cfg.Backoff
		d.lines[chat] = l
	}
	l.queue = append(l.queue, msg)
	d.mu.Unlock()
	if !running {
		d.pool.submit(l)
	}
	return true
}

// next handles the head of l on a worker. With more of the chat waiting it
// schedules the chat again, behind the chats already waiting. A failing
// head is tried again after a backoff (its storage unreachable): a later
// message of the chat must not overtake it. At the stop, the line is
// dropped unhandled.
func (d *Dispatcher[K, T]) next(l *line[K, T]) {
	d.mu.Lock()
	if d.stop.Err() != nil {
		d.endLocked(l)
		d.mu.Unlock()
		return
	}
	msg := l.queue[l.head]
	d.mu.Unlock()

	l.attempts++
	err := d.handle(l.chat, msg)
	if err != nil && d.transient(err) {
		l.attempts-- // an outage is no attempt of the message's own
	}
	if err != nil && !d.givenUp(l, msg, err) {
		if d.stop.Err() != nil {
			d.log.Warn(d.cfg.Name+" not handled before the stop", "chat", mask(l.chat), "err", err)
			d.end(l)
			return
		}
		delay := l.wait.Next()
		d.log.Warn(d.cfg.Name+" not handled, trying again", "chat", mask(l.chat), "attempt", l.attempts, "retry_in", delay, "err", err)
		// The wait must not hold a worker: other chats go on meanwhile.
		go d.retry(l, delay)
		return
	}
	l.attempts = 0
	l.wait.Reset()
	if d.cfg.Finished != nil {
		d.cfg.Finished(l.chat, msg) // before the line can end: Close covers it
	}
	d.mu.Lock()
	var zero T
	l.queue[l.head] = zero // the message is not kept alive by the line
	l.head++
	more := l.head < len(l.queue)
	if !more {
		d.endLocked(l)
	}
	d.mu.Unlock()
	if more {
		d.pool.submit(l)
	}
}

// handle runs Config.Handle, a panic in it turned into a *PanicError and
// logged with its stack.
func (d *Dispatcher[K, T]) handle(chat K, msg T) error {
	_, err := Guard(func() (struct{}, error) { return struct{}{}, d.cfg.Handle(d.work, chat, msg) })
	if p, ok := errors.AsType[*PanicError](err); ok {
		d.log.Error(d.cfg.Name+": handler panicked", "chat", mask(chat), "panic", p.Value, "stack", string(p.Stack))
	}
	return err
}

// transient reports whether err is no fault of the message (see
// Config.Transient).
func (d *Dispatcher[K, T]) transient(err error) bool {
	if d.cfg.Transient == nil {
		return false
	}
	if _, panicked := errors.AsType[*PanicError](err); panicked {
		return false
	}
	return d.cfg.Transient(err)
}

// givenUp reports whether the head of l, whose handling failed with err,
// is given up, and if so hands it to Config.GiveUp.
func (d *Dispatcher[K, T]) givenUp(l *line[K, T], msg T, err error) bool {
	_, panicked := errors.AsType[*PanicError](err)
	switch {
	case d.cfg.MaxAttempts > 0 && l.attempts >= d.cfg.MaxAttempts:
	case panicked && d.cfg.MaxPanics > 0 && l.attempts >= d.cfg.MaxPanics:
	default:
		return false
	}
	d.log.Error(d.cfg.Name+" given up", "chat", mask(l.chat), "attempts", l.attempts, "panicked", panicked, "err", err)
	if d.cfg.GiveUp != nil {
		d.cfg.GiveUp(d.work, l.chat, msg, l.attempts, err)
	}
	return true
}

// retry waits out a backoff off the pool, then schedules the line again.
func (d *Dispatcher[K, T]) retry(l *line[K, T], delay time.Duration) {
	if d.clock.Sleep(d.stop, delay) {
		d.pool.submit(l)
		return
	}
	d.end(l)
}

func (d *Dispatcher[K, T]) end(l *line[K, T]) {
	d.mu.Lock()
	d.endLocked(l)
	d.mu.Unlock()
}

// endLocked ends l, counting what it leaves unhandled, and keeps it for
// reuse; d.mu is held.
func (d *Dispatcher[K, T]) endLocked(l *line[K, T]) {
	d.dropped += len(l.queue) - l.head
	delete(d.lines, l.chat)
	clear(l.queue)
	var zero K
	l.queue, l.head, l.attempts, l.chat = l.queue[:0], 0, 0, zero
	if cap(l.queue) <= 64 { // a burst's long queue is not worth keeping
		d.spare = append(d.spare, l)
	}
	if len(d.lines) == 0 {
		d.idle.Broadcast()
	}
}

// Idle returns when no message is in hand: every one added so far was
// handled, given up or dropped at the stop.
func (d *Dispatcher[K, T]) Idle() {
	d.mu.Lock()
	for len(d.lines) > 0 {
		d.idle.Wait()
	}
	d.mu.Unlock()
}

// Chats is how many chats have messages in hand: waiting for a worker,
// being handled, or waiting out a backoff.
func (d *Dispatcher[K, T]) Chats() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.lines)
}

// Close refuses new messages and returns when every chat's line has ended:
// handled, or dropped once stop is done. Close the dispatchers of a pool
// before the pool.
func (d *Dispatcher[K, T]) Close() {
	d.mu.Lock()
	d.closed = true
	for len(d.lines) > 0 {
		d.idle.Wait()
	}
	dropped := d.dropped
	d.mu.Unlock()
	if dropped > 0 {
		d.log.Warn(d.cfg.Name+" not handled before the stop", "count", dropped)
	}
}

// mask is a chat key as log lines show it.
func mask[K comparable](chat K) string { return services.MaskID(fmt.Sprint(chat)) }
