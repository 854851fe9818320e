package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/leksono/sapa/channels/telegram"
	"github.com/leksono/sapa/channels/whatsapp"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/mediastore"
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
		for _, channel := range o.Contacts.Channels() {
			chat := conversation.ChatKey{Channel: channel, ChatID: o.Contacts[channel]}
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

// leaseTTL is how long a dead process can hold the WhatsApp session or the
// webhook queue before another takes over: under 30 seconds.
const leaseTTL = 25 * time.Second

// holderID names this process in leases: host, pid and a random suffix, so
// a restarted process never mistakes an old lease for its own.
func holderID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// telegramDelivery queues a notification's text, then its files as photos
// or documents (staff see the citizen's photos, never a link to their
// chat), at Telegram's pace; done comes when all of it went out.
func telegramDelivery(bot *telegram.Bot, media *mediastore.Store) deliverFunc {
	return func(ctx context.Context, chatID string, r conversation.Reply, done func()) error {
		files := make([]telegram.PhotoFile, 0, len(r.Files))
		for _, f := range r.Files {
			files = append(files, telegram.PhotoFile{MIME: f.MIME, Open: func() (io.ReadCloser, error) { return media.Open(f) }})
		}
		return bot.NotifyThen(ctx, chatID, r, files, done)
	}
}

// whatsappSender does the same on WhatsApp.
func whatsappSender(wa *whatsapp.Bot, media *mediastore.Store) sendFunc {
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
