package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

const webhookSecret = "s3cret_token-42"

// freeAddr returns a loopback address with a port free right now, so the
// test knows the webhook URL before the server listens.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// failingQueue wraps the Redis queue and fails pushes while fail is set.
type failingQueue struct {
	*redisstore.Queue
	fail atomic.Bool
}

func (q *failingQueue) PushOnce(ctx context.Context, id string, window time.Duration, raw []byte) (bool, error) {
	if q.fail.Load() {
		return false, errors.New("redis down")
	}
	return q.Queue.PushOnce(ctx, id, window, raw)
}

type webhookHarness struct {
	*harness
	q    *failingQueue
	cfg  WebhookConfig
	done chan error
	stop context.CancelFunc
}

// startWebhook serves the webhook on a Redis queue private to the test.
// before runs before the server starts (to leave entries in the queue).
func startWebhook(t *testing.T, h *echoHandler, before func(q *redisstore.Queue)) *webhookHarness {
	t.Helper()
	hs := newHarness(t, h)
	rdb, prefix := storetest.Redis(t)
	q := &failingQueue{Queue: redisstore.NewQueue(rdb, prefix+"{tg-updates}")}
	if before != nil {
		before(q.Queue)
	}
	addr := freeAddr(t)
	cfg := WebhookConfig{URL: "http://" + addr + "/telegram/hook", ListenAddr: addr, Secret: webhookSecret, Queues: []QueueConsumer{q}}
	ctx, cancel := context.WithCancel(context.Background())
	wh := &webhookHarness{harness: hs, q: q, cfg: cfg, done: make(chan error, 1), stop: cancel}
	go func() { wh.done <- hs.bot.ServeWebhook(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-wh.done:
			if err != nil {
				t.Errorf("ServeWebhook: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("ServeWebhook did not return within 15s of its stop")
		}
	})
	// Listening once the port answers and the fake saw setWebhook (which
	// comes first).
	waitUntilUp(t, cfg.URL)
	if hs.srv.Webhook().URL == "" {
		t.Fatalf("the webhook listens but was never registered")
	}
	return wh
}

func post(t *testing.T, url, method, secret, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set(secretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func deliver(t *testing.T, srv *telegramtest.Server, updateID int, chat int64, msgID int, text string) int {
	t.Helper()
	code, err := srv.Deliver(context.Background(), updateID, telegramtest.TextUpdate(chat, msgID, text))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestWebhookRegistersChecksSecretAndHandlesInOrder(t *testing.T) {
	h := &echoHandler{}
	wh := startWebhook(t, h, nil)
	srv := wh.srv
	info := srv.Webhook()
	if info.URL != wh.cfg.URL || info.Secret != webhookSecret || !slices.Equal(info.AllowedUpdates, allowedUpdates) {
		t.Fatalf("setWebhook got %+v, want url %s, the secret and allowed updates %v", info, wh.cfg.URL, allowedUpdates)
	}

	update := string(telegramtest.TextUpdate(801, 1, "x"))
	update = `{"update_id":77,` + update[1:]
	for _, c := range []struct {
		name, method, secret, body string
		want                       int
	}{
		{"no secret", http.MethodPost, "", update, http.StatusUnauthorized},
		{"wrong secret", http.MethodPost, "s3cret_token-43", update, http.StatusUnauthorized},
		{"GET", http.MethodGet, webhookSecret, "", http.StatusMethodNotAllowed},
		{"not JSON", http.MethodPost, webhookSecret, "{", http.StatusBadRequest},
		{"no update id", http.MethodPost, webhookSecret, `{"message":{}}`, http.StatusBadRequest},
	} {
		if got := post(t, wh.cfg.URL, c.method, c.secret, c.body); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	if n, _ := wh.q.Len(context.Background()); n != 0 || len(srv.Sent()) != 0 {
		t.Fatalf("refused requests were queued (%d) or answered (%d)", n, len(srv.Sent()))
	}

	// Two chats, interleaved; one update delivered twice as after a lost 200.
	id := 100
	for i := range 5 {
		for _, chat := range []int64{801, 802} {
			id++
			if code := deliver(t, srv, id, chat, i+1, fmt.Sprintf("m%d", i)); code != http.StatusOK {
				t.Fatalf("deliver update %d: status %d", id, code)
			}
		}
	}
	if code := deliver(t, srv, id, 802, 5, "m4"); code != http.StatusOK {
		t.Fatalf("redelivery: status %d", code)
	}
	want := []string{"echo:m0", "echo:m1", "echo:m2", "echo:m3", "echo:m4"}
	for _, chat := range []int64{801, 802} {
		if got := texts(srv.WaitSent(t, chat, 5, replyWait)); !slices.Equal(got, want) {
			t.Errorf("chat %d got %q, want %q in order", chat, got, want)
		}
	}
	// The redelivery was not even queued: its update id was claimed. A
	// later message of the chat, in the same shard, comes after anything
	// queued before it, so once it is answered the redelivery would have
	// been too.
	if code := deliver(t, srv, id+1, 802, 6, "m5"); code != http.StatusOK {
		t.Fatalf("deliver update %d: status %d", id+1, code)
	}
	if got := texts(srv.WaitSent(t, 802, 6, replyWait)); !slices.Equal(got, append(want, "echo:m5")) {
		t.Errorf("chat 802 got %q, want one reply per message: the redelivery was answered", got)
	}
	seen := 0
	for _, in := range h.callsFor("5") {
		if in.Chat.ChatID == "802" {
			seen++
		}
	}
	if seen != 1 {
		t.Errorf("the twice-delivered update reached the engine %d times, want 1", seen)
	}
	// Everything handled is acknowledged: nothing waits, nothing is in
	// processing.
	waitUntilQueue(t, wh.q.Queue, 0)
}

// waitUntilQueue waits until the queue and its processing list hold n
// entries in all.
func waitUntilQueue(t *testing.T, q *redisstore.Queue, n int) {
	t.Helper()
	wait.Until(t, fmt.Sprintf("the queue to hold %d", n), replyWait, func() bool {
		waiting, err := q.Len(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if waiting != n {
			return false
		}

		back, err := q.Requeue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return back == 0
	})

}

// TestWebhookAnswers503WhenNotQueued: an update that could not be queued is
// not acknowledged, so Telegram delivers it again, and then it is handled.
func TestWebhookAnswers503WhenNotQueued(t *testing.T) {
	h := &echoHandler{}
	wh := startWebhook(t, h, nil)
	wh.q.fail.Store(true)
	if code := deliver(t, wh.srv, 1, 811, 1, "hello"); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d with the queue down, want 503", code)
	}
	if n, err := wh.q.Len(context.Background()); err != nil || n != 0 {
		t.Fatalf("the queue holds %d (%v) after a 503, want nothing", n, err)
	}
	wh.q.fail.Store(false)
	if code := deliver(t, wh.srv, 1, 811, 1, "hello"); code != http.StatusOK {
		t.Fatalf("status %d on the retry, want 200", code)
	}
	// A later message of the chat comes after anything queued for it.
	if code := deliver(t, wh.srv, 2, 811, 2, "later"); code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	if got := texts(wh.srv.WaitSent(t, 811, 2, replyWait)); !slices.Equal(got, []string{"echo:hello", "echo:later"}) {
		t.Errorf("got %q, want hello then later", got)
	}
	if n := len(h.callsFor("1")); n != 1 {
		t.Errorf("the update refused with 503 reached the engine %d times, want once (by its retry)", n)
	}
}

// TestWebhookConsumerRequeuesWhatACrashedConsumerTook: entries a consumer
// took and never acknowledged are handled by the next one, in order, before
// newer ones.
func TestWebhookConsumerRequeuesWhatACrashedConsumerTook(t *testing.T) {
	h := &echoHandler{}
	wh := startWebhook(t, h, func(q *redisstore.Queue) {
		ctx := context.Background()
		for i := 1; i <= 3; i++ {
			raw := []byte(fmt.Sprintf(`{"update_id":%d,%s`, i, telegramtest.TextUpdate(821, i, fmt.Sprintf("old%d", i))[1:]))
			if err := q.Push(ctx, raw); err != nil {
				t.Fatal(err)
			}
		}
		// The crashed consumer took two and acknowledged none.
		if got, err := q.Pop(ctx, 2, 0); err != nil || len(got) != 2 {
			t.Fatalf("Pop = %d, %v", len(got), err)
		}
	})
	if code := deliver(t, wh.srv, 4, 821, 4, "new"); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if got, want := texts(wh.srv.WaitSent(t, 821, 4, replyWait)), []string{"echo:old1", "echo:old2", "echo:old3", "echo:new"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// What the crashed consumer took may have been handled and not
	// answered: the engine is told so.
	want := map[string]bool{"old1": true, "old2": true, "old3": false, "new": false}
	h.mu.Lock()
	for _, in := range h.calls {
		if in.Redelivered != want[in.Text] {
			t.Errorf("%q reached the engine with Redelivered %v, want %v", in.Text, in.Redelivered, want[in.Text])
		}
	}
	h.mu.Unlock()
}

// TestWebhookFailedUpdateRetriedInOrder: a chat whose update fails keeps
// its later updates back; other chats go on; the failed one is retried.
func TestWebhookFailedUpdateRetriedInOrder(t *testing.T) {
	var failed atomic.Bool
	h := &echoHandler{hook: func(_ context.Context, in conversation.Inbound) error {
		if in.Text == "flaky" && !failed.Swap(true) {
			return errors.New("state store unavailable")
		}
		return nil
	}}
	wh := startWebhook(t, h, func(q *redisstore.Queue) {
		// Queued before the consumer starts, so they come in one batch.
		for i, u := range []struct {
			chat int64
			text string
		}{{831, "flaky"}, {831, "after"}, {832, "other"}} {
			raw := fmt.Sprintf(`{"update_id":%d,%s`, i+1, telegramtest.TextUpdate(u.chat, i+1, u.text)[1:])
			if err := q.Push(context.Background(), []byte(raw)); err != nil {
				t.Fatal(err)
			}
		}
	})
	if got := texts(wh.srv.WaitSent(t, 831, 2, replyWait)); !slices.Equal(got, []string{"echo:flaky", "echo:after"}) {
		t.Errorf("chat 831 got %q, want flaky then after", got)
	}
	if got := texts(wh.srv.WaitSent(t, 832, 1, replyWait)); len(got) != 1 {
		t.Errorf("chat 832 got %q", got)
	}
	if n := len(h.callsFor("3")); n != 1 {
		t.Errorf("the other chat's update was handled %d times, want 1 (it was acknowledged)", n)
	}
	waitUntilQueue(t, wh.q.Queue, 0)
}

func TestWebhookConfigChecked(t *testing.T) {
	hs := newHarness(t, &echoHandler{})
	rdb, prefix := storetest.Redis(t)
	q := redisstore.NewQueue(rdb, prefix+"{q}")
	good := WebhookConfig{URL: "https://bot.example.org/hook", ListenAddr: "127.0.0.1:0", Secret: "abc", Queues: []QueueConsumer{q}}
	for name, mod := range map[string]func(*WebhookConfig){
		"bad url":        func(c *WebhookConfig) { c.URL = "bot.example.org" },
		"bad listen":     func(c *WebhookConfig) { c.ListenAddr = "8443" },
		"empty secret":   func(c *WebhookConfig) { c.Secret = "" },
		"secret symbols": func(c *WebhookConfig) { c.Secret = "a b" },
		"no queue":       func(c *WebhookConfig) { c.Queues = nil },
		"nil queue":      func(c *WebhookConfig) { c.Queues = []QueueConsumer{nil} },
	} {
		c := good
		mod(&c)
		if err := hs.bot.ServeWebhook(context.Background(), c); err == nil {
			t.Errorf("%s: ServeWebhook accepted %+v", name, c)
		}
	}
	if hs.srv.Webhook().Sets != 0 {
		t.Error("setWebhook was called with a bad configuration")
	}
}

// TestRunDeletesWebhook: polling after webhook mode removes the webhook
// (else getUpdates fails with 409); a bot with no webhook deletes nothing.
func TestRunDeletesWebhook(t *testing.T) {
	hs := newHarness(t, &echoHandler{})
	hs.srv.SetWebhook("https://bot.example.org/hook", "abc")
	hs.srv.PushText(841, 841, "halo")
	hs.start(t)
	if got := texts(hs.srv.WaitSent(t, 841, 1, replyWait)); got[0] != "echo:halo" {
		t.Errorf("got %q", got)
	}
	if w := hs.srv.Webhook(); w.URL != "" || w.Deletes != 1 {
		t.Errorf("webhook after Run: %+v, want deleted once", w)
	}

	plain := newHarness(t, &echoHandler{})
	plain.start(t)
	plain.srv.PushText(842, 842, "halo")
	plain.srv.WaitSent(t, 842, 1, replyWait)
	if w := plain.srv.Webhook(); w.Deletes != 0 || w.InfoQueries != 1 {
		t.Errorf("without a webhook: %+v, want one getWebhookInfo and no deleteWebhook", w)
	}
}

// TestWebhookReplicasShareTheShards: two replicas behind a load balancer
// that alternates between them. Each consumes some of the queue shards, so
// both handle chats, and every chat's messages are answered in order.
func TestWebhookReplicasShareTheShards(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	rdb, prefix := storetest.Redis(t)
	store := redisstore.New(rdb, prefix)
	shards := make([]QueueConsumer, 4)
	for i := range shards {
		shards[i] = redisstore.NewQueue(rdb, fmt.Sprintf("%s{tg-updates-%d}", prefix, i))
	}
	type replica struct {
		h   *echoHandler
		url string
	}
	var replicas []replica
	var held [2]atomic.Int32 // shards each replica consumes
	for r, holder := range []string{"r1", "r2"} {
		h := &echoHandler{}
		bot, err := New(Config{Token: testToken, APIURL: srv.URL(), PollTimeout: time.Second}, h, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		bot.typingDelay = time.Hour
		addr := freeAddr(t)
		cfg := WebhookConfig{URL: "http://" + addr + "/hook", ListenAddr: addr, Secret: webhookSecret, Queues: shards,
			Consume: func(ctx context.Context, consume func(context.Context, int) error) error {
				return redisstore.HoldShare(ctx, store, "tg-consumer", holder, len(shards), 300*time.Millisecond,
					func(ctx context.Context, shard int) error {
						held[r].Add(1)
						defer held[r].Add(-1)
						return consume(ctx, shard)
					})
			}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.ServeWebhook(ctx, cfg) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("ServeWebhook(%s): %v", holder, err)
			}
		})
		replicas = append(replicas, replica{h: h, url: cfg.URL})
	}
	// Both replicas listen, and split the shards: two each.
	for _, r := range replicas {
		waitUntilUp(t, r.url)
	}
	wait.Until(t, "the replicas to consume two shards each", replyWait, func() bool {
		return held[0].Load() == 2 && held[1].Load() == 2
	})

	const chats, perChat = 8, 5
	id := 0
	for m := range perChat {
		for c := range int64(chats) {
			id++
			body := fmt.Sprintf(`{"update_id":%d,%s`, id, telegramtest.TextUpdate(2000+c, m+1, fmt.Sprint("m", m))[1:])
			if code := post(t, replicas[id%2].url, http.MethodPost, webhookSecret, body); code != http.StatusOK {
				t.Fatalf("replica %d answered %d", id%2, code)
			}
		}
	}
	for c := range int64(chats) {
		got := texts(srv.WaitSent(t, 2000+c, perChat, replyWait))
		want := []string{"echo:m0", "echo:m1", "echo:m2", "echo:m3", "echo:m4"}
		if !slices.Equal(got, want) {
			t.Errorf("chat %d got %q, want %q", 2000+c, got, want)
		}
	}
	for i, r := range replicas {
		r.h.mu.Lock()
		n := len(r.h.calls)
		r.h.mu.Unlock()
		if n == 0 {
			t.Errorf("replica %d handled nothing: the shards were not shared", i+1)
		}
	}
}

// waitUntilUp waits until a webhook URL accepts connections.
func waitUntilUp(t *testing.T, rawURL string) {
	t.Helper()
	host := strings.TrimPrefix(rawURL, "http://")
	host, _, _ = strings.Cut(host, "/")
	wait.Until(t, rawURL+" to listen", 5*time.Second, func() bool {
		c, err := net.Dial("tcp", host)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

}
