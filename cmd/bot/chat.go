package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/leksono/sapa/channels/terminal"
)

// chat is the chat command: a conversation with the engine in the
// terminal, as a citizen or as an officer of staff.yaml, on the storage the
// settings name (the embedded one by default), so every flow can be tried
// without a phone. It returns the exit code.
func chat(args []string, in io.Reader, out, errOut io.Writer, getenv func(string) string) int {
	flags := flag.NewFlagSet("chat", flag.ContinueOnError)
	flags.SetOutput(errOut)
	as := flags.String("as", "citizen", "who you are: citizen, or staff:<id> for an officer of staff.yaml")
	chatID := flags.String("chat", "", "the citizen's chat id (default local); another id is another citizen")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(errOut, "sapa chat: unexpected argument %q\n", flags.Arg(0))
		return 2
	}
	cfg, err := readSettings(getenv)
	if err != nil {
		fmt.Fprintln(errOut, "sapa: cannot start:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: cfg.LogLevel}))
	o, problems := loadOffice(cfg)
	if len(problems) > 0 {
		fmt.Fprintf(errOut, "sapa: cannot start: the configuration has %d problem(s):\n%v\n", len(problems), problems)
		return 1
	}

	if *chatID != "" && *as != "citizen" {
		fmt.Fprintln(errOut, "sapa chat: --chat is for citizens; an officer's chat is staff:<id>")
		return 2
	}
	identity := func(as string) (terminal.Identity, error) {
		switch {
		case as == "citizen":
			return terminal.Citizen(*chatID), nil
		case strings.HasPrefix(as, "staff:"):
			return terminal.Staff(o.staff, strings.TrimPrefix(as, "staff:"))
		}
		return terminal.Identity{}, fmt.Errorf("%q: use citizen or staff:<id>", as)
	}
	who, err := identity(*as)
	if err != nil {
		fmt.Fprintln(errOut, "sapa chat: --as", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	session := &terminal.Session{Who: who, In: in, Out: out, Prompt: "> ", Switch: identity}
	a, err := buildCore(ctx, cfg, o, session, log)
	if err != nil {
		fmt.Fprintln(errOut, "sapa: cannot start:", err)
		return 1
	}
	defer a.close(log)
	fmt.Fprintf(out, "Chatting as %s in chat %s. Type a message, a number to pick an option, a file path to send a photo or PDF,\n%s citizen or %s staff:<id> to change who you are, %s to leave.\n\n",
		*as, who.Chat.Channel+":"+who.Chat.ChatID, terminal.SwitchCommand, terminal.SwitchCommand, terminal.QuitCommand)
	if err := session.Run(ctx, a.engine); err != nil {
		log.Error("chat stopped with an error", "err", err)
		return 1
	}
	return 0
}
