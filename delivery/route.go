package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// SendFunc delivers one message to a chat of one channel.
type SendFunc func(ctx context.Context, chatID string, r conversation.Reply) error

// Router is a conversation.Notifier: it sends each notification through
// the channel its chat belongs to. Channels join it as they are built,
// after the engine they serve. The zero Router routes nothing.
type Router struct {
	mu    sync.RWMutex
	sends map[string]SendFunc
}

// Route sends channel's notifications through send.
func (r *Router) Route(channel string, send SendFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sends == nil {
		r.sends = map[string]SendFunc{}
	}
	r.sends[channel] = send
}

// Notify implements conversation.Notifier.
func (r *Router) Notify(ctx context.Context, to conversation.ChatKey, rep conversation.Reply) error {
	r.mu.RLock()
	send := r.sends[to.Channel]
	r.mu.RUnlock()
	if send == nil {
		return fmt.Errorf("no %s channel runs in this process", to.Channel)
	}
	return send(ctx, to.ChatID, rep)
}

// TellAdmins sends an operator alert (WhatsApp ended the session, ...) to
// every active camat and admin on every channel they are reachable on, and
// logs what could not be delivered.
func TellAdmins(ctx context.Context, n conversation.Notifier, staff *services.Staff, text string, log *slog.Logger) {
	for _, o := range staff.Officers {
		if !o.Active || !o.Role.AllUnits() {
			continue
		}
		for _, channel := range o.Contacts.Channels() {
			chat := conversation.ChatKey{Channel: channel, ChatID: o.Contacts[channel]}
			if err := n.Notify(ctx, chat, conversation.Reply{Text: text}); err != nil {
				log.Warn("operator alert not delivered", "officer", o.ID, "channel", chat.Channel, "err", err)
			}
		}
	}
}
