package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultDatabaseURL is the local test server of the common test rules:
// trust authentication, user postgres, database test.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// startPostgres is the command that starts the local cluster when it is down.
const startPostgres = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

// Postgres creates a fresh, empty database for the calling test and returns
// its DSN. It connects to DATABASE_URL (default the local server) as an
// administrator, creates sapa_test_<random> and drops it again, with
// WITH (FORCE) so open pools do not block the drop, when the test ends.
// An unreachable server fails the test: it is never skipped.
func Postgres(t testing.TB) string {
	t.Helper()
	adminURL := os.Getenv("DATABASE_URL")
	if adminURL == "" {
		adminURL = defaultDatabaseURL
	}
	addr := pgServerAddr(adminURL)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable (%v); start it with: %s", addr, err, startPostgres)
	}
	defer conn.Close(context.Background())

	name := "sapa_test_" + pgRandomSuffix(t)
	// Identifiers cannot be bind parameters; name is built from hex digits
	// only, so plain concatenation is safe.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s on PostgreSQL at %s: %v", name, addr, err)
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			t.Errorf("drop test database %s: PostgreSQL at %s is unreachable: %v", name, addr, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s on PostgreSQL at %s: %v", name, addr, err)
		}
	})

	dsn, err := pgWithDatabase(adminURL, name)
	if err != nil {
		t.Fatalf("build DSN of test database %s: %v", name, err)
	}
	return dsn
}

// pgRandomSuffix is 16 hex digits: unique enough that concurrent test
// binaries sharing one server never collide.
func pgRandomSuffix(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random test database name: %v", err)
	}
	return hex.EncodeToString(b[:])
}

// pgServerAddr names the server of a DSN for error messages, without the
// credentials the DSN may hold.
func pgServerAddr(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "DATABASE_URL (unparsable)"
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// pgWithDatabase returns dsn pointing at database name instead, for both DSN
// forms libpq accepts: URLs and keyword/value strings.
func pgWithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword/value form the last occurrence of a keyword wins.
	return dsn + " dbname=" + name, nil
}
