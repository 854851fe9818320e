package delivery

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// TestMergeChatJoinsStateAndCases: a person who filed a case and began a
// form under their LID finds both under their phone number once merged.
func TestMergeChatJoinsStateAndCases(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	ctx := context.Background()
	loc := time.FixedZone("WIB", 7*3600)
	db, err := pgstore.Open(ctx, storetest.Postgres(t), pgstore.Options{TicketPrefix: "LKS", Location: loc, Keys: testKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	states := redisstore.New(rdb, prefix)
	core := New(Config{Redis: rdb, Prefix: prefix, States: states, Cases: db, Location: loc, Durable: true, Log: slog.New(slog.DiscardHandler)})

	const lid, phone = "lid:123456789012345", "6281234567890"
	now := time.Now()
	if _, err := db.SubmitCase(ctx, services.NewCase{
		Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "whatsapp",
		ChatID: lid, CitizenName: "Siti Aminah", VillageCode: "33.07.05.2001", Form: map[string]string{"nama": "Siti Aminah"},
		SourceMessage: "whatsapp:" + lid + ":M1", SubmittedAt: now, DueAt: now.Add(24 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	st := conversation.State{Chat: conversation.ChatKey{Channel: "whatsapp", ChatID: lid}, Step: conversation.StepForm,
		Service: "domisili", UpdatedAt: now}
	if err := states.Commit(ctx, st, "M2", time.Hour); err != nil {
		t.Fatal(err)
	}

	if err := core.MergeChat(ctx, "whatsapp", lid, phone); err != nil {
		t.Fatalf("MergeChat: %v", err)
	}
	got, err := states.Load(ctx, conversation.ChatKey{Channel: "whatsapp", ChatID: phone}, "")
	if err != nil || got.State == nil || got.State.Service != "domisili" {
		t.Errorf("the phone number's state: %+v, %v", got.State, err)
	}
	cases, err := db.CitizenCases(ctx, "whatsapp", phone, 0)
	if err != nil || len(cases) != 1 {
		t.Errorf("the phone number's cases: %d, %v; want the LID's one", len(cases), err)
	}
	if err := core.MergeChat(ctx, "whatsapp", lid, phone); err != nil {
		t.Errorf("a second merge: %v", err)
	}
}
