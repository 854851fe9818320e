package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
)

// deadLettersFlags declares the deadletters command's flags: --replay.
func deadLettersFlags(flags *flag.FlagSet) func(env) int {
	replay := flags.String("replay", "", "handle the dead letter with this id again, its replies sent by the running bot")
	return func(e env) int { return deadLetters(e, *replay) }
}

// deadLetters is the deadletters command: it lists the messages the
// channels gave up (delivery.DeadLetters), or replays the one id names
// through the engine, its replies queued in the channel's outbox for the
// running bot to send. It returns the exit code.
func deadLetters(e env, id string) int {
	out, errOut := e.stdout, e.stderr
	cfg, o, code := prepare(e)
	if o == nil {
		return code
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	a, err := buildCore(ctx, cfg, o, nil, log)
	if err != nil {
		fmt.Fprintln(errOut, "sapa deadletters:", err)
		return 1
	}
	defer a.close(log)

	if id == "" {
		letters, err := a.deadLetters.List(ctx)
		if err != nil {
			fmt.Fprintln(errOut, "sapa deadletters:", err)
			return 1
		}
		for _, l := range letters {
			fmt.Fprintln(out, l.Line(o.Catalog.Office.Location))
		}
		fmt.Fprintf(out, "%d dead letter(s)\n", len(letters))
		return 0
	}
	// The replies leave through the outboxes the running bot drains.
	for _, channel := range []string{"telegram", "whatsapp", "terminal"} {
		a.delivery.Outbox(channel)
	}
	l, err := a.deadLetters.Replay(ctx, id, a.engine)
	if err != nil {
		fmt.Fprintln(errOut, "sapa deadletters:", err)
		return 1
	}
	fmt.Fprintf(out, "dead letter %s handled again; its replies wait in the %s outbox\n", l.ID, l.In.Chat.Channel)
	return 0
}
