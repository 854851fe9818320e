package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/redisstore"
)

// outboxItem is a notification waiting in a channel's outbox.
type outboxItem struct {
	ChatID string             `json:"chat"`
	Reply  conversation.Reply `json:"reply"`
}

// queuedSender queues notifications in Redis for the process that sends on
// the channel: WhatsApp has one connection, held by one process, while any
// process may handle the staff action or submission that causes a
// notification. The engine's turn is not held up by the channel's pacing,
// and a notification survives a crash until it was sent.
func queuedSender(q *redisstore.Queue) sendFunc {
	return func(ctx context.Context, chatID string, r conversation.Reply) error {
		raw, err := json.Marshal(outboxItem{ChatID: chatID, Reply: r})
		if err != nil {
			return fmt.Errorf("queue notification: %w", err)
		}
		return q.Push(ctx, raw)
	}
}

// drainOutbox sends queued notifications through send, in order, until ctx
// is done. An item is removed once sent, or once send gave up on it (the
// channel retries what is worth retrying and logs the rest); one that a
// stop interrupted stays for the next holder. Run it in the process that
// holds the channel's connection.
func drainOutbox(ctx context.Context, q *redisstore.Queue, send sendFunc, log *slog.Logger) {
	if n, err := q.Requeue(ctx); err != nil {
		log.Warn("outbox: notifications of a stopped process not put back yet", "err", err)
	} else if n > 0 {
		log.Info("outbox: notifications of a stopped process put back", "count", n)
	}
	wait := time.Second
	for ctx.Err() == nil {
		items, err := q.Pop(ctx, 20, time.Second)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("outbox unreadable, retrying", "err", err, "retry_in", wait)
				sleepFor(ctx, wait)
				wait = min(2*wait, 30*time.Second)
			}
			continue
		}
		wait = time.Second
		for _, raw := range items {
			var it outboxItem
			if err := json.Unmarshal(raw, &it); err != nil {
				log.Error("outbox: entry unreadable, dropped", "err", err)
			} else if err := send(ctx, it.ChatID, it.Reply); err != nil {
				if ctx.Err() != nil {
					return // unacknowledged: the next holder sends it
				}
				log.Warn("notification not sent", "chat", services.MaskID(it.ChatID), "err", err)
			}
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := q.Ack(actx, raw); err != nil {
				log.Warn("outbox: sent notification not acknowledged; it may be sent again", "err", err)
			}
			cancel()
		}
	}
}
