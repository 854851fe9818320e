package delivery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/telegram"
	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// TestHandOverBetweenPollingAndWebhook: updates a polling process held when
// it stopped reach the webhook shards, each chat's in order and in its own
// shard; and back the other way. Nothing is left behind.
func TestHandOverBetweenPollingAndWebhook(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	journal := redisstore.NewQueue(rdb, prefix+"{telegram-updates}")
	shards := make([]*redisstore.Queue, 4)
	for i := range shards {
		shards[i] = redisstore.NewQueue(rdb, fmt.Sprintf("%s{telegram-updates-%d}", prefix, i))
	}
	raw := func(id int, chat int64, text string) []byte {
		return []byte(fmt.Sprintf(`{"update_id":%d,%s`, id, telegramtest.TextUpdate(chat, id, text)[1:]))
	}
	// The poller held four updates of two chats and was killed.
	held := [][]byte{raw(1, 101, "a1"), raw(2, 102, "b1"), raw(3, 101, "a2"), raw(4, 102, "b2")}
	if err := journal.Hold(ctx, held, nil); err != nil {
		t.Fatal(err)
	}

	err := handOver(ctx, []*redisstore.Queue{journal}, func(ctx context.Context, m []byte) error {
		shard, err := telegram.ShardOf(m, len(shards))
		if err != nil {
			return err
		}
		return shards[shard].Push(ctx, m)
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	pop := func(q *redisstore.Queue) []string {
		t.Helper()
		msgs, err := q.Pop(ctx, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(msgs))
		for i, m := range msgs {
			out[i] = string(m)
		}
		return out
	}
	for chat, want := range map[int64][]string{101: {string(held[0]), string(held[2])}, 102: {string(held[1]), string(held[3])}} {
		if got := pop(shards[int(chat%4)]); !slices.Equal(got, want) {
			t.Errorf("shard of chat %d holds %q, want %q", chat, got, want)
		}
	}
	if n, _ := journal.Requeue(ctx); n != 0 {
		t.Errorf("journal still holds %d", n)
	}

	// Back to polling: what the shards hold (popped above, so in their
	// processing lists: a consumer that died) goes to the journal.
	if err := handOver(ctx, shards, journal.Push, log); err != nil {
		t.Fatal(err)
	}
	got := pop(journal)
	if len(got) != 4 {
		t.Fatalf("journal got %d updates back, want 4", len(got))
	}
	// Shards are drained one after the other: each chat's updates keep
	// their order, the two chats need not interleave as they came.
	byChat := map[int][]string{}
	for _, m := range got {
		shard, err := telegram.ShardOf([]byte(m), len(shards))
		if err != nil {
			t.Fatal(err)
		}
		byChat[shard] = append(byChat[shard], m)
	}
	for chat, want := range map[int64][]string{101: {string(held[0]), string(held[2])}, 102: {string(held[1]), string(held[3])}} {
		if got := byChat[int(chat%4)]; !slices.Equal(got, want) {
			t.Errorf("chat %d's updates came back as %q, want %q", chat, got, want)
		}
	}
}

// TestInboundJobsMoveWhatTheOtherModeLeft runs the two modes' jobs as the
// bot does: the webhook job moves what the poll journal held to the shards
// before it serves, and consumes every shard in a process alone; the
// polling job, under its lease, moves what the shards hold back to the
// journal before it polls, and counts as active only while it polls.
func TestInboundJobsMoveWhatTheOtherModeLeft(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	ctx := context.Background()
	// A process of the bot; an update's first byte is its chat, and its
	// chat its shard.
	process := func() *Inbound {
		core := New(Config{Redis: rdb, Prefix: prefix, States: redisstore.New(rdb, prefix), Durable: true, Log: slog.New(slog.DiscardHandler)})
		return core.Inbound("chat", 4, func(raw []byte, n int) (int, error) { return int(raw[0]-'0') % n, nil })
	}
	in := process()
	for _, u := range []string{"1a", "2a", "1b"} {
		if err := in.Journal().Push(ctx, []byte(u)); err != nil {
			t.Fatal(err)
		}
	}
	pop := func(q *redisstore.Queue) []string {
		t.Helper()
		msgs, err := q.Pop(ctx, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		return strs(msgs)
	}

	webhook := in.Webhook(func(ctx context.Context, consume Share) error {
		if got := pop(in.Shards()[1]); !slices.Equal(got, []string{"1a", "1b"}) {
			t.Errorf("shard 1 holds %q, want 1a, 1b", got)
		}
		if got := pop(in.Shards()[2]); !slices.Equal(got, []string{"2a"}) {
			t.Errorf("shard 2 holds %q, want 2a", got)
		}
		// One process consumes every shard, each once.
		cctx, stop := context.WithCancel(ctx)
		defer stop()
		taken := make(chan int, 4)
		done := make(chan error, 1)
		go func() {
			done <- consume(cctx, func(ctx context.Context, shard int) error {
				taken <- shard
				<-ctx.Done()
				return nil
			})
		}()
		seen := map[int]bool{}
		for len(seen) < 4 {
			select {
			case s := <-taken:
				if seen[s] {
					t.Errorf("shard %d consumed twice", s)
				}
				seen[s] = true
			case <-time.After(10 * time.Second):
				t.Fatalf("consumed shards %v, want all 4", seen)
			}
		}
		stop()
		return <-done
	})
	if !in.Active() {
		t.Error("a webhook process takes updates from the start")
	}
	if err := webhook(ctx); err != nil {
		t.Fatal(err)
	}

	// The webhook process died with updates taken from shards 1 and 2; a
	// polling one starts.
	in = process()
	if in.Active() {
		t.Error("a polling process is active before it holds the lease")
	}
	polled := false
	poll := in.Poll(func(ctx context.Context) error {
		polled = true
		if !in.Active() {
			t.Error("the poller is not active while it polls")
		}
		got := pop(in.Journal())
		slices.Sort(got)
		if !slices.Equal(got, []string{"1a", "1b", "2a"}) {
			t.Errorf("the journal holds %q, want the three updates", got)
		}
		return nil
	})
	if err := poll(ctx); err != nil || !polled {
		t.Fatalf("poll job = %v, polled %v", err, polled)
	}
	if in.Active() {
		t.Error("the poller is still active after it stopped")
	}
}

func strs(msgs [][]byte) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m)
	}
	return out
}
