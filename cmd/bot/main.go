// Command bot runs Sapa Leksono: it wires configuration, storage, the
// conversation engine, the delivery core and the chat channels together,
// and stops gracefully on SIGINT or SIGTERM. It holds no business rules,
// and no loop, retry or lease: those are the packages'. Its files, in the
// order a start goes through them:
//
//	commands.go     the subcommands and their flags; serve is the default
//	serve.go        serve: the settings (office.ReadSettings), the office
//	                files (office.Load), the signals, the jobs' supervisor
//	main.go         buildWith: the core, each enabled channel, the console
//	app.go          the core: storage (package store), engine, delivery,
//	                letters, console, and the jobs beside the channels
//	telegram.go     the Telegram channel on the core
//	whatsapp.go     the WhatsApp channel on the core
//	chat.go, check.go, report.go, deadletters.go, consolelink.go: the
//	                other subcommands, each on the same core or storage
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/leksono/sapa/office"
)

func main() {
	os.Exit(runCommand(os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now}))
}

// buildWith wires the bot: its core (storage, engine and delivery, in
// app.go), each enabled channel (telegram.go, whatsapp.go) and the jobs
// beside them. Each failure says which part could not start.
func buildWith(ctx context.Context, cfg office.Settings, o *office.Office, log *slog.Logger) (*app, error) {
	// PostgreSQL down at start-up is an outage like any other: serve, and
	// reach it when it comes.
	a, err := buildCoreFor(ctx, cfg, o, nil, true, log)
	if err != nil {
		return nil, err
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
	if err := a.addConsole(cfg, o, log); err != nil {
		a.close(log)
		return nil, err
	}
	a.addJobs(cfg, log)
	return a, nil
}
