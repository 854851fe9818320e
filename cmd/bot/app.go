package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/channels/telegram"
	"github.com/leksono/sapa/console"
	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/delivery"
	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/metrics"
	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/store"
	"github.com/leksono/sapa/store/mediastore"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

// app is the wired bot: what run starts and stops.
type app struct {
	storage  *store.Storage
	cases    *pgstore.Store // storage.Cases
	engine   *conversation.Engine
	delivery *delivery.Core
	metrics  *metrics.Metrics
	media    *mediastore.Store
	keys     *pgstore.Keys
	notify   conversation.Notifier // the engine's: the channels' outboxes
	changes  *redisstore.Changes   // case changes, told to every console
	// letters prints, registers, revokes and verifies the office's
	// letters; the console serves its verification page.
	letters *letters.Issuer
	// consult is the office's consultation actions: the console's, and
	// the closing of consultations whose time is up.
	consult *casework.Consultations
	bot     *telegram.Bot   // nil when TELEGRAM_TOKEN is unset
	console *console.Server // nil when CONSOLE_ADDR is off
	// channels are what serve runs, side by side: each enabled channel
	// appends itself in buildWith.
	channels []runner
	// jobs run beside the channels: the delivery core's and the operators'.
	jobs []runner
	// supervisor runs channels and jobs; one that stops is started again
	// while the others go on, and /readyz shows why it stopped.
	supervisor *delivery.Supervisor
	// checks are what /readyz asks, by name: storage, and each channel.
	checks map[string]func(context.Context) error
	// dataKeys are keys as read, saying where they came from when the
	// database refuses them.
	dataKeys store.Keys
	// deadLetters keep the messages the channels give up.
	deadLetters *delivery.DeadLetters
	// listeners are the operators' endpoints, open before their jobs run:
	// close closes them in case the jobs never did.
	listeners []net.Listener
}

// ready runs every readiness check; nil values mean healthy.
func (a *app) ready(ctx context.Context) map[string]error {
	out := make(map[string]error, len(a.checks))
	for name, check := range a.checks {
		out[name] = check(ctx)
	}
	return out
}

// addJobs adds what runs beside the channels: the delivery core's jobs,
// the case gauges, and the operators' endpoints.
func (a *app) addJobs(cfg office.Settings, log *slog.Logger) {
	if a.storage.Pending {
		// The database did not answer at start-up: reach it meanwhile. A
		// refusal once it answers (keys that cannot read its data) stops
		// the bot like a refusal at start-up.
		a.jobs = append(a.jobs, runner{name: "case-database", run: func(ctx context.Context) error {
			if err := a.cases.KeepConnecting(ctx); err != nil {
				return a.dataKeys.Refused(err, log)
			}
			<-ctx.Done()
			return nil
		}})
	}
	a.jobs = append(a.jobs,
		runner{name: "reminders", run: a.delivery.Reminders(a.engine)},
		runner{name: "case-writer", run: a.delivery.WriteCases},
		runner{name: "consultation-closer", run: a.delivery.ClosingTime(a.consult)},
		runner{name: "case-gauges", run: func(ctx context.Context) error {
			a.metrics.RefreshCases(ctx, time.Minute, func(ctx context.Context) (int, int, error) {
				return a.cases.CountOpen(ctx, time.Now())
			})
			return nil
		}})
	if cfg.MetricsAddr != "off" {
		a.listenJob("ops", "METRICS_ADDR", cfg.MetricsAddr, "or off", "/healthz, /readyz and /metrics", "health and metrics listening",
			func(ctx context.Context, ln net.Listener) error { return a.metrics.Serve(ctx, ln, a.ready) }, log)
	}
	if cfg.ConsoleAddr != "off" {
		a.jobs = append(a.jobs, runner{name: "console", run: func(ctx context.Context) error {
			log.Info("office console listening", "addr", cfg.ConsoleAddr)
			return a.console.Serve(ctx, cfg.ConsoleAddr)
		}})
	}
	if cfg.PprofAddr != "" {
		a.listenJob("pprof", "PPROF_ADDR", cfg.PprofAddr, "or unset it", "the profiler", "profiler listening", metrics.ServePprof, log)
	}
}

// listenJob adds the job name serving on addr, the value of setting. A port
// another program holds must not stop the citizens' service: one line says
// what to change (or orElse), and the bot runs without the job.
func (a *app) listenJob(name, setting, addr, orElse, without, listening string, serve func(context.Context, net.Listener) error, log *slog.Logger) {
	ln, err := metrics.Listen(addr)
	if err != nil {
		log.Warn(office.ListenProblem(setting, addr, orElse, err) + "; running without " + without)
		return
	}
	a.listeners = append(a.listeners, ln)
	a.jobs = append(a.jobs, runner{name: name, run: func(ctx context.Context) error {
		log.Info(listening, "addr", ln.Addr().String())
		return serve(ctx, ln)
	}})
}

// buildCore opens the storage and builds the delivery core and the engine
// on it: what serve and chat share. The engine's notifications go to
// notify, or when it is nil to the channels' outboxes. A database that
// does not answer fails it.
func buildCore(ctx context.Context, cfg office.Settings, o *office.Office, notify conversation.Notifier, log *slog.Logger) (*app, error) {
	return buildCoreFor(ctx, cfg, o, notify, false, log)
}

// buildCoreFor is buildCore that, with waitForDatabase, builds the bot
// while PostgreSQL does not answer: its jobs then include reaching it.
func buildCoreFor(ctx context.Context, cfg office.Settings, o *office.Office, notify conversation.Notifier, waitForDatabase bool, log *slog.Logger) (*app, error) {
	dk, err := loadDataKeys(cfg, log)
	if err != nil {
		return nil, err
	}
	// A KTP or KK photo carries the numbers the database seals: the files
	// are sealed with the same keys.
	media, err := mediastore.New(cfg.MediaDir, 0, mediastore.SealedWith(dk.Keys))
	if err != nil {
		return nil, fmt.Errorf("open the media directory: %w", err)
	}
	// An erasure removes the files the citizen sent.
	st, err := store.OpenFor(ctx, storeConfig(cfg, waitForDatabase), o.Catalog, dk, media, log)
	if err != nil {
		return nil, err
	}
	keys := dk.Keys
	// Unfinished forms rest in Redis: every answer is sealed with the same
	// keys as in the database.
	states := redisstore.New(st.Redis, cfg.RedisPrefix, redisstore.WithEveryAnswerSealed(keys))
	m := metrics.New()
	core := delivery.New(delivery.Config{
		Redis: st.Redis, Prefix: cfg.RedisPrefix, States: states, Cases: st.Cases, Keys: keys,
		Location: o.Catalog.Office.Location, Durable: cfg.RedisURL != "", Gauges: m, Log: log,
		Texts: o.Texts, Staff: o.Staff,
	})
	if notify == nil {
		notify = core
	}
	// Every process's console hears of every change to a case.
	changes := redisstore.NewChanges(st.Redis, cfg.RedisPrefix, log)
	st.Cases.OnChange(changes.Tell)
	issuer := letters.New(letters.Config{
		Catalog: o.Catalog, Templates: o.Letters, Texts: o.Texts, Register: st.Cases.Letters(),
		Limiter: states, PublicURL: cfg.PublicURL, TrustedProxies: cfg.TrustedProxies, Log: log,
	})
	engine, err := newEngine(o, st, m.CountCases(core.Cases()), core.Privacy(st.Cases.Desk()), states, media, issuer, notify, log)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return &app{storage: st, cases: st.Cases, engine: engine, delivery: core, metrics: m, media: media, letters: issuer,
		keys: keys, dataKeys: dk, notify: notify, changes: changes, deadLetters: core.DeadLetters(o.Texts, o.Staff),
		consult:    &casework.Consultations{Store: st.Cases, Messages: consultation.Messages{Texts: o.Texts, Catalog: o.Catalog}},
		supervisor: delivery.NewSupervisor(log, m),
		checks: map[string]func(context.Context) error{
			"redis":    func(ctx context.Context) error { return st.Redis.Ping(ctx).Err() },
			"database": st.Cases.Ping,
		}}, nil
}

// storeConfig says where the storage lives, from the settings.
func storeConfig(cfg office.Settings, waitForDatabase bool) store.Config {
	return store.Config{
		RedisURL: cfg.RedisURL, DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir,
		DataKeys: cfg.DataKeys, DataHMACKey: cfg.DataHMACKey,
		BlockingReaders: blockingReaders, WaitForDatabase: waitForDatabase,
	}
}

// blockingReaders is how many Redis connections the bot's queue consumers
// may each hold in a blocking pop for up to a second: every webhook shard,
// the two outboxes and the case queue.
const blockingReaders = webhookShards + 3

// openStorage loads the data keys and opens the storage the settings name
// on them, for the office o (see store.OpenFor). With waitForDatabase,
// PostgreSQL may answer later (see store.Open).
func openStorage(ctx context.Context, cfg office.Settings, o *office.Office, waitForDatabase bool, log *slog.Logger) (*store.Storage, store.Keys, error) {
	keys, err := loadDataKeys(cfg, log)
	if err != nil {
		return nil, keys, err
	}
	st, err := store.OpenFor(ctx, storeConfig(cfg, waitForDatabase), o.Catalog, keys, nil, log)
	return st, keys, err
}

// loadDataKeys returns the keys that seal NIK and KK numbers at rest, as
// the settings name them (see store.LoadKeys).
func loadDataKeys(cfg office.Settings, log *slog.Logger) (store.Keys, error) {
	return store.LoadKeys(storeConfig(cfg, false), log)
}

// newEngine builds the conversation engine on st, its notifications going
// to notify (nil drops them). A text the engine needs and the locales lack
// comes back as office.Problems, as check prints it.
func newEngine(o *office.Office, st *store.Storage, cases conversation.CaseStore, privacy conversation.PrivacyDesk, states *redisstore.Store, media *mediastore.Store, issuer *letters.Issuer, notify conversation.Notifier, log *slog.Logger) (*conversation.Engine, error) {
	engine, err := conversation.New(conversation.Config{
		Media:   media,
		Catalog: o.Catalog,
		Texts:   o.Texts,
		States:  states,
		// The Redis store locks each chat to one process and limits
		// each sender's rate in the same round trips as the state.
		Gate:     states,
		Cases:    cases,
		Desk:     st.Cases.Desk(),
		Surveys:  st.Cases.Desk(),
		Privacy:  privacy,
		Past:     st.Cases.Desk(),
		Letters:  issuer,
		Visits:   st.Cases,
		Schedule: casework.NewSchedule(o.Catalog, st.Cases, st.Cases.Desk(), nil),
		Consult:  st.Cases,
		Staff:    o.Staff,
		Notifier: notify,
		// Citizens' conversations with officers, in the case database.
		Handovers: st.Cases,
		// An outage of Redis or of the case database is told apart from a
		// message's own failure, and told to the citizen once.
		Health: st,
		Once:   states,
		Log:    log,
	})
	if err != nil {
		return nil, office.FromError(err)
	}
	return engine, nil
}

// addConsole builds the office console on the engine's casework desk,
// unless CONSOLE_ADDR is off.
func (a *app) addConsole(cfg office.Settings, o *office.Office, log *slog.Logger) error {
	if cfg.ConsoleAddr == "off" {
		return nil
	}
	c, err := console.New(console.Config{
		Desk: a.engine.Casework(), Catalog: o.Catalog, Texts: o.Texts, Staff: o.Staff,
		Tokens: redisstore.NewTokens(a.storage.Redis, cfg.RedisPrefix), Changes: a.changes,
		Notifier: a.notify, Media: a.media, Reports: a.cases, Secret: consoleSecret(a.keys),
		Letters: a.letters, Schedule: a.engine.Schedule(), TrustedProxies: cfg.TrustedProxies, Log: log,
		Consult: a.consult,
	})
	if err != nil {
		return fmt.Errorf("office console: %w", err)
	}
	a.console = c
	return nil
}

// consoleSecret signs the console's login links and codes: derived from
// the data keys, so every process (and `bot console-link`) has the same.
func consoleSecret(keys *pgstore.Keys) []byte { return keys.Derive("console") }

// close closes the storage; channels and jobs stop with run's context.
func (a *app) close(log *slog.Logger) {
	for _, ln := range a.listeners {
		_ = ln.Close() // closed already when its job ran
	}
	if err := a.storage.Close(); err != nil {
		log.Warn("closing storage", "err", err)
	}
}
