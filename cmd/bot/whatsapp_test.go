package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/internal/wait"
)

// TestFailedWhatsAppLeavesTelegramServing: WhatsApp's Run fails at start
// (its device store has a schema this whatsmeow does not know). The
// Telegram conversation in the same process goes on, and the failure shows
// in one log line, on /readyz and on /metrics.
func TestFailedWhatsAppLeavesTelegramServing(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"WHATSAPP": "on"})
	db, err := gorm.Open(postgres.Open(cfg.DatabaseURL), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE whatsmeow_version (version INTEGER, compat INTEGER)`,
		`INSERT INTO whatsmeow_version (version, compat) VALUES (999, 999)`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
	logs := &syncBuffer{}
	a := startBot(t, cfg, slog.New(slog.NewTextHandler(logs, nil)))

	wait.Until(t, "WhatsApp to fail", 15*time.Second, func() bool { return a.supervisor.Err("whatsapp") != nil })

	const chat = int64(5550042)
	srv.PushText(chat, chat, "/start")
	if msgs := srv.WaitSent(t, chat, 1, 15*time.Second); !strings.Contains(msgs[0].Text, "Selamat datang") {
		t.Fatalf("Telegram answered %q", msgs[0].Text)
	}
	srv.PushText(chat, chat, "8")
	if msgs := srv.WaitSent(t, chat, 2, 15*time.Second); !strings.Contains(msgs[1].Text, "Kecamatan Leksono") {
		t.Errorf("Telegram's second answer %q", msgs[1].Text)
	}

	ready := a.ready(context.Background())
	if err := ready["whatsapp"]; err == nil || !strings.Contains(err.Error(), "unsupported database schema version") {
		t.Errorf("/readyz says whatsapp: %v; want the cause", err)
	}
	if err := ready["telegram"]; err != nil {
		t.Errorf("/readyz says telegram: %v", err)
	}
	rec := httptest.NewRecorder()
	a.metrics.Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`sapa_job_up{job="whatsapp"} 0`, `sapa_job_failures_total{job="whatsapp"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if n := strings.Count(logs.String(), "whatsapp stopped; everything else keeps running"); n != 1 {
		t.Errorf("%d log lines about the failure, want 1:\n%s", n, logs.String())
	}
}
