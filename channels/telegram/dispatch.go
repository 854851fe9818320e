package telegram

import (
	"context"
	"errors"
	"strconv"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// maxPanics is how often an update whose handling panics is tried before it
// is given up: a message that always crashes the engine must not hold its
// chat, and with it the poll offset, forever.
const maxPanics = 3

// errPanicked marks a handler failure that was a panic.
var errPanicked = errors.New("handler panicked")

// dispatcher hands updates to the engine as they arrive: each chat's in
// order and one at a time, different chats in parallel on the bot's
// workers. There is no batch barrier: a slow chat (a case written to a slow
// database, a photo downloaded) holds up only itself, and the source keeps
// fetching while it works.
type dispatcher struct {
	b *Bot
	// stop is the source's context: once it ends no new update starts.
	// work outlives it by the grace, so the updates in hand can finish.
	stop, work context.Context
	pool       *workers
	// finished is called once for every update handled or given up, from
	// a worker; updates left unhandled at a stop are not reported, and
	// their source must deliver them again.
	finished func(queued)

	mu    sync.Mutex
	lines map[int64]*line // chats with updates in hand
	wg    sync.WaitGroup  // one count per line
}

// line is one chat's updates in hand, the head being handled or retried.
type line struct {
	chat     int64
	queue    []queued
	attempts int     // failed attempts at the head
	wait     backoff // between those attempts
}

// queued is an update and, when it came from a queue, its entry there.
type queued struct {
	update tgbotapi.Update
	raw    []byte
	// redelivered: a process that may have stopped before answering it had
	// it before (see conversation.Inbound.Redelivered).
	redelivered bool
}

// newDispatcher returns a dispatcher that handles updates on pool:
// dispatchers sharing it share the process's workers.
func newDispatcher(b *Bot, stop, work context.Context, pool *workers, finished func(queued)) *dispatcher {
	return &dispatcher{
		b: b, stop: stop, work: work, finished: finished,
		pool:  pool,
		lines: make(map[int64]*line),
	}
}

// add queues u behind its chat's earlier updates and schedules the chat
// when it had none.
func (d *dispatcher) add(u queued) {
	chat := chatOf(u.update)
	d.mu.Lock()
	l, running := d.lines[chat]
	if !running {
		l = &line{chat: chat, wait: backoff{min: d.b.minBackoff, max: d.b.maxBackoff}}
		d.lines[chat] = l
	}
	l.queue = append(l.queue, u)
	d.mu.Unlock()
	if !running {
		d.wg.Add(1)
		d.pool.submit(func() { d.next(l) })
	}
}

// next handles the head of l on a worker. With more of the chat waiting it
// schedules the chat again, behind the chats already waiting, so a chat
// that sends fast does not keep a worker to itself. A failing head is tried
// again after a backoff (its storage unreachable): a later message of the
// chat must not overtake it. At the stop, the line is dropped unhandled.
func (d *dispatcher) next(l *line) {
	d.mu.Lock()
	if d.stop.Err() != nil {
		d.dropLocked(l)
		d.mu.Unlock()
		return
	}
	q := l.queue[0]
	d.mu.Unlock()

	l.attempts++
	if err := d.b.handleUpdate(d.work, l.chat, q.update, q.redelivered); err != nil && !d.givenUp(l, q, err) {
		if d.stop.Err() != nil {
			d.b.log.Warn("telegram update not handled before the stop; it comes again at the next start", "chat", l.chat, "update", q.update.UpdateID, "err", err)
			d.drop(l)
			return
		}
		delay := l.wait.next()
		d.b.log.Warn("telegram update not handled, trying again", "chat", l.chat, "update", q.update.UpdateID, "attempt", l.attempts, "retry_in", delay, "err", err)
		// The wait must not hold a worker: other chats go on meanwhile.
		go func() {
			if sleep(d.stop, delay) {
				d.pool.submit(func() { d.next(l) })
			} else {
				d.drop(l)
			}
		}()
		return
	}
	l.attempts = 0
	l.wait.reset()
	d.finished(q) // before the line can end: wait() covers it
	d.mu.Lock()
	l.queue = l.queue[1:]
	more := len(l.queue) > 0
	if !more {
		d.dropLocked(l)
	}
	d.mu.Unlock()
	if more {
		d.pool.submit(func() { d.next(l) })
	}
}

// givenUp reports whether the head of l, whose handling failed with err,
// is given up: one that panicked maxPanics times must not hold its chat,
// and with it the poll offset, forever.
func (d *dispatcher) givenUp(l *line, q queued, err error) bool {
	if !errors.Is(err, errPanicked) || l.attempts < maxPanics {
		return false
	}
	d.b.log.Error("telegram update given up: handling it panicked every time", "chat", l.chat, "update", q.update.UpdateID, "attempts", l.attempts)
	return true
}

func (d *dispatcher) drop(l *line) {
	d.mu.Lock()
	d.dropLocked(l)
	d.mu.Unlock()
}

// dropLocked ends l; d.mu is held.
func (d *dispatcher) dropLocked(l *line) {
	delete(d.lines, l.chat)
	d.wg.Done()
}

// suspects marks the updates a stopped process may have handled without
// answering, once per message: a message delivered twice among them (a
// Telegram retry, a test) is answered again only once.
type suspects map[string]bool

// mark reports whether u is the first update of its message to be marked.
// A nil set marks every update: there is nothing to compare with.
func (s suspects) mark(u tgbotapi.Update) bool {
	if s == nil {
		return true
	}
	key := strconv.FormatInt(chatOf(u), 10) + "/"
	switch {
	case u.Message != nil:
		key += strconv.Itoa(u.Message.MessageID)
	case u.CallbackQuery != nil:
		key += "cb:" + u.CallbackQuery.ID
	default:
		return false
	}
	if s[key] {
		return false
	}
	s[key] = true
	return true
}

// wait returns when every chat's line has ended: handled, or dropped at
// the stop.
func (d *dispatcher) wait() { d.wg.Wait() }
