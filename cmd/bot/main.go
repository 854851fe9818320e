// Command bot runs Sapa Leksono: it wires configuration, storage, the
// conversation engine, the delivery core and the chat channels together,
// and stops gracefully on SIGINT or SIGTERM. It holds no business rules,
// and no loop, retry or lease: those are the packages'.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

func main() {
	args := os.Args[1:]
	command := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		command, args = args[0], args[1:]
	}
	switch command {
	case "serve":
		os.Exit(serve(args))
	case "chat":
		os.Exit(chat(args, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	case "check":
		os.Exit(check(args, os.Stdout, os.Getenv))
	case "report":
		os.Exit(runReport(args, os.Stdout, os.Stderr))
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "sapa: unknown command %q\n\n%s", command, usage)
		os.Exit(2)
	}
}

const usage = `Usage: bot [command] [flags]

Commands:
  serve   run the bot on the configured channels (the default)
  chat    talk to the bot in this terminal, on the same storage:
            chat [--as citizen|staff:<id>] [--chat <id>]
  check   check configs/ and locales/, print every problem with its file
          and line, exit 1 if there is any
  report  the office's report for a period:
            report --from YYYY-MM-DD --to YYYY-MM-DD [--ikm]
                   [--format table|csv|json|xlsx] [--out PATH] [--table NAME]
                   [--chart file.png] [--card file.pdf] [--lang id|en]
          --ikm: the satisfaction survey report of PermenPAN-RB 14/2017;
          xlsx needs --out file.xlsx; csv writes one file per table into
          --out DIR, or one --table to stdout; --card writes the IKM
          publication card (one A4 page of PDF)
  help    show this text

With no settings the bot keeps cases in ./data/sapa.db (SQLite) and chat
state in memory; DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
Settings come from environment variables: see README.md.
`

// errNoChannel stops serve when no chat channel is configured.
var errNoChannel = errors.New("no chat channel is enabled: set TELEGRAM_TOKEN (see README.md), or run `bot chat` to talk to the bot in this terminal")

// serve runs the bot until SIGINT or SIGTERM and returns the exit code.
func serve(_ []string) int {
	cfg, err := readSettings(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sapa: cannot start:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	// The same check as the check command: every problem, one per line.
	o, problems := loadOffice(cfg)
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "sapa: cannot start: the configuration has %d problem(s):\n%v\n", len(problems), problems)
		return 1
	}
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, o, log); err != nil {
		var pl problemList
		switch {
		case errors.As(err, &pl):
			fmt.Fprintf(os.Stderr, "sapa: cannot start: the configuration has %d problem(s):\n%v\n", len(pl), pl)
		case errors.Is(err, errNoChannel):
			fmt.Fprintln(os.Stderr, "sapa: cannot start:", err)
		default:
			log.Error("sapa stopped with an error", "err", err)
		}
		return 1
	}
	log.Info("sapa stopped")
	return 0
}

// The collector's settings unless GOGC or GOMEMLIMIT say otherwise. Most of
// what a message allocates dies with it: collecting at 4x the live heap
// instead of 2x gave 18-25% more messages a second in the load benchmark
// (BENCHMARKS.md) for about 30 MB, and the soft limit makes the collector
// work harder instead of letting a burst take the process past it.
const (
	gcPercent   = 400
	memoryLimit = 120 << 20
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// runner is one chat channel: it serves until ctx is done.
type runner struct {
	name string
	run  func(ctx context.Context) error
}

// run builds the bot and serves until ctx is cancelled.
func run(ctx context.Context, cfg settings, o *office, log *slog.Logger) error {
	a, err := buildWith(ctx, cfg, o, log)
	if err != nil {
		return err
	}
	defer a.close(log)
	if len(a.channels) == 0 {
		return errNoChannel
	}
	names := make([]string, len(a.channels))
	for i, c := range a.channels {
		names[i] = c.name
	}
	log.Info("sapa started", "channels", strings.Join(names, ","))
	return runChannels(ctx, append(a.channels, a.jobs...))
}

// runChannels runs every channel until ctx is done. A channel that stops on
// its own stops the others too, so a supervisor restarts the bot whole.
func runChannels(ctx context.Context, channels []runner) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(channels))
	for _, c := range channels {
		go func() {
			err := c.run(ctx)
			if err != nil {
				err = fmt.Errorf("%s: %w", c.name, err)
			}
			cancel()
			errs <- err
		}()
	}
	var all []error
	for range channels {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// buildWith wires the bot: its core (storage, engine and delivery, in
// app.go), each enabled channel (telegram.go, whatsapp.go) and the jobs
// beside them. Each failure says which part could not start.
func buildWith(ctx context.Context, cfg settings, o *office, log *slog.Logger) (*app, error) {
	a, err := buildCore(ctx, cfg, o, nil, log)
	if err != nil {
		return nil, err
	}
	if cfg.PublicURL == defaultPublicURL {
		log.Warn("PUBLIC_URL is not set: the QR codes of printed letters lead to "+defaultPublicURL+", which only this PC reaches",
			"fix", "set PUBLIC_URL to the address the public reaches the bot at")
	}
	if cfg.TelegramToken != "" {
		if err := a.addTelegram(cfg, log); err != nil {
			a.close(log)
			return nil, err
		}
	}
	if cfg.WhatsAppEnabled() {
		if err := a.addWhatsApp(ctx, cfg, o, log); err != nil {
			a.close(log)
			return nil, err
		}
	}
	a.addJobs(cfg, log)
	return a, nil
}
