package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

// testCaseOptions opens test stores without keys: these tests are about
// where storage lives, not about sealing (pgstore tests that).
var testCaseOptions = pgstore.Options{TicketPrefix: "LKS", Location: time.UTC, AllowPlaintext: true}

func TestEmbeddedStorage(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "nested", "data")
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ctx := context.Background()
	st, err := openStorage(ctx, settings{DataDir: dataDir, RedisPrefix: "sapa:"}, testCaseOptions, log)
	if err != nil {
		t.Fatalf("openStorage: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			st.Close()
		}
	}()

	// One log line says which storage and where.
	dbPath := filepath.Join(dataDir, "sapa.db")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `cases="sqlite `+dbPath+`"`) || !strings.Contains(lines[0], `state="in-process miniredis 127.0.0.1:`) {
		t.Errorf("storage log:\n%s", logs)
	}
	if info, err := os.Stat(dbPath); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("SQLite file %s: %v, mode %v; want 0600", dbPath, err, info.Mode())
	}
	if err := st.Cases.Ping(ctx); err != nil {
		t.Errorf("case database does not answer: %v", err)
	}

	// Its keys expire with the wall clock: see redisstore's
	// TestEmbeddedExpiresWithTheWallClock.
	if err := st.Redis.Ping(ctx).Err(); err != nil {
		t.Errorf("the embedded store does not answer: %v", err)
	}

	addr := st.Redis.Options().Addr
	if err := st.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed = true
	probe := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer probe.Close()
	if err := probe.Ping(ctx).Err(); err == nil {
		t.Errorf("the embedded store at %s still answers after Close", addr)
	}
}

// TestServerStorage switches to PostgreSQL and Redis by their URLs alone.
func TestServerStorage(t *testing.T) {
	dsn := storetest.Postgres(t)
	storetest.Redis(t) // fails with the command to start Redis when it is down
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	cfg, err := readSettings(envOf(map[string]string{"DATABASE_URL": dsn, "REDIS_URL": redisURL, "DATA_DIR": t.TempDir()}))
	if err != nil {
		t.Fatalf("settings: %v", err)
	}
	logs := &syncBuffer{}
	st, err := openStorage(context.Background(), cfg, testCaseOptions, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("openStorage: %v", err)
	}
	defer st.Close()
	line := logs.String()
	if !strings.Contains(line, `cases="postgresql 127.0.0.1:5432/sapa_test_`) || !strings.Contains(line, `state="redis `) {
		t.Errorf("storage log:\n%s", line)
	}
	if entries, _ := os.ReadDir(cfg.DataDir); len(entries) != 0 {
		t.Errorf("server storage wrote %d files to DATA_DIR", len(entries))
	}
	if st.embedded != nil {
		t.Errorf("an embedded store was started although REDIS_URL is set")
	}
	// Every blocking queue reader may hold a connection: the pool has room
	// for them beside the messages' own.
	if got, want := st.Redis.Options().PoolSize, 10*runtime.GOMAXPROCS(0)+blockingReaders; got != want {
		t.Errorf("Redis pool size %d, want %d", got, want)
	}
	if !strings.Contains(redisURL, "?") {
		cfg.RedisURL = redisURL + "?pool_size=7"
		own, err := openStorage(context.Background(), cfg, testCaseOptions, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("openStorage with pool_size: %v", err)
		}
		defer own.Close()
		if got := own.Redis.Options().PoolSize; got != 7 {
			t.Errorf("pool_size=7 in REDIS_URL gave a pool of %d", got)
		}
	}
}

func TestStorageUnreachable(t *testing.T) {
	cfg := settings{RedisURL: "redis://127.0.0.1:1/0", DataDir: t.TempDir()}
	_, err := openStorage(context.Background(), cfg, testCaseOptions, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "connect to Redis at 127.0.0.1:1") {
		t.Errorf("openStorage with Redis down = %v", err)
	}
}

func TestServeWithoutChannelStops(t *testing.T) {
	// With no settings at all WhatsApp is the channel (it would wait for
	// pairing): switched off, nothing is left to serve.
	cfg, err := readSettings(envOf(map[string]string{"DATA_DIR": t.TempDir(), "WHATSAPP": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	o, problems := office.Load(cfg.ConfigDir)
	if len(problems) > 0 {
		t.Fatalf("shipped configuration: %v", problems)
	}
	err = run(context.Background(), cfg, o, slog.New(slog.DiscardHandler))
	if !errors.Is(err, errNoChannel) {
		t.Fatalf("run with no channel = %v, want errNoChannel", err)
	}
}

// With no settings at all the bot serves WhatsApp (pairing at first start)
// on embedded storage, the device keys in the same SQLite file, and the
// office console.
func TestNoSettingsServesWhatsApp(t *testing.T) {
	cfg, err := readSettings(envOf(map[string]string{"DATA_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	o, problems := office.Load(cfg.ConfigDir)
	if len(problems) > 0 {
		t.Fatalf("shipped configuration: %v", problems)
	}
	a, err := buildWith(context.Background(), cfg, o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("build with no settings: %v", err)
	}
	defer a.close(slog.New(slog.DiscardHandler))
	var names []string
	for _, c := range append(a.channels, a.jobs...) {
		names = append(names, c.name)
	}
	// The office console comes with the defaults too.
	if got := strings.Join(names, ","); got != "whatsapp,reminders,case-writer,consultation-closer,case-gauges,ops,console" {
		t.Fatalf("runs %q, want whatsapp,reminders,case-writer,consultation-closer,case-gauges,ops,console", got)
	}
	if a.storage.SQLitePath == "" {
		t.Fatal("no SQLite file with no DATABASE_URL")
	}
}
