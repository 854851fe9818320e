package whatsapp

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// engineBot is a Bot on the real conversation engine (in-memory states with
// the store's dedup), a fake connection and a fake clock.
func engineBot(t *testing.T, cfg Config) (*Bot, *fakeSender, *dispatchtest.Clock) {
	t.Helper()
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	clk := dispatchtest.NewClock(t0)
	cases := conversationtest.NewCases(catalog.Office.Location)
	engine, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: conversationtest.NewStates(clk.Now), Cases: cases, Desk: cases,
		Now: clk.Now, Log: quietLog(),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Texts = texts
	api := newFakeSender(clk)
	b, err := newBot(cfg, engine, quietLog(), api, clk)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	closeInbox := b.serve(ctx, ctx, 2)
	t.Cleanup(func() {
		cancel()
		closeInbox()
	})
	return b, api, clk
}

// TestUnavailableThenResentIsAnsweredOnce: WhatsApp hands the linked device
// a message as "unavailable" (it could not be decrypted here); whatsmeow
// asks the phone, which sends it again through the web message path. That
// resend is the citizen's message and is answered; when the original
// decrypts after all, it is the same message and is not answered again.
func TestUnavailableThenResentIsAnsweredOnce(t *testing.T) {
	b, api, _ := engineBot(t, Config{})
	original := dm("3EB0AAA", citizenPhone, text("halo"))
	if ok := b.onEvent(&events.UndecryptableMessage{Info: original.Info, IsUnavailable: true}); !ok {
		t.Fatal("the unavailable notice was not acknowledged")
	}
	b.waitIdle()
	if n := len(api.take()); n != 0 {
		t.Fatalf("%d messages sent for an unreadable message", n)
	}

	resent := dm("3EB0AAA", citizenPhone, text("halo"))
	resent.SourceWebMsg, resent.UnavailableRequestID = &waWeb.WebMessageInfo{}, "3EB0REQ1"
	b.onEvent(resent)
	b.waitIdle()
	out := api.take()
	if len(out) == 0 || out[0].to != person(citizenPhone) {
		t.Fatalf("the resent message got %+v, want the welcome", out)
	}

	b.onEvent(dm("3EB0AAA", citizenPhone, text("halo"))) // decrypted after all
	b.waitIdle()
	if n := len(api.take()); n != 0 {
		t.Errorf("the same message answered again: %d more sent", n)
	}
}

// failingJournal fails every Hold while broken is set, as Redis does
// while it restarts.
type failingJournal struct {
	Journal
	broken atomic.Bool
}

func (j *failingJournal) Hold(ctx context.Context, taken, handled [][]byte) error {
	if j.broken.Load() && len(taken) > 0 {
		return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return j.Journal.Hold(ctx, taken, handled)
}

// TestJournalFailureRefusesTheAck: a message the journal cannot hold is
// not acknowledged, so WhatsApp delivers it again; the bot resets the
// connection after a pause so that it does. Meanwhile the message is
// handled from memory, and the second delivery is not answered twice.
func TestJournalFailureRefusesTheAck(t *testing.T) {
	q, held := journal(t)
	j := &failingJournal{Journal: q}
	j.broken.Store(true)
	b, api, _ := engineBot(t, Config{Journal: j})

	evt := dm("3EB0BBB", citizenPhone, text("halo"))
	if ok := b.onEvent(evt); ok {
		t.Fatal("a message the journal could not hold was acknowledged")
	}
	wait.Until(t, "the connection reset that makes WhatsApp deliver again", 5*time.Second, func() bool {
		api.mu.Lock()
		defer api.mu.Unlock()
		return api.resets == 1
	})

	b.waitIdle()
	answered := len(api.take())

	j.broken.Store(false)
	if ok := b.onEvent(evt); !ok {
		t.Fatal("the redelivered message was refused although the journal works")
	}
	b.waitIdle()
	if again := len(api.take()); answered+again == 0 || answered > 0 && again > 0 {
		t.Errorf("answered %d times from memory and %d at the redelivery, want once in all", answered, again)
	}
	if n := held(); n != 0 {
		t.Errorf("journal holds %d entries after the answer, want 0", n)
	}
}
