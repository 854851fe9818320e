package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/whatsapp"
	"github.com/leksono/sapa/delivery"
	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/store/pgstore"
)

// addWhatsApp builds the WhatsApp channel on the bot's own database: the
// device keys live beside the cases, in PostgreSQL or the SQLite file. Its
// notifications wait in the delivery core's outbox for the process that
// holds the session. Nothing here touches the network or the device
// store: the channel's Run does, so a failing WhatsApp leaves the rest of
// the bot serving. While PostgreSQL has not answered yet the channel waits
// for it: without the device keys there is no session.
func (a *app) addWhatsApp(ctx context.Context, cfg office.Settings, o *office.Office, log *slog.Logger) error {
	dialect, dsn := whatsapp.DialectSQLite, pgstore.SQLiteDSN(a.storage.SQLitePath)
	if cfg.DatabaseURL != "" {
		dialect, dsn = whatsapp.DialectPostgres, cfg.DatabaseURL
	}
	// An erasure reaches what whatsmeow keeps of the chat in its own tables.
	a.cases.OnErase(func(ctx context.Context, channel, chatID string) error {
		if channel != "whatsapp" {
			return nil
		}
		return whatsapp.ForgetChat(ctx, dialect, dsn, chatID)
	})
	desk := a.cases.Desk()
	var inbox whatsapp.Journal
	if cfg.RedisURL != "" {
		// As for Telegram: only a Redis server is durable enough.
		inbox = a.delivery.Journal("whatsapp-inbox")
	}
	wa, err := whatsapp.New(whatsapp.Config{
		StoreDialect:     dialect,
		StoreDSN:         dsn,
		PairPhone:        cfg.WhatsAppPairPhone,
		QRFile:           filepath.Join(cfg.DataDir, "whatsapp-qr.png"),
		MaxMedia:         a.media.MaxBytes(),
		StaffGroups:      cfg.WhatsAppGroups,
		Contacts:         o.Staff.Addresses("whatsapp"),
		RepliesPerMinute: cfg.WhatsAppReplies,
		NoticesPerMinute: cfg.WhatsAppNotices,
		Waited: func(kind string, d dispatch.Delay) {
			a.metrics.SendWaited("whatsapp", kind, d.Total, d.Capped)
		},
		// One person arriving by LID, then by number, is one citizen.
		Merge: func(ctx context.Context, from, to string) error {
			return a.delivery.MergeChat(ctx, "whatsapp", from, to)
		},
		// A citizen who filed a case may be told about it after a restart,
		// though the bot no longer remembers them writing.
		WroteBefore: func(ctx context.Context, chatID string) (bool, error) {
			cases, err := desk.CitizenCases(ctx, "whatsapp", chatID, 1)
			return len(cases) > 0, err
		},
		Texts:   o.Texts,
		Journal: inbox,
	}, a.metrics.Wrap("whatsapp", a.engine), log)
	if err != nil {
		return fmt.Errorf("start WhatsApp: %w", err)
	}
	wa.OnFatal(func(reason string) {
		text := o.Texts.T(o.Texts.Langs()[0], "whatsapp.fatal."+reason, nil)
		delivery.TellAdmins(context.WithoutCancel(ctx), a.delivery, o.Staff, text, log)
	})
	a.metrics.WhatsAppConnected(wa.Connected)
	outbox := a.delivery.Outbox("whatsapp")
	a.checks["whatsapp"] = func(context.Context) error {
		if err := a.supervisor.Err("whatsapp"); err != nil {
			return err
		}
		switch {
		case a.storage.Pending && !isDone(a.cases.Ready()):
			return errors.New("waiting for the case database, which holds the device keys")
		case !outbox.Holding():
			return nil // another process holds the session; this one stands by
		case !wa.Connected():
			return errors.New("not connected (see the log: pairing, or a reconnect in progress)")
		}
		return nil
	}
	send := delivery.SendNow(wa.NotifyWith(a.media.Open))
	// Announcements and results leave through the connection, within the
	// proactive cap the channel keeps for every notice.
	broadcast := delivery.Broadcast{Store: a.cases, Channel: "whatsapp", Deliver: send, PerSecond: float64(cmp.Or(cfg.WhatsAppNotices, whatsapp.DefaultNoticesPerMinute)) / 60, Log: log}
	run := outbox.Session(delivery.Alongside(wa.Run, broadcast.Run), send)
	a.channels = append(a.channels, runner{name: "whatsapp", run: func(ctx context.Context) error {
		select {
		case <-a.cases.Ready():
		case <-ctx.Done():
			return nil
		}
		return run(ctx)
	}})
	return nil
}

// isDone reports whether ch is closed.
func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
