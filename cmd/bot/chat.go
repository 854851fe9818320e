package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/leksono/sapa/channels/terminal"
)

// chatLogFile is where bot chat writes its log, under DATA_DIR, so log
// lines do not land in the conversation.
const chatLogFile = "chat.log"

// chatFlags declares the chat command's flags.
func chatFlags(flags *flag.FlagSet) func(env) int {
	as := flags.String("as", "citizen", "who you are: citizen, or staff:<id> for an officer of staff.yaml")
	chatID := flags.String("chat", "", "the citizen's chat id (default local); another id is another citizen")
	return func(e env) int { return chat(e, *as, *chatID) }
}

// chat is a conversation with the engine in the terminal, as a citizen or
// as an officer of staff.yaml, on the storage the settings name (the
// embedded one by default), so every flow can be tried without a phone.
// Every officer is reachable in the terminal, so switching to one shows
// what their unit was sent. It returns the exit code.
func chat(e env, as, chatID string) int {
	cfg, o, code := prepare(e)
	if o == nil {
		return code
	}
	if (chatID != "" && as != "citizen") || strings.HasPrefix(chatID, "staff:") {
		fmt.Fprintln(e.stderr, "sapa chat: --chat is for citizens; an officer's chat is --as staff:<id>")
		return 2
	}
	o.Staff = terminal.Reachable(o.Staff)
	identity := func(who string) (terminal.Identity, error) { return terminal.Resolve(o.Staff, chatID, who) }
	who, err := identity(as)
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa chat: --as", err)
		return 2
	}

	logPath, _ := filepath.Abs(filepath.Join(cfg.DataDir, chatLogFile))
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		fmt.Fprintln(e.stderr, "sapa: cannot start:", err)
		return 1
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa: cannot start: open the chat's log:", err)
		return 1
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: cfg.LogLevel}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	session := &terminal.Session{Who: who, In: e.stdin, Out: e.stdout, Prompt: "> ", Switch: identity}
	a, err := buildCore(ctx, cfg, o, session, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "sapa: cannot start: %v (log: %s)\n", err, logPath)
		return 1
	}
	defer a.close(log)
	fmt.Fprintf(e.stdout, "Chatting as %s in chat %s; the log goes to %s.\n"+
		"Type a message, a number to pick an option, a file path to send a photo or PDF,\n%s citizen or %s staff:<id> to change who you are, %s to leave.\n\n",
		as, who.Chat.Channel+":"+who.Chat.ChatID, logPath, terminal.SwitchCommand, terminal.SwitchCommand, terminal.QuitCommand)
	if err := session.Run(ctx, a.engine); err != nil {
		log.Error("chat stopped with an error", "err", err)
		fmt.Fprintf(e.stderr, "sapa chat: %v (log: %s)\n", err, logPath)
		return 1
	}
	return 0
}
