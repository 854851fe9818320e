package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// journalFor returns a Redis journal private to the test.
func journalFor(t *testing.T) *redisstore.Queue {
	t.Helper()
	rdb, prefix := storetest.Redis(t)
	return redisstore.NewQueue(rdb, prefix+"{tg-updates}")
}

// withJournal gives the harness's bot a journal before it starts.
func withJournal(hs *harness, j Journal) *harness {
	hs.bot.journal = j
	return hs
}

// slowOn returns a handler that holds the message whose text is text until
// release is closed, and says when it holds it.
func slowOn(text string) (h *echoHandler, entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	h = &echoHandler{hook: func(_ context.Context, in conversation.Inbound) error {
		if in.Text == text {
			close(entered)
			<-release
		}
		return nil
	}}
	return h, entered, release
}

// TestRunSlowChatDoesNotHoldOthers: while one chat's update is stuck in the
// engine, other chats' messages that arrive later are answered. Without a
// journal the offset stays below the stuck update; with one it passes it.
func TestRunSlowChatDoesNotHoldOthers(t *testing.T) {
	for _, mode := range []string{"no journal", "journal"} {
		t.Run(mode, func(t *testing.T) {
			h, entered, release := slowOn("slow")
			hs := newHarness(t, h)
			if mode == "journal" {
				withJournal(hs, journalFor(t))
			}
			hs.start(t)
			slow := hs.srv.PushText(1501, 1501, "slow")
			<-entered
			var last int
			for c := int64(1502); c < 1505; c++ {
				last = hs.srv.PushText(c, c, "quick")
				hs.srv.WaitSent(t, c, 1, replyWait)
			}
			switch mode {
			case "journal":
				hs.srv.WaitOffset(t, last+1, replyWait)
			default:
				if off := hs.srv.Offset(); off > slow {
					t.Errorf("offset %d passed the unhandled update %d without a journal", off, slow)
				}
			}
			if got := hs.srv.SentTo(1501); len(got) != 0 {
				t.Errorf("the stuck chat got %q before its update finished", texts(got))
			}
			close(release)
			if got := hs.srv.WaitSent(t, 1501, 1, replyWait); got[0].Text != "echo:slow" {
				t.Errorf("stuck chat reply = %q", got[0].Text)
			}
			hs.srv.WaitOffset(t, last+1, replyWait)
			if n := len(h.callsFor("1")); n != 1 {
				t.Errorf("stuck update handled %d times, want 1", n)
			}
		})
	}
}

// TestRunJournalHandsOverUnfinishedUpdates: an update confirmed to Telegram
// because the journal held it, and not handled when the process stopped, is
// handled by the next process before the chat's newer messages.
func TestRunJournalHandsOverUnfinishedUpdates(t *testing.T) {
	j := journalFor(t)
	entered := make(chan struct{}, 1)
	first := &echoHandler{hook: func(ctx context.Context, in conversation.Inbound) error {
		if in.Text == "stuck" {
			entered <- struct{}{}
			<-ctx.Done() // the engine hangs until the grace runs out
			return ctx.Err()
		}
		return nil
	}}
	hs := withJournal(newHarness(t, first), j)
	hs.bot.grace = 100 * time.Millisecond
	hs.start(t)
	stuck := hs.srv.PushText(1601, 1601, "stuck")
	<-entered
	other := hs.srv.PushText(1602, 1602, "quick") // makes the poll journal the stuck one and pass it
	hs.srv.WaitSent(t, 1602, 1, replyWait)
	hs.srv.WaitOffset(t, other+1, replyWait)
	if err := hs.stop(); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(hs.srv.Pending(), stuck) {
		t.Fatalf("the stuck update is still pending at Telegram: the journal should have taken it over")
	}

	// The next process, on the same journal and fake Telegram.
	later := hs.srv.PushText(1601, 1601, "later")
	second := &echoHandler{}
	b, err := New(Config{Token: testToken, APIURL: hs.srv.URL(), PollTimeout: time.Second, Journal: j}, second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	next := &harness{srv: hs.srv, bot: b, h: second, logs: hs.logs}
	next.start(t)
	if got := texts(hs.srv.WaitSent(t, 1601, 2, replyWait)); !slices.Equal(got, []string{"echo:stuck", "echo:later"}) {
		t.Errorf("chat 1601 got %q, want the stuck update then the later one", got)
	}
	hs.srv.WaitOffset(t, later+1, replyWait)
	// Once the new process has polled, new messages are not suspect.
	hs.srv.PushText(1601, 1601, "newer")
	hs.srv.WaitSent(t, 1601, 3, replyWait)
	// The replayed update, and what the first poll returned (the previous
	// process may have had it too), may have been handled without an answer.
	want := map[string]bool{"stuck": true, "later": true, "newer": false}
	second.mu.Lock()
	for _, in := range second.calls {
		if in.Redelivered != want[in.Text] {
			t.Errorf("%q reached the engine with Redelivered %v, want %v", in.Text, in.Redelivered, want[in.Text])
		}
	}
	if len(second.calls) != len(want) {
		t.Errorf("the new process handled %d messages, want %d", len(second.calls), len(want))
	}
	second.mu.Unlock()
	if err := next.stop(); err != nil {
		t.Fatal(err)
	}
	if n, err := j.Requeue(context.Background()); err != nil || n != 0 {
		t.Errorf("journal after the second stop holds %d entries (%v), want none", n, err)
	}
}

// TestRunJournalDownFallsBackToOffset: when the journal cannot hold an
// update the poll does not confirm it, and the bot goes on answering.
func TestRunJournalDownFallsBackToOffset(t *testing.T) {
	h, entered, release := slowOn("slow")
	hs := withJournal(newHarness(t, h), brokenJournal{})
	hs.start(t)
	slow := hs.srv.PushText(1701, 1701, "slow")
	<-entered
	hs.srv.PushText(1702, 1702, "quick")
	hs.srv.WaitSent(t, 1702, 1, replyWait)
	if off := hs.srv.Offset(); off > slow {
		t.Errorf("offset %d passed update %d that nothing holds", off, slow)
	}
	close(release)
	hs.srv.WaitSent(t, 1701, 1, replyWait)
	if !strings.Contains(hs.logs.String(), "telegram journal unavailable") {
		t.Errorf("journal failure not logged")
	}
}

type brokenJournal struct{}

func (brokenJournal) Hold(context.Context, [][]byte, [][]byte) error { return errors.New("redis down") }
func (brokenJournal) Requeue(context.Context) (int, error)           { return 0, errors.New("redis down") }
func (brokenJournal) Pop(context.Context, int, time.Duration) ([][]byte, error) {
	return nil, errors.New("redis down")
}

// TestRunGivesUpAPoisonousUpdate: an update the engine panics on every time
// is tried a few times and given up, so its chat and the offset go on.
func TestRunGivesUpAPoisonousUpdate(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	h := &echoHandler{hook: func(_ context.Context, in conversation.Inbound) error {
		if in.Text == "poison" {
			attempts.Add(1)
			panic("engine bug")
		}
		return nil
	}}
	hs := newHarness(t, h)
	hs.start(t)
	hs.srv.PushText(1801, 1801, "poison")
	after := hs.srv.PushText(1801, 1801, "after")
	if got := hs.srv.WaitSent(t, 1801, 1, replyWait); got[0].Text != "echo:after" {
		t.Errorf("reply = %q, want echo:after", got[0].Text)
	}
	hs.srv.WaitOffset(t, after+1, replyWait)
	if n := attempts.Load(); n != maxPanics {
		t.Errorf("poisonous update tried %d times, want %d", n, maxPanics)
	}
	if !strings.Contains(hs.logs.String(), "telegram update given up") {
		t.Errorf("given-up update not logged at error")
	}
}

// flakyJournal fails its first Requeue calls, as Redis does while it
// restarts.
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

// TestRunReplaysTheJournalOnceItAnswers: the journal does not answer when
// the bot starts; the bot polls meanwhile and hands over the stopped
// process's updates as soon as the journal is back.
func TestRunReplaysTheJournalOnceItAnswers(t *testing.T) {
	j := &flakyJournal{Queue: journalFor(t)}
	j.failures.Store(2)
	left := fmt.Sprintf(`{"update_id":900001,%s`, telegramtest.TextUpdate(1901, 77, "held by the dead one")[1:])
	if err := j.Hold(context.Background(), [][]byte{[]byte(left)}, nil); err != nil {
		t.Fatal(err)
	}
	h := &echoHandler{}
	hs := withJournal(newHarness(t, h), j)
	hs.start(t)
	fresh := hs.srv.PushText(1902, 1902, "new")
	hs.srv.WaitSent(t, 1902, 1, replyWait) // polling did not replyWait for the journal
	if got := hs.srv.WaitSent(t, 1901, 1, replyWait); got[0].Text != "echo:held by the dead one" {
		t.Errorf("replayed reply = %q", got[0].Text)
	}
	hs.srv.WaitOffset(t, fresh+1, replyWait)
	if !strings.Contains(hs.logs.String(), "trying again") {
		t.Errorf("failed replay not logged")
	}
}

// countingJournal counts the entries its successful Holds leave in Redis.
type countingJournal struct {
	*redisstore.Queue
	held atomic.Int64
}

func (j *countingJournal) Hold(ctx context.Context, taken, handled [][]byte) error {
	if err := j.Queue.Hold(ctx, taken, handled); err != nil {
		return err
	}
	j.held.Add(int64(len(taken) - len(handled)))
	return nil
}

// waitHeld waits until the journal holds want entries.
func (j *countingJournal) waitHeld(t *testing.T, want int64, within time.Duration) {
	t.Helper()
	wait.Until(t, fmt.Sprintf("the journal to hold %d entries", want), within, func() bool {
		return j.held.Load() == want
	})

}

// TestRunJournalForgetsHandledUpdatesWhenIdle: a journal entry is the
// citizen's whole message, a NIK perhaps. Once handled it must not stay in
// Redis until more traffic comes: it goes at the next poll with nothing in
// hand, within a poll timeout, with no new update.
func TestRunJournalForgetsHandledUpdatesWhenIdle(t *testing.T) {
	j := &countingJournal{Queue: journalFor(t)}
	h, entered, release := slowOn("3307054107900001")
	hs := withJournal(newHarness(t, h), j)
	hs.start(t)
	hs.srv.PushText(2001, 2001, "3307054107900001")
	<-entered
	hs.srv.PushText(2002, 2002, "quick") // makes the poll journal the slow one
	hs.srv.WaitSent(t, 2002, 1, replyWait)
	j.waitHeld(t, 1, replyWait)

	close(release)
	hs.srv.WaitSent(t, 2001, 1, replyWait)
	// PollTimeout is 1 s: the poll in flight returns empty within it.
	j.waitHeld(t, 0, 3*time.Second)
	if n, err := j.Queue.Requeue(context.Background()); err != nil || n != 0 {
		t.Errorf("Redis holds %d journal entries (%v), want none", n, err)
	}
}
