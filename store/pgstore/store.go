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
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/leksono/sapa/internal/pause"
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
	keys        *Keys   // Options.Keys, checked against the data by Connect
	log         *slog.Logger
	conns       int // pool size warmed once connected; 0 warms none

	// ready is closed once the schema is migrated and the keys checked;
	// until then Ping fails with ErrNotReady.
	ready     chan struct{}
	readyOnce sync.Once
	connectMu sync.Mutex // one Connect at a time

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

// ErrNotReady is returned by Ping while a store from OpenLater has not yet
// reached its database (migrated the schema, checked the keys): the bot is
// not ready, and cases wait in their queue.
var ErrNotReady = errors.New("case database not reached yet")

// ErrUnreachable marks a Connect that failed because the database did not
// answer: trying again later may succeed. Any other failure of Connect
// (refused keys, a server that answered with an error) will not cure
// itself.
var ErrUnreachable = errors.New("case database unreachable")

// DefaultMaxConns is the default of Options.MaxConns. Each statement is
// short and the bot has 32 workers, so few connections are kept busy; more
// only add backends that contend for the server's CPU and for the locks
// that extend a growing table. On the 2-core load benchmark 4 and 8 gave
// the same burst throughput, 10% above 20 (three alternated rounds each).
const DefaultMaxConns = 8

// Open connects to PostgreSQL at dsn, migrates the schema, checks the keys
// against the data and returns the store; it fails at once when the
// database does not answer. It logs to o.Log, and never query parameters,
// which hold personal data.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	s, err := OpenLater(ctx, dsn, o)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open case database: %w", err), s.Close())
	}
	return s, nil
}

// OpenLater is Open without reaching the database: it returns at once, and
// Connect (or KeepConnecting) reaches it. Meanwhile every method fails as
// during an outage and Ping says ErrNotReady, so a bot can start and serve
// conversations while PostgreSQL is down. Only a malformed DSN or options
// fail here.
func OpenLater(ctx context.Context, dsn string, o Options) (*Store, error) {
	log := o.logger()
	sec, err := checkOptions(o)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(postgres.Open(withConnectTimeout(dsn)), &gorm.Config{Logger: newLogger(log, logger.Warn), DisableAutomaticPing: true})
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
	s := newStore(db, o, sec, log)
	s.owned, s.conns = true, conns
	// Warming runs once connected, in the background; Close stops it.
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWarming = stop
	s.warming.Go(func() {
		select {
		case <-s.ready:
		case <-wctx.Done():
			return
		}
		if err := warm(wctx, sqlDB, conns); err != nil && wctx.Err() == nil {
			// The pool opens what it lacks on demand; a server allowing
			// fewer connections is not a reason to stop.
			log.Warn("case database: connections not opened ahead; they open on first use", "err", err)
		}
	})
	return s, nil
}

// connectTimeout bounds a new connection when the DSN sets none: without
// it a database whose network drops packets holds each message for the
// system's TCP timeout, minutes, instead of telling an outage.
const connectTimeout = 5 * time.Second

// withConnectTimeout is dsn with connect_timeout set, unless it sets one.
func withConnectTimeout(dsn string) string {
	if strings.Contains(dsn, "connect_timeout") {
		return dsn
	}
	secs := strconv.Itoa(int(connectTimeout.Seconds()))
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("connect_timeout", secs)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " connect_timeout=" + secs // key=value form
}

// Connect reaches the database of a store from OpenLater: it migrates the
// schema and checks the keys against the data, once. It returns nil when
// the store is ready (at once when it was already), an error wrapping
// ErrUnreachable when the database did not answer, and any other error
// (a *KeysError among them) when it answered and refused.
func (s *Store) Connect(ctx context.Context) error {
	s.connectMu.Lock()
	defer s.connectMu.Unlock()
	select {
	case <-s.ready:
		return nil
	default:
	}
	err := migrate(ctx, s.db)
	if err == nil {
		err = checkKeys(ctx, s.db, s.keys)
	}
	if err != nil {
		if answered(err) {
			return err
		}
		return fmt.Errorf("%w: %s", ErrUnreachable, strings.Join(strings.Fields(err.Error()), " "))
	}
	s.readyOnce.Do(func() { close(s.ready) })
	return nil
}

// answered reports whether err came from a database that answered: a
// refusal of the keys or an error the server sent (authentication,
// permissions, a failed statement), which trying again does not cure.
func answered(err error) bool {
	var kerr *KeysError
	var pgErr *pgconn.PgError
	return errors.As(err, &kerr) || errors.As(err, &pgErr)
}

// KeepConnecting calls Connect until the store is ready, waiting between
// attempts (half a second, doubling up to 30 s) while the database does not
// answer. It returns nil once ready or when ctx is done, and Connect's
// error when the database answered and refused. It logs the first failure
// and when the database was reached.
func (s *Store) KeepConnecting(ctx context.Context) error {
	wait := pause.Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}
	for failures := 0; ; failures++ {
		err := s.Connect(ctx)
		switch {
		case err == nil:
			if failures > 0 {
				s.log.Info("case database reached: cases are written again")
			}
			return nil
		case ctx.Err() != nil:
			return nil
		case !errors.Is(err, ErrUnreachable):
			return err
		case failures == 0:
			s.log.Warn("case database unreachable: conversations go on, cases wait in Redis; trying again", "err", err)
		}
		if !pause.For(ctx, wait.Next()) {
			return nil
		}
	}
}

// Ready is closed once the store reached its database.
func (s *Store) Ready() <-chan struct{} { return s.ready }

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

// Info, Warn and Error format GORM's messages before logging them: GORM
// passes printf formats ("failed to initialize database, got error %v"),
// which its slog logger logs as they are, a literal %v beside the values.
func (q quietTrace) Info(ctx context.Context, msg string, data ...any) {
	q.printf(ctx, logger.Info, slog.LevelInfo, msg, data)
}

// Warn implements logger.Interface; see Info.
func (q quietTrace) Warn(ctx context.Context, msg string, data ...any) {
	q.printf(ctx, logger.Warn, slog.LevelWarn, msg, data)
}

// Error implements logger.Interface; see Info.
func (q quietTrace) Error(ctx context.Context, msg string, data ...any) {
	q.printf(ctx, logger.Error, slog.LevelError, msg, data)
}

func (q quietTrace) printf(ctx context.Context, at logger.LogLevel, level slog.Level, format string, data []any) {
	if q.level < at || !q.log.Enabled(ctx, level) {
		return
	}
	q.log.Log(ctx, level, strings.Join(strings.Fields(fmt.Sprintf(format, data...)), " "))
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

// New migrates the schema on db, of any dialect GORM supports, checks the
// keys against the data and returns the store. The caller keeps ownership
// of db: Close leaves it open. The caller's GORM logger must not
// interpolate parameters (set logger.Config.ParameterizedQueries), since
// they hold NIKs and chat ids. A SQLite db should be opened with SQLiteDSN,
// whose IMMEDIATE transactions keep concurrent writers from failing with
// SQLITE_BUSY, or have a single connection as OpenSQLite's has.
func New(ctx context.Context, db *gorm.DB, o Options) (*Store, error) {
	sec, err := checkOptions(o)
	if err != nil {
		return nil, err
	}
	s := newStore(db, o, sec, o.logger())
	if err := s.Connect(ctx); err != nil {
		return nil, fmt.Errorf("new case store: %w", err)
	}
	return s, nil
}

// checkOptions refuses options a store cannot work with.
func checkOptions(o Options) (secrets, error) {
	if o.TicketPrefix == "" {
		return secrets{}, errors.New("new case store: ticket prefix is empty")
	}
	if o.Location == nil {
		return secrets{}, errors.New("new case store: office location is nil")
	}
	sec, err := newSecrets(o)
	if err != nil {
		return secrets{}, fmt.Errorf("new case store: %w", err)
	}
	return sec, nil
}

func newStore(db *gorm.DB, o Options, sec secrets, log *slog.Logger) *Store {
	return &Store{db: db, prefix: o.TicketPrefix, loc: o.Location, sec: sec, keys: o.Keys, log: log,
		ready: make(chan struct{})}
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

// Ping checks that the database answers, for health checks: ErrNotReady
// before Connect succeeded.
func (s *Store) Ping(ctx context.Context) error {
	select {
	case <-s.ready:
	default:
		return ErrNotReady
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("ping case database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping case database: %w", err)
	}
	return nil
}

// Reach connects to the PostgreSQL server of dsn and pings it, within
// ctx: what `bot check` asks of DATABASE_URL, without touching the schema.
func Reach(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("reach the case database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("reach the case database: %w", err)
	}
	return nil
}
