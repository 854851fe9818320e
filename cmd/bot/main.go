// Command bot runs Sapa Leksono: it wires configuration, storage, the
// conversation engine and the chat channels together, and stops gracefully
// on SIGINT or SIGTERM. It holds no business rules.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/channels/telegram"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
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
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "sapa: unknown command %q\n\n%s", command, usage)
		os.Exit(2)
	}
}

const usage = `Usage: bot [command]

Commands:
  serve   run the bot on the configured channels (the default)
  help    show this text

Settings come from environment variables: see README.md.
`

// serve runs the bot until SIGINT or SIGTERM and returns the exit code.
func serve(_ []string) int {
	cfg, err := readSettings(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sapa: cannot start:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("sapa stopped with an error", "err", err)
		return 1
	}
	log.Info("sapa stopped")
	return 0
}

// app is the wired bot: what run starts and stops.
type app struct {
	bot    *telegram.Bot
	cases  *pgstore.Store
	redis  *redis.Client
	engine *conversation.Engine
}

// run builds the bot and serves until ctx is cancelled.
func run(ctx context.Context, cfg settings, log *slog.Logger) error {
	a, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close(log)
	log.Info("sapa started", "channel", "telegram", "api", cfg.TelegramAPIURL)
	return a.bot.Run(ctx)
}

// build constructs every part from the settings; each failure says which
// part could not start.
func build(ctx context.Context, cfg settings, log *slog.Logger) (*app, error) {
	var configFS fs.FS = configs.FS
	if cfg.ConfigDir != "" {
		configFS = os.DirFS(cfg.ConfigDir)
	}
	catalog, err := services.LoadCatalog(configFS)
	if err != nil {
		return nil, fmt.Errorf("configuration has problems:\n%w", err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		return nil, fmt.Errorf("locales have problems:\n%w", err)
	}
	if err := catalog.CheckKeys(texts.Has); err != nil {
		return nil, fmt.Errorf("configuration refers to missing texts:\n%w", err)
	}

	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connect to Redis at %s: %w", opts.Addr, err)
	}
	cases, err := pgstore.Open(ctx, cfg.DatabaseURL, pgstore.Options{
		TicketPrefix: catalog.Office.TicketPrefix,
		Location:     catalog.Office.Location,
	})
	if err != nil {
		rdb.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	engine, err := conversation.New(conversation.Config{
		Catalog: catalog,
		Texts:   texts,
		States:  redisstore.New(rdb, cfg.RedisPrefix),
		Cases:   cases,
		Log:     log,
	})
	if err != nil {
		rdb.Close()
		cases.Close()
		return nil, fmt.Errorf("start conversation engine: %w", err)
	}
	bot, err := telegram.New(telegram.Config{Token: cfg.TelegramToken, APIURL: cfg.TelegramAPIURL}, engine, log)
	if err != nil {
		rdb.Close()
		cases.Close()
		return nil, fmt.Errorf("connect to Telegram at %s: %w", cfg.TelegramAPIURL, err)
	}
	return &app{bot: bot, cases: cases, redis: rdb, engine: engine}, nil
}

func (a *app) close(log *slog.Logger) {
	if err := errors.Join(a.redis.Close(), a.cases.Close()); err != nil {
		log.Warn("closing storage", "err", err)
	}
}
