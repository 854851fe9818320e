package telegram

import (
	"context"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/channels/dispatch"
)

// maxPanics is how often an update whose handling panics is tried before it
// is given up: a message that always crashes the engine must not hold its
// chat, and with it the poll offset, forever. An update that fails with an
// error is tried until it succeeds or the stop (its storage is down): no
// dead-letter list keeps it yet.
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
		Finished:  func(_ int64, q queued) { finished(q) },
		MaxPanics: maxPanics,
		Backoff:   dispatch.Backoff{Min: b.minBackoff, Max: b.maxBackoff},
		Log:       b.log,
	})
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
