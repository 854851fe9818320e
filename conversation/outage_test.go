package conversation_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// health is a Health whose answer the test sets.
type health struct{ down error }

func (h *health) Ping(context.Context) error { return h.down }

// once is an OnceGuard in memory.
type once struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (o *once) Once(_ context.Context, key string, _ time.Duration) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[key] {
		return false, nil
	}
	o.seen[key] = true
	return true, nil
}

// A step that fails while the case database does not answer fails with
// ErrUnavailable, and the sender is told at once, once however often the
// message is tried, that it is kept; a failure while the database answers
// is the message's own, and nobody is told.
func TestOutageIsToldOnceAndMarked(t *testing.T) {
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, catalog.Office.Location)
	cases := conversationtest.NewCases(catalog.Office.Location)
	notes := &conversationtest.Notifier{}
	db := &health{}
	engine, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: conversationtest.NewStates(func() time.Time { return now }),
		Cases: cases, Desk: cases, Notifier: notes, Health: db, Once: &once{seen: map[string]bool{}},
		Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	chat := conversation.ChatKey{Channel: "telegram", ChatID: "1001"}
	msg := func(id, text string) conversation.Inbound {
		return conversation.Inbound{Chat: chat, SenderID: "1001", MessageID: id, Kind: conversation.KindText, Text: text, At: now}
	}
	ctx := context.Background()
	for _, line := range []string{"halo", "2", "sktm", "3307051708900001", "Siti Aminah", "17 Agustus 1990",
		"sawangan", "Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "0812-3456-7890"} {
		if _, err := engine.Handle(ctx, msg(line, line)); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	notes.Take()

	// The case database is down: the confirmation is tried three times.
	cases.Fail = errors.New("dial tcp: connection refused")
	db.down = errors.New("dial tcp: connection refused")
	for try := range 3 {
		replies, err := engine.Handle(ctx, msg("ya", "ya"))
		if !errors.Is(err, conversation.ErrUnavailable) || len(replies) != 0 {
			t.Fatalf("try %d: %d replies, %v; want none and ErrUnavailable", try, len(replies), err)
		}
	}
	told := notes.Take()
	if len(told) != 1 || told[0].To != chat || !strings.Contains(told[0].Reply.Text, "pesan Anda kami simpan") {
		t.Fatalf("notices %+v, want one to the citizen saying the message is kept", told)
	}

	// Back: the same message files the case.
	cases.Fail, db.down = nil, nil
	replies, err := engine.Handle(ctx, msg("ya", "ya"))
	if err != nil || len(replies) != 1 || !strings.Contains(replies[0].Text, "Nomor tiket") {
		t.Fatalf("after the outage: %v, %+v", err, replies)
	}

	// A failure while the database answers is the message's own.
	cases.Fail = errors.New("a case the store refuses")
	for _, line := range []string{"2", "sktm", "3307051708900001", "Siti Aminah", "17 Agustus 1990",
		"sawangan", "Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "0812-3456-7890"} {
		if _, err := engine.Handle(ctx, msg("again "+line, line)); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	notes.Take()
	if _, err := engine.Handle(ctx, msg("ya again", "ya")); err == nil || errors.Is(err, conversation.ErrUnavailable) {
		t.Errorf("a failure with the database up = %v, want the message's own error", err)
	}
	if told := notes.Take(); len(told) != 0 {
		t.Errorf("told about an outage while the database answers: %+v", told)
	}
}

// limitedGate is a ChatGate whose every message is over the rate limit,
// with the notice due.
type limitedGate struct{}

func (limitedGate) Begin(context.Context, conversation.ChatKey, string, string, time.Time) (conversation.Begun, conversation.ChatLease, error) {
	return conversation.Begun{Limited: true, NoticeDue: true}, conversation.ChatLease{}, nil
}

func (limitedGate) CommitWithLease(context.Context, conversation.State, string, time.Duration, conversation.ChatLease) error {
	return errors.New("nothing is committed past the limit")
}

func (limitedGate) Release(context.Context, conversation.ChatLease) error { return nil }

// The rate limit's notice says which message was not read (issue #18, bug
// 7): a text's start in quotes, or what kind of message it was.
func TestRateLimitNoticeSaysWhichMessageToSendAgain(t *testing.T) {
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	cases := conversationtest.NewCases(catalog.Office.Location)
	engine, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: conversationtest.NewStates(time.Now), Gate: limitedGate{},
		Cases: cases, Desk: cases, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	chat := conversation.ChatKey{Channel: "telegram", ChatID: "1001"}
	for _, tc := range []struct {
		in   conversation.Inbound
		want string
	}{
		{conversation.Inbound{Kind: conversation.KindText, Text: "nama saya Siti Aminah binti Ahmad dari Dusun Krajan RT 02"},
			"\u201cnama saya Siti Aminah binti Ahmad dari…\u201d"},
		{conversation.Inbound{Kind: conversation.KindChoice, Payload: "village|x"}, "(tombol yang Anda tekan)"},
		{conversation.Inbound{Kind: conversation.KindUnsupported, Media: "photo",
			Attachments: []conversation.Attachment{{Kind: "photo", MIME: "image/jpeg"}}}, "(foto)"},
		{conversation.Inbound{Kind: conversation.KindUnsupported, Media: "sticker"}, "(stiker)"},
	} {
		tc.in.Chat, tc.in.SenderID, tc.in.MessageID = chat, chat.ChatID, "m"
		replies, err := engine.Handle(context.Background(), tc.in)
		if err != nil || len(replies) != 1 || !strings.Contains(replies[0].Text, "pesan Anda "+tc.want+" dan yang sesudahnya") {
			t.Errorf("%+v: %v, %+v; want the notice naming %s", tc.in, err, replies, tc.want)
		}
	}
}
