package delivery

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// TestOutboxSendsInOrderAndKeepsWhatAStopInterrupted: notifications queued
// by any process are sent by the drainer in order, with their files, and
// removed once sent or given up; the one a stop interrupted is sent by the
// next drainer.
func TestOutboxSendsInOrderAndKeepsWhatAStopInterrupted(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	q := redisstore.NewQueue(rdb, prefix+"{whatsapp-outbox}")
	queue := func(ctx context.Context, chat string, r conversation.Reply) error {
		return queueNotification(ctx, q, chat, r)
	}
	ctx := context.Background()
	photo := services.StoredFile{Kind: "photo", MIME: "image/jpeg", Size: 3, SHA256: "ab", Path: "ab/cd.jpg"}
	for _, n := range []struct{ chat, text string }{{"6281", "one"}, {"6282", "refused"}, {"6281", "two"}, {"6283", "stuck"}, {"6281", "three"}} {
		r := conversation.Reply{Text: n.text}
		if n.text == "one" {
			r.Files = []services.StoredFile{photo}
		}
		if err := queue(ctx, n.chat, r); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	var (
		mu   sync.Mutex
		sent []string
	)
	dctx, stop := context.WithCancel(ctx)
	first := func(ctx context.Context, chat string, r conversation.Reply) error {
		switch r.Text {
		case "refused":
			return errors.New("not a contact")
		case "stuck":
			stop() // the process stops while this one is being sent
			return ctx.Err()
		}
		if r.Text == "one" && (len(r.Files) != 1 || r.Files[0] != photo) {
			t.Errorf("files lost on the way: %+v", r.Files)
		}
		mu.Lock()
		sent = append(sent, chat+":"+r.Text)
		mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	go func() { drainOutbox(dctx, q, SendNow(first), log); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("drainOutbox did not return after its stop")
	}
	if want := []string{"6281:one", "6281:two"}; !slices.Equal(sent, want) {
		t.Fatalf("first drainer sent %q, want %q", sent, want)
	}

	// The next holder sends what is left, the interrupted one first.
	sent = nil
	dctx, stop = context.WithCancel(ctx)
	defer stop()
	next := func(ctx context.Context, chat string, r conversation.Reply) error {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, chat+":"+r.Text)
		if len(sent) == 2 {
			stop()
		}
		return nil
	}
	drainOutbox(dctx, q, SendNow(next), log)
	if want := []string{"6283:stuck", "6281:three"}; !slices.Equal(sent, want) {
		t.Fatalf("next drainer sent %q, want %q", sent, want)
	}
	if n, err := q.Requeue(ctx); err != nil || n != 0 {
		t.Errorf("outbox still holds %d notifications (%v), want none", n, err)
	}
	if n, err := q.Len(ctx); err != nil || n != 0 {
		t.Errorf("outbox queue holds %d (%v), want none", n, err)
	}
}

// TestOutboxWaitsForALaterDone: a channel that sends after it returned
// (Telegram's paced outbox) has its notifications removed only when it says
// they went out; those it never finishes come back for the next holder.
func TestOutboxWaitsForALaterDone(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	q := redisstore.NewQueue(rdb, prefix+"{telegram-outbox}")
	ctx := context.Background()
	for _, text := range []string{"a", "b", "c"} {
		if err := queueNotification(ctx, q, "9001", conversation.Reply{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu    sync.Mutex
		dones = map[string]func(){}
	)
	took := make(chan string, 3)
	dctx, stop := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() {
		drainOutbox(dctx, q, func(_ context.Context, _ string, r conversation.Reply, done func()) error {
			mu.Lock()
			dones[r.Text] = done
			mu.Unlock()
			took <- r.Text
			return nil
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(finished)
	}()
	for range 3 {
		select {
		case <-took:
		case <-time.After(5 * time.Second):
			t.Fatal("the channel was not given all three")
		}
	}
	// a and c went out; b is still paced when the process stops.
	mu.Lock()
	dones["a"]()
	dones["c"]()
	dones["c"]() // a second call changes nothing
	mu.Unlock()
	stop()
	<-finished
	n, err := q.Requeue(ctx)
	if err != nil || n != 1 {
		t.Fatalf("requeued %d (%v), want only b back", n, err)
	}
	left, err := q.Pop(ctx, 10, 0)
	if err != nil || len(left) != 1 || !strings.Contains(string(left[0]), `"Text":"b"`) {
		t.Fatalf("left %q (%v), want b", left, err)
	}
}

// TestOutboxJobsSendWhatAnyProcessQueued: a notification routed to a
// channel in one process is sent by the process running the channel's
// outbox job: the Drainer for a channel any process sends on, the Session
// beside the connection for one a single process holds. Each job gives its
// lease back when it ends, so the next one can start at once.
func TestOutboxJobsSendWhatAnyProcessQueued(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	ctx := context.Background()
	process := func() *Core {
		return New(Config{Redis: rdb, Prefix: prefix, States: redisstore.New(rdb, prefix), Durable: true, Log: slog.New(slog.DiscardHandler)})
	}
	queuing, sending := process(), process()
	queuing.Outbox("telegram")
	queuing.Outbox("whatsapp")
	for _, to := range []conversation.ChatKey{{Channel: "telegram", ChatID: "42"}, {Channel: "whatsapp", ChatID: "6281"}} {
		if err := queuing.Notify(ctx, to, conversation.Reply{Text: "kasus baru"}); err != nil {
			t.Fatal(err)
		}
	}
	sent := make(chan string, 2)
	record := func(channel string) SendFunc {
		return func(_ context.Context, chatID string, r conversation.Reply) error {
			sent <- channel + ":" + chatID + ":" + r.Text
			return nil
		}
	}
	wait := func(want string) {
		t.Helper()
		select {
		case got := <-sent:
			if got != want {
				t.Errorf("sent %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%q was not sent", want)
		}
	}

	dctx, stop := context.WithCancel(ctx)
	drained := make(chan error, 1)
	go func() { drained <- sending.Outbox("telegram").Drainer(SendNow(record("telegram")))(dctx) }()
	wait("telegram:42:kasus baru")
	stop()
	if err := <-drained; err != nil {
		t.Errorf("drainer = %v", err)
	}

	session := sending.Outbox("whatsapp").Session(func(ctx context.Context) error {
		wait("whatsapp:6281:kasus baru") // sent while the connection runs
		return errors.New("logged out")
	}, SendNow(record("whatsapp")))
	if err := session(ctx); err == nil || err.Error() != "logged out" {
		t.Errorf("session = %v, want the connection's error", err)
	}
	for _, lease := range []string{"telegram-outbox", "whatsapp"} {
		if ok, err := queuing.cfg.States.Lease(ctx, lease, "next", time.Second); err != nil || !ok {
			t.Errorf("lease %s not given back (%v)", lease, err)
		}
	}
	for _, name := range []string{"telegram-outbox", "whatsapp-outbox"} {
		if n, err := redisstore.NewQueue(rdb, prefix+"{"+name+"}").Backlog(ctx); err != nil || n != 0 {
			t.Errorf("%s owes %d (%v), want nothing", name, n, err)
		}
	}
}
