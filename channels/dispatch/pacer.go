package dispatch

import (
	"context"
	"sync"
	"time"
)

// Pace is how a Pacer spaces sends.
type Pace[K comparable] struct {
	// Gap is the least time between two sends to one chat.
	Gap func(chat K) time.Duration
	// Limit is the most sends in any Window over all chats; 0 sets no
	// overall cap.
	Limit  int
	Window time.Duration
}

// forgetAfter is how many chats a Pacer remembers before it forgets the
// ones whose gap has passed.
const forgetAfter = 1024

// Pacer hands out send slots that keep a Pace: platforms limit how fast a
// bot may write (Telegram's published limits, WhatsApp's bans of numbers
// that send like machines). Slots are given in the order they are asked
// for and never earlier than a slot already given, which keeps the window
// exact at the cost of at most a gap's wait for a chat queued behind
// another chat's gap.
type Pacer[K comparable] struct {
	clock Clock
	pace  Pace[K]

	mu       sync.Mutex
	last     time.Time       // latest slot given
	recent   []time.Time     // slots given within the window before last, oldest first
	lastChat map[K]time.Time // latest slot given per chat
}

// NewPacer returns a pacer keeping p on clock c (nil: Wall).
func NewPacer[K comparable](c Clock, p Pace[K]) *Pacer[K] {
	if c == nil {
		c = Wall
	}
	if p.Gap == nil {
		p.Gap = func(K) time.Duration { return 0 }
	}
	return &Pacer[K]{clock: c, pace: p, lastChat: map[K]time.Time{}}
}

// Wait blocks until the next send to chat may go out, and takes that slot.
// It fails only when ctx ends first; the slot it took is then wasted.
func (p *Pacer[K]) Wait(ctx context.Context, chat K) error {
	slot := p.Reserve(chat)
	if d := slot.Sub(p.clock.Now()); d > 0 {
		if !p.clock.Sleep(ctx, d) {
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// Reserve takes the earliest slot that keeps the pace and returns it.
func (p *Pacer[K]) Reserve(chat K) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	slot := now
	if last, ok := p.lastChat[chat]; ok && last.Add(p.pace.Gap(chat)).After(slot) {
		slot = last.Add(p.pace.Gap(chat))
	}
	if p.pace.Limit > 0 {
		if p.last.After(slot) {
			slot = p.last
		}
		// Forget slots that can no longer share a window with this one.
		window := p.pace.Window
		for len(p.recent) > 0 && !p.recent[0].After(slot.Add(-window)) {
			p.recent = p.recent[1:]
		}
		if len(p.recent) >= p.pace.Limit {
			// The window before slot is full: wait until its oldest leaves it.
			slot = p.recent[len(p.recent)-p.pace.Limit].Add(window)
			for len(p.recent) > 0 && !p.recent[0].After(slot.Add(-window)) {
				p.recent = p.recent[1:]
			}
		}
		p.recent = append(p.recent, slot)
		p.last = slot
	}
	p.lastChat[chat] = slot
	// Per-chat slots older than their gap constrain nothing.
	if len(p.lastChat) > forgetAfter {
		for c, t := range p.lastChat {
			if t.Add(p.pace.Gap(c)).Before(now) {
				delete(p.lastChat, c)
			}
		}
	}
	return slot
}

// Next is when the next send to chat may go out, without taking the slot:
// a sender that waits for it and then finds nothing to send has not used
// the chat's gap. It is exact for a pace without an overall Limit.
func (p *Pacer[K]) Next(chat K) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	next := p.clock.Now()
	if last, ok := p.lastChat[chat]; ok && last.Add(p.pace.Gap(chat)).After(next) {
		next = last.Add(p.pace.Gap(chat))
	}
	if p.pace.Limit > 0 && p.last.After(next) {
		next = p.last
	}
	return next
}
