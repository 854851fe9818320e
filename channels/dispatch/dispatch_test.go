package dispatch_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
)

// wait bounds every wait of these tests for an event.
const wait = 5 * time.Second

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// record collects what a dispatcher handled and finished, per chat.
type record struct {
	mu       sync.Mutex
	handled  map[string][]int
	finished map[string][]int
}

func newRecord() *record {
	return &record{handled: map[string][]int{}, finished: map[string][]int{}}
}

func (r *record) handle(_ context.Context, chat string, msg int) error {
	r.mu.Lock()
	r.handled[chat] = append(r.handled[chat], msg)
	r.mu.Unlock()
	return nil
}

func (r *record) finish(chat string, msg int) {
	r.mu.Lock()
	r.finished[chat] = append(r.finished[chat], msg)
	r.mu.Unlock()
}

func (r *record) get(m map[string][]int, chat string) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(m[chat])
}

// start returns a dispatcher on its own pool of n workers, closed with the
// test.
func start(t *testing.T, n int, cfg dispatch.Config[string, int]) *dispatch.Dispatcher[string, int] {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = quiet()
	}
	if cfg.Name == "" {
		cfg.Name = "test message"
	}
	pool := dispatch.NewPool(n)
	d := dispatch.New(context.Background(), context.Background(), pool, cfg)
	t.Cleanup(func() {
		d.Close()
		pool.Close()
	})
	return d
}

func TestDispatcherKeepsChatOrderAndRunsChatsInParallel(t *testing.T) {
	r := newRecord()
	fastDone := make(chan struct{})
	handle := func(ctx context.Context, chat string, msg int) error {
		if chat == "slow" && msg == 0 {
			// Chat slow blocks until chat fast has run: only parallel
			// workers get there.
			select {
			case <-fastDone:
			case <-time.After(wait):
				t.Error("chat fast did not run while chat slow was busy")
			}
		}
		if chat == "fast" {
			close(fastDone)
		}
		return r.handle(ctx, chat, msg)
	}
	d := start(t, 3, dispatch.Config[string, int]{Handle: handle, Finished: r.finish})
	for i := range 51 {
		d.Add("slow", i)
	}
	d.Add("fast", 0)
	d.Idle()
	got := r.get(r.handled, "slow")
	if len(got) != 51 {
		t.Fatalf("handled %d messages of chat slow, want 51", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("chat slow handled out of order: %v", got)
		}
	}
	if f := r.get(r.finished, "slow"); !slices.Equal(f, got) {
		t.Errorf("finished %v, want every handled message in order", f)
	}
}

// A chat with many messages goes back behind the others after each: on one
// worker, a chat that arrives later is not kept waiting for the whole
// backlog of a fast one.
func TestDispatcherIsFairBetweenChats(t *testing.T) {
	var (
		mu    sync.Mutex
		order []string
	)
	gate := make(chan struct{})
	handle := func(_ context.Context, chat string, msg int) error {
		if chat == "fast" && msg == 0 {
			<-gate
		}
		mu.Lock()
		order = append(order, chat)
		mu.Unlock()
		return nil
	}
	d := start(t, 1, dispatch.Config[string, int]{Handle: handle})
	for i := range 10 {
		d.Add("fast", i)
	}
	d.Add("other", 0)
	close(gate)
	d.Idle()
	if i := slices.Index(order, "other"); i != 1 {
		t.Errorf("chat other handled at position %d of %v, want 1: right after fast's first", i, order)
	}
}

// blockingClock sleeps until told to wake, so a test can see what happens
// while a failed message waits out its backoff.
type blockingClock struct {
	asleep chan time.Duration
	wake   chan bool
}

func (c *blockingClock) Now() time.Time { return time.Now() }

func (c *blockingClock) Sleep(ctx context.Context, d time.Duration) bool {
	c.asleep <- d
	select {
	case ok := <-c.wake:
		return ok
	case <-ctx.Done():
		return false
	}
}

// A failed message is tried again after its backoff, off the pool: on one
// worker another chat is handled while it waits, and the failed chat's
// later message does not overtake it.
func TestDispatcherRetriesOffThePoolInOrder(t *testing.T) {
	r := newRecord()
	var failed atomic.Bool
	bDone := make(chan struct{})
	handle := func(ctx context.Context, chat string, msg int) error {
		if chat == "a" && msg == 1 && !failed.Swap(true) {
			return errors.New("storage down")
		}
		if chat == "b" {
			defer close(bDone)
		}
		return r.handle(ctx, chat, msg)
	}
	clk := &blockingClock{asleep: make(chan time.Duration), wake: make(chan bool)}
	d := start(t, 1, dispatch.Config[string, int]{
		Handle: handle, Finished: r.finish, Clock: clk,
		Backoff: dispatch.Backoff{Min: time.Second, Max: time.Minute},
	})
	d.Add("a", 1)
	d.Add("a", 2)
	var delay time.Duration
	select {
	case delay = <-clk.asleep:
	case <-time.After(wait):
		t.Fatal("the failed message was not set to wait")
	}
	if delay != time.Second {
		t.Errorf("first retry after %v, want the backoff's 1s", delay)
	}
	// The only worker is free: another chat goes through meanwhile.
	d.Add("b", 1)
	select {
	case <-bDone:
	case <-time.After(wait):
		t.Fatal("chat b waited for chat a's backoff")
	}
	if got := r.get(r.handled, "a"); len(got) != 0 {
		t.Fatalf("chat a handled %v while its first message waited", got)
	}
	clk.wake <- true
	d.Idle()
	if got := r.get(r.handled, "a"); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("chat a handled %v, want [1 2]", got)
	}
}

// Errors are tried until they succeed when MaxAttempts is 0; panics are
// given up after MaxPanics attempts, through GiveUp and Finished, and the
// chat goes on.
func TestDispatcherGivesUpPanicsButNotErrors(t *testing.T) {
	r := newRecord()
	var attempts [3]atomic.Int32
	handle := func(ctx context.Context, chat string, msg int) error {
		switch n := attempts[msg].Add(1); {
		case msg == 0 && n < 6:
			return errors.New("storage down")
		case msg == 1:
			panic("engine bug")
		}
		return r.handle(ctx, chat, msg)
	}
	var gaveUp []int
	clk := dispatchtest.NewClock(t0)
	d := start(t, 2, dispatch.Config[string, int]{
		Handle: handle, Finished: r.finish, Clock: clk, MaxPanics: 3,
		Backoff: dispatch.Backoff{Min: time.Second, Max: 4 * time.Second},
		GiveUp: func(_ context.Context, chat string, msg, n int, err error) {
			if _, ok := errors.AsType[*dispatch.PanicError](err); !ok {
				t.Errorf("given up with %v, want the panic", err)
			}
			gaveUp = append(gaveUp, msg, n)
		},
	})
	for i := range 3 {
		d.Add("c", i)
	}
	d.Idle()
	if n := attempts[0].Load(); n != 6 {
		t.Errorf("a failing message tried %d times, want 6: until it succeeded", n)
	}
	if n := attempts[1].Load(); n != 3 {
		t.Errorf("a panicking message tried %d times, want MaxPanics (3)", n)
	}
	if !slices.Equal(gaveUp, []int{1, 3}) {
		t.Errorf("GiveUp got (message, attempts) %v, want [1 3]", gaveUp)
	}
	if got := r.get(r.handled, "c"); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("handled %v, want [0 2]", got)
	}
	if got := r.get(r.finished, "c"); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("finished %v, want all three: the given-up one too", got)
	}
	want := []time.Duration{1, 2, 4, 4, 4, 1, 2}
	for i := range want {
		want[i] *= time.Second
	}
	if got := clk.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("backoffs %v, want %v (reset after a success)", got, want)
	}
}

// MaxAttempts gives up a message that always fails with an error.
func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	r := newRecord()
	var tries atomic.Int32
	handle := func(ctx context.Context, chat string, msg int) error {
		if msg == 0 {
			tries.Add(1)
			return errors.New("always")
		}
		return r.handle(ctx, chat, msg)
	}
	var given atomic.Int32
	d := start(t, 1, dispatch.Config[string, int]{
		Handle: handle, Finished: r.finish, Clock: dispatchtest.NewClock(t0), MaxAttempts: 4,
		GiveUp: func(context.Context, string, int, int, error) { given.Add(1) },
	})
	d.Add("c", 0)
	d.Add("c", 1)
	d.Idle()
	if n := tries.Load(); n != 4 {
		t.Errorf("tried %d times, want 4", n)
	}
	if given.Load() != 1 || !slices.Equal(r.get(r.handled, "c"), []int{1}) {
		t.Errorf("given up %d times, handled %v; want once, then [1]", given.Load(), r.get(r.handled, "c"))
	}
}

// An outage (a transient failure) is no attempt of the message's own: a
// message failing with one more often than MaxAttempts is still tried
// until it succeeds; the attempts it fails on its own count as before.
func TestDispatcherDoesNotCountTransientFailures(t *testing.T) {
	r := newRecord()
	outage := errors.New("database down")
	var tries atomic.Int32
	handle := func(ctx context.Context, chat string, msg int) error {
		switch n := tries.Add(1); {
		case n <= 10:
			return outage
		case n <= 12:
			return errors.New("its own failure")
		}
		return r.handle(ctx, chat, msg)
	}
	var given atomic.Int32
	d := start(t, 1, dispatch.Config[string, int]{
		Handle: handle, Finished: r.finish, Clock: dispatchtest.NewClock(t0), MaxAttempts: 3,
		Transient: func(err error) bool { return errors.Is(err, outage) },
		GiveUp:    func(context.Context, string, int, int, error) { given.Add(1) },
	})
	d.Add("c", 0)
	d.Idle()
	if n := tries.Load(); n != 13 || given.Load() != 0 || !slices.Equal(r.get(r.handled, "c"), []int{0}) {
		t.Errorf("tried %d times, given up %d times, handled %v; want 13, never, [0]", n, given.Load(), r.get(r.handled, "c"))
	}
}

// At the stop the message in hand finishes with the work context, the
// chats' waiting messages are dropped unreported, and a message added
// after Close is refused.
func TestDispatcherStopDropsWhatWaits(t *testing.T) {
	r := newRecord()
	entered, release := make(chan struct{}), make(chan struct{})
	var workErr atomic.Value
	handle := func(ctx context.Context, chat string, msg int) error {
		if msg == 0 {
			close(entered)
			<-release
			workErr.Store(ctx.Err() == nil)
		}
		return r.handle(ctx, chat, msg)
	}
	stop, cancel := context.WithCancel(context.Background())
	pool := dispatch.NewPool(1)
	defer pool.Close()
	d := dispatch.New(stop, context.Background(), pool, dispatch.Config[string, int]{
		Name: "test message", Handle: handle, Finished: r.finish, Log: quiet(),
	})
	d.Add("a", 0)
	d.Add("a", 1)
	d.Add("b", 0)
	<-entered
	cancel()
	close(release)
	d.Close()
	if got := r.get(r.finished, "a"); !slices.Equal(got, []int{0}) {
		t.Errorf("chat a finished %v, want only the message in hand", got)
	}
	if got := r.get(r.handled, "b"); len(got) != 0 {
		t.Errorf("chat b handled %v after the stop", got)
	}
	if ok, _ := workErr.Load().(bool); !ok {
		t.Error("the message in hand saw its context cancelled by the stop")
	}
	if d.Add("a", 2) {
		t.Error("Add accepted a message after Close")
	}
}

// When stop is the grace itself (WhatsApp's queue, which nothing delivers
// again without a journal), Close runs every message already queued.
func TestDispatcherCloseDrainsBeforeTheStop(t *testing.T) {
	r := newRecord()
	d := start(t, 1, dispatch.Config[string, int]{Handle: r.handle, Finished: r.finish})
	for i := range 5 {
		d.Add("a", i)
	}
	d.Close()
	if got := r.get(r.finished, "a"); len(got) != 5 {
		t.Errorf("ran %d queued messages on Close, want 5", len(got))
	}
}

// A failure during the stop is not retried: the message comes again from
// its source.
func TestDispatcherFailureAtTheStopIsNotRetried(t *testing.T) {
	var tries atomic.Int32
	stop, cancel := context.WithCancel(context.Background())
	handle := func(context.Context, string, int) error {
		tries.Add(1)
		cancel()
		return errors.New("interrupted")
	}
	pool := dispatch.NewPool(1)
	defer pool.Close()
	finished := false
	d := dispatch.New(stop, context.Background(), pool, dispatch.Config[string, int]{
		Name: "test message", Handle: handle, Log: quiet(),
		Finished: func(string, int) { finished = true },
	})
	d.Add("a", 0)
	d.Close()
	if tries.Load() != 1 || finished {
		t.Errorf("tried %d times, finished %v; want once, not finished", tries.Load(), finished)
	}
}

// The log lines name the message and mask the chat.
func TestDispatcherLogsMaskedChats(t *testing.T) {
	var buf syncBuffer
	handle := func(context.Context, string, int) error { panic("engine bug") }
	d := start(t, 1, dispatch.Config[string, int]{
		Name: "whatsapp message", Handle: handle, MaxPanics: 1,
		Log: slog.New(slog.NewTextHandler(&buf, nil)),
	})
	d.Add("6281234567890", 0)
	d.Idle()
	logs := buf.String()
	for _, want := range []string{"whatsapp message: handler panicked", "whatsapp message given up", "6281*******90"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "6281234567890") {
		t.Errorf("a chat id is logged in full:\n%s", logs)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func TestDispatcherCountsChatsInHand(t *testing.T) {
	release := make(chan struct{})
	d := start(t, 1, dispatch.Config[string, int]{Handle: func(ctx context.Context, chat string, msg int) error {
		<-release
		return nil
	}})
	if n := d.Chats(); n != 0 {
		t.Fatalf("%d chats in hand before any message", n)
	}
	d.Add("a", 1)
	d.Add("a", 2)
	d.Add("b", 1)
	if n := d.Chats(); n != 2 {
		t.Errorf("%d chats in hand, want 2 (one handled, one waiting for the worker)", n)
	}
	close(release)
	d.Idle()
	if n := d.Chats(); n != 0 {
		t.Errorf("%d chats in hand once idle", n)
	}
}
