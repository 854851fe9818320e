package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/internal/wait"
)

// recorder is a Handler that answers every message with one reply and
// remembers what it was given.
type recorder struct {
	mu  sync.Mutex
	got []conversation.Inbound
}

func (r *recorder) Handle(_ context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, in)
	return []conversation.Reply{{Text: "Pilih:", Options: []conversation.Option{{Label: "Ya", Payload: "y"}, {Label: "Tidak", Payload: "n"}}}}, nil
}

func TestMessageIsReadTypedAndAnsweredInItsChat(t *testing.T) {
	h := &recorder{}
	b, api, _ := testBot(t, Config{}, h)
	b.onEvent(dm("M1", "6281234567890", text("halo")))
	b.waitIdle()

	if len(h.got) != 1 || h.got[0].Text != "halo" || h.got[0].Chat.ChatID != "6281234567890" {
		t.Fatalf("engine got %+v", h.got)
	}
	if len(api.reads) != 1 || api.reads[0] != "M1" {
		t.Errorf("read receipts %v, want [M1]", api.reads)
	}
	if len(api.presences) == 0 || api.presences[0] != types.ChatPresenceComposing {
		t.Errorf("no typing indicator before the reply: %v", api.presences)
	}
	out := api.take()
	if len(out) != 1 || out[0].to != person("6281234567890") {
		t.Fatalf("sent %+v", out)
	}
	if want := "Pilih:\n\n1. Ya\n2. Tidak\n\nBalas dengan angka pilihan Anda, misalnya 1."; out[0].text != want {
		t.Errorf("sent %q, want %q", out[0].text, want)
	}
}

func TestIgnoredMessagesGetNoAnswer(t *testing.T) {
	h := &recorder{}
	b, api, _ := testBot(t, Config{}, h)
	own := dm("M1", "6281234567890", text("halo"))
	own.Info.IsFromMe = true
	group := dm("M2", "6281234567890", text("halo"))
	group.Info.Chat, group.Info.IsGroup = types.NewJID("120363000000000009", types.GroupServer), true
	status := dm("M3", "6281234567890", text("halo"))
	status.Info.Chat = types.StatusBroadcastJID
	for _, e := range []*events.Message{own, group, status} {
		b.onEvent(e)
	}
	b.onEvent(&events.HistorySync{})
	b.waitIdle()
	if len(h.got) != 0 || len(api.take()) != 0 || len(api.reads) != 0 {
		t.Errorf("ignored messages reached the engine (%d) or got answers or receipts (%d reads)", len(h.got), len(api.reads))
	}
}

func TestBacklogGetsOneApologyPerChat(t *testing.T) {
	h := &recorder{}
	b, api, clk := testBot(t, Config{BacklogAge: 24 * time.Hour}, h)
	clk.Advance(30 * time.Hour) // the bot was away; t0 messages are 30 hours old now
	for _, id := range []string{"M1", "M2", "M3"} {
		b.onEvent(dm(id, "6281234567890", text("halo?")))
	}
	b.onEvent(dm("M4", "6289876543210", text("permisi")))
	b.waitIdle()

	if len(h.got) != 0 {
		t.Errorf("the engine handled %d stale messages", len(h.got))
	}
	out := api.take()
	if len(out) != 2 {
		t.Fatalf("sent %d messages, want one apology per chat (2): %+v", len(out), out)
	}
	for _, m := range out {
		if !strings.Contains(m.text, "lebih dari 24 jam") {
			t.Errorf("apology text %q lacks the age", m.text)
		}
	}
	if len(api.reads) != 4 {
		t.Errorf("%d stale messages marked read, want 4", len(api.reads))
	}
	// A fresh message after the backlog is answered normally.
	fresh := dm("M5", "6281234567890", text("halo"))
	fresh.Info.Timestamp = clk.Now()
	b.onEvent(fresh)
	b.waitIdle()
	if len(h.got) != 1 || len(api.take()) != 1 {
		t.Errorf("a fresh message after the backlog was not answered")
	}
}

func TestImageIsDownloadedForTheEngine(t *testing.T) {
	h := &recorder{}
	b, api, _ := testBot(t, Config{}, h)
	api.files["/img/1"] = jpegBytes
	b.onEvent(dm("M1", "6281234567890", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
		Caption: proto.String("KTP"), DirectPath: proto.String("/img/1"), FileLength: proto.Uint64(uint64(len(jpegBytes))),
	}}))
	// A photo whose file is gone still reaches the engine, without the file.
	b.onEvent(dm("M2", "6281234567890", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/img/gone")}}))
	b.waitIdle()
	if len(h.got) != 2 {
		t.Fatalf("engine got %d messages, want 2", len(h.got))
	}
	if a := h.got[0].Attachments; len(a) != 1 || a[0].MIME != "image/jpeg" || h.got[0].Text != "KTP" {
		t.Errorf("photo reached the engine as %+v", h.got[0])
	}
	if h.got[1].Media != "photo" || len(h.got[1].Attachments) != 0 {
		t.Errorf("a lost photo reached the engine as %+v", h.got[1])
	}
}

func TestHandlerErrorsAreRetriedThenGivenUp(t *testing.T) {
	var calls atomic.Int32
	flaky := handlerFunc(func(_ context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
		if calls.Add(1) < 3 {
			return nil, errors.New("redis: connection refused")
		}
		return []conversation.Reply{{Text: "ok"}}, nil
	})
	b, api, clk := testBot(t, Config{}, flaky)
	b.onEvent(dm("M1", "6281234567890", text("halo")))
	b.waitIdle()
	if calls.Load() != 3 || len(api.take()) != 1 {
		t.Fatalf("handler called %d times, want 3 and then an answer", calls.Load())
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(clk.Sleeps()[:2], want) {
		t.Errorf("retry waits %v, want %v", clk.Sleeps(), want)
	}

	calls.Store(0)
	broken := handlerFunc(func(context.Context, conversation.Inbound) ([]conversation.Reply, error) {
		calls.Add(1)
		panic("engine bug")
	})
	b2, api2, _ := testBot(t, Config{}, broken)
	b2.onEvent(dm("M1", "6281234567890", text("halo")))
	b2.onEvent(dm("M2", "6281234567890", text("halo lagi")))
	b2.waitIdle()
	if calls.Load() != 8 {
		t.Errorf("panicking handler called %d times, want 4 tries for each of 2 messages", calls.Load())
	}
	if n := len(api2.take()); n != 0 {
		t.Errorf("sent %d messages for unhandled ones", n)
	}
}

// A message that fails on its own at every try is handed to Config.GiveUp
// (the dead letters) as the engine got it; one failing because the
// engine's storage is down is tried until the outage ends, however long.
func TestGivenUpMessagesGoToGiveUpButOutagesWait(t *testing.T) {
	var parked []conversation.Inbound
	var calls atomic.Int32
	h := handlerFunc(func(_ context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
		n := calls.Add(1)
		switch {
		case in.Text == "rusak":
			return nil, errors.New("a case no key opens")
		case n <= 10:
			return nil, fmt.Errorf("%w: database down", conversation.ErrUnavailable)
		}
		return []conversation.Reply{{Text: "ok"}}, nil
	})
	b, api, _ := testBot(t, Config{GiveUp: func(_ context.Context, in conversation.Inbound, attempts int, err error) {
		parked = append(parked, in)
	}}, h)
	b.onEvent(dm("M1", "6281234567890", text("halo")))
	b.waitIdle()
	if calls.Load() != 11 || len(parked) != 0 || len(api.take()) != 1 {
		t.Fatalf("through an outage: %d calls, %d parked; want 11 and the answer, none parked", calls.Load(), len(parked))
	}
	calls.Store(100)
	b.onEvent(dm("M2", "6281234567890", text("rusak")))
	b.onEvent(dm("M3", "6281234567890", text("halo lagi")))
	b.waitIdle()
	if len(parked) != 1 || parked[0].Text != "rusak" || parked[0].MessageID == "" {
		t.Errorf("parked %+v, want the failing message as the engine got it", parked)
	}
	if n := len(api.take()); n != 1 {
		t.Errorf("%d answers after the given-up message, want the next message's one", n)
	}
}

func TestSendOnlyToChatsThatWroteFirst(t *testing.T) {
	var asked []string
	b, api, _ := testBot(t, Config{
		Contacts:    []string{"0811-1111-1111"},
		StaffGroups: []string{staffGroup},
		WroteBefore: func(_ context.Context, chatID string) (bool, error) {
			asked = append(asked, chatID)
			return chatID == "6283333333333", nil
		},
	}, &recorder{})
	ctx := context.Background()
	r := conversation.Reply{Text: "Status pengajuan Anda berubah."}

	if err := b.Send(ctx, "6289999999999", r); !errors.Is(err, ErrFirstContact) {
		t.Errorf("Send to a stranger: %v, want ErrFirstContact", err)
	}
	for _, chat := range []string{"6281111111111", staffGroup, "6283333333333"} {
		if err := b.Send(ctx, chat, r); err != nil {
			t.Errorf("Send to %s: %v", chat, err)
		}
	}
	b.onEvent(dm("M1", "6282222222222", text("halo")))
	b.waitIdle()
	api.take()
	if err := b.Send(ctx, "6282222222222", r); err != nil {
		t.Errorf("Send to a citizen who wrote: %v", err)
	}
	out := api.take()
	if len(out) != 1 || out[0].to != person("6282222222222") {
		t.Errorf("sent %+v", out)
	}
	if len(asked) != 2 {
		t.Errorf("WroteBefore asked about %v; want the stranger and the known citizen only", asked)
	}
}

func TestSendRetriesWithTheSameMessageID(t *testing.T) {
	b, api, _ := testBot(t, Config{Contacts: []string{"6281111111111"}}, &recorder{})
	api.failSends = 2
	if err := b.Send(context.Background(), "6281111111111", conversation.Reply{Text: "halo"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(api.tries) != 3 || api.tries[0] != api.tries[1] || api.tries[1] != api.tries[2] || api.tries[0] == "" {
		t.Errorf("send tries carried ids %v, want one id three times", api.tries)
	}
	api.failSends = 5
	if err := b.Send(context.Background(), "6281111111111", conversation.Reply{Text: "halo"}); err == nil {
		t.Error("Send reported success after every try failed")
	}
}

func TestRepliesArePacedPerChat(t *testing.T) {
	many := handlerFunc(func(context.Context, conversation.Inbound) ([]conversation.Reply, error) {
		return []conversation.Reply{{Text: "satu"}, {Text: "dua"}, {Text: "tiga"}}, nil
	})
	b, api, _ := testBot(t, Config{}, many)
	b.onEvent(dm("M1", "6281234567890", text("halo")))
	b.waitIdle()
	out := api.take()
	if len(out) != 3 {
		t.Fatalf("sent %d, want 3", len(out))
	}
	for i := 1; i < len(out); i++ {
		if gap := out[i].at.Sub(out[i-1].at); gap < time.Second {
			t.Errorf("messages %d and %d to one chat %v apart, want at least 1s", i, i+1, gap)
		}
	}
}

func TestFatalEventsReportOnce(t *testing.T) {
	b, api, _ := testBot(t, Config{}, &recorder{})
	reasons := make(chan string, 4)
	b.OnFatal(func(r string) { reasons <- r })
	b.onEvent(&events.Connected{})
	if !b.Connected() {
		t.Fatal("not connected after events.Connected")
	}
	b.onEvent(&events.TemporaryBan{Code: events.TempBanBlockedByUsers, Expire: time.Hour})
	b.onEvent(&events.LoggedOut{})
	select {
	case r := <-reasons:
		if r != ReasonTemporaryBan {
			t.Errorf("reason %q, want %q", r, ReasonTemporaryBan)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("OnFatal not called")
	}
	select {
	case r := <-reasons:
		t.Errorf("OnFatal called a second time with %q", r)
	case <-time.After(50 * time.Millisecond):
	}
	if b.Connected() {
		t.Error("still connected after a ban")
	}
	if !b.texts.Has("whatsapp.fatal." + ReasonTemporaryBan) {
		t.Error("no staff text for the reason")
	}
	wait.Until(t, "the account to be marked available", 2*time.Second, func() bool { return api.availableCount() > 0 })
	if api.availableCount() != 1 {
		t.Error("the account was not marked available after connecting")
	}
}

func (f *fakeSender) availableCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.available
}

func TestNewBotChecksConfig(t *testing.T) {
	if _, err := newBot(Config{}, nil, quietLog(), nil, dispatch.Wall); err == nil {
		t.Error("nil handler accepted")
	}
	if _, err := newBot(Config{StaffGroups: []string{"6281234567890@s.whatsapp.net"}}, &recorder{}, quietLog(), nil, dispatch.Wall); err == nil {
		t.Error("a person's JID accepted as staff group")
	}
	if _, err := newBot(Config{PairPhone: "nomor kantor"}, &recorder{}, quietLog(), nil, dispatch.Wall); err == nil {
		t.Error("a pairing phone that is no number accepted")
	}
	b, err := newBot(Config{}, &recorder{}, quietLog(), nil, dispatch.Wall)
	if err != nil {
		t.Fatal(err)
	}
	if b.cfg.BacklogAge != 24*time.Hour || b.cfg.MaxMedia != 10<<20 || b.cfg.NoticesPerMinute != 20 || b.cfg.RepliesPerMinute != 600 || b.cfg.QRFile != "data/whatsapp-qr.png" {
		t.Errorf("defaults not applied: %+v", b.cfg)
	}
}

// TestRefusedSendIsRetriedWithAFreshTokenThenReported: a send WhatsApp
// refuses with 463 (privacy token missing or stale, weeks after the
// citizen's last message) is sent again once the bot fetched the chat's
// token; refused again, it is reported as ErrRefused, never dropped in
// silence.
func TestRefusedSendIsRetriedWithAFreshTokenThenReported(t *testing.T) {
	b, api, _ := testBot(t, Config{Contacts: []string{"6281111111111", "6282222222222"}}, &recorder{})
	ctx := context.Background()
	api.refuse["6281111111111"] = 1
	if err := b.Send(ctx, "6281111111111", conversation.Reply{Text: "Status pengajuan Anda berubah."}); err != nil {
		t.Fatalf("Send after one refusal: %v", err)
	}
	if out := api.take(); len(out) != 1 {
		t.Fatalf("sent %d, want 1", len(out))
	}
	if len(api.lookups) != 1 || api.lookups[0][0] != person("6281111111111") {
		t.Errorf("token looked up for %v, want the refused chat", api.lookups)
	}
	api.refuse["6282222222222"] = 10
	err := b.Send(ctx, "6282222222222", conversation.Reply{Text: "Undangan survei"})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "463") {
		t.Errorf("Send refused twice = %v, want ErrRefused with the code", err)
	}
	if n := len(api.tries); n != 4 {
		t.Errorf("%d send attempts in all, want 4 (one refused and resent, then two refused)", n)
	}
}

// TestSendWaitsForTheConnection: a notification drained from the outbox
// while WhatsApp connects (at start, or during a reconnect) waits for the
// connection instead of failing, and a stop while waiting leaves it
// unsent for the outbox to keep.
func TestSendWaitsForTheConnection(t *testing.T) {
	b, api, _ := testBot(t, Config{Contacts: []string{"6281111111111"}}, &recorder{})
	b.up.set(false)
	done := make(chan error, 1)
	go func() { done <- b.Send(context.Background(), "6281111111111", conversation.Reply{Text: "Kasus baru"}) }()
	select {
	case err := <-done:
		t.Fatalf("Send returned %v before the connection was up", err)
	case <-time.After(50 * time.Millisecond):
	}
	b.onEvent(&events.Connected{})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Send after connecting: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send did not go out once connected")
	}
	if len(api.take()) != 1 {
		t.Error("notification not sent")
	}

	b.onEvent(&events.Disconnected{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Send(ctx, "6281111111111", conversation.Reply{Text: "Kasus baru"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send stopped while disconnected = %v, want the stop", err)
	}
}

// An officer's answer in a conversation (issue #22) reaches a citizen who
// wrote within five minutes as a reply, paced under the replies' cap; to a
// citizen quiet for longer, or who never wrote, it is a proactive notice.
func TestSendToARecentChatIsAReply(t *testing.T) {
	var mu sync.Mutex
	var kinds []string
	cfg := Config{Contacts: []string{"6281111111111"}, Waited: func(kind string, _ dispatch.Delay) {
		mu.Lock()
		kinds = append(kinds, kind)
		mu.Unlock()
	}}
	b, _, clock := testBot(t, cfg, handlerFunc(func(context.Context, conversation.Inbound) ([]conversation.Reply, error) {
		return nil, nil // in a conversation with an officer, the bot stays silent
	}))
	b.onEvent(dm("M1", "6281234567890", text("Pak, KK saya hilang")))
	b.waitIdle()
	ctx := context.Background()
	if err := b.Send(ctx, "6281234567890", conversation.Reply{Text: "Petugas: bisa, Bu."}); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(ctx, "6281111111111", conversation.Reply{Text: "Percakapan baru #1"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(6 * time.Minute)
	if err := b.Send(ctx, "6281234567890", conversation.Reply{Text: "Petugas: masih ada?"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{SendReply, SendNotice, SendNotice}; !slices.Equal(kinds, want) {
		t.Errorf("sends paced as %v, want %v", kinds, want)
	}
}
