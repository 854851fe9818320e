package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/conversation"
)

// Telegram's published limits for messages the bot starts: about one per
// second to a chat, twenty per minute to a group.
const (
	chatInterval  = time.Second
	groupInterval = 3 * time.Second
)

// digestSeparator stands between notifications merged into one message.
const digestSeparator = "\n\n- - -\n\n"

// outbox paces notifications per chat: a message leaves a chat's queue no
// sooner than the chat's interval after the previous one, and whatever piled
// up meanwhile leaves as one digest instead of many messages.
type outbox struct {
	mu     sync.Mutex
	queues map[int64]*chatQueue
	pace   *dispatch.Pacer[int64] // keeps the intervals
	// intervals, fixed by New; tests shorten them.
	chat, group time.Duration
}

// newOutbox returns an outbox pacing chats at chat and groups at group.
func newOutbox(chat, group time.Duration) *outbox {
	o := &outbox{chat: chat, group: group}
	o.pace = dispatch.NewPacer(dispatch.Wall, dispatch.Pace[int64]{Gap: o.interval})
	return o
}

// interval is the least time between two notifications to a chat.
func (o *outbox) interval(chatID int64) time.Duration {
	if chatID < 0 { // groups and channels have negative ids
		return o.group
	}
	return o.chat
}

type chatQueue struct {
	pending []outItem
	running bool
}

// outItem is one queued notification: a text, merged with the texts queued
// next to it, or a file, always sent alone.
type outItem struct {
	text string
	file *PhotoFile
	done func() // called once it was sent or given up, if set
}

// NotifyThen queues a message to a chat that is not the one being answered
// (a staff notification, or a citizen's update when staff act on their
// case), then its files: images as photos, PDFs as documents, a photo
// Telegram refuses as a document. It returns at once; the text leaves
// within the chat's pacing interval, merged with other texts due to the
// same chat, and each file alone after it. Buttons are not carried: a
// notification is read, not answered with a tap. done, if not nil, is
// called once all of it was sent or given up (never when the process stops
// first): a durable outbox removes its entry then. Nothing is queued when
// it returns an error.
func (b *Bot) NotifyThen(ctx context.Context, chatID string, r conversation.Reply, files []PhotoFile, done func()) error {
	id, err := parseChatID(chatID)
	if err != nil {
		return fmt.Errorf("telegram notify: %w", err)
	}
	if strings.TrimSpace(r.Text) == "" {
		return errors.New("telegram notify: empty text")
	}
	items := []outItem{{text: r.Text}}
	fileItems, err := fileItems(files)
	if err != nil {
		return fmt.Errorf("telegram notify: %w", err)
	}
	items = append(items, fileItems...)
	// A chat's items leave in order: the last one done means all are.
	items[len(items)-1].done = done
	b.enqueue(ctx, id, items...)
	return nil
}

func parseChatID(chatID string) (int64, error) {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("chat id %q is not a number", maskChat(chatID))
	}
	return id, nil
}

// enqueue appends items to a chat's queue and starts its drain if idle.
func (b *Bot) enqueue(ctx context.Context, id int64, items ...outItem) {
	o := b.outbox
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.queues == nil {
		o.queues = map[int64]*chatQueue{}
	}
	q := o.queues[id]
	if q == nil {
		q = &chatQueue{}
		o.queues[id] = q
	}
	q.pending = append(q.pending, items...)
	if !q.running {
		q.running = true
		// The notification outlives the turn that queued it. A stuck API is
		// bounded by each send's tries and the client's timeout, not by a
		// deadline on the whole queue: a long queue to a group, paced at one
		// message per interval, must not be cut short.
		go b.drain(context.WithoutCancel(ctx), id, q)
	}
}

// drain sends a chat's queued notifications, paced, until the queue is empty.
func (b *Bot) drain(ctx context.Context, chatID int64, q *chatQueue) {
	o := b.outbox
	for {
		// The pacing: nothing cancels it, see enqueue. Waiting for the
		// chat's next slot without taking it, a drain that then finds
		// nothing to send leaves the chat's interval unused.
		dispatch.Sleep(ctx, time.Until(o.pace.Next(chatID)))
		o.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			o.mu.Unlock()
			return
		}
		o.pace.Reserve(chatID)
		if f := q.pending[0]; f.file != nil {
			q.pending = q.pending[1:]
			o.mu.Unlock()
			if err := b.sendFile(ctx, chatID, *f.file); err != nil {
				b.log.Warn("telegram file notification not sent", "chat", maskChat(chatID), "err", err)
			}
			if f.done != nil {
				f.done()
			}
			continue
		}
		// The texts up to the next file leave as one digest; the file
		// keeps its place after them.
		n := 1
		for n < len(q.pending) && q.pending[n].file == nil {
			n++
		}
		texts := make([]string, n)
		var dones []func()
		for i, it := range q.pending[:n] {
			texts[i] = it.text
			if it.done != nil {
				dones = append(dones, it.done)
			}
		}
		q.pending = q.pending[n:]
		o.mu.Unlock()

		text := strings.Join(texts, digestSeparator)
		if len(texts) > 1 {
			b.log.Info("telegram notifications merged into one digest", "chat", maskChat(chatID), "count", len(texts))
		}
		err := b.send(ctx, chatID, render(chatID, conversation.Reply{Text: text}))
		switch {
		case errors.Is(err, errUnreachable):
			b.log.Info("telegram chat unreachable, notification dropped", "chat", maskChat(chatID))
			b.reportUnreachable(chatID)
		case err != nil:
			b.log.Warn("telegram notification not sent", "chat", maskChat(chatID), "count", len(texts), "err", err)
		}
		for _, done := range dones {
			done()
		}
	}
}

// Pending counts the notifications waiting for their chat's pacing.
func (b *Bot) Pending() int {
	b.outbox.mu.Lock()
	defer b.outbox.mu.Unlock()
	n := 0
	for _, q := range b.outbox.queues {
		n += len(q.pending)
	}
	return n
}
