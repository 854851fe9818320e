package whatsapp

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// journal returns a Redis journal private to the test and a function
// counting the entries it holds.
func journal(t *testing.T) (*redisstore.Queue, func() int64) {
	t.Helper()
	rdb, prefix := storetest.Redis(t)
	name := prefix + "{whatsapp-inbox}"
	return redisstore.NewQueue(rdb, name), func() int64 {
		n, err := rdb.LLen(context.Background(), name+":processing").Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// TestJournalHoldsAMessageUntilItIsAnswered: the message is in Redis from
// the event handler's return (when whatsmeow acknowledges it) until its
// answer went out.
func TestJournalHoldsAMessageUntilItIsAnswered(t *testing.T) {
	j, held := journal(t)
	entered, release := make(chan struct{}), make(chan struct{})
	h := handlerFunc(func(context.Context, conversation.Inbound) ([]conversation.Reply, error) {
		close(entered)
		<-release
		return []conversation.Reply{{Text: "ok"}}, nil
	})
	b, api, _ := testBot(t, Config{Journal: j}, h)
	b.onEvent(dm("M1", "6281234567890", text("halo")))
	<-entered
	if n := held(); n != 1 {
		t.Errorf("journal holds %d entries while the message is handled, want 1", n)
	}
	close(release)
	b.waitIdle()
	if len(api.take()) != 1 {
		t.Fatal("no answer sent")
	}
	if n := held(); n != 0 {
		t.Errorf("journal holds %d entries after the answer, want 0", n)
	}
}

// TestJournalReplaysWhatAStoppedBotHad: a message acknowledged to WhatsApp
// and not handled when the process stopped is handled by the next one,
// marked redelivered, with its photo still downloadable.
func TestJournalReplaysWhatAStoppedBotHad(t *testing.T) {
	j, held := journal(t)
	stuck := handlerFunc(func(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
		<-ctx.Done() // the process is stopped (or killed) mid-message
		return nil, ctx.Err()
	})
	c := dispatchtest.NewClock(t0)
	first, err := newBot(Config{Journal: j}, stuck, quietLog(), newFakeSender(c), c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	closeFirst := first.serve(ctx, ctx, 2)
	first.onEvent(dm("M1", "6281234567890", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
		Caption: proto.String("KTP"), DirectPath: proto.String("/img/1"), FileLength: proto.Uint64(uint64(len(jpegBytes))),
	}}))
	first.onEvent(dm("M2", "6281234567890", text("lanjut")))
	cancel()
	closeFirst()
	if n := held(); n != 2 {
		t.Fatalf("journal holds %d entries after the stop, want 2", n)
	}

	h := &recorder{}
	next, api, _ := testBot(t, Config{Journal: j}, h)
	api.files["/img/1"] = jpegBytes
	next.replay(context.Background())
	next.waitIdle()
	if len(h.got) != 2 || h.got[0].MessageID != "M1" || h.got[1].MessageID != "M2" {
		t.Fatalf("the next bot handled %+v, want M1 then M2", h.got)
	}
	if a := h.got[0].Attachments; len(a) != 1 || a[0].MIME != "image/jpeg" || h.got[0].Text != "KTP" {
		t.Errorf("replayed photo reached the engine as %+v", h.got[0])
	}
	for _, in := range h.got {
		if !in.Redelivered {
			t.Errorf("replayed message %s not marked redelivered", in.MessageID)
		}
	}
	if n := len(api.take()); n != 2 {
		t.Errorf("%d answers sent, want 2", n)
	}
	if n := held(); n != 0 {
		t.Errorf("journal holds %d entries after the replay, want 0", n)
	}
}

// flakyJournal fails its first Requeue, as Redis does while it restarts.
type flakyJournal struct {
	*redisstore.Queue
	failures atomic.Int32
}

func (j *flakyJournal) Requeue(ctx context.Context) (int, error) {
	if j.failures.Add(-1) >= 0 {
		return 0, errors.New("redis loading the dataset")
	}
	return j.Queue.Requeue(ctx)
}

// TestJournalReplayRetriedWhenRedisIsBack: the journal does not answer at
// start; the stopped bot's message is handled once it does.
func TestJournalReplayRetriedWhenRedisIsBack(t *testing.T) {
	q, held := journal(t)
	evt := dm("M9", "6281234567890", text("masih di jurnal"))
	raw, err := encodeEntry(evt)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Hold(context.Background(), [][]byte{raw}, nil); err != nil {
		t.Fatal(err)
	}
	j := &flakyJournal{Queue: q}
	j.failures.Store(1)
	h := &recorder{}
	b, api, _ := testBot(t, Config{Journal: j}, h)
	b.replay(context.Background())
	got := func() int {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.got)
	}
	wait.Until(t, "the journaled message to reach the engine", 5*time.Second, func() bool { return got() > 0 })
	b.waitIdle()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.got) != 1 || h.got[0].MessageID != "M9" || !h.got[0].Redelivered {
		t.Fatalf("engine got %+v", h.got)
	}
	if len(api.take()) != 1 {
		t.Error("no answer sent")
	}
	if n := held(); n != 0 {
		t.Errorf("journal holds %d entries after the answer, want 0", n)
	}
}
