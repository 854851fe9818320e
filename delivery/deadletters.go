package delivery

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/redisstore"
)

// deadLetterField names what a dead letter is sealed as: it holds what a
// citizen wrote.
const deadLetterField = "dead_letter"

// DeadLetter is a message a channel gave up after its attempts: parked,
// sealed, in Redis until an operator replays it.
type DeadLetter struct {
	// ID is when it was parked and a random suffix: listing by id lists
	// the oldest first.
	ID       string
	At       time.Time
	Attempts int
	// Err is the last failure, as the channel saw it.
	Err string
	// In is the message, as the engine got it.
	In conversation.Inbound
}

// Line is the letter on one line, for an operator: its id, when, the
// channel, the chat masked, what kind of message, the attempts and the last
// error (the chat masked in it too); never what the message said.
func (l DeadLetter) Line(loc *time.Location) string {
	chat := services.MaskID(l.In.Chat.ChatID)
	return fmt.Sprintf("%s  %s  %s chat %s  %s, %d attempts: %s", l.ID, l.At.In(loc).Format("2006-01-02 15:04"),
		l.In.Chat.Channel, chat, kindOf(l.In), l.Attempts, strings.ReplaceAll(l.Err, l.In.Chat.ChatID, chat))
}

// kindOf says what a message was, never what it said.
func kindOf(in conversation.Inbound) string {
	switch {
	case len(in.Attachments) > 0:
		return fmt.Sprintf("%d file(s)", len(in.Attachments))
	case in.Location != nil:
		return "a location"
	case in.Kind == conversation.KindChoice:
		return "a button"
	case in.Kind == conversation.KindText:
		return fmt.Sprintf("a text of %d characters", len([]rune(in.Text)))
	}
	return "a " + cmp.Or(in.Media, "message")
}

// DeadLetters is where the channels park the messages they give up
// (channels/dispatch's GiveUp): the message is sealed in a list in Redis,
// its sender is told once that it could not be handled and what to do,
// the camat and admins are alerted through the outboxes, the list's length
// is a gauge in /metrics (sapa_queue_backlog{queue="dead-letters"}), and
// the chat moves on. `bot deadletters` lists them and replays one.
type DeadLetters struct {
	core  *Core
	shelf *redisstore.Shelf
	texts *locales.Bundle
	staff *services.Staff
}

// DeadLetters opens the dead-letter list; texts word the notices, staff
// says whom to alert.
func (c *Core) DeadLetters(texts *locales.Bundle, staff *services.Staff) *DeadLetters {
	shelf := redisstore.NewShelf(c.cfg.Redis, c.cfg.Prefix+"{dead-letters}")
	if c.cfg.Gauges != nil {
		c.cfg.Gauges.Backlog("dead-letters", shelf.Len)
	}
	return &DeadLetters{core: c, shelf: shelf, texts: texts, staff: staff}
}

// Park keeps in, given up after attempts with err as the last failure,
// and tells its sender and the admins. It is a channel's give-up hook; a
// failure to park is logged, since the channel moves on either way.
func (d *DeadLetters) Park(ctx context.Context, in conversation.Inbound, attempts int, failure error) {
	log := d.core.log.With("channel", in.Chat.Channel, "chat", services.MaskID(in.Chat.ChatID))
	id, err := d.put(ctx, in, attempts, failure)
	if err != nil {
		log.Error("message given up and NOT parked: it is lost", "attempts", attempts, "err", err)
		return
	}
	log.Error("message given up after its attempts: parked in the dead letters", "id", id, "attempts", attempts)
	// The sender's language, if the chat's state still says it.
	lang := locales.DefaultLang
	if loaded, err := d.core.cfg.States.Load(ctx, in.Chat, ""); err == nil && loaded.State != nil && loaded.State.Lang != "" {
		lang = loaded.State.Lang
	}
	if err := d.core.Notify(ctx, in.Chat, conversation.Reply{Text: d.texts.T(lang, "deadletter.sender", nil)}); err != nil {
		log.Warn("the sender of a dead letter was not told", "id", id, "err", err)
	}
	TellAdmins(ctx, d.core, d.staff, d.texts.T(locales.DefaultLang, "deadletter.admin", map[string]string{
		"channel": in.Chat.Channel, "chat": services.MaskID(in.Chat.ChatID), "id": id,
	}), d.core.log)
}

// put seals and stores a dead letter, and returns its id.
func (d *DeadLetters) put(ctx context.Context, in conversation.Inbound, attempts int, failure error) (string, error) {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	now := time.Now().UTC()
	l := DeadLetter{ID: now.Format("20060102-150405") + "-" + hex.EncodeToString(b[:]), At: now, Attempts: attempts, In: in}
	if failure != nil {
		l.Err = failure.Error()
	}
	raw, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("park a dead letter: %w", err)
	}
	sealed, err := d.core.cfg.Keys.Seal(deadLetterField, string(raw))
	if err != nil {
		return "", fmt.Errorf("park a dead letter: %w", err)
	}
	// Detached: the channel may be stopping, the letter must still be kept.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return l.ID, d.shelf.Put(pctx, l.ID, []byte(sealed))
}

// List returns the parked messages, oldest first.
func (d *DeadLetters) List(ctx context.Context) ([]DeadLetter, error) {
	all, err := d.shelf.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(all))
	for id, raw := range all {
		l, err := d.open(id, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b DeadLetter) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ErrNoDeadLetter is returned by Replay for an id the list does not hold.
var ErrNoDeadLetter = errors.New("no such dead letter")

// Handler is what replays a dead letter: the engine.
type Handler interface {
	Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error)
}

// Replay hands the dead letter id to h again. When h handles it, its
// replies go to the sender through the channel's outbox (the running bot
// sends them) and the letter leaves the list; when h fails again it stays,
// and the error says why. It returns the letter replayed.
func (d *DeadLetters) Replay(ctx context.Context, id string, h Handler) (DeadLetter, error) {
	raw, ok, err := d.shelf.Get(ctx, id)
	if err != nil {
		return DeadLetter{}, err
	}
	if !ok {
		return DeadLetter{}, fmt.Errorf("replay %s: %w", id, ErrNoDeadLetter)
	}
	l, err := d.open(id, raw)
	if err != nil {
		return DeadLetter{}, err
	}
	replies, err := h.Handle(ctx, l.In)
	if err != nil {
		return l, fmt.Errorf("replay %s: handled again, it failed again (it stays in the list): %w", id, err)
	}
	for _, r := range replies {
		if err := d.core.Notify(ctx, l.In.Chat, r); err != nil {
			return l, fmt.Errorf("replay %s: handled, but the reply was not queued (it stays in the list): %w", id, err)
		}
	}
	if _, err := d.shelf.Delete(ctx, id); err != nil {
		return l, fmt.Errorf("replay %s: handled, but not taken off the list: %w", id, err)
	}
	return l, nil
}

func (d *DeadLetters) open(id string, raw []byte) (DeadLetter, error) {
	plain, err := d.core.cfg.Keys.Open(deadLetterField, string(raw))
	if err != nil {
		return DeadLetter{}, fmt.Errorf("open dead letter %s: %w", id, err)
	}
	var l DeadLetter
	if err := json.Unmarshal([]byte(plain), &l); err != nil {
		return DeadLetter{}, fmt.Errorf("decode dead letter %s: %w", id, err)
	}
	return l, nil
}
