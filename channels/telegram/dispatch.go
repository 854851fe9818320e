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
// order and one at a time, different chats in parallel, at most the bot's
// workers at once. There is no batch barrier: a slow chat (a case written
// to a slow database, a photo downloaded) holds up only itself, and the
// source keeps fetching while it works.
type dispatcher struct {
	b *Bot
	// stop is the source's context: once it ends no new update starts.
	// work outlives it by the grace, so the updates in hand can finish.
	stop, work context.Context
	sem        chan struct{}
	// finished is called once for every update handled or given up, from
	// the chat's goroutine; updates left unhandled at a stop are not
	// reported, and their source must deliver them again.
	finished func(queued)

	mu    sync.Mutex
	lines map[int64][]queued // chats being drained -> their queue, the head in hand
	wg    sync.WaitGroup
}

// queued is an update and, when it came from a queue, its entry there.
type queued struct {
	update tgbotapi.Update
	raw    []byte
	// redelivered: a process that may have stopped before answering it had
	// it before (see conversation.Inbound.Redelivered).
	redelivered bool
}

// newDispatcher returns a dispatcher whose handlers take a slot of sem
// while they work: dispatchers sharing it share the process's workers.
func newDispatcher(b *Bot, stop, work context.Context, sem chan struct{}, finished func(queued)) *dispatcher {
	return &dispatcher{
		b: b, stop: stop, work: work, finished: finished,
		sem:   sem,
		lines: make(map[int64][]queued),
	}
}

// add queues u behind its chat's earlier updates and starts the chat's
// drainer when it has none.
func (d *dispatcher) add(u queued) {
	chat := chatOf(u.update)
	d.mu.Lock()
	q, running := d.lines[chat]
	d.lines[chat] = append(q, u)
	d.mu.Unlock()
	if !running {
		d.wg.Go(func() { d.drain(chat) })
	}
}

// drain handles chat's queue until it is empty or the source stops.
func (d *dispatcher) drain(chat int64) {
	for {
		d.mu.Lock()
		q := d.lines[chat]
		if len(q) == 0 || d.stop.Err() != nil {
			delete(d.lines, chat)
			d.mu.Unlock()
			return
		}
		u := q[0]
		d.mu.Unlock()
		if !d.handle(chat, u) {
			d.mu.Lock()
			delete(d.lines, chat)
			d.mu.Unlock()
			return
		}
		d.mu.Lock()
		d.lines[chat] = d.lines[chat][1:]
		d.mu.Unlock()
		d.finished(u)
	}
}

// handle handles u, trying again after a backoff while the engine fails
// (its storage unreachable): a later message of the chat must not overtake
// it. It reports false when the stop came first and u stays unhandled.
func (d *dispatcher) handle(chat int64, q queued) bool {
	u := q.update
	wait := backoff{min: d.b.minBackoff, max: d.b.maxBackoff}
	for attempt := 1; ; attempt++ {
		if d.stop.Err() != nil {
			return false
		}
		select {
		case d.sem <- struct{}{}:
		case <-d.stop.Done():
			return false
		}
		err := d.b.handleUpdate(d.work, chat, u, q.redelivered)
		<-d.sem
		switch {
		case err == nil:
			return true
		case errors.Is(err, errPanicked) && attempt >= maxPanics:
			d.b.log.Error("telegram update given up: handling it panicked every time", "chat", chat, "update", u.UpdateID, "attempts", attempt)
			return true
		case d.stop.Err() != nil:
			d.b.log.Warn("telegram update not handled before the stop; it comes again at the next start", "chat", chat, "update", u.UpdateID, "err", err)
			return false
		}
		delay := wait.next()
		d.b.log.Warn("telegram update not handled, trying again", "chat", chat, "update", u.UpdateID, "attempt", attempt, "retry_in", delay, "err", err)
		if !sleep(d.stop, delay) {
			return false
		}
	}
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

// wait returns when every drainer has returned.
func (d *dispatcher) wait() { d.wg.Wait() }
