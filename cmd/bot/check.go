package main

import (
	"flag"
	"fmt"

	"github.com/leksono/sapa/office"
)

// checkFlags declares check's flags: none, it reads the settings' CONFIG_DIR.
func checkFlags(*flag.FlagSet) func(env) int { return check }

// check loads and checks configs/ and locales/ as start-up does, and the
// settings; it prints every problem and warning, and returns 1 if there is
// a problem, else 0.
func check(e env) int {
	cfg, err := readSettings(e.getenv)
	var problems office.Problems
	for _, err := range office.Leaves(err) {
		problems = append(problems, office.Problem{Where: "environment", Msg: err.Error()})
	}
	o, more := office.Load(cfg.ConfigDir)
	if problems = append(problems, more...); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(e.stdout, p)
		}
		fmt.Fprintf(e.stdout, "%d problem(s) found\n", len(problems))
		return 1
	}
	warnings := o.Warnings(e.now())
	for _, w := range warnings {
		fmt.Fprintln(e.stdout, w)
	}
	if len(warnings) > 0 {
		fmt.Fprintf(e.stdout, "configuration OK with %d warning(s): %s\n", len(warnings), o.Summary())
		return 0
	}
	fmt.Fprintln(e.stdout, "configuration OK:", o.Summary())
	return 0
}
