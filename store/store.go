// Package store opens where the bot keeps things, as the settings name
// them: cases in PostgreSQL or a SQLite file (package pgstore), conversation
// state, queues and dedup records in Redis or an in-process Redis-compatible
// server (package redisstore), and the keys that seal NIK and KK numbers at
// rest. Either way the same go-redis and GORM code runs on it.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

// SQLiteFile is the name of the case database under the data directory.
const SQLiteFile = "sapa.db"

// Config says where the storage lives; every field may be empty.
type Config struct {
	RedisURL    string // empty: an in-process Redis-compatible store
	DatabaseURL string // empty: a SQLite file under DataDir
	DataDir     string // files of the embedded storage, and the keys file
	// DataKeys and DataHMACKey seal NIK and KK numbers at rest; both
	// empty: the keys file under DataDir (see LoadKeys).
	DataKeys, DataHMACKey string
	// BlockingReaders is how many Redis connections queue consumers may
	// each hold in a blocking pop: the pool gets room for them beside the
	// messages' own.
	BlockingReaders int
	// WaitForDatabase starts with PostgreSQL unreachable: Open returns the
	// store not ready (see Storage.Pending) instead of failing.
	WaitForDatabase bool
}

// Storage is the opened storage.
type Storage struct {
	Redis *redis.Client
	Cases *pgstore.Store
	// SQLitePath is the case database file; "" on PostgreSQL.
	SQLitePath string
	// Describe is the start-up log's attributes: which storage, and where.
	Describe []any
	// Pending is true when PostgreSQL did not answer at start-up: Cases
	// reaches it through KeepConnecting, run as one of the bot's jobs.
	Pending bool

	embedded *redisstore.Embedded // nil with a Redis URL
}

// PoolSize is go-redis's default pool (10 per GOMAXPROCS) plus a
// connection for every blocking reader. With the default alone, a webhook
// process consuming all 16 shards left one connection of 20 for every
// message's scripts, and they queued for it (two replicas, paced p99
// 72-118 ms).
func PoolSize(procs, blockingReaders int) int { return 10*procs + blockingReaders }

// Open opens the cases database and the conversation store c names:
// PostgreSQL when DatabaseURL is set, else the SQLite file DataDir/sapa.db;
// Redis when RedisURL is set, else an in-process miniredis on 127.0.0.1.
// It logs one line saying which and where, and fails at once when a server
// does not answer (PostgreSQL excepted with WaitForDatabase: the bot then
// serves conversations and queues cases until it reaches the database).
func Open(ctx context.Context, c Config, o pgstore.Options, log *slog.Logger) (*Storage, error) {
	s := &Storage{}
	var casesAt, stateAt string
	if c.RedisURL != "" {
		opts, err := redis.ParseURL(c.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %s", OneLine(err))
		}
		if opts.PoolSize == 0 { // not set in the URL (pool_size=)
			opts.PoolSize = PoolSize(runtime.GOMAXPROCS(0), c.BlockingReaders)
		}
		s.Redis = redis.NewClient(opts)
		stateAt = "redis " + opts.Addr + " db " + strconv.Itoa(opts.DB)
	} else {
		e, err := redisstore.StartEmbedded()
		if err != nil {
			return nil, err
		}
		s.embedded = e
		s.Redis = redis.NewClient(&redis.Options{Addr: e.Addr()})
		stateAt = "in-process miniredis " + e.Addr() + " (memory only: lost on restart)"
	}
	if err := s.Redis.Ping(ctx).Err(); err != nil {
		err = fmt.Errorf("connect to Redis at %s: %w", s.Redis.Options().Addr, err)
		return nil, errors.Join(err, s.Close())
	}

	var err error
	o.Log = log // GORM's statements too, at LOG_LEVEL
	switch {
	case c.DatabaseURL != "" && c.WaitForDatabase:
		casesAt = "postgresql " + Server(c.DatabaseURL)
		if s.Cases, err = pgstore.OpenLater(ctx, c.DatabaseURL, o); err != nil {
			break
		}
		if err = s.Cases.Connect(ctx); errors.Is(err, pgstore.ErrUnreachable) {
			log.Warn("PostgreSQL does not answer: the bot serves conversations and keeps cases in Redis until it does; /readyz says not ready meanwhile",
				"at", Server(c.DatabaseURL), "err", OneLine(err))
			s.Pending, err = true, nil
			casesAt += " (not reached yet)"
		}
	case c.DatabaseURL != "":
		s.Cases, err = pgstore.Open(ctx, c.DatabaseURL, o)
		casesAt = "postgresql " + Server(c.DatabaseURL)
	default:
		path := filepath.Join(c.DataDir, SQLiteFile)
		if abs, aerr := filepath.Abs(path); aerr == nil {
			path = abs
		}
		s.Cases, err = pgstore.OpenSQLite(ctx, path, o)
		s.SQLitePath = path
		casesAt = "sqlite " + path
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open case database: %w", err), s.Close())
	}
	s.Describe = []any{"cases", casesAt, "state", stateAt}
	log.Info("storage ready", s.Describe...)
	return s, nil
}

// Ping reports whether Redis and the case database both answer.
func (s *Storage) Ping(ctx context.Context) error {
	if err := s.Redis.Ping(ctx).Err(); err != nil {
		return err
	}
	return s.Cases.Ping(ctx)
}

// Close closes what Open opened; it is safe on a half-opened storage.
func (s *Storage) Close() error {
	var errs []error
	if s.Cases != nil {
		errs = append(errs, s.Cases.Close())
	}
	if s.Redis != nil {
		errs = append(errs, s.Redis.Close())
	}
	if s.embedded != nil {
		s.embedded.Close()
	}
	return errors.Join(errs...)
}

// Server names a DSN's server and database for a log or a problem,
// without the credentials it may hold.
func Server(dsn string) string {
	c, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "(unparsable DATABASE_URL)"
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) + "/" + c.Database
}

// OneLine keeps a driver's or a library's error on the one line of its
// setting, without the URL a *url.Error repeats: it may hold a password.
func OneLine(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// CaseOptions are the case store's settings from the office's catalog:
// its ticket prefix and time zone, and which answers are sealed with keys.
func CaseOptions(c *services.Catalog, keys *pgstore.Keys) pgstore.Options {
	sensitive, personal := c.PersonalFields()
	return pgstore.Options{
		TicketPrefix: c.Office.TicketPrefix, Location: c.Office.Location,
		Keys: keys, Sensitive: sensitive, Personal: personal,
	}
}

// OpenFor opens the storage cfg names for the office of catalog c, on data
// keys already loaded; files, when not nil, is where an erasure removes the
// citizen's photos and documents. A database that refuses the keys says so
// in one line (Keys.Refused).
func OpenFor(ctx context.Context, cfg Config, c *services.Catalog, keys Keys, files pgstore.FileRemover, log *slog.Logger) (*Storage, error) {
	opts := CaseOptions(c, keys.Keys)
	if files != nil {
		opts.Files = files
	}
	st, err := Open(ctx, cfg, opts, log)
	if err != nil {
		return nil, keys.Refused(err, log)
	}
	return st, nil
}
