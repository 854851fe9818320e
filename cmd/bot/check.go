package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/leksono/sapa/office"
)

// checkFlags declares check's flags: none, it reads the settings' CONFIG_DIR.
func checkFlags(*flag.FlagSet) func(env) int { return check }

// check loads and checks the settings, configs/ and locales/ as start-up
// does, and reaches the servers the settings name; it prints every
// problem, or the warnings, and returns 1 if there is a problem, else 0.
func check(e env) int {
	cfg, err := office.ReadSettings(e.getenv)
	text, ok := office.Check(cfg.ConfigDir, err, cfg.Warnings, e.now())
	if err == nil {
		// serve starts while PostgreSQL is down; check says so at once.
		if problems := cfg.CheckServers(context.Background()); len(problems) > 0 {
			text, ok = fmt.Sprintf("%v\n%d problem(s) found\n", problems, len(problems)), false
		}
	}
	fmt.Fprint(e.stdout, text)
	if !ok {
		return 1
	}
	return 0
}
