package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/services"
)

// TestDeadLetterEndToEnd is point 9 of issue #16, through the real
// dispatcher: an officer's message that always fails (a case whose NIK no
// key opens) was retried for ever, and every later message of the officer
// waited behind it. After its attempts it is now parked, sealed, in the
// dead letters; the officer is told once, the admin is alerted, /metrics
// counts it, and the officer's next message is answered. `bot deadletters`
// lists it without its text, and replays it once the case is readable.
func TestDeadLetterEndToEnd(t *testing.T) {
	dir := officeWithStaff(t)
	staff := `officers:
  - {id: kasi_kesos, name: "Pak Hadi", role: kasi, unit: kesejahteraan_sosial, telegram: "7002"}
  - {id: admin, name: "Mbak Admin", role: admin, telegram: "7009"}
`
	if err := os.WriteFile(filepath.Join(dir, "staff.yaml"), []byte(staff), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": dir, "METRICS_ADDR": "off"})
	a := startBot(t, cfg, slog.New(slog.DiscardHandler))
	ctx := context.Background()

	at := time.Now()
	receipt, err := a.cases.SubmitCase(ctx, services.NewCase{
		Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram", ChatID: "5564001",
		CitizenName: "Siti", VillageCode: "33.07.05.2001", Form: map[string]string{"nik": "3307051708900001"},
		SourceMessage: "telegram:5564001:1", SubmittedAt: at, DueAt: at.Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := gorm.Open(postgres.Open(cfg.DatabaseURL), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if db, err := direct.DB(); err == nil {
		defer db.Close()
	}
	// A NIK sealed with a key nobody has: reading the case always fails.
	if err := direct.Exec(`UPDATE cases SET form_data = ? WHERE ticket = ?`, `{"nik":"enc:v1:lost:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, receipt.Ticket).Error; err != nil {
		t.Fatal(err)
	}

	officer := &citizen{t: t, srv: srv, chat: 7002}
	admin := &citizen{t: t, srv: srv, chat: 7009}
	srv.PushText(officer.chat, officer.chat, "lihat "+receipt.Ticket)
	officer.expect("pesan Anda tidak dapat kami proses", 90*time.Second)
	alert := admin.expect("disimpan sebagai pesan gagal", 30*time.Second)
	id := regexp.MustCompile(`\d{8}-\d{6}-[0-9a-f]{8}`).FindString(alert.Text)
	if id == "" || strings.Contains(alert.Text, "7002") {
		t.Errorf("the admin's alert names no dead letter, or shows the chat unmasked:\n%s", alert.Text)
	}
	// The officer's chat moves on.
	officer.say("bantuan", "kasus", 30*time.Second)

	ops := httptest.NewServer(a.metrics.Handler(a.ready))
	defer ops.Close()
	if scrape := get(t, ops.URL+"/metrics"); !strings.Contains(scrape, `sapa_queue_backlog{queue="dead-letters"} 1`+"\n") {
		t.Errorf("/metrics does not count the dead letter:\n%s", scrape)
	}
	// Sealed: the command's text is nowhere in Redis in clear.
	rdb := a.storage.Redis
	raw, err := rdb.HGetAll(ctx, cfg.RedisPrefix+"{dead-letters}").Result()
	if err != nil || len(raw) != 1 {
		t.Fatalf("dead letters in Redis: %v, %v", raw, err)
	}
	for _, v := range raw {
		if strings.Contains(v, receipt.Ticket) || strings.Contains(v, "lihat") {
			t.Errorf("the dead letter is kept in clear: %s", v)
		}
	}

	vars := map[string]string{
		"TELEGRAM_TOKEN": cfg.TelegramToken, "TELEGRAM_API_URL": cfg.TelegramAPIURL, "REDIS_URL": cfg.RedisURL,
		"REDIS_PREFIX": cfg.RedisPrefix, "DATABASE_URL": cfg.DatabaseURL, "DATA_DIR": cfg.DataDir, "CONFIG_DIR": dir,
	}
	var out, errOut bytes.Buffer
	e := env{stdout: &out, stderr: &errOut, getenv: envOf(vars), now: time.Now}
	if code := runCommand([]string{"deadletters"}, e); code != 0 {
		t.Fatalf("bot deadletters: exit %d\n%s", code, errOut.String())
	}
	if list := out.String(); !strings.Contains(list, id+"  ") || !strings.Contains(list, "telegram chat "+services.MaskID("7002")+" ") ||
		strings.Contains(list, "lihat") || !strings.Contains(list, "1 dead letter(s)") {
		t.Errorf("bot deadletters lists:\n%s\nstderr:\n%s", list, errOut.String())
	}

	// Readable again: the replay answers the officer through the running bot.
	if err := direct.Exec(`UPDATE cases SET form_data = '{}' WHERE ticket = ?`, receipt.Ticket).Error; err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := runCommand([]string{"deadletters", "--replay", id}, e); code != 0 {
		t.Fatalf("bot deadletters replay: exit %d\n%s", code, errOut.String())
	}
	officer.expect(receipt.Ticket, 30*time.Second)
	if n, err := rdb.HLen(ctx, cfg.RedisPrefix+"{dead-letters}").Result(); err != nil || n != 0 {
		t.Errorf("after the replay %d dead letters remain (%v)", n, err)
	}
}
