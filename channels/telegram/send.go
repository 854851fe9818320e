package telegram

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/conversation"
)

// Retry budgets for one message, counted in attempts.
const (
	maxRateLimitedTries = 5 // 429: Telegram says when to come back
	maxTransientTries   = 3 // 5xx and network errors
)

// errUnreachable marks a send Telegram refused for good because the citizen
// blocked the bot or deleted the account: nothing more can reach the chat.
var errUnreachable = errors.New("chat unreachable")

// errOutcomeUnknown marks a send that failed after the request may have
// reached Telegram.
var errOutcomeUnknown = errors.New("outcome unknown, not sent again")

// failureKind says what a failed Bot API call is worth.
type failureKind int

const (
	failRateLimited failureKind = iota // retry after the given wait
	failTransient                      // retry with backoff
	failForbidden                      // 403: stop talking to this chat
	failRejected                       // other 4xx: the request itself is wrong, retrying repeats it
	failUnknown                        // the request may have arrived: retrying may send it twice
)

// classify reads a Bot API error. Errors that are not *tgbotapi.Error come
// from the transport, or from a body that is not JSON (a proxy's error
// page). Only a connection that was never made is sure not to have carried
// the message; after a timeout, a cut connection or a proxy's page the
// message may have reached the citizen, so it is not sent again blindly.
func classify(err error) (kind failureKind, retryAfter time.Duration) {
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) {
		var (
			opErr  *net.OpError
			dnsErr *net.DNSError
		)
		if errors.As(err, &dnsErr) || (errors.As(err, &opErr) && opErr.Op == "dial") {
			return failTransient, 0
		}
		return failUnknown, 0
	}
	switch {
	case apiErr.Code == http.StatusTooManyRequests:
		return failRateLimited, max(time.Duration(apiErr.RetryAfter)*time.Second, time.Second)
	case apiErr.Code == http.StatusForbidden:
		return failForbidden, 0
	case apiErr.Code >= 500:
		return failTransient, 0
	default:
		return failRejected, 0
	}
}

// withCode fills in the HTTP status of an API error that lacks it: the
// library leaves Code zero on uploads (sendPhoto, sendDocument), so it is
// read back from Telegram's description, whose first words name the status.
func withCode(err error) error {
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) || apiErr.Code != 0 {
		return err
	}
	code := http.StatusInternalServerError // unknown: worth another try
	switch msg := apiErr.Message; {
	case apiErr.RetryAfter > 0 || strings.HasPrefix(msg, "Too Many Requests"):
		code = http.StatusTooManyRequests
	case strings.HasPrefix(msg, "Forbidden"):
		code = http.StatusForbidden
	case strings.HasPrefix(msg, "Bad Request"):
		code = http.StatusBadRequest
	case strings.HasPrefix(msg, "Unauthorized"):
		code = http.StatusUnauthorized
	case strings.HasPrefix(msg, "Not Found"):
		code = http.StatusNotFound
	case strings.HasPrefix(msg, "Request Entity Too Large"):
		code = http.StatusRequestEntityTooLarge
	}
	fixed := *apiErr
	fixed.Code = code
	return &fixed
}

// sendReplies sends the replies of one update in order. It stops at the
// first one that cannot be sent, since later replies usually build on it
// (a question after its explanation).
func (b *Bot) sendReplies(ctx context.Context, chatID int64, updateID int, replies []conversation.Reply) {
	for i, r := range replies {
		if strings.TrimSpace(r.Text) == "" {
			// Telegram refuses an empty message; sending it would only fail.
			b.log.Warn("telegram reply skipped: empty text", "chat", maskChat(chatID), "update", updateID, "reply", i)
			continue
		}
		if bad := invalidOptions(r); len(bad) > 0 {
			b.log.Warn("telegram buttons dropped: payload empty or over 64 bytes",
				"chat", maskChat(chatID), "update", updateID, "reply", i, "options", bad)
		}
		err := b.send(ctx, chatID, render(chatID, r))
		switch {
		case err == nil:
			continue
		case errors.Is(err, errUnreachable):
			b.log.Info("telegram chat unreachable, replies dropped", "chat", maskChat(chatID))
			b.reportUnreachable(chatID)
		case errors.Is(err, errOutcomeUnknown):
			// The rest still goes out: if this one arrived they follow it,
			// and if not the last one still asks the current question.
			b.log.Warn("telegram reply may not have arrived; not sent again to avoid a double", "chat", maskChat(chatID), "update", updateID, "reply", i, "err", err)
			continue
		default:
			b.log.Warn("telegram reply not sent", "chat", maskChat(chatID), "update", updateID,
				"reply", i, "dropped", len(replies)-i, "err", err)
		}
		return
	}
}

// send sends one message, retrying what is worth retrying: on 429 after the
// wait Telegram asks for, on 5xx and network errors with backoff.
func (b *Bot) send(ctx context.Context, chatID int64, msg tgbotapi.MessageConfig) error {
	return b.sendWith(ctx, chatID, func() (tgbotapi.Chattable, func(), error) { return msg, nil, nil })
}

// sendWith is send for a request built anew for each attempt, as an upload
// must be: build returns it and what to release once it is sent, if
// anything. A build that fails ends the sending.
func (b *Bot) sendWith(ctx context.Context, chatID int64, build func() (tgbotapi.Chattable, func(), error)) error {
	var (
		limited, transient int
		delay              = b.sendBackoff
	)
	for {
		msg, release, err := build()
		if err != nil {
			return fmt.Errorf("send to chat %s: %w", maskChat(chatID), err)
		}
		// Request, not Send: the same call and errors, without decoding the
		// sent message back, which nothing reads.
		_, err = b.api.Request(msg)
		if release != nil {
			release()
		}
		err = withCode(err)
		if err == nil {
			return nil
		}
		kind, wait := classify(err)
		switch kind {
		case failRateLimited:
			limited++
			if limited >= maxRateLimitedTries {
				return fmt.Errorf("send to chat %s: rate limited %d times: %w", maskChat(chatID), limited, err)
			}
		case failTransient:
			transient++
			if transient >= maxTransientTries {
				return fmt.Errorf("send to chat %s: failed %d times: %w", maskChat(chatID), transient, err)
			}
			wait, delay = delay, 2*delay
		case failForbidden:
			return fmt.Errorf("send to chat %s: %w: %w", maskChat(chatID), errUnreachable, err)
		case failUnknown:
			return fmt.Errorf("send to chat %s: %w: %w", maskChat(chatID), errOutcomeUnknown, err)
		default:
			return fmt.Errorf("send to chat %s: rejected: %w", maskChat(chatID), err)
		}
		b.log.Debug("telegram send retry", "chat", maskChat(chatID), "retry_in", wait, "err", err)
		if !dispatch.Sleep(ctx, wait) {
			return fmt.Errorf("send to chat %s: gave up waiting to retry: %w", maskChat(chatID), ctx.Err())
		}
	}
}

// answerCallback stops the spinner on the pressed button. Telegram keeps it
// spinning until the query is answered, so every query is answered, handled
// or not. A failure (the query is too old, typically) only costs the spinner.
func (b *Bot) answerCallback(chatID int64, u tgbotapi.Update) {
	if u.CallbackQuery == nil {
		return
	}
	if _, err := b.api.Request(tgbotapi.NewCallback(u.CallbackQuery.ID, "")); err != nil {
		b.log.Warn("telegram callback not answered", "chat", maskChat(chatID), "update", u.UpdateID, "err", err)
	}
}

// sendTyping shows "typing…" while the engine works. Purely cosmetic: a
// failure is not worth more than a debug line.
func (b *Bot) sendTyping(chatID int64) {
	if _, err := b.api.Request(tgbotapi.NewChatAction(chatID, tgbotapi.ChatTyping)); err != nil {
		b.log.Debug("telegram typing not sent", "chat", maskChat(chatID), "err", err)
	}
}

// OnUnreachable sets what to do when Telegram refuses a chat for good (403:
// the citizen blocked the bot): the bot stops retrying, and f records it.
// Call it before Run.
func (b *Bot) OnUnreachable(f func(chatID string)) { b.onUnreachable = f }

func (b *Bot) reportUnreachable(chatID int64) {
	if b.onUnreachable != nil {
		b.onUnreachable(strconv.FormatInt(chatID, 10))
	}
}
