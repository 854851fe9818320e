package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// deadLetters is the deadletters command: it lists the messages the
// channels gave up (delivery.DeadLetters), or replays one through the
// engine, its replies queued in the channel's outbox for the running bot
// to send. It returns the exit code.
func deadLetters(args []string, out, errOut io.Writer, getenv func(string) string) int {
	action, id := "list", ""
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == "list":
	case len(args) == 2 && args[0] == "replay":
		action, id = "replay", args[1]
	default:
		fmt.Fprintln(errOut, "usage: bot deadletters [list] | bot deadletters replay <id>")
		return 2
	}
	cfg, err := readSettings(getenv)
	if err != nil {
		fmt.Fprintln(errOut, "sapa deadletters:", err)
		return 2
	}
	o, problems := loadOffice(cfg)
	if len(problems) > 0 {
		fmt.Fprintf(errOut, "sapa: cannot start: the configuration has %d problem(s):\n%v\n", len(problems), problems)
		return 1
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	a, err := buildCore(ctx, cfg, o, nil, log)
	if err != nil {
		fmt.Fprintln(errOut, "sapa deadletters:", err)
		return 1
	}
	defer a.close(log)

	if action == "list" {
		letters, err := a.deadLetters.List(ctx)
		if err != nil {
			fmt.Fprintln(errOut, "sapa deadletters:", err)
			return 1
		}
		for _, l := range letters {
			chat := services.MaskID(l.In.Chat.ChatID)
			// The error may name the chat: masked as everywhere.
			why := strings.ReplaceAll(l.Err, l.In.Chat.ChatID, chat)
			fmt.Fprintf(out, "%s  %s  %s chat %s  %s, %d attempts: %s\n", l.ID,
				l.At.In(o.catalog.Office.Location).Format("2006-01-02 15:04"), l.In.Chat.Channel, chat, kindOf(l.In), l.Attempts, why)
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

// kindOf says what a message was, never what it said.
func kindOf(in conversation.Inbound) string {
	switch {
	case len(in.Attachments) > 0:
		return fmt.Sprintf("%d file(s)", len(in.Attachments))
	case in.Location != nil:
		return "a location"
	case in.Kind == conversation.KindChoice:
		return "a button"
	case in.Kind == conversation.KindText:
		return fmt.Sprintf("a text of %d characters", len([]rune(in.Text)))
	}
	return "a " + cmp.Or(in.Media, "message")
}
