package main

import (
	"flag"
	"fmt"
	"log/slog"

	"github.com/leksono/sapa/console"
)

// consoleLinkFlags is the console-link command: it takes the officer as
// its one argument.
func consoleLinkFlags(flags *flag.FlagSet) func(env) int {
	return func(e env) int { return consoleLink(flags.Args(), e) }
}

// consoleLink prints a one-time link that logs an officer into the office
// console, for the first login before any chat is linked. The link is
// signed with a key derived from the data keys (the running bot checks it
// with the same), good for 15 minutes and for one login; it is printed
// under PUBLIC_URL, by default http://CONSOLE_ADDR.
func consoleLink(args []string, e env) int {
	if len(args) != 1 {
		fmt.Fprintln(e.stderr, "usage: bot console-link <officer id from staff.yaml>")
		return 2
	}
	cfg, o, code := prepare(e)
	if code != 0 {
		return code
	}
	if cfg.ConsoleAddr == "off" {
		fmt.Fprintln(e.stderr, "sapa: the office console is off (CONSOLE_ADDR=off)")
		return 1
	}
	officer, ok := o.Staff.Officer(args[0])
	if !ok || !officer.Active {
		fmt.Fprintf(e.stderr, "sapa: %q is not an active officer in staff.yaml\n", args[0])
		return 1
	}
	keys, err := loadDataKeys(cfg, slog.New(slog.NewTextHandler(e.stderr, nil)))
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa:", err)
		return 1
	}
	token := console.NewLink(consoleSecret(keys.Keys), officer.ID, e.now())
	fmt.Fprintln(e.stdout, cfg.PublicURL+console.LinkPath(token))
	fmt.Fprintf(e.stderr, "One login as %s, within 15 minutes. Open it in the browser of the PC the officer uses.\n", officer.Name)
	return 0
}
