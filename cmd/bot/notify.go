package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// sendFunc delivers one message to a chat of one channel.
type sendFunc func(ctx context.Context, chatID string, r conversation.Reply) error

// router is the engine's Notifier: it sends each notification through the
// channel its chat belongs to. Channels join it as they are built, after the
// engine they serve.
type router struct {
	mu    sync.RWMutex
	sends map[string]sendFunc
}

func newRouter() *router { return &router{sends: map[string]sendFunc{}} }

func (r *router) add(channel string, send sendFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sends[channel] = send
}

// Notify implements conversation.Notifier.
func (r *router) Notify(ctx context.Context, to conversation.ChatKey, rep conversation.Reply) error {
	r.mu.RLock()
	send := r.sends[to.Channel]
	r.mu.RUnlock()
	if send == nil {
		return fmt.Errorf("no %s channel runs in this process", to.Channel)
	}
	return send(ctx, to.ChatID, rep)
}

// tellAdmins sends an operator alert to every active camat and admin on
// every channel they are reachable on, and logs it whatever happens.
func tellAdmins(ctx context.Context, n conversation.Notifier, staff *services.Staff, text string, log *slog.Logger) {
	for _, o := range staff.Officers {
		if !o.Active || !o.Role.AllUnits() {
			continue
		}
		for _, chat := range []conversation.ChatKey{{Channel: "telegram", ChatID: o.Telegram}, {Channel: "whatsapp", ChatID: o.WhatsApp}} {
			if chat.ChatID == "" {
				continue
			}
			if err := n.Notify(ctx, chat, conversation.Reply{Text: text}); err != nil {
				log.Warn("operator alert not delivered", "officer", o.ID, "channel", chat.Channel, "err", err)
			}
		}
	}
}

// remindEvery runs the engine's daily reminders check every interval until
// ctx is done; the guard makes one process per day do the work.
func remindEvery(interval time.Duration, e *conversation.Engine, guard conversation.OnceGuard, log *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if ran, err := e.Remind(ctx, guard); err != nil {
				log.Warn("deadline reminders failed; retrying at the next tick", "err", err)
			} else if ran {
				log.Info("deadline reminders sent")
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}
