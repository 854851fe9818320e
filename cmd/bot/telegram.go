package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/telegram"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/delivery"
	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/store/mediastore"
)

// webhookShards is how many queues the Telegram webhook spreads chats over,
// so replicas can share the handling: more than the replicas a kabupaten
// would run. Changing it while updates wait reorders their chats.
const webhookShards = 16

// addTelegram builds the Telegram channel on the engine: its updates in
// the delivery core's journal (polling) or shards (webhook), its
// notifications in the core's outbox.
func (a *app) addTelegram(cfg office.Settings, log *slog.Logger) error {
	updates := a.delivery.Inbound("telegram", webhookShards, telegram.ShardOf)
	tcfg := telegram.Config{Token: cfg.TelegramToken, APIURL: cfg.TelegramAPIURL, MaxMedia: a.media.MaxBytes(),
		GiveUp: a.deadLetters.Park}
	if cfg.RedisURL != "" {
		// Only a Redis server is durable enough to confirm updates to
		// Telegram before they are handled; the in-process store is not.
		tcfg.Journal = updates.Journal()
	}
	bot, err := telegram.New(tcfg, a.metrics.Wrap("telegram", a.engine), log)
	if err != nil {
		return fmt.Errorf("connect to Telegram at %s: %w", cfg.TelegramAPIURL, err)
	}
	a.bot = bot
	bot.OnUnreachable(a.delivery.Unreachable("telegram"))
	a.metrics.QueueLength(bot.Pending)
	a.metrics.Backlog("telegram-updates", updates.Backlog(bot.Open))
	a.checks["telegram"] = func(context.Context) error {
		if !updates.Active() {
			return nil // standing by for the polling lease
		}
		return bot.Ready()
	}
	outbox := a.delivery.Outbox("telegram")
	a.jobs = append(a.jobs, runner{name: "telegram-outbox", run: outbox.Drainer(telegramDelivery(bot, a.media))},
		runner{name: "telegram-broadcast", run: a.delivery.Broadcaster(delivery.Broadcast{
			Store: a.cases, Channel: "telegram", Deliver: telegramDelivery(bot, a.media), PerSecond: delivery.TelegramBroadcastRate, Log: log,
		})})

	run := updates.Poll(bot.Run)
	if cfg.TelegramWebhookURL != "" {
		queues := make([]telegram.QueueConsumer, webhookShards)
		for i, q := range updates.Shards() {
			queues[i] = q
		}
		run = updates.Webhook(func(ctx context.Context, consume delivery.Share) error {
			return bot.ServeWebhook(ctx, telegram.WebhookConfig{
				URL: cfg.TelegramWebhookURL, ListenAddr: cfg.TelegramWebhookListen, Secret: cfg.TelegramWebhookSecret,
				Queues: queues, Consume: consume,
			})
		})
	}
	a.channels = append(a.channels, runner{name: "telegram", run: run})
	return nil
}

// telegramDelivery queues a notification's text, then its files as photos
// or documents (staff see the citizen's photos, never a link to their
// chat), at Telegram's pace; done comes when all of it went out.
func telegramDelivery(bot *telegram.Bot, media *mediastore.Store) delivery.Deliver {
	return func(ctx context.Context, chatID string, r conversation.Reply, done func()) error {
		return bot.NotifyThen(ctx, chatID, r, dispatch.StoredFiles(r.Files, media.Open), done)
	}
}
