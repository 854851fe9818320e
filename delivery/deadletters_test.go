package delivery

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// replayer is a Handler that fails until fixed.
type replayer struct{ broken bool }

func (r *replayer) Handle(_ context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	if r.broken {
		return nil, errors.New("still broken")
	}
	return []conversation.Reply{{Text: "jawaban untuk " + in.MessageID}}, nil
}

// A parked message is sealed, its sender told in their language and the
// admins alerted; it is listed, and a replay that fails keeps it while one
// that succeeds sends the replies and takes it off the list.
func TestDeadLettersParkListReplay(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	core := New(Config{Redis: rdb, Prefix: prefix, States: redisstore.New(rdb, prefix), Keys: testKeys(t),
		Location: time.UTC, Durable: true, Log: slog.New(slog.DiscardHandler)})
	var sent []string
	core.Route("telegram", func(_ context.Context, chatID string, r conversation.Reply) error {
		sent = append(sent, chatID+": "+r.Text)
		return nil
	})
	staff := &services.Staff{Officers: []services.Officer{
		{ID: "admin", Role: services.RoleAdmin, Contacts: services.Contacts{"telegram": "9"}, Active: true},
	}}
	dl := core.DeadLetters(texts, staff)
	ctx := context.Background()
	in := conversation.Inbound{Chat: conversation.ChatKey{Channel: "telegram", ChatID: "5550001"}, MessageID: "77",
		Kind: conversation.KindText, Text: "NIK saya 3307051708900001", At: time.Now()}
	dl.Park(ctx, in, 5, errors.New("always fails"))

	raw, err := rdb.HGetAll(ctx, prefix+"{dead-letters}").Result()
	if err != nil || len(raw) != 1 {
		t.Fatalf("parked %v, %v", raw, err)
	}
	for _, v := range raw {
		if strings.Contains(v, "3307051708900001") || strings.Contains(v, "5550001") {
			t.Errorf("the dead letter holds the message in clear: %s", v)
		}
	}
	if len(sent) != 2 || !strings.HasPrefix(sent[0], "5550001: Mohon maaf, pesan Anda tidak dapat kami proses") ||
		!strings.HasPrefix(sent[1], "9: Satu pesan telegram dari chat "+services.MaskID("5550001")+" tidak dapat diproses") {
		t.Errorf("notices %q, want the sender told and the admin alerted", sent)
	}
	letters, err := dl.List(ctx)
	if err != nil || len(letters) != 1 || letters[0].In.Text != in.Text || letters[0].Attempts != 5 || letters[0].Err != "always fails" {
		t.Fatalf("List = %+v, %v", letters, err)
	}
	id := letters[0].ID
	h := &replayer{broken: true}
	if _, err := dl.Replay(ctx, id, h); err == nil {
		t.Error("a replay that failed again reported success")
	}
	if n, _ := rdb.HLen(ctx, prefix+"{dead-letters}").Result(); n != 1 {
		t.Errorf("a failed replay took the letter off the list")
	}
	h.broken, sent = false, nil
	if _, err := dl.Replay(ctx, id, h); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if len(sent) != 1 || sent[0] != "5550001: jawaban untuk 77" {
		t.Errorf("replay sent %q", sent)
	}
	if _, err := dl.Replay(ctx, id, h); !errors.Is(err, ErrNoDeadLetter) {
		t.Errorf("a second replay = %v, want ErrNoDeadLetter", err)
	}
}
