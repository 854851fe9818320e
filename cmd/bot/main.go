// Command bot runs Sapa Leksono: it wires configuration, storage, the
// conversation engine and the chat channels together, and stops gracefully
// on SIGINT or SIGTERM. It holds no business rules.
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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leksono/sapa/channels/telegram"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/metrics"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/mediastore"
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

// webhookShards is how many queues the Telegram webhook spreads chats over,
// so replicas can share the handling: more than the replicas a kabupaten
// would run. Changing it while updates wait reorders their chats.
const webhookShards = 16

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

// app is the wired bot: what run starts and stops.
type app struct {
	storage *storage
	cases   *pgstore.Store // storage.Cases
	office  *office
	engine  *conversation.Engine
	bot     *telegram.Bot // nil when TELEGRAM_TOKEN is unset
	// channels are what serve runs, side by side. Each enabled channel
	// appends itself in build; WhatsApp, the zero-config one, plugs in here.
	channels []runner
	// jobs run beside the channels: the daily deadline reminders.
	jobs   []runner
	states *redisstore.Store

	metrics *metrics.Metrics
	media   *mediastore.Store
	holder  string // this process, for leases
	queued  *queuedCases
	// checks are what /readyz asks, by name: storage, and each channel.
	checks map[string]func(context.Context) error
}

// ready runs every readiness check; nil values mean healthy.
func (a *app) ready(ctx context.Context) map[string]error {
	out := make(map[string]error, len(a.checks))
	for name, check := range a.checks {
		out[name] = check(ctx)
	}
	return out
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

// build loads the office configuration and constructs every part from the
// settings; a configuration problem comes back as a problemList.
func build(ctx context.Context, cfg settings, log *slog.Logger) (*app, error) {
	o, problems := loadOffice(cfg)
	if len(problems) > 0 {
		return nil, problems
	}
	return buildWith(ctx, cfg, o, log)
}

// buildWith constructs the storage, the engine and the enabled channels;
// each failure says which part could not start.
func buildWith(ctx context.Context, cfg settings, o *office, log *slog.Logger) (*app, error) {
	notify := newRouter()
	a, err := buildCore(ctx, cfg, o, notify, log)
	if err != nil {
		return nil, err
	}
	if cfg.TelegramToken != "" {
		updates := redisstore.NewQueue(a.storage.Redis, cfg.RedisPrefix+"{telegram-updates}")
		tcfg := telegram.Config{Token: cfg.TelegramToken, APIURL: cfg.TelegramAPIURL, MaxMedia: a.media.MaxBytes()}
		if cfg.RedisURL != "" {
			// Only a Redis server is durable enough to confirm updates to
			// Telegram before they are handled; the in-process store is not.
			tcfg.Journal = updates
		}
		bot, err := telegram.New(tcfg, a.metrics.Wrap("telegram", a.engine), log)
		if err != nil {
			a.close(log)
			return nil, fmt.Errorf("connect to Telegram at %s: %w", cfg.TelegramAPIURL, err)
		}
		a.bot = bot
		bot.OnUnreachable(func(chatID string) {
			if err := a.cases.MarkUnreachable(context.WithoutCancel(ctx), "telegram", chatID, time.Now()); err != nil {
				log.Warn("could not record an unreachable chat", "err", err)
			}
		})
		a.metrics.QueueLength(bot.Pending)
		// A process standing by for the polling lease is healthy: it takes
		// over when the poller dies.
		var polling atomic.Bool
		polling.Store(cfg.TelegramWebhookURL != "")
		a.checks["telegram"] = func(context.Context) error {
			if !polling.Load() {
				return nil
			}
			return bot.Ready()
		}
		// Notifications wait in Redis until sent: any process may queue
		// them, one at a time sends them (in order, at Telegram's pace).
		tgOutbox := redisstore.NewQueue(a.storage.Redis, cfg.RedisPrefix+"{telegram-outbox}")
		a.metrics.Backlog("telegram-outbox", tgOutbox.Backlog)
		notify.add("telegram", queuedSender(tgOutbox))
		deliver := telegramDelivery(bot, a.media)
		a.jobs = append(a.jobs, runner{name: "telegram-outbox", run: func(ctx context.Context) error {
			return redisstore.HoldLease(ctx, a.states, "telegram-outbox", a.holder, leaseTTL, func(ctx context.Context) error {
				drainOutbox(ctx, tgOutbox, deliver, log)
				return nil
			}, nil)
		}})
		shards := make([]*redisstore.Queue, webhookShards)
		for i := range shards {
			shards[i] = redisstore.NewQueue(a.storage.Redis, fmt.Sprintf("%s{telegram-updates-%d}", cfg.RedisPrefix, i))
		}
		// Updates taken from Telegram and not handled yet: in hand in the
		// polling process, or in the webhook's queues. (The poll journal is
		// not counted: its handled entries are removed lazily.)
		a.metrics.Backlog("telegram-updates", func(ctx context.Context) (int, error) {
			total := bot.Open()
			for _, q := range shards {
				n, err := q.Backlog(ctx)
				if err != nil {
					return 0, err
				}
				total += n
			}
			return total, nil
		})
		// One process polls a token (Telegram answers a second with 409);
		// another takes over within the lease time if it dies.
		run := func(ctx context.Context) error {
			return redisstore.HoldLease(ctx, a.states, "telegram-poller", a.holder, leaseTTL, func(ctx context.Context) error {
				if cfg.RedisURL != "" {
					if err := handOver(ctx, shards, updates.Push, log); err != nil {
						log.Warn("updates left in the webhook queues not moved yet; they are moved at the next start", "err", err)
					}
				}
				polling.Store(true)
				defer polling.Store(false)
				return bot.Run(ctx)
			}, func() {
				log.Warn("Telegram polling lease lost to another process: this one stands by")
			})
		}
		if cfg.TelegramWebhookURL != "" {
			queues := make([]telegram.QueueConsumer, len(shards))
			for i, q := range shards {
				queues[i] = q
			}
			run = func(ctx context.Context) error {
				if err := handOver(ctx, []*redisstore.Queue{updates}, func(ctx context.Context, raw []byte) error {
					shard, err := telegram.ShardOf(raw, len(shards))
					if err != nil {
						return err
					}
					return shards[shard].Push(ctx, raw)
				}, log); err != nil {
					log.Warn("updates left by long polling not moved yet; they are moved at the next start", "err", err)
				}
				return bot.ServeWebhook(ctx, telegram.WebhookConfig{
					URL: cfg.TelegramWebhookURL, ListenAddr: cfg.TelegramWebhookListen, Secret: cfg.TelegramWebhookSecret,
					Queues: queues,
					// Each replica consumes its share of the shards, one
					// consumer per shard, so chats keep their order.
					Consume: func(ctx context.Context, consume func(context.Context, int) error) error {
						return redisstore.HoldShare(ctx, a.states, "telegram-consumer", a.holder, len(shards), leaseTTL, consume)
					},
				})
			}
		}
		a.channels = append(a.channels, runner{name: "telegram", run: run})
	}
	if cfg.WhatsAppEnabled() {
		wa, err := newWhatsApp(ctx, cfg, o, a, notify, log)
		if err != nil {
			a.close(log)
			return nil, err
		}
		a.metrics.WhatsAppConnected(wa.Connected)
		a.checks["whatsapp"] = func(context.Context) error {
			if !wa.Connected() {
				return errors.New("not connected (see the log: pairing, or a reconnect in progress)")
			}
			return nil
		}
		// Notifications go through Redis to whichever process holds the
		// session, and are sent there at WhatsApp's pace.
		outbox := redisstore.NewQueue(a.storage.Redis, cfg.RedisPrefix+"{whatsapp-outbox}")
		a.metrics.Backlog("whatsapp-outbox", outbox.Backlog)
		notify.add("whatsapp", queuedSender(outbox))
		send := sendNow(whatsappSender(wa, a.media))
		// One process holds the WhatsApp session (two would replace each
		// other's stream); another takes over within the lease time.
		a.channels = append(a.channels, runner{name: "whatsapp", run: func(ctx context.Context) error {
			return redisstore.HoldLease(ctx, a.states, "whatsapp", a.holder, leaseTTL, func(ctx context.Context) error {
				dctx, stop := context.WithCancel(ctx)
				drained := make(chan struct{})
				go func() {
					defer close(drained)
					drainOutbox(dctx, outbox, send, log)
				}()
				err := wa.Run(ctx)
				stop()
				<-drained
				return err
			}, func() {
				log.Warn("WhatsApp lease lost to another process: this one stands by")
			})
		}})
	}
	a.jobs = append(a.jobs, runner{name: "reminders", run: remindEvery(time.Minute, a.engine, a.states, log)})
	a.jobs = append(a.jobs, runner{name: "case-writer", run: func(ctx context.Context) error {
		return redisstore.HoldLease(ctx, a.states, "case-writer", a.holder, leaseTTL, a.queued.drain, nil)
	}})
	a.jobs = append(a.jobs, runner{name: "case-gauges", run: func(ctx context.Context) error {
		a.metrics.RefreshCases(ctx, time.Minute, func(ctx context.Context) (int, int, error) {
			return a.cases.CountOpen(ctx, time.Now())
		})
		return nil
	}})
	if cfg.MetricsAddr != "off" {
		a.jobs = append(a.jobs, runner{name: "ops", run: func(ctx context.Context) error {
			log.Info("health and metrics listening", "addr", cfg.MetricsAddr)
			return a.metrics.Serve(ctx, cfg.MetricsAddr, a.ready)
		}})
	}
	if cfg.PprofAddr != "" {
		a.jobs = append(a.jobs, runner{name: "pprof", run: func(ctx context.Context) error {
			log.Info("profiler listening", "addr", cfg.PprofAddr)
			return servePprof(ctx, cfg.PprofAddr)
		}})
	}
	return a, nil
}

// buildCore opens the storage and builds the engine on it, its
// notifications going to notify: what serve and chat share.
func buildCore(ctx context.Context, cfg settings, o *office, notify conversation.Notifier, log *slog.Logger) (*app, error) {
	keys, err := dataKeys(os.Getenv, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	caseOpts := caseOptions(o.catalog, keys)
	st, err := openStorage(ctx, cfg, caseOpts, log)
	if err != nil {
		return nil, err
	}
	// Unfinished forms rest in Redis: their NIK and KK answers are sealed
	// with the same keys as in the database.
	states := redisstore.New(st.Redis, cfg.RedisPrefix, redisstore.WithSealedFields(keys, caseOpts.SensitiveFields()...))
	m := metrics.New()
	media, err := mediastore.New(cfg.MediaDir, 0)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open the media directory: %w", err), st.Close())
	}
	queued := &queuedCases{
		db: st.Cases, states: states, queue: redisstore.NewQueue(st.Redis, cfg.RedisPrefix+"{cases}"),
		keys: keys, loc: o.catalog.Office.Location, timeout: 3 * time.Second, log: log,
	}
	// Cases waiting for PostgreSQL: above zero, the database is owed cases.
	m.Backlog("cases", queued.queue.Backlog)
	engine, err := newEngine(o, st, countedCases{queued, m}, states, media, notify, log)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return &app{storage: st, cases: st.Cases, office: o, engine: engine, states: states, metrics: m, media: media, holder: holderID(), queued: queued,
		checks: map[string]func(context.Context) error{
			"redis":    func(ctx context.Context) error { return st.Redis.Ping(ctx).Err() },
			"database": st.Cases.Ping,
		}}, nil
}

// caseOptions are the case store's settings from the office profile.
func caseOptions(c *services.Catalog, keys *pgstore.Keys) pgstore.Options {
	sensitive, personal := fieldsOfKind(c)
	return pgstore.Options{
		TicketPrefix: c.Office.TicketPrefix, Location: c.Office.Location,
		Keys: keys, Sensitive: sensitive, Personal: personal,
	}
}

// newEngine builds the conversation engine on st, its notifications going
// to notify (nil drops them). A text the engine needs and the locales lack
// comes back as a problemList, as check prints it.
func newEngine(o *office, st *storage, cases conversation.CaseStore, states *redisstore.Store, media *mediastore.Store, notify conversation.Notifier, log *slog.Logger) (*conversation.Engine, error) {
	engine, err := conversation.New(conversation.Config{
		Media:    media,
		Catalog:  o.catalog,
		Texts:    o.texts,
		States:   states,
		Cases:    cases,
		Desk:     st.Cases.Desk(),
		Surveys:  st.Cases.Desk(),
		Privacy:  st.Cases.Desk(),
		Staff:    o.staff,
		Notifier: notify,
		Log:      log,
	})
	if err != nil {
		return nil, toProblems(err, "", nil)
	}
	return engine, nil
}

func (a *app) close(log *slog.Logger) {
	if err := a.storage.Close(); err != nil {
		log.Warn("closing storage", "err", err)
	}
}

// countedCases counts each case filed, by kind and service, for /metrics.
type countedCases struct {
	conversation.CaseStore
	m *metrics.Metrics
}

func (c countedCases) SubmitCase(ctx context.Context, nc services.NewCase) (services.Receipt, error) {
	r, err := c.CaseStore.SubmitCase(ctx, nc)
	if err == nil {
		c.m.CaseOpened(string(nc.Kind), nc.ServiceCode)
	}
	return r, err
}
