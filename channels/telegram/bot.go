// Package telegram connects the conversation engine to a Telegram bot through
// the Bot API's long polling. It translates updates into conversation.Inbound
// values and conversation.Reply values into messages; the engine decides
// everything else.
//
// Delivery is at least once: an update is confirmed to Telegram only after it
// was handled, so a crash or a failing handler makes Telegram deliver it
// again, and the engine deduplicates by message id.
package telegram

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// DefaultAPIURL is the public Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Defaults applied by New to a zero Config field.
const (
	DefaultPollTimeout = 30 * time.Second
	// Workers wait mostly on Redis, PostgreSQL and the Bot API, not on the
	// CPU, and the Redis scripts of those handled at the same moment share
	// a round trip: on the 2-core load benchmark 64 gave a burst ratio of
	// 0.77-0.84 against 0.76-0.78 with 32 and 0.69-0.72 with 16; 128 was no
	// better than 64 (BENCHMARKS.md).
	DefaultWorkers = 64
)

// Handler is what the bot needs from the conversation engine. Handle is
// called for one chat at a time, in the order the citizen sent the messages;
// it must be idempotent per Inbound.MessageID because a failed or interrupted
// batch is delivered again.
type Handler interface {
	Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error)
}

// Config configures a Bot. Zero fields take the defaults named on them.
type Config struct {
	Token       string
	APIURL      string        // base, default "https://api.telegram.org"; requests go to {base}/bot{token}/{method}
	PollTimeout time.Duration // long-poll timeout, default 30s; whole seconds, rounded up
	Workers     int           // chats handled in parallel, default DefaultWorkers
	MaxMedia    int64         // largest photo or document downloaded, in bytes, default 10 MB
	// Journal, when set, holds polled updates until they are handled, so
	// the poll confirms them at once (see dispatch.Journal). It must be
	// durable: redisstore.Queue on a Redis server, never the in-process one.
	Journal Journal
	// GiveUp, when set, receives every message whose handling failed on its
	// own MaxAttempts times (the dead letters), and its chat moves on to
	// its next message. Unset, such a message is tried until it succeeds.
	// Failures of the engine's storage (conversation.ErrUnavailable) never
	// count: the message waits for the outage to end.
	GiveUp func(ctx context.Context, in conversation.Inbound, attempts int, err error)
	// MaxAttempts bounds those attempts, default DefaultMaxAttempts.
	MaxAttempts int
}

// DefaultMaxAttempts is how often a message that fails on its own is
// tried before Config.GiveUp gets it: with the backoff from one second,
// about half a minute of attempts.
const DefaultMaxAttempts = 5

// Bot polls one Telegram bot and feeds its private chats to a Handler.
// Run must not be called twice at the same time: Telegram refuses two
// pollers on one token.
type Bot struct {
	api     *tgbotapi.BotAPI
	client  *apiClient
	handler Handler
	log     *slog.Logger
	base    string
	token   string

	pollSeconds int
	workers     int
	maxMedia    int64        // Config.MaxMedia
	files       *http.Client // downloads of the files citizens send

	// Timings, fixed by New; tests shorten them.
	minBackoff  time.Duration // first wait after a failed poll or batch
	maxBackoff  time.Duration // cap of the exponential backoff
	sendBackoff time.Duration // first wait before resending after a 5xx or network error
	grace       time.Duration // how long updates in hand may take once Run is asked to stop
	typingDelay time.Duration // how long the engine may take before "typing…" shows

	outbox      *outbox // notifications to chats that did not just write
	journal     Journal // Config.Journal
	giveUp      func(ctx context.Context, in conversation.Inbound, attempts int, err error)
	maxAttempts int                    // Config.MaxAttempts, when giveUp is set
	polling     atomic.Pointer[poller] // while Run polls

	lastPoll atomic.Int64 // unix nanoseconds of the last successful getUpdates

	onUnreachable func(chatID string) // set by OnUnreachable
}

// Ready reports whether the bot talks to Telegram: a long poll succeeded
// within the last two poll timeouts (plus slack for a slow network).
func (b *Bot) Ready() error {
	last := b.lastPoll.Load()
	if last == 0 {
		return errors.New("no successful poll yet")
	}
	if age := time.Since(time.Unix(0, last)); age > 2*time.Duration(b.pollSeconds)*time.Second+30*time.Second {
		return fmt.Errorf("last successful poll %s ago", age.Round(time.Second))
	}
	return nil
}

// allowedUpdates asks Telegram for the only update kinds the bot reads, so
// the others are not even fetched.
var allowedUpdates = []string{"message", "callback_query"}

// New builds a Bot and checks the token with getMe, so a wrong token or an
// unreachable API fails at start-up rather than in the poll loop.
func New(cfg Config, h Handler, log *slog.Logger) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram: empty bot token")
	}
	if h == nil {
		return nil, errors.New("telegram: nil handler")
	}
	if log == nil {
		log = slog.Default()
	}
	base := strings.TrimRight(cfg.APIURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = DefaultPollTimeout
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.MaxMedia <= 0 {
		cfg.MaxMedia = DefaultMaxMedia
	}
	client := &apiClient{
		// Above the long-poll timeout, or every idle poll would end as a
		// client timeout; finite, because the library sets no deadline.
		http: &http.Client{
			Timeout: cfg.PollTimeout + 15*time.Second,
			// Go keeps 2 idle connections per host by default: with several
			// chats answered at once most sends would dial the Bot API anew
			// (the load benchmark measured half the throughput).
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConns:        4*cfg.Workers + 8,
				MaxIdleConnsPerHost: 2*cfg.Workers + 4,
				IdleConnTimeout:     90 * time.Second,
				TLSHandshakeTimeout: 10 * time.Second,
				ForceAttemptHTTP2:   true,
			},
		},
		token: cfg.Token,
	}
	// The endpoint is a format string: a literal % in the base must survive it.
	endpoint := strings.ReplaceAll(base, "%", "%%") + "/bot%s/%s"
	api, err := tgbotapi.NewBotAPIWithClient(cfg.Token, endpoint, client)
	if err != nil {
		return nil, fmt.Errorf("telegram: check bot token with getMe: %w", err)
	}
	log = log.With("channel", channelName)
	log.Info("telegram bot ready", "bot", api.Self.UserName)
	return &Bot{
		api:         api,
		client:      client,
		handler:     h,
		log:         log,
		base:        base,
		token:       cfg.Token,
		pollSeconds: int(math.Ceil(cfg.PollTimeout.Seconds())),
		workers:     cfg.Workers,
		maxMedia:    cfg.MaxMedia,
		files:       &http.Client{Timeout: downloadTimeout},
		minBackoff:  time.Second,
		maxBackoff:  30 * time.Second,
		sendBackoff: time.Second,
		grace:       30 * time.Second,
		typingDelay: 400 * time.Millisecond,
		outbox:      newOutbox(chatInterval, groupInterval),
		journal:     cfg.Journal,
		giveUp:      cfg.GiveUp,
		maxAttempts: cmp.Or(cfg.MaxAttempts, DefaultMaxAttempts),
	}, nil
}

// FileURL returns the download URL of a file path obtained from getFile. The
// library's own helpers always point at the public API, whatever APIURL says.
func (b *Bot) FileURL(filePath string) string {
	return b.base + "/file/bot" + b.token + "/" + strings.TrimLeft(filePath, "/")
}

// getUpdates runs one getUpdates request that ctx can interrupt.
func (b *Bot) getUpdates(ctx context.Context, cfg tgbotapi.UpdateConfig) ([]tgbotapi.Update, error) {
	b.client.setPollContext(ctx)
	defer b.client.clearPollContext()
	updates, err := b.api.GetUpdates(cfg)
	if err != nil {
		return nil, fmt.Errorf("get updates from offset %d: %w", cfg.Offset, err)
	}
	b.lastPoll.Store(time.Now().UnixNano())
	return updates, nil
}

// pollFailureWait logs a failed poll and says how long to wait before the
// next one: what Telegram asks on 429, the backoff otherwise.
func (b *Bot) pollFailureWait(err error, wait *dispatch.Backoff) time.Duration {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.Code == http.StatusTooManyRequests && apiErr.RetryAfter > 0:
			d := time.Duration(apiErr.RetryAfter) * time.Second
			b.log.Warn("telegram poll rate limited", "retry_in", d)
			return d
		case apiErr.Code == http.StatusConflict:
			// Another process polls this token, or a webhook is set: it will
			// not fix itself, so say it loudly.
			d := wait.Next()
			b.log.Error("telegram poll conflict: another bot instance or a webhook uses this token", "err", err, "retry_in", d)
			return d
		}
	}
	d := wait.Next()
	b.log.Warn("telegram poll failed", "err", err, "retry_in", d)
	return d
}

// chatOf returns the chat an update belongs to; updates without one share
// the zero key.
func chatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	default:
		return 0
	}
}

// handleUpdate hands one update to the engine and sends its replies. It
// fails only when the engine fails: a reply that cannot be sent is logged,
// since the engine has already committed the state it answers.
func (b *Bot) handleUpdate(ctx context.Context, chatID int64, u tgbotapi.Update, redelivered bool) error {
	in, ok := toInbound(u)
	in.Redelivered = redelivered
	if !ok {
		b.answerCallback(chatID, u)
		b.log.Debug("telegram update ignored", "chat", maskChat(chatID), "update", u.UpdateID)
		return nil
	}
	if in.At.IsZero() {
		in.At = time.Now().UTC()
	}
	if u.Message != nil && in.Kind == conversation.KindUnsupported {
		if err := b.attach(ctx, chatID, u.Message, &in); err != nil {
			return fmt.Errorf("handle update %d of chat %s: %w", u.UpdateID, maskChat(chatID), err)
		}
	}

	// The typing indicator goes out only when the engine takes a noticeable
	// time (most answers take milliseconds, and an extra request per message
	// halves what the bot can answer), and is waited for before the replies,
	// so it never lands after them and lingers.
	var (
		typing sync.WaitGroup
		timer  *time.Timer
	)
	switch {
	case in.Kind != conversation.KindText:
	case b.typingDelay <= 0:
		typing.Go(func() { b.sendTyping(chatID) })
	default:
		typing.Add(1)
		timer = time.AfterFunc(b.typingDelay, func() {
			defer typing.Done()
			b.sendTyping(chatID)
		})
	}
	// A panic in the engine is an error of this update alone: the
	// dispatcher logs it and gives the update up after maxPanics.
	replies, err := dispatch.Guard(func() ([]conversation.Reply, error) { return b.handler.Handle(ctx, in) })
	if timer != nil && timer.Stop() {
		typing.Done() // the indicator was not needed
	}
	typing.Wait()
	b.answerCallback(chatID, u)
	if err != nil {
		return fmt.Errorf("handle update %d of chat %s: %w", u.UpdateID, maskChat(chatID), err)
	}
	b.sendReplies(ctx, chatID, u.UpdateID, replies)
	return nil
}

// maskChat is a chat id as logs show it (services.MaskID): most of it
// hidden.
func maskChat[T int64 | string](id T) string { return services.MaskID(fmt.Sprint(id)) }
