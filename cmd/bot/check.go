package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

// checkFlags declares check's flags: none, it reads the settings' CONFIG_DIR.
func checkFlags(*flag.FlagSet) func(env) int { return check }

// check loads and checks the settings, configs/ and locales/ as start-up
// does, and reaches the servers the settings name; it prints every
// problem, or the warnings, and returns 1 if there is a problem, else 0.
func check(e env) int {
	cfg, err := readSettings(e.getenv)
	text, ok := office.Check(cfg.ConfigDir, err, cfg.Warnings, e.now())
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

// serverTimeout bounds how long check waits for the servers.
const serverTimeout = 5 * time.Second

// checkServers reaches the PostgreSQL and Redis servers the settings name,
// if any.
func checkServers(cfg settings) office.Problems {
	ctx, cancel := context.WithTimeout(context.Background(), serverTimeout)
	defer cancel()
	var problems office.Problems
	if cfg.DatabaseURL != "" {
		if err := pgstore.Reach(ctx, cfg.DatabaseURL); err != nil {
			problems = append(problems, office.Problem{Where: "environment", Hint: "start it, correct DATABASE_URL, or unset it for SQLite",
				Msg: fmt.Sprintf("DATABASE_URL: PostgreSQL at %s does not answer (%s)", pgServer(cfg.DatabaseURL), oneLine(err))})
		}
	}
	if cfg.RedisURL != "" {
		if addr, err := redisstore.Reach(ctx, cfg.RedisURL); err != nil {
			problems = append(problems, office.Problem{Where: "environment", Hint: "start it, correct REDIS_URL, or unset it for the embedded store",
				Msg: fmt.Sprintf("REDIS_URL: Redis at %s does not answer (%s)", addr, oneLine(err))})
		}
	}
	return problems
}
