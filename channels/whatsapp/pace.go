package whatsapp

import (
	"context"
	"sync"
	"time"
)

// Pacing defaults: WhatsApp bans numbers that send like machines, so the
// bot sends no faster than a busy person would.
const (
	DefaultPerMinute = 20          // messages a minute over all chats
	perChatGap       = time.Second // least time between two messages to one chat
	paceWindow       = time.Minute // the window PerMinute counts in
)

// clock is time as the bot sees it; tests replace it.
type clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, and reports whether d elapsed.
	Sleep(ctx context.Context, d time.Duration) bool
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pacer hands out send slots: at most one message a second to each chat and
// at most perMinute in any minute overall. Slots are given in the order they
// are asked for and never earlier than a slot already given, which keeps the
// minute window exact at the cost of at most a second's wait for a chat
// queued behind another chat's per-chat gap.
type pacer struct {
	clock     clock
	perMinute int

	mu       sync.Mutex
	last     time.Time            // latest slot given
	recent   []time.Time          // slots given within the window before last, oldest first
	lastChat map[string]time.Time // latest slot given per chat
}

func newPacer(c clock, perMinute int) *pacer {
	if perMinute <= 0 {
		perMinute = DefaultPerMinute
	}
	return &pacer{clock: c, perMinute: perMinute, lastChat: map[string]time.Time{}}
}

// wait blocks until the next message to chat may go out. It fails only when
// ctx ends first; the slot it took is then simply wasted.
func (p *pacer) wait(ctx context.Context, chat string) error {
	slot := p.reserve(chat)
	if d := slot.Sub(p.clock.Now()); d > 0 {
		if !p.clock.Sleep(ctx, d) {
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// reserve takes the earliest slot that keeps both limits.
func (p *pacer) reserve(chat string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	slot := now
	if last, ok := p.lastChat[chat]; ok && last.Add(perChatGap).After(slot) {
		slot = last.Add(perChatGap)
	}
	if p.last.After(slot) {
		slot = p.last
	}
	// Forget slots that can no longer share a window with this one.
	for len(p.recent) > 0 && !p.recent[0].After(slot.Add(-paceWindow)) {
		p.recent = p.recent[1:]
	}
	if len(p.recent) >= p.perMinute {
		// The window before slot is full: wait until its oldest leaves it.
		slot = p.recent[len(p.recent)-p.perMinute].Add(paceWindow)
		for len(p.recent) > 0 && !p.recent[0].After(slot.Add(-paceWindow)) {
			p.recent = p.recent[1:]
		}
	}
	p.recent = append(p.recent, slot)
	p.last = slot
	p.lastChat[chat] = slot
	// Per-chat entries older than the gap constrain nothing.
	if len(p.lastChat) > 1024 {
		for c, t := range p.lastChat {
			if t.Add(perChatGap).Before(now) {
				delete(p.lastChat, c)
			}
		}
	}
	return slot
}
