package telegram

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/internal/wait"
)

// Notifications to one chat are paced and, when several pile up, merged:
// the first leaves at once, the rest as one digest after the interval.
func TestNotifyPacesAndMergesIntoDigest(t *testing.T) {
	hs := newHarness(t, &echoHandler{})
	hs.bot.outbox.chat = 300 * time.Millisecond
	ctx := context.Background()
	const officer = int64(9001)
	if err := hs.bot.NotifyThen(ctx, "9001", conversation.Reply{Text: "Kasus baru LKS-1"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	hs.srv.WaitSent(t, officer, 1, 5*time.Second)
	if n := hs.bot.Pending(); n != 0 {
		t.Fatalf("pending after the first send = %d", n)
	}
	for i, text := range []string{"Kasus baru LKS-2", "Kasus baru LKS-3", "Kasus baru LKS-4"} {
		if err := hs.bot.NotifyThen(ctx, "9001", conversation.Reply{Text: text}, nil, nil); err != nil {
			t.Fatalf("notify %d: %v", i, err)
		}
	}
	if n := hs.bot.Pending(); n != 3 {
		t.Fatalf("pending while paced = %d, want 3", n)
	}
	sent := hs.srv.WaitSent(t, officer, 2, 5*time.Second)
	if sent[0].Text != "Kasus baru LKS-1" {
		t.Fatalf("first notification = %q", sent[0].Text)
	}
	if got := strings.Count(sent[1].Text, "Kasus baru"); got != 3 || !strings.Contains(sent[1].Text, digestSeparator) {
		t.Fatalf("want one digest of the three others, got %q", sent[1].Text)
	}
	waitOutboxIdle(t, hs.bot)
	if n := len(hs.srv.SentTo(officer)); n != 2 {
		t.Fatalf("%d messages reached the chat, want 2", n)
	}
}

// A group gets at most one message per group interval; another chat is
// not held up by it.
func TestNotifyGroupsSlowerOtherChatsIndependent(t *testing.T) {
	hs := newHarness(t, &echoHandler{})
	hs.bot.outbox.chat = 50 * time.Millisecond
	hs.bot.outbox.group = 600 * time.Millisecond
	ctx := context.Background()
	started := time.Now()
	hs.bot.NotifyThen(ctx, "-1001", conversation.Reply{Text: "grup 1"}, nil, nil)
	hs.srv.WaitSent(t, -1001, 1, 5*time.Second)
	hs.bot.NotifyThen(ctx, "-1001", conversation.Reply{Text: "grup 2"}, nil, nil)
	hs.bot.NotifyThen(ctx, "9002", conversation.Reply{Text: "pribadi"}, nil, nil)
	hs.srv.WaitSent(t, 9002, 1, 5*time.Second)
	if time.Since(started) > 500*time.Millisecond {
		t.Fatalf("a private chat waited for the group's pacing")
	}
	hs.srv.WaitSent(t, -1001, 2, 5*time.Second)
	if time.Since(started) < 600*time.Millisecond {
		t.Fatalf("the group's second message left before the group interval")
	}
}

func TestNotifyRefusesBadInput(t *testing.T) {
	hs := newHarness(t, &echoHandler{})
	if err := hs.bot.NotifyThen(context.Background(), "abc", conversation.Reply{Text: "x"}, nil, nil); err == nil {
		t.Error("a non-numeric chat id must be refused")
	}
	if err := hs.bot.NotifyThen(context.Background(), "1", conversation.Reply{Text: "  "}, nil, nil); err == nil {
		t.Error("an empty notification must be refused")
	}
}

func TestReadyAfterFirstPoll(t *testing.T) {
	hs := newHarness(t, &echoHandler{})
	if err := hs.bot.Ready(); err == nil {
		t.Fatal("ready before any poll")
	}
	hs.start(t)
	defer hs.stop()
	wait.Until(t, "the bot to be ready", 5*time.Second, func() bool { return hs.bot.Ready() == nil })
}

// A quick answer goes without a typing indicator: it would cost a request
// per message for nothing. A slow one shows it.
func TestTypingOnlyWhenSlow(t *testing.T) {
	var srv *telegramtest.Server // set before the bot starts
	slow := &echoHandler{hook: func(_ context.Context, in conversation.Inbound) error {
		if in.Text == "lambat" {
			// Slow until the indicator shows, however long that takes.
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for deadline := time.Now().Add(replyWait); len(srv.ChatActions()) == 0 && time.Now().Before(deadline); {
				<-tick.C
			}
		}
		return nil
	}}
	hs := newHarness(t, slow)
	srv = hs.srv
	hs.bot.typingDelay = 200 * time.Millisecond
	hs.start(t)
	defer hs.stop()
	hs.srv.PushText(4242, 4242, "halo")
	hs.srv.WaitSent(t, 4242, 1, 5*time.Second)
	if n := len(hs.srv.ChatActions()); n != 0 {
		t.Fatalf("%d typing actions for an instant answer, want 0", n)
	}
	hs.srv.PushText(4242, 4242, "lambat")
	hs.srv.WaitSent(t, 4242, 2, 5*time.Second)
	if n := len(hs.srv.ChatActions()); n != 1 {
		t.Fatalf("%d typing actions for a slow answer, want 1", n)
	}
}

// A chat that blocked the bot (403) is reported once per failed send, so
// the citizen can be marked unreachable; nothing is retried.
func TestUnreachableChatReported(t *testing.T) {
	hs := newHarness(t, &echoHandler{})
	var mu sync.Mutex
	var reported []string
	hs.bot.OnUnreachable(func(chatID string) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, chatID)
	})
	hs.srv.BlockChat(5151)
	hs.start(t)
	defer hs.stop()
	hs.srv.PushText(5151, 5151, "halo")
	wait.Until(t, "the chat to be reported", 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(reported) > 0
	})

	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || reported[0] != "5151" {
		t.Fatalf("reported %v, want [5151]", reported)
	}
	if n := hs.srv.SendAttempts(5151); n != 1 {
		t.Fatalf("%d send attempts to a blocked chat, want 1", n)
	}
}

// waitOutboxIdle waits until no notification waits for its chat's pacing
// or is being sent: nothing more can reach any chat afterwards.
func waitOutboxIdle(t *testing.T, b *Bot) {
	t.Helper()
	wait.Until(t, "the outbox to go idle", replyWait, func() bool {
		o := b.outbox
		o.mu.Lock()
		defer o.mu.Unlock()
		for _, q := range o.queues {
			if q.running || len(q.pending) > 0 {
				return false
			}
		}
		return true
	})

}
