package main

import (
	"flag"
	"fmt"

	"github.com/leksono/sapa/office"
)

// checkFlags declares check's flags: none, it reads the settings' CONFIG_DIR.
func checkFlags(*flag.FlagSet) func(env) int { return check }

// check loads and checks the settings, configs/ and locales/ as start-up
// does; it prints every problem, or the warnings, and returns 1 if there is
// a problem, else 0.
func check(e env) int {
	cfg, err := readSettings(e.getenv)
	text, ok := office.Check(cfg.ConfigDir, err, e.now())
	fmt.Fprint(e.stdout, text)
	if !ok {
		return 1
	}
	return 0
}
