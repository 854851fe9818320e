package delivery

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// TestQueuesHoldNothingInClear: what citizens type reaches Redis through
// every queue the core opens, the WhatsApp inbox journal, a notification
// outbox, and the case queue with a consent and a case waiting out a
// PostgreSQL outage, and none of it is there in clear: not a NIK, a KK, a
// name, an address, a phone number or the WhatsApp number of the sender.
// Each comes back intact to the one who reads it.
func TestQueuesHoldNothingInClear(t *testing.T) {
	const (
		nik     = "3307051708900001"
		kk      = "3307051203150004"
		name    = "Wiryo Sukarto"
		address = "Dusun Kalitengah RT 03"
		phone   = "6281298765432"
	)
	proxied, proxy := storetest.PostgresBehindProxy(t)
	rdb, prefix := storetest.Redis(t)
	keys := testKeys(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db, err := pgstore.Open(ctx, proxied, pgstore.Options{TicketPrefix: "LKS", Location: time.UTC, Keys: keys, Log: log})
	if err != nil {
		t.Fatalf("open the case database: %v", err)
	}
	defer db.Close()
	core := New(Config{Redis: rdb, Prefix: prefix, States: redisstore.New(rdb, prefix), Cases: db, Keys: keys,
		Location: time.UTC, Durable: true, Log: log})
	core.Cases().seed(ctx)

	// The WhatsApp inbox: a message as whatsmeow hands it over.
	entry, _ := json.Marshal(map[string]any{
		"info":    map[string]any{"Sender": phone + "@s.whatsapp.net", "ID": "M1"},
		"message": "NIK saya " + nik + ", alamat " + address,
	})
	inbox := core.Journal("whatsapp-inbox")
	if err := inbox.Hold(ctx, [][]byte{entry}, nil); err != nil {
		t.Fatalf("journal: %v", err)
	}
	// A staff notification naming the citizen.
	note := conversation.Reply{Text: "Kasus baru: " + name + ", NIK " + nik + ", HP " + phone}
	if err := core.Outbox("telegram").push(ctx, "7001", note); err != nil {
		t.Fatalf("outbox: %v", err)
	}
	// A consent and a case while PostgreSQL does not answer.
	proxy.Cut()
	if err := core.Privacy(db.Desk()).RecordConsent(ctx, "whatsapp", phone, "nik.v1", time.Now()); err != nil {
		t.Fatalf("consent during the outage: %v", err)
	}
	now := time.Now()
	if _, err := core.Cases().SubmitCase(ctx, services.NewCase{
		Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "whatsapp",
		ChatID: phone, CitizenName: name, VillageCode: "33.07.05.2001",
		Form:          map[string]string{"nik": nik, "kk": kk, "alamat": address, "telepon": phone},
		SourceMessage: "whatsapp:" + phone + ":M2", SubmittedAt: now, DueAt: now.Add(24 * time.Hour),
	}); err != nil {
		t.Fatalf("submit during the outage: %v", err)
	}

	all := storetest.RedisContents(t, rdb, prefix+"*")
	for _, q := range []string{"{whatsapp-inbox}", "{telegram-outbox}", "{cases}"} {
		if !strings.Contains(all, q) {
			t.Fatalf("no key of %s under the prefix: the scan proves nothing\n%s", q, all)
		}
	}
	for _, typed := range []string{nik, kk, name, address, phone, "81298765432"} {
		if strings.Contains(all, typed) {
			t.Errorf("Redis holds %q in clear", typed)
		}
	}

	// Who reads a queue gets what was put in: the next process requeues
	// what the journal held.
	if _, err := inbox.Requeue(ctx); err != nil {
		t.Fatalf("requeue: %v", err)
	}
	got, err := inbox.Pop(ctx, 10, 0)
	if err != nil || len(got) != 1 || string(got[0]) != string(entry) {
		t.Errorf("the inbox gave back %q, %v; want the entry", got, err)
	}
}
