package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// #16.15: an officer acted and was answered "told" (the notification was
// queued); its send then showed that the citizen's chat refuses the bot.
// The officers of the citizen's open case are told so, once, in their
// private chats; a closed case's and another unit's officers are not.
func TestStaffToldWhenAChatTurnsOutToRefuseTheBot(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := storetest.Redis(t)
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	keys := testKeys(t)
	log := slog.New(slog.DiscardHandler)
	db, err := pgstore.Open(ctx, storetest.Postgres(t), pgstore.Options{TicketPrefix: "LKS", Location: time.UTC, Keys: keys, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	staff := &services.Staff{Officers: []services.Officer{
		{ID: "petugas_kesos", Role: services.RolePetugas, Unit: "kesejahteraan_sosial", Contacts: services.Contacts{"telegram": "9002"}, Active: true},
		{ID: "petugas_umum", Role: services.RolePetugas, Unit: "pelayanan_umum", Contacts: services.Contacts{"telegram": "9003"}, Active: true},
	}}
	core := New(Config{Redis: rdb, Prefix: prefix, States: redisstore.New(rdb, prefix), Cases: db, Keys: keys,
		Location: time.UTC, Durable: true, Log: log, Texts: texts, Staff: staff})
	var (
		mu   sync.Mutex
		sent = map[string][]string{}
	)
	core.Route("telegram", func(_ context.Context, chatID string, r conversation.Reply) error {
		mu.Lock()
		defer mu.Unlock()
		sent[chatID] = append(sent[chatID], r.Text)
		return nil
	})
	file := func(n int) string {
		t.Helper()
		now := time.Now()
		r, err := db.SubmitCase(ctx, services.NewCase{
			Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram",
			ChatID: "5550001", CitizenName: "Siti Aminah", VillageCode: "33.07.05.2001", Form: map[string]string{"nama": "Siti Aminah"},
			SourceMessage: fmt.Sprintf("telegram:5550001:%d", n), SubmittedAt: now, DueAt: now.Add(24 * time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r.Ticket
	}
	open, closed := file(1), file(2)
	if _, _, err := db.ChangeStatus(ctx, pgstore.StatusChange{Ticket: closed, To: services.StatusRejected, Actor: "petugas_kesos", At: time.Now()}); err != nil {
		t.Fatal(err)
	}

	refused := core.Unreachable("telegram")
	refused("5550001")
	refused("5550001") // the next reply to the same chat is refused too
	mu.Lock()
	got := sent["9002"]
	other := sent["9003"]
	mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], open) || !strings.Contains(got[0], "TIDAK sampai") || strings.Contains(got[0], closed) {
		t.Errorf("the unit's officer was told %q, want one notice about %s", got, open)
	}
	if len(other) != 0 {
		t.Errorf("another unit's officer was told %q", other)
	}
	cases, err := db.CitizenCases(ctx, "telegram", "5550001", 0)
	if err != nil || len(cases) != 2 || cases[0].Citizen.UnreachableAt == nil {
		t.Errorf("the chat is not marked unreachable: %v", err)
	}
}
