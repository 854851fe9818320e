package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"

	"github.com/leksono/sapa/channels/whatsapp"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/delivery"
	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/store/mediastore"
	"github.com/leksono/sapa/store/pgstore"
)

// addWhatsApp builds the WhatsApp channel on the bot's own database: the
// device keys live beside the cases, in PostgreSQL or the SQLite file. Its
// notifications wait in the delivery core's outbox for the process that
// holds the session. While PostgreSQL has not answered yet the channel
// waits for it: without the device keys there is no session.
func (a *app) addWhatsApp(ctx context.Context, cfg settings, o *office.Office, log *slog.Logger) error {
	var live atomic.Pointer[whatsapp.Bot]
	connected := func() bool { wa := live.Load(); return wa != nil && wa.Connected() }
	a.metrics.WhatsAppConnected(connected)
	a.checks["whatsapp"] = func(context.Context) error {
		switch {
		case live.Load() == nil:
			return errors.New("waiting for the case database, which holds the device keys")
		case !connected():
			return errors.New("not connected (see the log: pairing, or a reconnect in progress)")
		}
		return nil
	}
	outbox := a.delivery.Outbox("whatsapp")
	start := func(ctx context.Context) (func(ctx context.Context) error, error) {
		wa, err := a.newWhatsApp(ctx, cfg, o, log)
		if err != nil {
			return nil, err
		}
		live.Store(wa)
		return outbox.Session(wa.Run, delivery.SendNow(whatsappSender(wa, a.media))), nil
	}
	if !a.storage.Pending {
		run, err := start(ctx)
		if err != nil {
			return err
		}
		a.channels = append(a.channels, runner{name: "whatsapp", run: run})
		return nil
	}
	a.channels = append(a.channels, runner{name: "whatsapp", run: func(ctx context.Context) error {
		select {
		case <-a.cases.Ready():
		case <-ctx.Done():
			return nil
		}
		run, err := start(ctx)
		if err != nil {
			return err
		}
		return run(ctx)
	}})
	return nil
}

// newWhatsApp connects the WhatsApp client to its device store.
func (a *app) newWhatsApp(ctx context.Context, cfg settings, o *office.Office, log *slog.Logger) (*whatsapp.Bot, error) {
	dialect, dsn := whatsapp.DialectSQLite, pgstore.SQLiteDSN(a.storage.SQLitePath)
	if cfg.DatabaseURL != "" {
		dialect, dsn = whatsapp.DialectPostgres, cfg.DatabaseURL
	}
	var contacts []string
	for _, officer := range o.Staff.Officers {
		if addr := officer.Contacts["whatsapp"]; officer.Active && addr != "" {
			contacts = append(contacts, addr)
		}
	}
	desk := a.cases.Desk()
	var inbox whatsapp.Journal
	if cfg.RedisURL != "" {
		// As for Telegram: only a Redis server is durable enough.
		inbox = a.delivery.Journal("whatsapp-inbox")
	}
	wa, err := whatsapp.New(ctx, whatsapp.Config{
		StoreDialect: dialect,
		StoreDSN:     dsn,
		PairPhone:    cfg.WhatsAppPairPhone,
		QRFile:       filepath.Join(cfg.DataDir, "whatsapp-qr.png"),
		MaxMedia:     a.media.MaxBytes(),
		StaffGroups:  cfg.WhatsAppGroups,
		Contacts:     contacts,
		// A citizen who filed a case may be told about it after a restart,
		// though the bot no longer remembers them writing.
		WroteBefore: func(ctx context.Context, chatID string) (bool, error) {
			cases, err := desk.CitizenCases(ctx, "whatsapp", chatID, 1)
			return len(cases) > 0, err
		},
		Texts:   o.Texts,
		Journal: inbox,
		GiveUp:  a.deadLetters.Park,
	}, a.metrics.Wrap("whatsapp", a.engine), log)
	if err != nil {
		return nil, fmt.Errorf("start WhatsApp: %w", err)
	}
	wa.OnFatal(func(reason string) {
		text := o.Texts.T(o.Texts.Langs()[0], "whatsapp.fatal."+reason, nil)
		delivery.TellAdmins(context.WithoutCancel(ctx), a.delivery, o.Staff, text, log)
	})
	return wa, nil
}

// whatsappSender sends a notification's text, then its files.
func whatsappSender(wa *whatsapp.Bot, media *mediastore.Store) delivery.SendFunc {
	return func(ctx context.Context, chatID string, r conversation.Reply) error {
		if err := wa.Send(ctx, chatID, r); err != nil {
			return err
		}
		if len(r.Files) == 0 {
			return nil
		}
		files := make([]whatsapp.File, 0, len(r.Files))
		for _, f := range r.Files {
			files = append(files, whatsapp.File{MIME: f.MIME, Open: func() (io.ReadCloser, error) { return media.Open(f) }})
		}
		return wa.SendFiles(ctx, chatID, "", files)
	}
}
