package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/office"
)

// checkFlags declares check's flags: none, it reads the settings' CONFIG_DIR.
func checkFlags(*flag.FlagSet) func(env) int { return check }

// check loads and checks the settings, configs/ and locales/ as start-up
// does, and reaches the servers the settings name; it prints every
// problem, or the warnings, and returns 1 if there is a problem, else 0.
func check(e env) int {
	cfg, err := readSettings(e.getenv)
	text, ok := office.Check(cfg.ConfigDir, err, e.now())
	if err == nil {
		// serve starts while PostgreSQL is down; check says so at once.
		if problems := checkServers(cfg); len(problems) > 0 {
			text, ok = fmt.Sprintf("%v\n%d problem(s) found\n", problems, len(problems)), false
		}
	}
	fmt.Fprint(e.stdout, text)
	if !ok {
		return 1
	}
	return 0
}

// serverTimeout bounds how long check waits for each server.
const serverTimeout = 5 * time.Second

// checkServers reaches the PostgreSQL and Redis servers the settings name,
// if any.
func checkServers(cfg settings) office.Problems {
	var problems office.Problems
	if cfg.DatabaseURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), serverTimeout)
		conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err != nil {
			problems = append(problems, office.Problem{Where: "environment",
				Msg:  fmt.Sprintf("DATABASE_URL: PostgreSQL at %s does not answer (%s)", pgServer(cfg.DatabaseURL), oneLine(err)),
				Hint: "start it, correct DATABASE_URL, or unset it for SQLite"})
		}
	}
	if cfg.RedisURL != "" {
		if opts, err := redis.ParseURL(cfg.RedisURL); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), serverTimeout)
			rdb := redis.NewClient(opts)
			err = rdb.Ping(ctx).Err()
			_ = rdb.Close()
			cancel()
			if err != nil {
				problems = append(problems, office.Problem{Where: "environment",
					Msg:  fmt.Sprintf("REDIS_URL: Redis at %s does not answer (%s)", opts.Addr, oneLine(err)),
					Hint: "start it, correct REDIS_URL, or unset it for the embedded store"})
			}
		}
	}
	return problems
}
