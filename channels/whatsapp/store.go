package whatsapp

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	// Registers the database/sql driver "pgx" for the PostgreSQL store.
	_ "github.com/jackc/pgx/v5/stdlib"
	"go.mau.fi/whatsmeow/store/sqlstore"
	waLog "go.mau.fi/whatsmeow/util/log"

	"github.com/leksono/sapa/services"
)

// Store dialects accepted in Config.StoreDialect.
const (
	// DialectPostgres opens the store with pgx's database/sql driver
	// ("pgx", registered by this package). StoreDSN is a URL or key=value
	// string as pgx reads it, e.g. postgres://user@host:5432/sapa.
	DialectPostgres = "postgres"
	// DialectSQLite opens the store with the database/sql driver named
	// "sqlite", which this package does NOT register: the program must link
	// exactly one pure-Go SQLite driver (glebarez/go-sqlite, e.g. through
	// glebarez/sqlite for GORM), since two registering that name panic.
	// StoreDSN is a file path; foreign keys and a busy timeout are added to
	// it when missing (whatsmeow refuses to start without foreign keys).
	DialectSQLite = "sqlite"
)

// checkStore refuses a store setting that can never open.
func checkStore(dialect, dsn string) error {
	// Checked before the pragmas are added: an empty path with pragmas is
	// a file named after them in the working directory.
	if strings.TrimSpace(dsn) == "" {
		return fmt.Errorf("whatsapp store: empty DSN for %s", dialect)
	}
	if dialect != DialectPostgres && dialect != DialectSQLite {
		return fmt.Errorf("whatsapp store dialect %q is not %q or %q", dialect, DialectPostgres, DialectSQLite)
	}
	return nil
}

// openStore opens whatsmeow's device store. Its tables, prefixed
// whatsmeow_, may share the application's database.
func openStore(ctx context.Context, dialect, dsn string, log waLog.Logger) (*sqlstore.Container, error) {
	if err := checkStore(dialect, dsn); err != nil {
		return nil, err
	}
	driver := "pgx"
	if dialect == DialectSQLite {
		driver = "sqlite"
		dsn = sqliteDSN(dsn)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open whatsapp store (%s): %w", dialect, err)
	}
	if dialect == DialectSQLite {
		// One writer at a time is all SQLite allows; queuing in the pool
		// beats failing with "database is locked".
		db.SetMaxOpenConns(1)
	}
	container := sqlstore.NewWithDB(db, dialect, log)
	if err := container.Upgrade(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("prepare whatsapp store tables (%s): %w", dialect, err)
	}
	return container, nil
}

// sqliteDSN adds the pragmas whatsmeow needs to a SQLite DSN, unless the
// operator set them already.
func sqliteDSN(dsn string) string {
	var add []string
	if !strings.Contains(dsn, "foreign_keys") {
		add = append(add, "_pragma=foreign_keys(1)")
	}
	if !strings.Contains(dsn, "busy_timeout") {
		add = append(add, "_pragma=busy_timeout(10000)")
	}
	if len(add) == 0 {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(add, "&")
}

// longNumber matches phone numbers and JID user parts in whatsmeow's log
// lines, which must not reach the logs in clear.
var longNumber = regexp.MustCompile(`\d{8,}`)

// waLogger passes whatsmeow's logging to slog. whatsmeow is chatty at info
// level (every reconnect step), so its info lines go to debug and its debug
// lines (every frame) below it; the bot logs what an operator needs itself.
// Long numbers are masked at every level.
type waLogger struct {
	log    *slog.Logger
	module string
}

func newWALogger(log *slog.Logger, module string) waLog.Logger {
	return waLogger{log: log, module: module}
}

// retryLines start whatsmeow's lines about each failed reconnect: the bot
// says once what is wrong instead (netReport), so they go to debug.
var retryLines = []string{"Error reconnecting after autoreconnect sleep", "Initial connection failed"}

func (l waLogger) out(level slog.Level, msg string, args []any) {
	for _, prefix := range retryLines {
		if strings.HasPrefix(msg, prefix) {
			level = slog.LevelDebug
		}
	}
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	text := longNumber.ReplaceAllStringFunc(fmt.Sprintf(msg, args...), services.MaskID)
	l.log.Log(context.Background(), level, "whatsmeow: "+text, "module", l.module)
}

func (l waLogger) Errorf(msg string, args ...any) { l.out(slog.LevelError, msg, args) }
func (l waLogger) Warnf(msg string, args ...any)  { l.out(slog.LevelWarn, msg, args) }
func (l waLogger) Infof(msg string, args ...any)  { l.out(slog.LevelDebug, msg, args) }
func (l waLogger) Debugf(msg string, args ...any) { l.out(slog.LevelDebug-4, msg, args) }

func (l waLogger) Sub(module string) waLog.Logger {
	return waLogger{log: l.log, module: l.module + "/" + module}
}
