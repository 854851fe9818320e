package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"

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
