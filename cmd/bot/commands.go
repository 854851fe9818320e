package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// env is what a command reads and writes besides its flags: the process's
// own in main, a test's in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
}

// command is one subcommand of bot. A new subcommand is one entry in
// commands: `bot help` lists its summary, `bot <name> --help` prints its
// usage, its flags and its example, and a test checks the example parses.
type command struct {
	name    string
	summary string // its one line in `bot help`
	usage   string // what follows "bot <name>" in the usage line
	example string // a whole command line, as the README would show it
	// arg names the one argument the command takes after its flags
	// ("<officer>"); "" for none.
	arg string
	// several: the command takes one or more arguments (arg names them),
	// a subcommand and what it acts on.
	several bool
	// setup declares the command's flags on flags and returns what runs
	// once they are parsed; it returns the exit code.
	setup func(flags *flag.FlagSet) func(env) int
}

// commands are bot's subcommands, in the order `bot help` lists them.
var commands = []command{
	{name: "serve", summary: "run the bot on the configured channels (the default when no command is given)",
		example: "go run ./cmd/bot serve", setup: serveFlags},
	{name: "chat", summary: "talk to the bot in this terminal, as a citizen or an officer, on the bot's own storage",
		usage: "[--as citizen|staff:<id>] [--chat <id>]", example: "go run ./cmd/bot chat --as staff:kasi_kesos", setup: chatFlags},
	{name: "check", summary: "check configs/ and locales/: problems (exit 1) and warnings (exit 0), each with its file and line",
		example: "CONFIG_DIR=./configs go run ./cmd/bot check", setup: checkFlags},
	{name: "report", summary: "the office's report for a period: tables, CSV, XLSX, JSON, the chart, the IKM card",
		usage:   "--from YYYY-MM-DD --to YYYY-MM-DD [--ikm] [--format table|csv|json|xlsx] [--out PATH] [--table NAME] [--chart FILE.png] [--card FILE.pdf] [--lang id|en]",
		example: "go run ./cmd/bot report --from 2026-01-01 --to 2026-06-30 --ikm --format xlsx --out ikm.xlsx", setup: reportFlags},
	{name: "deadletters", summary: "list the messages the channels gave up after every attempt, or handle one again (--replay <id>)",
		usage: "[--replay <id>]", example: "go run ./cmd/bot deadletters --replay 20261207-052318-7d39d139", setup: deadLettersFlags},
	{name: "konsultasi", summary: "public consultations and announcements: check, publish, close, respond, read results, quote a comment, export XLSX",
		usage: "periksa|terbit <file.yaml> | tutup|hasil <code> | tanggapan <code> <file.txt> | kutip <code> <comment> | ekspor <code> <file.xlsx>",
		arg:   "<action> and its arguments", several: true, example: "go run ./cmd/bot konsultasi terbit docs/consultations/jalan-2027.yaml", setup: consultFlags},
	{name: "console-link", summary: "print a one-time link that logs an officer into the office console (the first login, before their chat is linked)",
		usage: "<officer>", arg: "<officer>", example: "go run ./cmd/bot console-link kasi_kesos", setup: consoleLinkFlags},
}

// lookup finds the command called name.
func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// runCommand runs the command args name, serve when args is empty or
// starts with a flag, and returns the exit code: 0 for --help, 2 for
// wrong usage.
func runCommand(args []string, e env) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		name, args = "help", nil
	}
	if name == "help" && len(args) > 0 {
		return runCommand([]string{args[0], "--help"}, e) // bot help chat
	} else if name == "help" {
		printCommands(e.stdout)
		return 0
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(e.stderr, "sapa: unknown command %q\n\n", name)
		printCommands(e.stderr)
		return 2
	}
	flags := c.flags()
	run := c.setup(flags)
	flags.SetOutput(e.stderr)
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.printHelp(e.stdout, flags)
			return 0
		}
		fmt.Fprintf(e.stderr, "Run `bot %s --help` for its flags and an example.\n", c.name)
		return 2
	}
	switch {
	case c.arg == "" && flags.NArg() > 0:
		fmt.Fprintf(e.stderr, "sapa %s: unexpected argument %q; run `bot %s --help`\n", c.name, flags.Arg(0), c.name)
		return 2
	case c.several && flags.NArg() == 0:
		fmt.Fprintf(e.stderr, "sapa %s: give %s; run `bot %s --help`\n", c.name, c.arg, c.name)
		return 2
	case c.arg != "" && !c.several && flags.NArg() != 1:
		fmt.Fprintf(e.stderr, "sapa %s: give %s, once; run `bot %s --help`\n", c.name, c.arg, c.name)
		return 2
	}
	return run(e)
}

// flags is the command's flag set, its usage printed by printHelp only.
func (c command) flags() *flag.FlagSet {
	flags := flag.NewFlagSet(c.name, flag.ContinueOnError)
	flags.Usage = func() {}
	return flags
}

// printHelp prints the usage line, the summary, the flags declared on
// flags and the example.
func (c command) printHelp(w io.Writer, flags *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: bot %s %s\n\n%s.\n\nFlags:\n", c.name, c.usage, strings.ToUpper(c.summary[:1])+c.summary[1:])
	flags.SetOutput(w)
	n := 0
	flags.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		fmt.Fprintln(w, "  none")
	}
	flags.PrintDefaults()
	fmt.Fprintf(w, "\nExample:\n  %s\n\nSettings come from environment variables: see README.md, Settings.\n", c.example)
}

// printCommands is `bot help`: every command on one line.
func printCommands(w io.Writer) {
	fmt.Fprint(w, "Usage: bot [command] [flags]      (from the source: go run ./cmd/bot [command] [flags])\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	fmt.Fprintf(tw, "  help\tthis list; bot help <command> or bot <command> --help: its flags and an example\n")
	tw.Flush()
	fmt.Fprint(w, "\nWith no settings the bot keeps cases in ./data/sapa.db (SQLite) and chat state in memory;\n"+
		"DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. Settings: see README.md.\n")
}
