package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/services"
)

// Journal keeps the messages whatsmeow has handed over and the bot has not
// finished. whatsmeow acknowledges a message to WhatsApp once the event
// handler says it was taken care of, and WhatsApp never delivers it again;
// the handler only queues it in memory, so without a journal a crash loses
// what was queued. When the journal cannot be written the handler refuses
// the acknowledgement instead, and WhatsApp delivers the message again.
type Journal = dispatch.Journal

// journalTimeout bounds one journal round trip in whatsmeow's event
// handler, which holds up every other event while it runs; a write that
// fails is tried once more before the acknowledgement is refused.
const journalTimeout = 2 * time.Second

// Waits before the connection is reset after a refused acknowledgement,
// so that WhatsApp delivers what it holds again: the first, doubled while
// the journal keeps failing, up to the last.
const (
	redeliverFirst = 15 * time.Second
	redeliverMax   = 5 * time.Minute
)

// journalEntry is a message event as the journal keeps it: the message
// itself in protobuf, and the envelope fields translate reads.
type journalEntry struct {
	Info    types.MessageInfo `json:"info"`
	Message []byte            `json:"message"`
}

func encodeEntry(evt *events.Message) ([]byte, error) {
	msg, err := proto.Marshal(evt.Message)
	if err != nil {
		return nil, fmt.Errorf("encode message %s: %w", evt.Info.ID, err)
	}
	info := evt.Info
	// Certificates and bot metadata are not read and do not all survive
	// JSON; leave them out.
	info.VerifiedName, info.DeviceSentMeta = nil, nil
	info.MsgBotInfo, info.MsgMetaInfo = types.MsgBotInfo{}, types.MsgMetaInfo{}
	raw, err := json.Marshal(journalEntry{Info: info, Message: msg})
	if err != nil {
		return nil, fmt.Errorf("encode message %s: %w", evt.Info.ID, err)
	}
	return raw, nil
}

func decodeEntry(raw []byte) (*events.Message, error) {
	var e journalEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("decode journal entry: %w", err)
	}
	msg := &waE2E.Message{}
	if err := proto.Unmarshal(e.Message, msg); err != nil {
		return nil, fmt.Errorf("decode message %s: %w", e.Info.ID, err)
	}
	return &events.Message{Info: e.Info, Message: msg}, nil
}

// hold journals a message before the event handler returns. It returns the
// entry to remove once the message is finished (nil without a journal),
// and false when the journal could not be written: the handler then
// refuses the acknowledgement, and the message is handled from memory
// meanwhile (the engine ignores the second delivery).
func (b *Bot) hold(evt *events.Message) ([]byte, bool) {
	if b.cfg.Journal == nil {
		return nil, true
	}
	raw, err := encodeEntry(evt)
	if err != nil {
		// Nothing will ever encode it: journaling it again cannot help.
		b.log.Error("whatsapp message not journaled: a crash before it is answered loses it", "message", evt.Info.ID, "err", err)
		return nil, true
	}
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), journalTimeout)
		err = b.cfg.Journal.Hold(ctx, [][]byte{raw}, nil)
		cancel()
		if err == nil {
			b.redeliver.Store(0)
			return raw, true
		}
	}
	b.log.Warn("whatsapp message not journaled: its acknowledgement is refused, so WhatsApp delivers it again", "message", evt.Info.ID, "err", err)
	b.askAgain()
	return nil, false
}

// askAgain resets the connection after a pause, once for a run of refused
// acknowledgements: WhatsApp delivers what was not acknowledged when the
// device connects again. The pause doubles while the journal keeps
// failing, so an outage of Redis does not become a loop of reconnects.
func (b *Bot) askAgain() {
	if !b.redeliverDue.CompareAndSwap(false, true) {
		return
	}
	n := b.redeliver.Add(1) // resets since the journal last worked
	wait := min(redeliverFirst<<min(n-1, 5), redeliverMax)
	l := b.cur.Load()
	go func() {
		defer b.redeliverDue.Store(false)
		if !b.clock.Sleep(context.Background(), wait) || l == nil || b.cur.Load() != l {
			return
		}
		b.log.Info("whatsapp reconnecting so that unacknowledged messages are delivered again")
		l.c.ResetConnection()
	}()
}

// finish removes a finished message's entry from the journal. A failure
// only means the message is handled again, and ignored, after a restart.
func (b *Bot) finish(raw []byte) {
	if raw == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), journalTimeout)
	defer cancel()
	if err := b.cfg.Journal.Hold(ctx, nil, [][]byte{raw}); err != nil {
		b.log.Warn("whatsapp journal entry not removed; the message is seen again at the next start", "err", err)
	}
}

// replay queues what the journal holds from a process that stopped before
// finishing it, ahead of anything WhatsApp delivers now. Each is marked
// redelivered: it may have been handled without its answer going out. When
// the journal does not answer, the bot connects anyway and the replay is
// tried again in the background until it succeeds or ctx ends.
func (b *Bot) replay(ctx context.Context) {
	if b.cfg.Journal == nil {
		return
	}
	err := b.replayOnce(ctx)
	if err == nil {
		return
	}
	go func() {
		wait := b.backoff()
		for err != nil && ctx.Err() == nil {
			delay := wait.Next()
			b.log.Warn("whatsapp journal: messages of a stopped process not handled yet; trying again", "retry_in", delay, "err", err)
			if !b.clock.Sleep(ctx, delay) {
				return
			}
			err = b.replayOnce(ctx)
		}
	}()
}

func (b *Bot) replayOnce(ctx context.Context) error {
	n, err := dispatch.Replay(ctx, b.cfg.Journal, func(raw []byte) {
		evt, err := decodeEntry(raw)
		if err != nil {
			b.log.Error("whatsapp journal: entry unreadable, dropped", "err", err)
			b.finish(raw)
			return
		}
		inc, reason := translate(evt, b.staff)
		if reason != "" {
			b.finish(raw)
			return
		}
		b.identify(&inc)
		inc.in.Redelivered = true
		b.log.Debug("whatsapp journal: message replayed", "chat", services.MaskID(inc.in.Chat.ChatID), "message", inc.in.MessageID)
		b.enqueue(inc, raw)
	})
	if n > 0 {
		b.log.Info("whatsapp journal: messages a stopped process had taken handed over", "messages", n)
	}
	return err
}
