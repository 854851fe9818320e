// Package pgstore files submitted cases in a SQL database through GORM:
// citizens, cases, their append-only event history and the per-day ticket
// counters, and serves the staff's follow-up of those cases. It runs on
// PostgreSQL (Open) and on SQLite (OpenSQLite): statements are portable SQL
// (INSERT ... ON CONFLICT ... RETURNING works on both), and the
// dialect-specific parts are isolated in FormData.GormDBDataType, in
// migrate.go, in sqlite.go and in the one-statement filing of a numbered
// case on PostgreSQL (submit.go).
//
// Every time is written in UTC: SQLite stores times as text and compares
// them as text, which orders correctly only when all share one offset.
package pgstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when no case has the ticket, or when it belongs
// to another citizen than the one asking.
var ErrNotFound = errors.New("case not found")

// ErrClosed is returned when a case in a final status (selesai, ditolak,
// bukan_wewenang) is asked to change.
var ErrClosed = errors.New("case is closed")

// Options are the office settings the store needs.
type Options struct {
	// TicketPrefix starts every ticket, e.g. "LKS" for LKS-261128-0001.
	TicketPrefix string
	// Location is the office time zone: it decides the day of a ticket.
	Location *time.Location
	// Keys encrypt the sensitive form fields and hash the NIK for
	// CasesByNIK (see crypto.go). Nil is refused unless AllowPlaintext.
	Keys *Keys
	// AllowPlaintext lets a store without Keys open, storing NIK and KK
	// numbers in clear. Only for tests and throwaway demos.
	AllowPlaintext bool
	// Sensitive names the form fields sealed at rest: the catalog's nik and
	// kk typed fields. "nik" and "kk" are always sensitive.
	Sensitive []string
	// Personal names the other form fields holding personal data (phone,
	// address, birth date, free text about the person): CompleteDeletion
	// erases them with the sensitive ones.
	Personal []string
	// MaxConns bounds the PostgreSQL connections Open keeps (0: 8, the
	// default). Each is a backend process on the database server.
	MaxConns int
	// Log is where Open and OpenSQLite log, GORM's statements included
	// (without their parameters, which hold personal data): failed and
	// slow statements at warning level and above, every statement at debug
	// level. Nil logs to slog.Default().
	Log *slog.Logger
}

// logger is o.Log, or slog.Default() when it is nil.
func (o Options) logger() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.Default()
}

// Store files cases. It is safe for concurrent use.
type Store struct {
	db     *gorm.DB
	prefix string
	loc    *time.Location
	owned  bool // Open created db's pool, so Close closes it
	// warming opens the pool's connections ahead (Open); Close stops it.
	warming     sync.WaitGroup
	stopWarming context.CancelFunc
	sec         secrets // keys and sensitive field names, see crypto.go
	log         *slog.Logger
	// onChange is told each case that changed, once its change committed.
	onChange atomic.Pointer[func(ticket string)]
}

// OnChange has f called with a case's ticket after each committed change
// to it: filed, moved, assigned, noted, answered, given files. It is how
// the office console hears of changes made by any process; f must return
// quickly (the writer waits for it) and never fail the write.
func (s *Store) OnChange(f func(ticket string)) { s.onChange.Store(&f) }

// changed tells the OnChange function that ticket changed.
func (s *Store) changed(ticket string) {
	if f := s.onChange.Load(); f != nil && *f != nil {
		(*f)(ticket)
	}
}

// DefaultMaxConns is the default of Options.MaxConns. Each statement is
// short and the bot has 32 workers, so few connections are kept busy; more
// only add backends that contend for the server's CPU and for the locks
// that extend a growing table. On the 2-core load benchmark 4 and 8 gave
// the same burst throughput, 10% above 20 (three alternated rounds each).
const DefaultMaxConns = 8

// Open connects to PostgreSQL at dsn, migrates the schema and returns the
// store. It logs to o.Log, and never query parameters, which hold personal
// data.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	log := o.logger()
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: newLogger(log, logger.Warn)})
	if err != nil {
		return nil, fmt.Errorf("open case database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open case database: %w", err)
	}
	conns := cmp.Or(o.MaxConns, DefaultMaxConns)
	sqlDB.SetMaxOpenConns(conns)
	// database/sql keeps 2 idle connections by default: under load every
	// other query would start a new PostgreSQL backend (a process, several
	// milliseconds), which the load benchmark saw as 40 ms submissions.
	sqlDB.SetMaxIdleConns(conns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s, err := New(ctx, db, o)
	if err != nil {
		return nil, errors.Join(err, sqlDB.Close())
	}
	s.owned = true
	// In the background: the bot goes on starting meanwhile, and Close
	// stops it.
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWarming = stop
	s.warming.Go(func() {
		if err := warm(wctx, sqlDB, conns); err != nil && wctx.Err() == nil {
			// The pool opens what it lacks on demand; a server allowing
			// fewer connections is not a reason to stop.
			log.Warn("case database: connections not opened ahead; they open on first use", "err", err)
		}
	})
	return s, nil
}

// warm opens n pooled connections at once and returns them to the pool
// idle. A PostgreSQL connection is a forked backend: 15 ms on the test
// machine, far more while it is busy. Opened on demand, the first citizens
// after a start each waited for one (the load benchmark's first step from a
// cold pool: p99 373 ms, against 5.6 ms warm).
func warm(ctx context.Context, db *sql.DB, n int) error {
	conns := make([]*sql.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Holding each until all are open makes the pool open n
			// distinct connections instead of reusing the first.
			conns[i], errs[i] = db.Conn(ctx)
			if errs[i] == nil {
				errs[i] = conns[i].PingContext(ctx)
			}
		})
	}
	wg.Wait()
	var first error
	failed := 0
	for i, c := range conns {
		if c != nil {
			if err := c.Close(); errs[i] == nil {
				errs[i] = err
			}
		}
		if errs[i] != nil {
			failed++
			first = cmp.Or(first, errs[i])
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d connections failed, the first: %w", failed, n, first)
	}
	return nil
}

// slowStatement is how long a statement may take before it is logged.
const slowStatement = 500 * time.Millisecond

// newLogger is the GORM logger of Open: slow statements and errors go to
// slog without their parameters, which hold personal data; the others too,
// at debug level, when l logs that level.
func newLogger(l *slog.Logger, level logger.LogLevel) logger.Interface {
	return quietTrace{
		Interface: logger.NewSlogLogger(l, logger.Config{
			SlowThreshold:             slowStatement,
			ParameterizedQueries:      true,
			IgnoreRecordNotFoundError: true,
			LogLevel:                  level,
		}),
		level: level,
		log:   l,
	}
}

// quietTrace skips the trace of a statement that would not be logged: GORM's
// slog logger renders every statement's SQL (a regular expression over it)
// before deciding, which was 1% of the bot's CPU under load. What GORM's
// level leaves out it traces at debug level, when the log wants that.
type quietTrace struct {
	logger.Interface
	level logger.LogLevel
	log   *slog.Logger
}

func (q quietTrace) LogMode(level logger.LogLevel) logger.Interface {
	return quietTrace{Interface: q.Interface.LogMode(level), level: level, log: q.log}
}

// ParamsFilter keeps the parameters out of the traced SQL. GORM looks for
// it on the logger, and the embedded interface would hide the inner
// logger's: without it every NIK would be logged. A logger without one
// gets no parameters at all.
func (q quietTrace) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if f, ok := q.Interface.(gorm.ParamsFilter); ok {
		return f.ParamsFilter(ctx, sql, params...)
	}
	return sql, nil
}

func (q quietTrace) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	failed := err != nil && !errors.Is(err, logger.ErrRecordNotFound)
	if q.level < logger.Info && !failed && time.Since(begin) <= slowStatement {
		if q.level > logger.Silent && q.log.Enabled(ctx, slog.LevelDebug) {
			sql, rows := fc() // without parameters: see ParamsFilter
			q.log.LogAttrs(ctx, slog.LevelDebug, "SQL executed",
				slog.Duration("duration", time.Since(begin)), slog.String("sql", sql), slog.Int64("rows", rows))
		}
		return
	}
	q.Interface.Trace(ctx, begin, fc, err)
}

// New migrates the schema on db, of any dialect GORM supports, and returns
// the store. The caller keeps ownership of db: Close leaves it open. The
// caller's GORM logger must not interpolate parameters (set
// logger.Config.ParameterizedQueries), since they hold NIKs and chat ids.
// A SQLite db should be opened with SQLiteDSN, whose IMMEDIATE transactions
// keep concurrent writers from failing with SQLITE_BUSY, or have a single
// connection as OpenSQLite's has.
func New(ctx context.Context, db *gorm.DB, o Options) (*Store, error) {
	if o.TicketPrefix == "" {
		return nil, errors.New("new case store: ticket prefix is empty")
	}
	if o.Location == nil {
		return nil, errors.New("new case store: office location is nil")
	}
	sec, err := newSecrets(o)
	if err != nil {
		return nil, fmt.Errorf("new case store: %w", err)
	}
	if err := migrate(ctx, db); err != nil {
		return nil, fmt.Errorf("new case store: %w", err)
	}
	return &Store{db: db, prefix: o.TicketPrefix, loc: o.Location, sec: sec, log: o.logger()}, nil
}

// Close closes the connection pool when Open created it; a store built by
// New leaves its caller's pool open.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	if s.stopWarming != nil { // PostgreSQL only
		s.stopWarming()
		s.warming.Wait()
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("close case database: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("close case database: %w", err)
	}
	return nil
}

// Ping checks that the database answers, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("ping case database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping case database: %w", err)
	}
	return nil
}
