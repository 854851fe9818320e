package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/services/imagetest"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

const testToken = "123456:TEST-token"

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTelegramSKTMEndToEnd runs the wired bot (real telegram-bot-api library,
// real Redis, real PostgreSQL) against a fake Bot API server: a citizen
// completes an SKTM request, the case is read back from PostgreSQL, and the
// same confirmation delivered twice files one case.
func TestTelegramSKTMEndToEnd(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"LOG_LEVEL": "debug"})
	const chat = int64(5550001)
	log, logs := checkedLog(t, chat)

	ctx, cancel := context.WithCancel(context.Background())
	a, err := build(ctx, cfg, log)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer a.close(log)
	stopped := make(chan error, 1)
	go func() { stopped <- a.bot.Run(ctx) }()
	if a.metrics == nil {
		t.Fatal("no metrics")
	}

	sent := 0
	expect := func(what string) telegramtest.SentMessage {
		t.Helper()
		sent++
		msgs := srv.WaitSent(t, chat, sent, 15*time.Second)
		last := msgs[sent-1]
		if !strings.Contains(last.Text, what) {
			t.Fatalf("reply %d: want it to contain %q, got:\n%s", sent, what, last.Text)
		}
		return last
	}
	say := func(text, want string) telegramtest.SentMessage {
		t.Helper()
		srv.PushText(chat, chat, text)
		return expect(want)
	}

	menu := say("/start", "Selamat datang")
	if len(menu.Buttons) < 4 || menu.Buttons[1][0].Text != "2. Ajukan surat" {
		t.Fatalf("main menu buttons: %+v", menu.Buttons)
	}
	srv.PushCallback(chat, chat, menu.Buttons[1][0].Data)
	expect("Surat apa yang ingin Anda ajukan?")
	say("sktm", "Setuju? Pilih Setuju")
	say("setuju", "(1/7)")
	say("3307051708900001", "(2/7)")
	say("Siti Aminah", "(3/7)")
	villages := say("17-08-1990", "(4/7)")
	if len(villages.Buttons) != 14 || villages.Buttons[0][0].Text != "1. Sawangan" {
		t.Fatalf("village buttons: %+v", villages.Buttons)
	}
	srv.PushCallback(chat, chat, villages.Buttons[0][0].Data)
	expect("(5/7)")
	say("Dusun Krajan RT 02 RW 01", "(6/7)")
	say("beasiswa sekolah anak", "(7/7)")
	say("0812 3456 7890", "3307**********01")
	// The three documents as one album, the KK first, named by its caption.
	for i, id := range []string{"album-kk", "album-pengantar", "album-ktp"} {
		srv.PutFile(id, imagetest.JPEG(64, 48, uint8(40*i+20), imagetest.EXIF{}))
	}
	srv.PushAlbum(chat, chat, "13650001", []string{"album-kk", "album-pengantar", "album-ktp"}, []string{"kk", "", ""})
	expect("Diterima: KK.")
	expect("Diterima: Pengantar RT/RW dan desa.")
	expect("3307**********01")
	// The whole form waits in Redis for the confirmation, every answer
	// sealed.
	draft := chatState(t, a, cfg, chat)
	if !strings.Contains(draft, `"sktm"`) || strings.Contains(draft, "Siti Aminah") || strings.Contains(draft, "3307051708900001") {
		t.Errorf("the draft in Redis should be there with neither the name nor the NIK in clear:\n%s", draft)
	}

	// The confirmation arrives twice, as after a redelivery: same message,
	// two updates.
	confirm := json.RawMessage(`{"message":{"message_id":990001,"date":1795000000,
		"from":{"id":5550001,"is_bot":false,"first_name":"Siti"},
		"chat":{"id":5550001,"type":"private","first_name":"Siti"},"text":"ya"}}`)
	srv.PushUpdate(confirm)
	second := srv.PushUpdate(confirm)
	receipt := expect("Nomor tiket:")
	// The file is complete: the same message offers the time to pick the
	// letter up (a booked visit) instead of the main menu.
	if !strings.Contains(receipt.Text, "Pilih waktu datang") {
		t.Errorf("the receipt offers no time to pick the letter up:\n%s", receipt.Text)
	}
	srv.WaitOffset(t, second+1, 15*time.Second)

	ticket := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(receipt.Text)
	if ticket == "" {
		t.Fatalf("no ticket in the receipt:\n%s", receipt.Text)
	}
	c, events, err := a.cases.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatalf("read case %s back: %v", ticket, err)
	}
	want := map[string]string{
		"nik": "3307051708900001", "nama": "Siti Aminah", "tanggal_lahir": "1990-08-17",
		"desa": "33.07.05.2001", "alamat": "Dusun Krajan RT 02 RW 01", "keperluan": "beasiswa sekolah anak",
		"telepon": "6281234567890",
	}
	for k, v := range want {
		if c.FormData[k] != v {
			t.Errorf("case form[%s] = %q, want %q", k, c.FormData[k], v)
		}
	}
	if c.ServiceCode != "sktm" || c.Status != "diterima" || c.VillageCode != "33.07.05.2001" || c.Channel != "telegram" {
		t.Errorf("case = service %q status %q village %q channel %q", c.ServiceCode, c.Status, c.VillageCode, c.Channel)
	}
	if len(events) != 1 || events[0].ToStatus != "diterima" {
		t.Errorf("want one diterima event, got %+v", events)
	}
	files, err := a.cases.Attachments(ctx, ticket)
	var reqs []string
	for _, f := range files {
		reqs = append(reqs, f.Requirement)
	}
	if err != nil || !slices.Equal(reqs, []string{"foto_kk", "pengantar_desa", "foto_ktp"}) {
		t.Errorf("the album's files were filed for %v, %v; want foto_kk, pengantar_desa, foto_ktp", reqs, err)
	}
	db, err := gorm.Open(postgres.Open(cfg.DatabaseURL), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var count int64
	if err := db.WithContext(ctx).Model(&pgstore.Case{}).Count(&count).Error; err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	if count != 1 {
		t.Errorf("the doubled confirmation made %d cases, want 1", count)
	}
	if n := len(srv.SentTo(chat)); n != sent {
		t.Errorf("the doubled confirmation was answered twice: %d messages, want %d", n, sent)
	}

	// The counters moved by exactly what happened: 16 messages handled (the
	// album's three and the doubled confirmation included), 15 replies, one
	// SKTM case.
	ops := httptest.NewServer(a.metrics.Handler(a.ready))
	defer ops.Close()
	// An update counts as finished a moment after its answer reached the
	// fake: wait for the backlog to come down.
	waitHandled(t, a)
	scrape := get(t, ops.URL+"/metrics")
	for _, want := range []string{
		`sapa_messages_in_total{channel="telegram"} 16`,
		`sapa_messages_out_total{channel="telegram"} 15`,
		`sapa_cases_opened_total{kind="request",service="sktm"} 1`,
		`sapa_handle_seconds_count{channel="telegram"} 16`,
		// Nothing is owed: every update handled, no case waits for the
		// database.
		`sapa_queue_backlog{queue="telegram-updates"} 0`,
		`sapa_queue_backlog{queue="cases"} 0`,
	} {
		if !strings.Contains(scrape, want+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", want, scrape)
		}
	}
	if strings.Contains(scrape, "sapa_errors_total{") {
		t.Errorf("errors were counted:\n%s", scrape)
	}
	if body := get(t, ops.URL+"/readyz"); !strings.Contains(body, "ok") {
		t.Errorf("/readyz = %q, want ok (redis, database and telegram answer)", body)
	}

	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("graceful stop returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("bot did not stop within 15 s of cancel")
	}
	for _, secret := range []string{"3307051708900001", "081234567890", "6281234567890", "Siti Aminah", testToken} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain personal data or the token %q", secret)
		}
	}
}

// chatState is the stored state of a Telegram chat, as Redis holds it.
func chatState(t *testing.T, a *app, cfg office.Settings, chat int64) string {
	t.Helper()
	ctx := context.Background()
	keys, err := a.storage.Redis.Keys(ctx, cfg.RedisPrefix+"*:"+strconv.FormatInt(chat, 10)+"}:state").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("state key of chat %d: %v, %v", chat, keys, err)
	}
	vals, err := a.storage.Redis.HGetAll(ctx, keys[0]).Result()
	if err != nil {
		t.Fatalf("read %s: %v", keys[0], err)
	}
	return fmt.Sprint(vals)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// serverSettings are the settings of a bot on the fake Telegram server, the
// real Redis (its own prefix) and its own PostgreSQL database, plus extra.
func serverSettings(t *testing.T, srv *telegramtest.Server, extra map[string]string) office.Settings {
	t.Helper()
	_, prefix := storetest.Redis(t)
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	env := map[string]string{
		"TELEGRAM_TOKEN": testToken, "TELEGRAM_API_URL": srv.URL(), "REDIS_URL": redisURL,
		"REDIS_PREFIX": prefix, "DATABASE_URL": storetest.Postgres(t), "DATA_DIR": t.TempDir(),
		// Tests that want the console give it a free port; the metrics
		// listener's fixed port may be taken by anything else on the
		// machine, and a job that cannot start stops the whole bot.
		"CONSOLE_ADDR": "off", "METRICS_ADDR": "off",
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := office.ReadSettings(envOf(env))
	if err != nil {
		t.Fatalf("settings: %v", err)
	}
	return cfg
}

// waitHandled waits until every Telegram update the bot took was handled:
// its backlog in /metrics is down to zero.
func waitHandled(t *testing.T, a *app) {
	t.Helper()
	ops := httptest.NewServer(a.metrics.Handler(nil))
	defer ops.Close()
	wait.Until(t, "every update taken to be handled", 30*time.Second, func() bool {
		return strings.Contains(get(t, ops.URL+"/metrics"), `sapa_queue_backlog{queue="telegram-updates"} 0`+"\n")
	})
}

// build loads the office configuration and constructs every part from the
// settings, as serve does; a configuration problem comes back as a
// office.Problems.
func build(ctx context.Context, cfg office.Settings, log *slog.Logger) (*app, error) {
	o, problems := office.Load(cfg.ConfigDir)
	if len(problems) > 0 {
		return nil, problems
	}
	return buildWith(ctx, cfg, o, log)
}

// startBot builds the bot from cfg and runs its channels and jobs until the
// test ends.
func startBot(t *testing.T, cfg office.Settings, log *slog.Logger) *app {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := build(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("build: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runChannels(ctx, a.supervisor, append(a.channels, a.jobs...))
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		a.close(log)
	})
	return a
}
