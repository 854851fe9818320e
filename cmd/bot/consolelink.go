package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/leksono/sapa/console"
)

// consoleLink is the console-link command: it prints a one-time link that
// logs an officer into the office console, for the first login before any
// chat is linked. The link is signed with the data keys (the running bot
// checks it with the same), good for 15 minutes and for one login.
func consoleLink(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: bot console-link <officer id from staff.yaml>")
		return 2
	}
	cfg, err := readSettings(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "sapa:", err)
		return 2
	}
	if cfg.ConsoleAddr == "off" {
		fmt.Fprintln(stderr, "sapa: the office console is off (CONSOLE_ADDR=off)")
		return 1
	}
	o, problems := loadOffice(cfg)
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "sapa: the configuration has %d problem(s):\n%v\n", len(problems), problems)
		return 1
	}
	officer, ok := o.staff.Officer(args[0])
	if !ok || !officer.Active {
		fmt.Fprintf(stderr, "sapa: %q is not an active officer in staff.yaml\n", args[0])
		return 1
	}
	keys, err := dataKeys(cfg, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		fmt.Fprintln(stderr, "sapa:", err)
		return 1
	}
	token := console.NewLink(consoleSecret(keys), officer.ID, time.Now())
	// PUBLIC_URL is where the console's pages are reached (by default
	// http://CONSOLE_ADDR).
	fmt.Fprintln(stdout, cfg.PublicURL+console.LinkPath(token))
	fmt.Fprintf(stderr, "One login as %s, within 15 minutes. Open it in the browser of the PC the officer uses.\n", officer.Name)
	return 0
}
