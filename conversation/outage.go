package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// ErrUnavailable marks a message that failed because a store its step
// needs does not answer (the case database down): the message is kept and
// tried again, the sender was told so once, and it is no fault of the
// message. A channel's runtime must not give it up as it would a message
// that always fails.
var ErrUnavailable = errors.New("a store the conversation needs does not answer")

// Health tells whether the stores behind the engine answer (Redis, the
// case database). The engine asks it when a message failed, to tell an
// outage from the message's own failure.
type Health interface {
	Ping(ctx context.Context) error
}

// healthTimeout bounds the question asked after a failed step.
const healthTimeout = 2 * time.Second

// outageNoticeTTL is how long a message's outage notice is remembered: a
// message retried through a long outage is told once.
const outageNoticeTTL = 24 * time.Hour

// unavailable turns err, the failure of a step of in, into ErrUnavailable
// when the database does not answer, and tells the sender at once, once per
// message, that their message is kept and will be answered when the
// service is back: the channel tries the message again meanwhile. Any
// other failure is returned as it is.
func (e *Engine) unavailable(ctx context.Context, in Inbound, lang string, err error) error {
	if e.health == nil || ctx.Err() != nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, healthTimeout)
	herr := e.health.Ping(pctx)
	cancel()
	if herr == nil {
		return err // the database answers: the failure is the message's own
	}
	tell := true
	if e.once != nil && in.MessageID != "" {
		first, oerr := e.once.Once(ctx, "outage-notice:"+in.Chat.String()+":"+in.MessageID, outageNoticeTTL)
		if oerr != nil {
			e.log.Warn("outage notice not remembered; it may be sent again", "channel", in.Chat.Channel, "chat", services.MaskID(in.Chat.ChatID), "err", oerr)
		}
		tell = first || oerr != nil
	}
	if tell {
		if lang == "" || !e.hasLang(lang) {
			lang = locales.DefaultLang
		}
		if nerr := e.notifier.Notify(ctx, in.Chat, Reply{Text: e.texts.T(lang, "input.outage", nil)}); nerr != nil {
			e.log.Warn("outage notice not sent", "channel", in.Chat.Channel, "chat", services.MaskID(in.Chat.ChatID), "err", nerr)
		}
	}
	return fmt.Errorf("%w (%w): %w", ErrUnavailable, herr, err)
}
