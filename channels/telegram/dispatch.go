package telegram

import (
	"context"
	"errors"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/conversation"
)

// maxPanics is how often an update whose handling panics is tried before it
// is given up: a message that always crashes the engine must not hold its
// chat, and with it the poll offset, forever. An update that fails with an
// error of its own is given up after Config.MaxAttempts when Config.GiveUp
// parks it; one whose storage is down is tried until the outage ends.
const maxPanics = 3

// queued is an update and, when it came from a queue, its entry there.
type queued struct {
	update tgbotapi.Update
	raw    []byte
	// redelivered: a process that may have stopped before answering it had
	// it before (see conversation.Inbound.Redelivered).
	redelivered bool
}

// dispatcher returns the per-chat dispatcher of updates on pool, which
// dispatchers sharing it share (the webhook's shards). stop is the
// source's context, work outlives it by the grace; finished is called for
// every update handled or given up.
func (b *Bot) dispatcher(stop, work context.Context, pool *dispatch.Pool, finished func(queued)) *dispatch.Dispatcher[int64, queued] {
	return dispatch.New(stop, work, pool, dispatch.Config[int64, queued]{
		Name: "telegram update",
		Handle: func(ctx context.Context, chat int64, q queued) error {
			return b.handleUpdate(ctx, chat, q.update, q.redelivered)
		},
		Finished:    func(_ int64, q queued) { finished(q) },
		MaxPanics:   maxPanics,
		MaxAttempts: b.attemptsBound(),
		Transient:   func(err error) bool { return errors.Is(err, conversation.ErrUnavailable) },
		GiveUp: func(ctx context.Context, chat int64, q queued, attempts int, err error) {
			if b.giveUp != nil {
				b.giveUp(ctx, b.deadLetter(ctx, chat, q.update), attempts, err)
			}
		},
		Backoff: dispatch.Backoff{Min: b.minBackoff, Max: b.maxBackoff},
		Log:     b.log,
	})
}

// attemptsBound is the dispatcher's MaxAttempts: Config.MaxAttempts when a
// give-up hook keeps what is given up, else none.
func (b *Bot) attemptsBound() int {
	if b.giveUp == nil {
		return 0
	}
	return b.maxAttempts
}

// deadLetter is the message of an update as the engine got it, for the
// dead letters: its file fetched again when it had one (without it, if the
// fetch fails now).
func (b *Bot) deadLetter(ctx context.Context, chat int64, u tgbotapi.Update) conversation.Inbound {
	in, _ := toInbound(u)
	if in.At.IsZero() {
		in.At = time.Now().UTC()
	}
	if u.Message != nil && in.Kind == conversation.KindUnsupported {
		if err := b.attach(ctx, chat, u.Message, &in); err != nil {
			b.log.Warn("the file of a message given up was not fetched again; it is parked without it", "err", err)
		}
	}
	return in
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
