package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/store/redisstore"
)

// TestConcurrentMessagesShareRoundTrips: messages of many chats handled at
// the same moment each get their own answer from Begin and CommitWithLease,
// while their scripts share pipelines: fewer round trips than scripts.
func TestConcurrentMessagesShareRoundTrips(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, _, _ := newStore(t, be)
		ctx := context.Background()
		// Load the scripts once, so the count below is of the batching.
		handle(t, s, conversation.ChatKey{Channel: "telegram", ChatID: "warm"}, "m0", "warm", t0)
		counter := &redisstore.RoundTripCounter{}
		rdb.AddHook(counter)

		const chats = 200
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range chats {
			chat := conversation.ChatKey{Channel: "telegram", ChatID: fmt.Sprint(5000 + i)}
			wg.Go(func() {
				<-start
				b, l, err := s.Begin(ctx, chat, "m1", chat.ChatID, t0)
				if err != nil || !granted(b) || !l.Held() {
					t.Errorf("Begin(%s) = %+v, %v", chat, b, err)
					return
				}
				st := conversation.State{Chat: chat, Step: conversation.StepForm, Service: "sktm", Draft: "sktm",
					Data: map[string]string{"chat": chat.ChatID}}
				if err := s.CommitWithLease(ctx, st, "m1", time.Hour, l); err != nil {
					t.Errorf("CommitWithLease(%s): %v", chat, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := counter.Count(); n >= 2*chats {
			t.Errorf("%d round trips for %d scripts: none shared a pipeline", n, 2*chats)
		} else {
			t.Logf("%d round trips for %d scripts", n, 2*chats)
		}
		// Each chat got its own state, and its message counts as handled.
		for i := range chats {
			chat := conversation.ChatKey{Channel: "telegram", ChatID: fmt.Sprint(5000 + i)}
			l := load(t, s, chat, "m1")
			if !l.Duplicate || l.State == nil || l.State.Data["chat"] != chat.ChatID {
				t.Fatalf("chat %s after the burst: %+v", chat, l)
			}
		}
	})
}

// TestScriptsReloadAfterFlush: Redis forgot the scripts (a restart, SCRIPT
// FLUSH); the next message loads them again instead of failing.
func TestScriptsReloadAfterFlush(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, _, _ := newStore(t, be)
		chat := conversation.ChatKey{Channel: "telegram", ChatID: "77"}
		handle(t, s, chat, "m1", "77", t0)
		if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		if b := handle(t, s, chat, "m2", "77", t0.Add(time.Second)); !granted(b) || b.State == nil {
			t.Fatalf("after SCRIPT FLUSH: %+v", b)
		}
	})
}
