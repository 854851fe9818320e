package pgstore_test

import (
	"context"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

// backend is one database the store runs on. Every test of the package
// runs once per backend, as a subtest named after it, so both dialects
// keep one contract.
type backend struct {
	name string
	// fresh makes a new, empty database for t and returns where it is: a
	// DSN for PostgreSQL, a file path for SQLite.
	fresh func(t testing.TB) string
	// open opens the store the way the bot does.
	open func(ctx context.Context, where string, o pgstore.Options) (*pgstore.Store, error)
	// dialector opens a second pool on the same database, to inspect and
	// tamper with it behind the store's back.
	dialector func(where string) gorm.Dialector
	// failEvents makes every insert into case_events fail with "injected
	// event failure"; passEvents undoes it.
	failEvents, passEvents []string
	// indexCount counts the indexes of that name; foreignKeys counts the
	// foreign keys from a table to another.
	indexCount, foreignKeys string
}

func (b backend) postgres() bool { return b.name == "postgres" }

func backends(t testing.TB) []backend {
	t.Helper()
	return []backend{
		{
			name:      "postgres",
			fresh:     func(t testing.TB) string { return storetest.Postgres(t) },
			open:      pgstore.Open,
			dialector: func(dsn string) gorm.Dialector { return postgres.Open(dsn) },
			failEvents: []string{
				`CREATE FUNCTION test_reject_event() RETURNS trigger LANGUAGE plpgsql AS $$
				 BEGIN RAISE EXCEPTION 'injected event failure'; END $$`,
				`CREATE TRIGGER test_reject_event BEFORE INSERT ON case_events
				 FOR EACH ROW EXECUTE FUNCTION test_reject_event()`,
			},
			passEvents:  []string{`DROP TRIGGER test_reject_event ON case_events`, `DROP FUNCTION test_reject_event()`},
			indexCount:  `SELECT count(*) FROM pg_indexes WHERE indexname = ?`,
			foreignKeys: `SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = ?::regclass AND confrelid = ?::regclass`,
		},
		{
			name:      "sqlite",
			fresh:     func(t testing.TB) string { return storetest.SQLite(t) },
			open:      pgstore.OpenSQLite,
			dialector: func(path string) gorm.Dialector { return sqlite.Open(pgstore.SQLiteDSN(path)) },
			failEvents: []string{
				`CREATE TRIGGER test_reject_event BEFORE INSERT ON case_events
				 BEGIN SELECT RAISE(ABORT, 'injected event failure'); END`,
			},
			passEvents:  []string{`DROP TRIGGER test_reject_event`},
			indexCount:  `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`,
			foreignKeys: `SELECT count(*) FROM pragma_foreign_key_list(?) WHERE "table" = ?`,
		},
	}
}

// eachBackend runs test once per backend, as parallel subtests: each has
// its own database, and running them side by side keeps the package fast.
func eachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

// openStore opens a store on a fresh database of b and returns it with
// where the database is.
func openStore(t testing.TB, b backend) (*pgstore.Store, string) {
	t.Helper()
	return openStoreWith(t, b, options(t))
}

// openStoreWith is openStore with options o.
func openStoreWith(t testing.TB, b backend, o pgstore.Options) (*pgstore.Store, string) {
	t.Helper()
	where := b.fresh(t)
	s, err := b.open(context.Background(), where, o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s, where
}

// rawDB is a second pool used to inspect and tamper with the database
// behind the store's back.
func rawDB(t testing.TB, b backend, where string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(b.dialector(where), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open raw connection: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

func execAll(t testing.TB, db *gorm.DB, stmts []string) {
	t.Helper()
	for _, stmt := range stmts {
		if err := db.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// checkOneCase fails t unless db holds exactly one case and its one event:
// what a submission repeated or retried must leave.
func checkOneCase(t testing.TB, db *gorm.DB) {
	t.Helper()
	if c := count(t, db, `SELECT count(*) FROM cases`); c != 1 {
		t.Errorf("cases = %d, want 1", c)
	}
	if c := count(t, db, `SELECT count(*) FROM case_events`); c != 1 {
		t.Errorf("events = %d, want 1", c)
	}
}

func count(t testing.TB, db *gorm.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
