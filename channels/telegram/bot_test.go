package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/conversation"
)

const testToken = "123456:TEST-token_abc"

// echoHandler answers like a tiny engine: text is echoed, a choice is named,
// anything else is "unsupported". Like the real engine it drops a message id
// it has already answered. hook, when set, runs first and may fail the call.
type echoHandler struct {
	hook func(ctx context.Context, in conversation.Inbound) error

	mu       sync.Mutex
	calls    []conversation.Inbound
	answered map[string]bool

	active, peak atomic.Int32
}

func (h *echoHandler) Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	n := h.active.Add(1)
	defer h.active.Add(-1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	h.mu.Lock()
	h.calls = append(h.calls, in)
	h.mu.Unlock()
	if h.hook != nil {
		if err := h.hook(ctx, in); err != nil {
			return nil, err
		}
	}
	key := in.Chat.Channel + ":" + in.Chat.ChatID + "/" + in.MessageID
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.answered == nil {
		h.answered = make(map[string]bool)
	}
	if h.answered[key] {
		return nil, nil
	}
	h.answered[key] = true
	switch in.Kind {
	case conversation.KindText:
		return []conversation.Reply{{Text: "echo:" + in.Text, Options: []conversation.Option{
			{Label: "Ya", Payload: "yes"}, {Label: "Tidak", Payload: "no"},
		}}}, nil
	case conversation.KindChoice:
		return []conversation.Reply{{Text: "chose:" + in.Payload}}, nil
	default:
		return []conversation.Reply{{Text: "unsupported:" + in.Media}}, nil
	}
}

func (h *echoHandler) callsFor(messageID string) []conversation.Inbound {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []conversation.Inbound
	for _, in := range h.calls {
		if in.MessageID == messageID {
			out = append(out, in)
		}
	}
	return out
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	srv  *telegramtest.Server
	bot  *Bot
	h    *echoHandler
	logs *syncBuffer
	stop func() error // cancels Run and returns what it returned
}

// newHarness builds a bot against a fake server with short backoffs. start
// runs it; tests that need updates queued first push before calling it.
func newHarness(t *testing.T, h *echoHandler) *harness {
	t.Helper()
	srv := telegramtest.NewServer(t, testToken)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bot, err := New(Config{Token: testToken, APIURL: srv.URL(), PollTimeout: time.Second}, h, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	bot.minBackoff = 50 * time.Millisecond
	bot.maxBackoff = 200 * time.Millisecond
	bot.sendBackoff = 20 * time.Millisecond
	bot.typingDelay = 0 // the tests see the indicator on every text
	return &harness{srv: srv, bot: bot, h: h, logs: logs}
}

func (hs *harness) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hs.bot.Run(ctx) }()
	var once sync.Once
	var result error
	hs.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(10 * time.Second):
				result = errors.New("Run did not return within 10s of the stop")
			}
		})
		return result
	}
	t.Cleanup(func() {
		if err := hs.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func texts(msgs []telegramtest.SentMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// replyWait bounds how long a test waits for the bot's answer.
const replyWait = 5 * time.Second

func TestRunEchoesTextWithButtons(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.start(t)
	secret := "NIK 3307051234560001"
	id := hs.srv.PushText(501, 501, secret)

	got := hs.srv.WaitSent(t, 501, 1, replyWait)
	if got[0].Text != "echo:"+secret {
		t.Errorf("reply = %q", got[0].Text)
	}
	want := [][]telegramtest.Button{{{Text: "1. Ya", Data: "yes"}}, {{Text: "2. Tidak", Data: "no"}}}
	if !slices.EqualFunc(got[0].Buttons, want, slices.Equal) {
		t.Errorf("buttons = %v, want %v", got[0].Buttons, want)
	}
	if got[0].ParseMode != "" {
		t.Errorf("parse mode = %q, want none", got[0].ParseMode)
	}
	if !slices.Contains(hs.srv.ChatActions(), telegramtest.ChatAction{ChatID: 501, Action: "typing"}) {
		t.Errorf("no typing action sent: %v", hs.srv.ChatActions())
	}
	calls := hs.h.callsFor("1")
	if len(calls) != 1 || calls[0].Chat != (conversation.ChatKey{Channel: "telegram", ChatID: "501"}) ||
		calls[0].SenderID != "501" || calls[0].SenderName != "Warga Uji" || calls[0].At.IsZero() {
		t.Errorf("handler got %+v", calls)
	}
	hs.srv.WaitOffset(t, id+1, replyWait)

	if err := hs.stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	logs := hs.logs.String()
	if strings.Contains(logs, "3307051234560001") {
		t.Errorf("message text leaked into logs:\n%s", logs)
	}
	if strings.Contains(logs, testToken) {
		t.Errorf("token leaked into logs:\n%s", logs)
	}
}

func TestRunCallbackIsHandledAndAnswered(t *testing.T) {
	t.Parallel()
	failed := atomic.Bool{}
	h := &echoHandler{hook: func(_ context.Context, in conversation.Inbound) error {
		if in.Payload == "broken" && !failed.Swap(true) {
			return errors.New("engine down")
		}
		return nil
	}}
	hs := newHarness(t, h)
	hs.start(t)

	id := hs.srv.PushCallback(601, 601, "svc:sktm")
	got := hs.srv.WaitSent(t, 601, 1, replyWait)
	if got[0].Text != "chose:svc:sktm" {
		t.Errorf("reply = %q", got[0].Text)
	}
	if calls := h.callsFor("cb:" + telegramtest.CallbackID(id)); len(calls) != 1 || calls[0].Kind != conversation.KindChoice {
		t.Errorf("handler calls = %+v", calls)
	}
	if !slices.Contains(hs.srv.AnsweredCallbacks(), telegramtest.CallbackID(id)) {
		t.Errorf("callback %s not answered: %v", telegramtest.CallbackID(id), hs.srv.AnsweredCallbacks())
	}

	// A press the engine fails on is answered anyway, then delivered again.
	broken := hs.srv.PushCallback(602, 602, "broken")
	hs.srv.WaitSent(t, 602, 1, replyWait)
	answers := 0
	for _, a := range hs.srv.AnsweredCallbacks() {
		if a == telegramtest.CallbackID(broken) {
			answers++
		}
	}
	if answers != 2 {
		t.Errorf("failed-then-handled callback answered %d times, want 2 (once per delivery)", answers)
	}

	// A press in a group is not the engine's business but still answered.
	group := hs.srv.PushUpdate([]byte(`{"callback_query":{"id":"grp-1","from":{"id":9,"is_bot":false,"first_name":"A"},
		"message":{"message_id":3,"date":1,"chat":{"id":-100123,"type":"supergroup","title":"RT"}},
		"chat_instance":"1","data":"svc:sktm"}}`))
	hs.srv.WaitOffset(t, group+1, replyWait)
	if !slices.Contains(hs.srv.AnsweredCallbacks(), "grp-1") {
		t.Errorf("group callback not answered: %v", hs.srv.AnsweredCallbacks())
	}
	if calls := h.callsFor("cb:grp-1"); len(calls) != 0 {
		t.Errorf("group callback reached the handler: %+v", calls)
	}
}

func TestRunRedeliversFailedUpdate(t *testing.T) {
	t.Parallel()
	var (
		failedOnce    atomic.Bool
		offsetAtRetry atomic.Int64
	)
	var srv *telegramtest.Server
	h := &echoHandler{}
	h.hook = func(_ context.Context, in conversation.Inbound) error {
		if in.Text != "flaky" {
			return nil
		}
		if !failedOnce.Swap(true) {
			return errors.New("state store unavailable")
		}
		offsetAtRetry.Store(int64(srv.Offset()))
		return nil
	}
	hs := newHarness(t, h)
	srv = hs.srv
	// One batch: chat 701 fails on its first update, so its second must wait;
	// chat 702 is handled at once and, being above the failed offset, is
	// delivered again (the engine drops it).
	flaky := srv.PushText(701, 701, "flaky")
	srv.PushText(701, 701, "after")
	other := srv.PushText(702, 702, "other")
	hs.start(t)

	got := srv.WaitSent(t, 701, 2, replyWait)
	if !slices.Equal(texts(got), []string{"echo:flaky", "echo:after"}) {
		t.Errorf("chat 701 got %q, want flaky then after", texts(got))
	}
	if off := int(offsetAtRetry.Load()); off > flaky {
		t.Errorf("offset was %d when the failed update %d came back, want <= %d", off, flaky, flaky)
	}
	srv.WaitOffset(t, other+1, replyWait)
	if got := srv.SentTo(702); len(got) != 1 {
		t.Errorf("chat 702 got %d replies, want 1", len(got))
	}
	if n := len(h.callsFor("1")); n != 2 {
		t.Errorf("flaky update handled %d times, want 2", n)
	}
	if !strings.Contains(hs.logs.String(), "telegram update not handled") {
		t.Errorf("failure not logged")
	}
}

func TestRunRetriesRateLimitedSend(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.srv.FailNextSends(429, 1, 1)
	hs.start(t)

	start := time.Now()
	hs.srv.PushText(801, 801, "halo")
	got := hs.srv.WaitSent(t, 801, 1, replyWait)
	if got[0].Text != "echo:halo" {
		t.Errorf("reply = %q", got[0].Text)
	}
	if n := hs.srv.SendAttempts(801); n != 2 {
		t.Errorf("send attempts = %d, want 2", n)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %s, want at least retry_after (1s)", d)
	}
}

func TestRunRetriesServerErrorsThenGivesUp(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.start(t)

	hs.srv.FailNextSends(500, 0, 2)
	hs.srv.PushText(811, 811, "a")
	hs.srv.WaitSent(t, 811, 1, replyWait)
	if n := hs.srv.SendAttempts(811); n != 3 {
		t.Errorf("attempts after two 500s = %d, want 3", n)
	}

	// Three failures exhaust the budget: the reply is lost, but the update
	// counts as handled (its state is committed) and the chat goes on.
	hs.srv.FailNextSends(502, 0, 3)
	lost := hs.srv.PushText(812, 812, "b")
	hs.srv.WaitOffset(t, lost+1, replyWait)
	if n := hs.srv.SendAttempts(812); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
	if got := hs.srv.SentTo(812); len(got) != 0 {
		t.Errorf("chat 812 got %q, want nothing", texts(got))
	}
	hs.srv.PushText(812, 812, "c")
	if got := hs.srv.WaitSent(t, 812, 1, replyWait); got[0].Text != "echo:c" {
		t.Errorf("next reply = %q", got[0].Text)
	}
	if !strings.Contains(hs.logs.String(), "telegram reply not sent") {
		t.Errorf("lost reply not logged")
	}
}

func TestRunBlockedChatDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.srv.BlockChat(901)
	var last int
	for i := range 5 {
		hs.srv.PushText(901, 901, fmt.Sprint("x", i))
		last = hs.srv.PushText(902, 902, fmt.Sprint("y", i))
	}
	hs.start(t)

	got := hs.srv.WaitSent(t, 902, 5, replyWait)
	if !slices.Equal(texts(got), []string{"echo:y0", "echo:y1", "echo:y2", "echo:y3", "echo:y4"}) {
		t.Errorf("chat 902 got %q", texts(got))
	}
	hs.srv.WaitOffset(t, last+1, replyWait)
	if n := hs.srv.SendAttempts(901); n != 5 {
		t.Errorf("attempts to the blocked chat = %d, want 5 (one per update, no retry)", n)
	}

	// A one-off 403 is not retried either, and the next message goes through.
	hs.srv.FailNextSends(403, 0, 1)
	id := hs.srv.PushText(903, 903, "z")
	hs.srv.WaitOffset(t, id+1, replyWait)
	if n := hs.srv.SendAttempts(903); n != 1 {
		t.Errorf("attempts after 403 = %d, want 1", n)
	}
	logs := hs.logs.String()
	if !strings.Contains(logs, "level=INFO msg=\"telegram chat unreachable, replies dropped\" channel=telegram chat=***") {
		t.Errorf("blocked chat not logged at info:\n%s", logs)
	}
}

func TestRunKeepsPerChatOrder(t *testing.T) {
	t.Parallel()
	h := &echoHandler{hook: func(_ context.Context, in conversation.Inbound) error {
		// Uneven work, so parallel chats interleave and any reordering
		// shows. Not a wait for an event: the sleep is the work.
		time.Sleep(time.Duration(len(in.Text)%3) * time.Millisecond)
		return nil
	}}
	hs := newHarness(t, h)
	chats := []int64{1001, 1002, 1003}
	for i := range 10 {
		for _, c := range chats {
			hs.srv.PushText(c, c, fmt.Sprintf("m%0*d", i%3+1, i))
		}
	}
	hs.start(t)
	for _, c := range chats {
		got := hs.srv.WaitSent(t, c, 10, replyWait)
		var want []string
		for i := range 10 {
			want = append(want, fmt.Sprintf("echo:m%0*d", i%3+1, i))
		}
		if !slices.Equal(texts(got), want) {
			t.Errorf("chat %d got %q, want %q", c, texts(got), want)
		}
	}
	if p := h.peak.Load(); p < 2 {
		t.Errorf("peak parallel chats = %d, want at least 2", p)
	}
}

func TestRunBoundsParallelChats(t *testing.T) {
	t.Parallel()
	// Each chat is held until two are handled at once. With more workers
	// than Workers the six chats, taken by one poll, would all start
	// together and pass two. (The pool's exact bound is dispatch's test.)
	var h *echoHandler
	h = &echoHandler{hook: func(context.Context, conversation.Inbound) error {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for deadline := time.Now().Add(replyWait); h.peak.Load() < 2 && time.Now().Before(deadline); {
			<-tick.C
		}
		return nil
	}}
	hs := newHarness(t, h)
	for c := range int64(6) {
		hs.srv.PushText(1100+c, 1100+c, "hi")
	}
	hs.bot.workers = 2
	hs.start(t)
	for c := range int64(6) {
		hs.srv.WaitSent(t, 1100+c, 1, replyWait)
	}
	if p := h.peak.Load(); p != 2 {
		t.Errorf("peak parallel chats = %d, want 2 (Workers)", p)
	}
}

func TestRunGracefulStopFinishesUpdateInHand(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	var ctxErrAfter atomic.Value
	h := &echoHandler{hook: func(ctx context.Context, in conversation.Inbound) error {
		close(entered)
		<-release
		ctxErrAfter.Store(fmt.Sprint(ctx.Err()))
		return nil
	}}
	hs := newHarness(t, h)
	hs.start(t)
	id := hs.srv.PushText(1201, 1201, "slow")
	<-entered

	stopped := make(chan error, 1)
	go func() { stopped <- hs.stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while an update was in hand", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if got := hs.srv.SentTo(1201); len(got) != 1 || got[0].Text != "echo:slow" {
		t.Errorf("reply after stop = %q, want echo:slow", texts(got))
	}
	if e := ctxErrAfter.Load(); e != "<nil>" {
		t.Errorf("handler context was cancelled by the stop: %v", e)
	}
	if off := hs.srv.Offset(); off != id+1 {
		t.Errorf("confirmed offset after stop = %d, want %d", off, id+1)
	}
}

func TestRunGraceExpires(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	h := &echoHandler{hook: func(ctx context.Context, in conversation.Inbound) error {
		close(entered)
		<-ctx.Done() // a handler stuck until its context ends
		return ctx.Err()
	}}
	hs := newHarness(t, h)
	hs.bot.grace = 100 * time.Millisecond
	hs.start(t)
	id := hs.srv.PushText(1301, 1301, "stuck")
	<-entered
	start := time.Now()
	if err := hs.stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stop took %s, want about the grace period", d)
	}
	if off := hs.srv.Offset(); off > id {
		t.Errorf("unfinished update %d confirmed (offset %d)", id, off)
	}
	if !slices.Contains(hs.srv.Pending(), id) {
		t.Errorf("unfinished update %d not pending for the next start: %v", id, hs.srv.Pending())
	}
}

func TestRunWaitsOutRateLimitedPoll(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.srv.FailNextPolls(429, 1, 1)
	start := time.Now()
	hs.start(t)
	hs.srv.PushText(1401, 1401, "halo")
	hs.srv.WaitSent(t, 1401, 1, replyWait)
	if d := time.Since(start); d < time.Second {
		t.Errorf("polled again after %s, want at least retry_after (1s)", d)
	}
	if !strings.Contains(hs.logs.String(), "telegram poll rate limited") {
		t.Errorf("rate-limited poll not logged")
	}
}

func TestRunUnsupportedAndIgnoredUpdates(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.srv.PushUpdate(loadRaw(t, "sticker.json"))
	last := hs.srv.PushUpdate(loadRaw(t, "group_text.json"))
	hs.start(t)
	got := hs.srv.WaitSent(t, 5012345678, 1, replyWait)
	if got[0].Text != "unsupported:sticker" {
		t.Errorf("reply = %q", got[0].Text)
	}
	hs.srv.WaitOffset(t, last+1, replyWait)
	if got := hs.srv.SentTo(-1001234567890); len(got) != 0 {
		t.Errorf("group got %q", texts(got))
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	srv := telegramtest.NewServer(t, testToken)
	if _, err := New(Config{Token: "999:wrong", APIURL: srv.URL()}, &echoHandler{}, nil); err == nil {
		t.Errorf("New with a wrong token succeeded")
	}
	if _, err := New(Config{Token: "", APIURL: srv.URL()}, &echoHandler{}, nil); err == nil {
		t.Errorf("New with an empty token succeeded")
	}
	_, err := New(Config{Token: testToken, APIURL: "http://127.0.0.1:1"}, &echoHandler{}, nil)
	if err == nil {
		t.Fatalf("New against a closed port succeeded")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error quotes the token: %v", err)
	}

	b, err := New(Config{Token: testToken, APIURL: srv.URL() + "/"}, &echoHandler{}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if b.pollSeconds != 30 || b.workers != DefaultWorkers || DefaultWorkers < 8 {
		t.Errorf("defaults: poll %ds, workers %d; want 30s, %d (at least 8)", b.pollSeconds, b.workers, DefaultWorkers)
	}
	if got, want := b.FileURL("photos/file_1.jpg"), srv.URL()+"/file/bot"+testToken+"/photos/file_1.jpg"; got != want {
		t.Errorf("FileURL = %q, want %q", got, want)
	}
}

func loadRaw(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return raw
}

// TestRunDoesNotResendWhenOutcomeUnknown: a send whose connection is cut
// after Telegram took the message is not sent again (the citizen would see
// it twice); the replies after it still go out.
func TestRunDoesNotResendWhenOutcomeUnknown(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.start(t)
	hs.srv.LoseNextSendAnswers(1)
	id := hs.srv.PushText(1901, 1901, "halo")
	hs.srv.WaitOffset(t, id+1, replyWait)
	if got := hs.srv.SentTo(1901); len(got) != 1 || got[0].Text != "echo:halo" {
		t.Errorf("chat got %q, want echo:halo once", texts(got))
	}
	if n := hs.srv.SendAttempts(1901); n != 1 {
		t.Errorf("send attempts = %d, want 1: the outcome was unknown", n)
	}
	if !strings.Contains(hs.logs.String(), "telegram reply may not have arrived") {
		t.Errorf("unknown outcome not logged")
	}
	hs.srv.PushText(1901, 1901, "lagi")
	if got := hs.srv.WaitSent(t, 1901, 2, replyWait); got[1].Text != "echo:lagi" {
		t.Errorf("next reply = %q", got[1].Text)
	}
}

func TestClassifyTransportErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		err  error
		want failureKind
	}{
		"connection refused": {&url.Error{Op: "Post", URL: "x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, failTransient},
		"no such host":       {&url.Error{Op: "Post", URL: "x", Err: &net.DNSError{Err: "no such host", Name: "api.telegram.org"}}, failTransient},
		"reset mid-request":  {&url.Error{Op: "Post", URL: "x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}, failUnknown},
		"cut before answer":  {&url.Error{Op: "Post", URL: "x", Err: io.EOF}, failUnknown},
		"client timeout":     {&url.Error{Op: "Post", URL: "x", Err: context.DeadlineExceeded}, failUnknown},
		"proxy error page":   {&json.SyntaxError{}, failUnknown},
	} {
		if got, _ := classify(tc.err); got != tc.want {
			t.Errorf("%s: classify = %v, want %v", name, got, tc.want)
		}
	}
}
