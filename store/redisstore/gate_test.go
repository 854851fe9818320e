package redisstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/redisstore"
)

var _ conversation.ChatGate = (*redisstore.Store)(nil)

// With the store as its gate the engine limits each sender: past 20
// messages at once the sender gets one notice and then silence, while
// another citizen is served as usual; and two engines (two processes)
// answering one chat at once take its messages one at a time.
func TestRateLimitAndChatLockOnRedis(t *testing.T) {
	eachBackend(t, testRateLimitAndChatLock)
}

func testRateLimitAndChatLock(t *testing.T, be backend) {
	rdb, prefix, _ := be.open(t)
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	newEngine := func() *conversation.Engine {
		cases := conversationtest.NewCases(catalog.Office.Location)
		store := redisstore.New(rdb, prefix)
		e, err := conversation.New(conversation.Config{
			Catalog: catalog, Texts: texts, States: store, Gate: store, Cases: cases, Desk: cases,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := newEngine()
	ctx := context.Background()
	flood := conversation.ChatKey{Channel: "telegram", ChatID: "666"}
	answered, notices := 0, 0
	for i := 0; i < 40; i++ {
		replies, err := e.Handle(ctx, conversation.Inbound{Chat: flood, SenderID: "666", MessageID: fmt.Sprint(i), Kind: conversation.KindText, Text: "halo"})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(replies) == 0:
		case strings.Contains(replies[0].Text, "banyak pesan"):
			notices++
		default:
			answered++
		}
	}
	if answered < 20 || answered > 21 || notices != 1 {
		t.Fatalf("flood: %d answered, %d notices; want 20 (21 if a token refilled) and exactly 1", answered, notices)
	}
	other := conversation.ChatKey{Channel: "telegram", ChatID: "777"}
	if replies, err := e.Handle(ctx, conversation.Inbound{Chat: other, SenderID: "777", MessageID: "1", Kind: conversation.KindText, Text: "halo"}); err != nil || len(replies) != 1 {
		t.Fatalf("another citizen was affected: %v, %v", replies, err)
	}

	// Two engines on one Redis handle ten messages of one chat at once:
	// all are answered and the state's version counts each exactly once.
	e2 := newEngine()
	chat := conversation.ChatKey{Channel: "telegram", ChatID: "888"}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int, eng *conversation.Engine) {
			defer wg.Done()
			replies, err := eng.Handle(ctx, conversation.Inbound{Chat: chat, SenderID: "888", MessageID: fmt.Sprint("m", i), Kind: conversation.KindText, Text: "menu"})
			if err == nil && len(replies) != 1 {
				err = fmt.Errorf("message %d got %d replies", i, len(replies))
			}
			errs <- err
		}(i, map[bool]*conversation.Engine{true: e, false: e2}[i%2 == 0])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	loaded, err := redisstore.New(rdb, prefix).Load(ctx, chat, "")
	if err != nil || loaded.State == nil || loaded.State.Version != 10 {
		t.Fatalf("after 10 messages the chat's state is at version %v (%v), want 10", loaded.State, err)
	}
}
