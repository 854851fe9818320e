package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// sqliteParams are the connection settings of every SQLite connection:
//   - foreign_keys(1): SQLite ignores FOREIGN KEY clauses unless asked, per
//     connection;
//   - journal_mode(WAL): readers (other processes, a backup) do not block
//     the writer nor the writer them;
//   - busy_timeout(5000): a connection that finds the file locked by another
//     pool (whatsmeow's, sharing the file) waits up to 5 s instead of failing
//     at once;
//   - secure_delete(1): what a statement deletes or overwrites is zeroed
//     in the file, not left in free pages: an erased citizen's data must
//     not stay readable on disk;
//   - _txlock=immediate: every transaction takes the write lock when it
//     begins. A deferred transaction that reads and then writes can fail
//     with SQLITE_BUSY without waiting when another pool wrote in between;
//     an immediate one waits its turn under busy_timeout instead.
const sqliteParams = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=secure_delete(1)&_txlock=immediate"

// SQLiteDSN is the data source name of the SQLite database file at path
// for the database/sql driver "sqlite" of github.com/glebarez/go-sqlite,
// with the settings this package relies on. Any other user of the same file
// (whatsmeow's sqlstore, with dialect "sqlite") should open it with this
// DSN too, so both pools agree on locking and foreign keys.
func SQLiteDSN(path string) string {
	// A file: URI, so that a path holding '?' or '#' is escaped instead of
	// being cut there; SQLite decodes the escapes itself.
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath()}
	return u.String() + "?" + sqliteParams
}

// OpenSQLite opens, creating it when needed, the SQLite database file at
// path, migrates the schema and returns the store. It is the store of a
// bot run without a PostgreSQL server. The directory and the file are made
// readable by their owner only: they hold NIK and KK numbers.
//
// The pool has a single connection. SQLite allows one writer at a time per
// file anyway; funnelling every statement through one connection makes
// transactions queue in Go instead of failing with SQLITE_BUSY, which keeps
// SubmitCase and ChangeStatus correct under concurrency without row locks
// (SQLite has none: clause.Locking is dropped by the dialect).
func OpenSQLite(ctx context.Context, path string, o Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open case database: SQLite path is empty")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open case database: create directory: %w", err)
	}
	// Create the file before SQLite does, which would use 0644; its -wal
	// and -shm files copy the permissions of the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open case database: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open case database: %w", err)
	}

	db, err := gorm.Open(sqlite.Open(SQLiteDSN(path)), &gorm.Config{Logger: newLogger(o.logger(), logger.Warn)})
	if err != nil {
		return nil, fmt.Errorf("open case database %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open case database %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(1)
	// Keep the one connection: reopening runs the pragmas again for nothing.
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	s, err := New(ctx, db, o)
	if err != nil {
		return nil, errors.Join(err, sqlDB.Close())
	}
	s.owned = true
	return s, nil
}
