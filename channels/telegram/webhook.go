package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/grace"
)

// secretHeader carries the webhook's secret token on every request Telegram
// makes to it.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateBody bounds a webhook request body. Telegram's updates are a few
// kilobytes; files come by reference.
const maxUpdateBody = 1 << 20

// Consumer batch and wait: a batch is what one pop takes, handled like one
// getUpdates batch; the wait bounds how long a stop waits for an idle pop.
const (
	queueBatch = 100
	queueWait  = time.Second
)

// Queue is where the webhook puts an update before it answers Telegram.
// PushOnce claims the update's id for window and appends it only if the
// claim is new, so a Telegram retry after a lost answer is not queued
// twice; when it returns nil the update is in the queue, now or from
// before, and must survive a crash of this process.
type Queue interface {
	PushOnce(ctx context.Context, id string, window time.Duration, raw []byte) (bool, error)
}

// retryWindow is how long an update id stays claimed: Telegram retries a
// webhook delivery within minutes, and the engine drops a later repeat.
const retryWindow = time.Hour

// QueueConsumer is a Queue the bot also consumes: Pop takes updates oldest
// first into a processing area, Ack removes handled ones from it, and
// Requeue puts every taken and unacknowledged update back at the head, in
// order. redisstore.Queue implements it.
type QueueConsumer interface {
	Queue
	Pop(ctx context.Context, max int, wait time.Duration) ([][]byte, error)
	Ack(ctx context.Context, msgs ...[]byte) error
	Requeue(ctx context.Context) (int, error)
}

// WebhookConfig configures ServeWebhook.
type WebhookConfig struct {
	// URL is the public https address Telegram posts updates to; its path
	// is the one served.
	URL string
	// ListenAddr is the local address the HTTP server listens on (TLS is
	// the reverse proxy's job), for example 127.0.0.1:8443.
	ListenAddr string
	// Secret is sent to Telegram with setWebhook and required on every
	// request in the X-Telegram-Bot-Api-Secret-Token header: 1 to 256
	// characters of A-Z, a-z, 0-9, _ and -.
	Secret string
	// Queues keep updates between the request and their handling: shards,
	// each chat's updates always in the same one (the chat id modulo their
	// number), so a chat keeps its order while different shards are
	// consumed by different processes. Their number must not change while
	// updates wait in them.
	Queues []QueueConsumer
	// Consume, when not nil, decides which shards this process consumes:
	// it calls consume(ctx, shard) for each one it takes on, and cancels
	// ctx when it gives it up, so that each shard has one consumer at a
	// time across replicas (cmd/bot passes redisstore.HoldShare). Every
	// replica accepts webhook requests either way. Nil consumes every shard
	// in this process (one replica).
	Consume func(ctx context.Context, consume func(ctx context.Context, shard int) error) error
}

func (c WebhookConfig) check() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("telegram webhook: URL %q is not an https URL", c.URL)
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return fmt.Errorf("telegram webhook: listen address %q is not host:port", c.ListenAddr)
	}
	if c.Secret == "" || len(c.Secret) > 256 || strings.IndexFunc(c.Secret, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		return errors.New("telegram webhook: the secret must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
	}
	if len(c.Queues) == 0 || slices.Contains(c.Queues, nil) {
		return errors.New("telegram webhook: no queue, or a nil one")
	}
	return nil
}

// ServeWebhook receives updates by webhook instead of long polling, until
// ctx is done. It registers cfg.URL with setWebhook (with the secret token,
// which the library cannot send, so through MakeRequest), serves it on
// cfg.ListenAddr, and answers each update 200 only after it was pushed to
// cfg.Queue: an update Telegram considers delivered is in Redis, and one
// whose push failed gets 503 and is retried by Telegram. A request without
// the secret header gets 401.
//
// Beside the server it consumes the queue with the same per-chat handling
// as Run: each chat's updates in order, one at a time, chats in parallel;
// an update is acknowledged only after it was handled, and a chat whose
// update failed has it and its later updates put back, in order, and tried
// again after a backoff. Redelivered updates (a Telegram retry after a lost
// 200, a requeue after a crash) are deduplicated by the engine on chat and
// message id.
//
// On stop the server closes (requests in flight finish), the batch in hand
// gets the usual grace, and the webhook stays registered: Telegram keeps the
// updates until a process serves it again. Run removes it when the bot goes
// back to polling.
func (b *Bot) ServeWebhook(ctx context.Context, cfg WebhookConfig) error {
	if err := cfg.check(); err != nil {
		return err
	}
	u, _ := url.Parse(cfg.URL) // checked above
	path := u.Path
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.Handle(path, b.webhookHandler(cfg.Secret, cfg.Queues))
	srv := &http.Server{
		Addr:              cfg.ListenAddr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	// Listen before registering: Telegram delivers as soon as it knows the
	// address, and a refused connection only delays the updates.
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("telegram webhook: listen on %s: %w", cfg.ListenAddr, err)
	}
	if err := b.setWebhook(cfg); err != nil {
		return errors.Join(err, ln.Close())
	}
	b.log.Info("telegram webhook listening", "addr", ln.Addr().String(), "path", path)

	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("telegram webhook: serve on %s: %w", cfg.ListenAddr, err)
		}
	})
	// Ready() reads the time of the last successful poll; in webhook mode
	// the listener being up is what it means.
	wg.Go(func() { b.markAlive(ctx) })
	consumeErr := make(chan error, 1)
	pool := dispatch.NewPool(b.workers) // the shards share the workers
	wg.Go(func() {
		consume := func(ctx context.Context, shard int) error {
			return b.consumeQueue(ctx, cfg.Queues[shard], pool)
		}
		if cfg.Consume != nil {
			consumeErr <- cfg.Consume(ctx, consume)
			return
		}
		var all sync.WaitGroup
		for i := range cfg.Queues {
			all.Go(func() { _ = consume(ctx, i) }) // consumeQueue logs its failures and returns nil
		}
		all.Wait()
		consumeErr <- nil
	})

	var result error
	select {
	case <-ctx.Done():
	case result = <-serveErr:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		result = errors.Join(result, fmt.Errorf("telegram webhook: shut down: %w", err))
	}
	wg.Wait()
	pool.Close() // every consumer has returned
	if err := <-consumeErr; err != nil && ctx.Err() == nil {
		result = errors.Join(result, err)
	}
	b.log.Info("telegram webhook stopped")
	return result
}

// markAlive keeps Ready true while the webhook serves.
func (b *Bot) markAlive(ctx context.Context) {
	for {
		b.lastPoll.Store(time.Now().UnixNano())
		if !dispatch.Sleep(ctx, 10*time.Second) {
			return
		}
	}
}

// setWebhook registers the webhook. allowed_updates is the same list the
// poll asks for.
func (b *Bot) setWebhook(cfg WebhookConfig) error {
	allowed, _ := json.Marshal(allowedUpdates)
	params := tgbotapi.Params{
		"url":             cfg.URL,
		"secret_token":    cfg.Secret,
		"allowed_updates": string(allowed),
	}
	if _, err := b.api.MakeRequest("setWebhook", params); err != nil {
		return fmt.Errorf("telegram webhook: setWebhook: %w", err)
	}
	b.log.Info("telegram webhook set")
	return nil
}

// dropWebhook deletes a webhook left by a previous run in webhook mode, so
// that getUpdates does not fail with 409. It checks getWebhookInfo first so
// the usual start costs no deletion. Failures are logged: the poll loop
// reports a remaining conflict loudly anyway.
func (b *Bot) dropWebhook() {
	resp, err := b.api.MakeRequest("getWebhookInfo", nil)
	if err != nil {
		b.log.Warn("telegram getWebhookInfo failed; polling may conflict with a webhook", "err", err)
		return
	}
	var info tgbotapi.WebhookInfo
	if err := json.Unmarshal(resp.Result, &info); err != nil {
		b.log.Warn("telegram getWebhookInfo answer unreadable", "err", err)
		return
	}
	if info.URL == "" {
		return
	}
	// Pending updates are kept: polling fetches them next.
	if _, err := b.api.MakeRequest("deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"}); err != nil {
		b.log.Warn("telegram deleteWebhook failed; polling will conflict with the webhook", "err", err)
		return
	}
	b.log.Info("telegram webhook removed to poll instead", "pending", info.PendingUpdateCount)
}

// ShardOf is the queue shard, among shards, of a raw update: the one its
// chat's updates go to.
func ShardOf(raw []byte, shards int) (int, error) {
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return 0, fmt.Errorf("shard of an update: %w", err)
	}
	return shardOf(chatOf(u), shards), nil
}

// shardOf is the queue shard of a chat's updates.
func shardOf(chatID int64, shards int) int {
	return int(uint64(chatID) % uint64(shards))
}

// webhookHandler checks and queues one update per request, in its chat's
// shard.
func (b *Bot) webhookHandler(secret string, queues []QueueConsumer) http.Handler {
	want := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(secretHeader)), want) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBody))
		if err != nil {
			http.Error(w, "body unreadable or too large", http.StatusRequestEntityTooLarge)
			return
		}
		var u tgbotapi.Update
		if err := json.Unmarshal(raw, &u); err != nil || u.UpdateID == 0 {
			// Not an update: retrying it would not make it one.
			b.log.Warn("telegram webhook: request is not an update", "err", err)
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		if _, err := queues[shardOf(chatOf(u), len(queues))].PushOnce(r.Context(), strconv.Itoa(u.UpdateID), retryWindow, raw); err != nil {
			// Not acknowledged: Telegram delivers it again later.
			b.log.Warn("telegram webhook: update not queued, Telegram will retry", "update", u.UpdateID, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// consumeQueue handles the queue's updates until ctx is done, through the
// same dispatcher as Run: no barrier between pops, a failing update retried
// in place while its chat waits. It first puts back what a previous consumer
// took and did not acknowledge; handled entries are acknowledged before
// each pop.
func (b *Bot) consumeQueue(ctx context.Context, q QueueConsumer, pool *dispatch.Pool) error {
	// The first requeued entries were taken by a consumer that may have
	// handled them and stopped before answering.
	requeued, err := q.Requeue(ctx)
	if err != nil {
		b.log.Warn("telegram queue: requeue of unacknowledged updates failed", "err", err)
	} else if requeued > 0 {
		b.log.Info("telegram queue: updates of a stopped consumer put back", "updates", requeued)
	}
	b.log.Info("telegram queue consumer started", "workers", b.workers)
	hctx, release := grace.Context(ctx, b.grace)
	defer release()

	var (
		mu       sync.Mutex
		open     int
		handled  [][]byte
		progress = make(chan struct{}, 1)
	)
	d := b.dispatcher(ctx, hctx, pool, func(u queued) {
		mu.Lock()
		open--
		handled = append(handled, u.raw)
		mu.Unlock()
		select {
		case progress <- struct{}{}:
		default:
		}
	})
	ack := func(ctx context.Context) {
		mu.Lock()
		done := handled
		handled = nil
		mu.Unlock()
		if err := q.Ack(ctx, done...); err != nil {
			// They are handled again after a requeue: the engine ignores
			// the ones it has seen.
			b.log.Warn("telegram queue ack failed; handled updates may be delivered again", "err", err)
		}
	}
	wait := dispatch.Backoff{Min: b.minBackoff, Max: b.maxBackoff}
	suspect := suspects{}
	for ctx.Err() == nil {
		ack(ctx)
		mu.Lock()
		room := min(queueBatch, maxOpen-open)
		mu.Unlock()
		if room <= 0 {
			select {
			case <-progress:
			case <-ctx.Done():
			}
			continue
		}
		msgs, err := q.Pop(ctx, room, queueWait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			delay := wait.Next()
			b.log.Warn("telegram queue pop failed", "err", err, "retry_in", delay)
			dispatch.Sleep(ctx, delay)
			continue
		}
		wait.Reset()
		for _, m := range msgs {
			redelivered := requeued > 0
			requeued--
			var u tgbotapi.Update
			if err := json.Unmarshal(m, &u); err != nil {
				// The handler checked it before queueing; only a foreign
				// writer gets here, and retrying would never succeed.
				b.log.Error("telegram queue: entry is not an update, dropped", "err", err)
				mu.Lock()
				handled = append(handled, m)
				mu.Unlock()
				continue
			}
			mu.Lock()
			open++
			mu.Unlock()
			d.Add(chatOf(u), queued{update: u, raw: m, redelivered: redelivered && suspect.mark(u)})
		}
	}
	d.Close()
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	ack(actx)
	b.log.Info("telegram queue consumer stopped")
	return nil
}
