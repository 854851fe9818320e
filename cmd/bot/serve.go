package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/leksono/sapa/delivery"
	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/store/pgstore"
)

// errNoChannel stops serve when no chat channel is configured.
var errNoChannel = errors.New("no chat channel is enabled: set TELEGRAM_TOKEN (see README.md), or run `bot chat` to talk to the bot in this terminal")

// serveFlags declares serve's flags: none, all its settings are in the
// environment.
func serveFlags(*flag.FlagSet) func(env) int { return serve }

// serve runs the bot until SIGINT or SIGTERM and returns the exit code.
func serve(e env) int {
	// The same check as the check command: every problem, one per line.
	cfg, o, code := prepare(e)
	if o == nil {
		return code
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	for _, w := range slices.Concat(cfg.Warnings, o.Warnings(e.now())) {
		log.Warn(w.Msg, "where", w.Where, "fix", w.Hint)
	}
	tuneGC(e.getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, o, log); err != nil {
		var pl office.Problems
		switch {
		case errors.As(err, &pl):
			fmt.Fprintf(e.stderr, "sapa: cannot start: the configuration has %d problem(s):\n%v\n", len(pl), pl)
		case errors.Is(err, errNoChannel), errors.As(err, new(*pgstore.KeysError)):
			fmt.Fprintln(e.stderr, "sapa: cannot start:", err)
		default:
			log.Error("sapa stopped with an error", "err", err)
		}
		return 1
	}
	log.Info("sapa stopped")
	return 0
}

// prepare reads the settings and loads the office, as every command that
// runs the bot starts; it prints what stops it, and o is nil with the exit
// code then.
func prepare(e env) (cfg office.Settings, o *office.Office, code int) {
	cfg, err := office.ReadSettings(e.getenv)
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa: cannot start:", err)
		return cfg, nil, 2
	}
	o, problems := office.Load(cfg.ConfigDir)
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "sapa: cannot start: the configuration has %d problem(s):\n%v\n", len(problems), problems)
		return cfg, nil, 1
	}
	return cfg, o, 0
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
func run(ctx context.Context, cfg office.Settings, o *office.Office, log *slog.Logger) error {
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
	return runChannels(ctx, a.supervisor, append(a.channels, a.jobs...))
}

// runChannels runs every channel and job until ctx is done, under sup: one
// that stops on its own (WhatsApp that cannot pair) is logged, shown on
// /readyz and /metrics and started again later, while the others go on.
func runChannels(ctx context.Context, sup *delivery.Supervisor, channels []runner) error {
	jobs := make([]delivery.Job, len(channels))
	for i, c := range channels {
		jobs[i] = delivery.Job{Name: c.name, Run: c.run}
	}
	return sup.Run(ctx, jobs)
}
