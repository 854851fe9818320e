package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/leksono/sapa/conversation"
)

// The engine the bot builds is gated by its state store: a citizen past
// the rate limit gets one notice, then silence. (Nothing switches the gate
// on by itself: the wiring must give it.)
func TestBuiltEngineLimitsASender(t *testing.T) {
	cfg, o := shipped(t, map[string]string{"DATA_DIR": t.TempDir(), "WHATSAPP": "off", "METRICS_ADDR": "off"})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	a, err := buildCore(ctx, cfg, o, nil, log)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer a.close(log)
	chat := conversation.ChatKey{Channel: "telegram", ChatID: "4711"}
	notices, silent := 0, 0
	for i := range 30 {
		text := fmt.Sprintf("menu %d", i)
		replies, err := a.engine.Handle(ctx, conversation.Inbound{Chat: chat, SenderID: chat.ChatID, MessageID: fmt.Sprint(i), Kind: conversation.KindText, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(replies) == 0:
			silent++
		case strings.Contains(replies[0].Text, "banyak pesan"):
			notices++
			// Issue #18, bug 7: the message that crossed the limit was
			// dropped without a word; the notice now says which one to
			// send again.
			if !strings.Contains(replies[0].Text, "\u201c"+text+"\u201d dan yang sesudahnya belum kami baca") {
				t.Errorf("the notice does not say which message to send again:\n%s", replies[0].Text)
			}
		}
	}
	if notices != 1 || silent < 8 {
		t.Fatalf("30 messages at once: %d notices, %d unanswered; want 1 notice and the rest past the limit unanswered", notices, silent)
	}
}
