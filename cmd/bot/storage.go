package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

// sqliteFile is the name of the case database under DATA_DIR.
const sqliteFile = "sapa.db"

// storage is where the bot keeps things: cases in PostgreSQL or a SQLite
// file, conversation state and dedup records in Redis or an in-process
// Redis-compatible server. Either way the same go-redis and GORM code runs
// on it.
type storage struct {
	Redis *redis.Client
	Cases *pgstore.Store
	// SQLitePath is the case database file; "" on PostgreSQL.
	SQLitePath string
	// Describe is the start-up log's attributes: which storage, and where.
	Describe []any
	// Pending is true when PostgreSQL did not answer at start-up: Cases
	// reaches it through KeepConnecting, run as one of the bot's jobs.
	Pending bool

	embedded *redisstore.Embedded // nil with REDIS_URL
}

// blockingReaders is how many Redis connections the bot's queue consumers
// may each hold in a blocking pop for up to a second: every webhook shard,
// the two outboxes and the case queue.
const blockingReaders = webhookShards + 3

// redisPoolSize is go-redis's default pool (10 per GOMAXPROCS) plus a
// connection for every blocking reader. With the default alone, a webhook
// process consuming all 16 shards left one connection of 20 for every
// message's scripts, and they queued for it (two replicas, paced p99
// 72-118 ms).
func redisPoolSize(procs int) int { return 10*procs + blockingReaders }

// openStorage opens the cases database and the conversation store named by
// the settings: PostgreSQL when DATABASE_URL is set, else the SQLite file
// DATA_DIR/sapa.db; Redis when REDIS_URL is set, else an in-process
// miniredis on 127.0.0.1. It logs one line saying which and where, and
// fails at once when a server does not answer.
func openStorage(ctx context.Context, cfg settings, o pgstore.Options, log *slog.Logger) (*storage, error) {
	return openStorageFor(ctx, cfg, o, false, log)
}

// openStorageFor is openStorage that, with waitForDatabase, starts with
// PostgreSQL unreachable: the store is returned not ready (see
// storage.Pending), and the bot serves conversations and queues cases
// until it reaches the database.
func openStorageFor(ctx context.Context, cfg settings, o pgstore.Options, waitForDatabase bool, log *slog.Logger) (*storage, error) {
	s := &storage{}
	var casesAt, stateAt string
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %s", oneLine(err))
		}
		if opts.PoolSize == 0 { // not set in the URL (pool_size=)
			opts.PoolSize = redisPoolSize(runtime.GOMAXPROCS(0))
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
	case cfg.DatabaseURL != "" && waitForDatabase:
		casesAt = "postgresql " + pgServer(cfg.DatabaseURL)
		if s.Cases, err = pgstore.OpenLater(ctx, cfg.DatabaseURL, o); err != nil {
			break
		}
		if err = s.Cases.Connect(ctx); errors.Is(err, pgstore.ErrUnreachable) {
			log.Warn("PostgreSQL does not answer: the bot serves conversations and keeps cases in Redis until it does; /readyz says not ready meanwhile",
				"at", pgServer(cfg.DatabaseURL), "err", oneLine(err))
			s.Pending, err = true, nil
			casesAt += " (not reached yet)"
		}
	case cfg.DatabaseURL != "":
		s.Cases, err = pgstore.Open(ctx, cfg.DatabaseURL, o)
		casesAt = "postgresql " + pgServer(cfg.DatabaseURL)
	default:
		path := filepath.Join(cfg.DataDir, sqliteFile)
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

// Close closes what openStorage opened; it is safe on a half-opened storage.
func (s *storage) Close() error {
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

// pgServer names a DSN's server and database for the log, without the
// credentials it may hold.
func pgServer(dsn string) string {
	c, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "(unparsable DATABASE_URL)"
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) + "/" + c.Database
}

// keysFile is where the embedded mode keeps the keys it generated, under
// DATA_DIR, when DATA_KEYS is not set.
const keysFile = "keys.env"

// dataKeys are the keys that seal NIK and KK numbers at rest, and where
// they came from.
type dataKeys struct {
	*pgstore.Keys
	// from says where the keys were read, for a refusal to start.
	from string
	// generated is the keys file written by this start, "" when none was:
	// removed again when the database refuses the new keys, so the backup
	// can be put back in its place.
	generated string
}

// loadDataKeys returns the keys that seal NIK and KK numbers at rest: from
// DATA_KEYS and DATA_HMAC_KEY when set (production: the same keys on every
// process), else from DATA_DIR/keys.env, generated on the first start. Losing
// that file loses the NIK and KK numbers of every stored case: back it up
// with the database, and never beside it in the same backup.
func loadDataKeys(cfg settings, log *slog.Logger) (dataKeys, error) {
	if cfg.DataKeys != "" || cfg.DataHMACKey != "" {
		k, err := pgstore.ParseKeys(cfg.DataKeys, cfg.DataHMACKey)
		if err != nil {
			return dataKeys{}, fmt.Errorf("%s / %s: %w", pgstore.EnvDataKeys, pgstore.EnvDataHMACKey, err)
		}
		return dataKeys{Keys: k, from: pgstore.EnvDataKeys + " and " + pgstore.EnvDataHMACKey}, nil
	}
	path := filepath.Join(cfg.DataDir, keysFile)
	k, created, err := pgstore.LoadKeysFile(path)
	if err != nil {
		return dataKeys{}, err
	}
	if abs, aerr := filepath.Abs(path); aerr == nil {
		path = abs
	}
	if !created {
		return dataKeys{Keys: k, from: path}, nil
	}
	log.Warn("generated the keys that encrypt NIK and KK numbers: back this file up apart from the database, or set DATA_KEYS and DATA_HMAC_KEY", "file", path)
	return dataKeys{Keys: k, from: path + " (not found, so new keys were generated)", generated: path}, nil
}

// refused turns the case database's refusal of the keys into the one line
// start-up prints: which key ids the database needs, where the keys were
// looked for. A keys file generated by this start is removed, so that the
// one from the backup can be put back.
func (k dataKeys) refused(err error, log *slog.Logger) error {
	var kerr *pgstore.KeysError
	if !errors.As(err, &kerr) {
		return err
	}
	if k.generated != "" {
		if rerr := os.Remove(k.generated); rerr != nil {
			log.Warn("could not remove the keys file generated at this start", "file", k.generated, "err", rerr)
		}
	}
	return fmt.Errorf("%w; the keys were read from %s: restore the keys the database was sealed with (from the backup of %s, or the old %s), or start on another database", kerr, k.from, keysFile, pgstore.EnvDataKeys)
}
