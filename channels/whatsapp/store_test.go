package whatsapp

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/leksono/sapa/channels/dispatch/dispatchtest"

	// The pure-Go SQLite driver the bot links through glebarez/sqlite
	// (GORM); it registers the database/sql driver name "sqlite".
	_ "github.com/glebarez/go-sqlite"
)

const pgAdminDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testDatabase creates a PostgreSQL database for one test and drops it
// afterwards. PostgreSQL must run: the test fails, never skips, without it.
func testDatabase(t *testing.T) string {
	t.Helper()
	admin, err := sql.Open("pgx", pgAdminDSN)
	if err != nil {
		t.Fatalf("open %s: %v", pgAdminDSN, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL is not reachable at 127.0.0.1:5432 (%v); start it, e.g. `service postgresql start`, with trust auth for user postgres and a database named test", err)
	}
	name := fmt.Sprintf("wa_test_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}

func TestStoreOpensOnBothDialects(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		dsn     func(t *testing.T) string
	}{
		{DialectPostgres, testDatabase},
		{DialectSQLite, func(t *testing.T) string { return filepath.Join(t.TempDir(), "sapa.db") }},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			dsn := tc.dsn(t)
			ctx := context.Background()
			if _, err := New(Config{StoreDialect: tc.dialect, StoreDSN: dsn}, &recorder{}, quietLog()); err != nil {
				t.Fatalf("New: %v", err)
			}
			for round := range 2 { // a second run finds the tables in place
				st, err := openStore(ctx, tc.dialect, dsn, newWALogger(quietLog(), "store"))
				if err != nil {
					t.Fatalf("open store (run %d): %v", round+1, err)
				}
				device, err := st.GetFirstDevice(ctx)
				if err != nil || device.ID != nil {
					t.Errorf("run %d: device %v, %v; want an unpaired device", round+1, device, err)
				}
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
			}
			db, err := sql.Open(map[string]string{DialectPostgres: "pgx", DialectSQLite: "sqlite"}[tc.dialect], dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var version int
			if err := db.QueryRow("SELECT version FROM whatsmeow_version").Scan(&version); err != nil || version < 1 {
				t.Errorf("whatsmeow tables not created: version %d, %v", version, err)
			}
		})
	}
}

func TestBadStoreIsRefused(t *testing.T) {
	ctx := context.Background()
	if _, err := New(Config{StoreDialect: "mysql", StoreDSN: "x"}, &recorder{}, quietLog()); err == nil {
		t.Error("unknown dialect accepted")
	}
	// The DSN is checked before the pragmas are added, which would make an
	// empty path a file named after them in the working directory.
	if _, err := New(Config{StoreDialect: DialectSQLite}, &recorder{}, quietLog()); err == nil || !strings.Contains(err.Error(), "empty DSN") {
		t.Errorf("empty DSN: %v, want an empty DSN error", err)
	}
	if matches, _ := filepath.Glob("*_pragma=*"); len(matches) > 0 {
		t.Errorf("a file named after the pragmas was created: %v", matches)
	}
	// Foreign keys explicitly off: whatsmeow would corrupt its store, so it refuses.
	dsn := filepath.Join(t.TempDir(), "nofk.db") + "?_pragma=foreign_keys(0)"
	if _, err := openStore(ctx, DialectSQLite, dsn, newWALogger(quietLog(), "store")); err == nil || !strings.Contains(err.Error(), "foreign keys") {
		t.Errorf("SQLite without foreign keys: %v, want a foreign keys error", err)
	}
}

func TestSQLiteDSNGetsPragmas(t *testing.T) {
	for in, want := range map[string]string{
		"data/sapa.db":                                            "data/sapa.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)",
		"file:sapa.db?_pragma=journal_mode(WAL)":                  "file:sapa.db?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)",
		"sapa.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(1)": "sapa.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(1)",
	} {
		if got := sqliteDSN(in); got != want {
			t.Errorf("sqliteDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQRCodeIsPrintedAndWrittenAsPNG(t *testing.T) {
	b, _, _ := testBot(t, Config{QRFile: filepath.Join(t.TempDir(), "qr", "whatsapp-qr.png")}, &recorder{})
	var term bytes.Buffer
	b.out = &term
	b.showQR("2@abcdefghijklmnopqrstuvwxyz,0123456789,ABCDEFGHIJ=,KLMNOPQRST=", 1)
	if !strings.Contains(term.String(), "▀") && !strings.Contains(term.String(), "▄") {
		t.Errorf("no QR drawn in the terminal:\n%s", term.String())
	}
	f, err := os.Open(b.cfg.QRFile)
	if err != nil {
		t.Fatalf("QR image not written: %v", err)
	}
	img, err := png.Decode(f)
	_ = f.Close()
	if err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("QR image is not a usable PNG: %v", err)
	}
	if info, _ := os.Stat(b.cfg.QRFile); info.Mode().Perm() != 0o600 {
		t.Errorf("QR image readable by others: %v", info.Mode().Perm())
	}
	b.removeQRFile()
	if _, err := os.Stat(b.cfg.QRFile); !os.IsNotExist(err) {
		t.Errorf("QR image left behind after pairing: %v", err)
	}
}

func TestWhatsmeowLogsAreMasked(t *testing.T) {
	var buf bytes.Buffer
	l := newWALogger(slogTo(&buf), "client").Sub("Send")
	l.Warnf("Error decrypting message %s from %s", "3EB0ABC", "6281234567890@s.whatsapp.net")
	if strings.Contains(buf.String(), "6281234567890") || !strings.Contains(buf.String(), "3EB0ABC") {
		t.Errorf("log line not masked as expected: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "module=client/Send") {
		t.Errorf("module missing: %s", buf.String())
	}
}

// TestUnreachableWhatsAppIsSaidOnce: with no internet the bot says in one
// line what is wrong and what to do, once, and again only when the
// situation changes; whatsmeow's own line per attempt goes to debug.
func TestUnreachableWhatsAppIsSaidOnce(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil)) // info and above, as by default
	b, err := newBot(Config{}, &recorder{}, log, nil, dispatchtest.NewClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	dnsErr := fmt.Errorf("failed to dial whatsapp web websocket: %w", &net.DNSError{Err: "no such host", Name: "web.whatsapp.com", IsNotFound: true})
	for range 5 {
		b.net.failed(dnsErr)
	}
	newWALogger(log, "client").Errorf("Error reconnecting after autoreconnect sleep: %v", dnsErr)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "check its internet connection") || !strings.Contains(lines[0], "go run ./cmd/bot chat") {
		t.Fatalf("want one line saying what to do, got:\n%s", buf.String())
	}
	buf.Reset()
	b.net.failed(errors.New("websocket: bad handshake (403)"))
	b.net.connected()
	b.net.connected()
	got := buf.String()
	if strings.Count(got, "refused the connection") != 1 || strings.Count(got, "reachable again") != 1 {
		t.Errorf("after a change of situation and a connect, got:\n%s", got)
	}
}

// TestClientIsSetUpForTheField: the production client processes history
// syncs (whatsmeow stores LIDs and privacy tokens only then), acknowledges
// a message only once the handler took it, keeps decrypted messages until
// then, asks the phone for unreadable ones and keeps sent messages for
// retry receipts.
func TestClientIsSetUpForTheField(t *testing.T) {
	st, err := openStore(context.Background(), DialectSQLite, filepath.Join(t.TempDir(), "wa.db"), newWALogger(quietLog(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	device, err := st.GetFirstDevice(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{StoreDialect: DialectSQLite, StoreDSN: "x.db"}, &recorder{}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	c, ok := b.dial(device, func(any) bool { return true }).(*whatsmeow.Client)
	if !ok {
		t.Fatal("the production dialer does not build a whatsmeow client")
	}
	switch {
	case c.ManualHistorySyncDownload:
		t.Error("history syncs are left undownloaded")
	case !c.SynchronousAck || !c.EnableDecryptedEventBuffer:
		t.Error("acknowledgements do not wait for the handler")
	case !c.AutomaticMessageRerequestFromPhone:
		t.Error("unreadable messages are not asked of the phone")
	case !c.UseRetryMessageStore:
		t.Error("sent messages are not kept for retry receipts")
	case c.AutoReconnectHook == nil:
		t.Error("failed reconnects are not reported")
	}
}
