package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/leksono/sapa/channels/whatsapp"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

// newWhatsApp builds the WhatsApp channel on the bot's own database: the
// device keys live beside the cases, in PostgreSQL or the SQLite file.
func newWhatsApp(ctx context.Context, cfg settings, o *office, a *app, notify *router, log *slog.Logger) (*whatsapp.Bot, error) {
	dialect, dsn := whatsapp.DialectSQLite, pgstore.SQLiteDSN(a.storage.SQLitePath)
	if cfg.DatabaseURL != "" {
		dialect, dsn = whatsapp.DialectPostgres, cfg.DatabaseURL
	}
	var contacts []string
	for _, officer := range o.staff.Officers {
		if addr := officer.Contacts["whatsapp"]; officer.Active && addr != "" {
			contacts = append(contacts, addr)
		}
	}
	desk := a.cases.Desk()
	var inbox whatsapp.Journal
	if cfg.RedisURL != "" {
		// As for Telegram: only a Redis server is durable enough.
		q := redisstore.NewQueue(a.storage.Redis, cfg.RedisPrefix+"{whatsapp-inbox}")
		a.metrics.Backlog("whatsapp-inbox", q.Backlog)
		inbox = q
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
		Texts:   o.texts,
		Journal: inbox,
	}, a.metrics.Wrap("whatsapp", a.engine), log)
	if err != nil {
		return nil, fmt.Errorf("start WhatsApp: %w", err)
	}
	wa.OnFatal(func(reason string) {
		text := o.texts.T(o.texts.Langs()[0], "whatsapp.fatal."+reason, nil)
		tellAdmins(context.WithoutCancel(ctx), notify, o.staff, text, log)
	})
	return wa, nil
}
