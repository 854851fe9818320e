package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
)

// A draft this process committed, whose state vanished before its time
// with the server's data, is reported lost: the engine then tells the
// citizen instead of greeting them as new (issue #16, point 10). A state
// without a draft, one deleted on purpose, or one never committed here is
// not.
func TestLostDraftIsReported(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		ctx := context.Background()
		commit := func(chat conversation.ChatKey, draft, msg string) {
			t.Helper()
			b, lease, err := s.Begin(ctx, chat, msg, "", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			st := conversation.State{Chat: chat, Step: "form", Draft: draft, Data: map[string]string{}}
			if b.State != nil {
				st.Version = b.State.Version
			}
			if err := s.CommitWithLease(ctx, st, msg, time.Hour, lease); err != nil {
				t.Fatal(err)
			}
		}
		flush := func() {
			t.Helper()
			keys, err := rdb.Keys(ctx, prefix+"*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) > 0 {
				if err := rdb.Del(ctx, keys...).Err(); err != nil {
					t.Fatal(err)
				}
			}
		}
		form := conversation.ChatKey{Channel: "telegram", ChatID: "1"}
		menu := conversation.ChatKey{Channel: "telegram", ChatID: "2"}
		erased := conversation.ChatKey{Channel: "telegram", ChatID: "3"}
		commit(form, "sktm", "a1")
		commit(menu, "sktm", "b1")
		commit(menu, "", "b2") // the form finished
		commit(erased, "sktm", "c1")
		if err := s.Delete(ctx, erased); err != nil {
			t.Fatal(err)
		}
		flush() // Redis restarted empty
		for _, tc := range []struct {
			chat conversation.ChatKey
			lost bool
		}{{form, true}, {menu, false}, {erased, false}, {conversation.ChatKey{Channel: "telegram", ChatID: "4"}, false}} {
			b, lease, err := s.Begin(ctx, tc.chat, "next", "", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if b.State != nil || b.Lost != tc.lost {
				t.Errorf("chat %s: state %v, lost %v; want none, lost %v", tc.chat, b.State, b.Lost, tc.lost)
			}
			_ = s.Release(ctx, lease)
		}
		// Told once: the next message starts afresh.
		b, lease, err := s.Begin(ctx, form, "again", "", time.Now())
		if err != nil || b.Lost {
			t.Errorf("a second message after the loss: lost %v, %v", b.Lost, err)
		}
		_ = s.Release(ctx, lease)
	})
}
