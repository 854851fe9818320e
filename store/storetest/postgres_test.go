package storetest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leksono/sapa/store/storetest"
)

func TestPostgresCreatesAndDropsDatabase(t *testing.T) {
	ctx := context.Background()
	var dsn, name string
	t.Run("use", func(t *testing.T) {
		dsn = storetest.Postgres(t)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("connect to the test database: %v", err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatalf("current database: %v", err)
		}
		if !strings.HasPrefix(name, "sapa_test_") {
			t.Errorf("database %q, want sapa_test_*", name)
		}
		// An open connection must not keep the drop from happening.
		if _, err := conn.Exec(ctx, "CREATE TABLE t (id int)"); err != nil {
			t.Fatalf("create table: %v", err)
		}
		if other := storetest.Postgres(t); other == dsn {
			t.Errorf("two calls returned the same DSN %q", dsn)
		}
	})

	conn, err := pgx.Connect(ctx, strings.Replace(dsn, name, "test", 1))
	if err != nil {
		t.Fatalf("connect to the admin database: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatalf("look for %s: %v", name, err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

// pgFatalRecorder stands in for a test to catch the message of Fatalf.
type pgFatalRecorder struct {
	testing.TB
	msg string
}

func (f *pgFatalRecorder) Helper()        {}
func (f *pgFatalRecorder) Cleanup(func()) {}
func (f *pgFatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestPostgresUnreachableNamesAddressAndCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	rec := &pgFatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		storetest.Postgres(rec)
	}()
	<-done
	for _, want := range []string{"127.0.0.1:1", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"} {
		if !strings.Contains(rec.msg, want) {
			t.Errorf("failure message %q lacks %q", rec.msg, want)
		}
	}
}
