package dispatch

import (
	"context"
	"slices"
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
// that send like machines). A slot is the earliest the chat's gap allows
// while the overall cap has room around it; once the cap is reached, slots
// are given in the order they are asked for and never earlier than a slot
// already given, which keeps every window exact.
//
// Lanes (Lane) are pacers that share the per-chat gaps and each keep an
// overall cap of their own: a channel paces its replies and its proactive
// sends (notifications, alerts) under different caps, and a chat still gets
// no two messages within its gap, whichever lane they took.
type Pacer[K comparable] struct {
	clock Clock
	chats *chatSlots[K]

	mu     sync.Mutex
	limit  int
	window time.Duration
	last   time.Time   // latest slot given by this lane
	recent []time.Time // slots given that may share a window with a future slot, ascending
}

// chatSlots is the latest slot given to each chat, shared by a pacer's
// lanes.
type chatSlots[K comparable] struct {
	mu   sync.Mutex
	gap  func(K) time.Duration
	last map[K]time.Time
}

// Delay is how long a send waited for its slot (Total) and how much of
// that the overall cap added beyond the chat's own gap (Capped).
type Delay struct {
	Total, Capped time.Duration
}

// NewPacer returns a pacer keeping p on clock c (nil: Wall).
func NewPacer[K comparable](c Clock, p Pace[K]) *Pacer[K] {
	if c == nil {
		c = Wall
	}
	if p.Gap == nil {
		p.Gap = func(K) time.Duration { return 0 }
	}
	return &Pacer[K]{clock: c, limit: p.Limit, window: p.Window,
		chats: &chatSlots[K]{gap: p.Gap, last: map[K]time.Time{}}}
}

// Lane returns a pacer that shares p's clock and per-chat gaps and caps its
// own sends at limit in any window (0: no overall cap).
func (p *Pacer[K]) Lane(limit int, window time.Duration) *Pacer[K] {
	return &Pacer[K]{clock: p.clock, chats: p.chats, limit: limit, window: window}
}

// Wait blocks until the next send to chat may go out, and takes that slot.
// It fails only when ctx ends first; the slot it took is then wasted.
func (p *Pacer[K]) Wait(ctx context.Context, chat K) error {
	_, err := p.WaitSlot(ctx, chat)
	return err
}

// WaitSlot is Wait that also reports how long it waited, and how much of
// that was the overall cap's doing.
func (p *Pacer[K]) WaitSlot(ctx context.Context, chat K) (Delay, error) {
	now := p.clock.Now()
	slot, capped := p.reserve(chat)
	d := Delay{Total: max(slot.Sub(now), 0), Capped: capped}
	if d.Total > 0 && !p.clock.Sleep(ctx, d.Total) {
		return d, ctx.Err()
	}
	return d, ctx.Err()
}

// Reserve takes the earliest slot that keeps the pace and returns it.
func (p *Pacer[K]) Reserve(chat K) time.Time {
	slot, _ := p.reserve(chat)
	return slot
}

// reserve is Reserve that also returns how much later than the chat's gap
// alone the overall cap put the slot.
func (p *Pacer[K]) reserve(chat K) (time.Time, time.Duration) {
	p.mu.Lock() // lane first, then the shared chats: always in this order
	defer p.mu.Unlock()
	c := p.chats
	c.mu.Lock()
	defer c.mu.Unlock()
	now := p.clock.Now()
	own := now
	if last, ok := c.last[chat]; ok && last.Add(c.gap(chat)).After(own) {
		own = last.Add(c.gap(chat))
	}
	slot := own
	if p.limit > 0 {
		slot = p.capped(now, own)
	}
	c.last[chat] = slot
	// Per-chat slots older than their gap constrain nothing.
	if len(c.last) > forgetAfter {
		for k, t := range c.last {
			if t.Add(c.gap(k)).Before(now) {
				delete(c.last, k)
			}
		}
	}
	return slot, slot.Sub(own)
}

// capped is the slot the overall cap allows for a send the chat's gap
// allows at want, recorded as given; p.mu is held.
func (p *Pacer[K]) capped(now, want time.Time) time.Time {
	// Slots at or before now-window can share no window with a future slot.
	drop := 0
	for drop < len(p.recent) && !p.recent[drop].After(now.Add(-p.window)) {
		drop++
	}
	p.recent = p.recent[drop:]
	slot := want
	if p.room(want) {
		// Every window holding want holds fewer than limit other slots:
		// want may go before slots already given to other chats, so one
		// chat's gap holds up no other chat.
		i, _ := slices.BinarySearchFunc(p.recent, want, time.Time.Compare)
		p.recent = slices.Insert(p.recent, i, want)
	} else {
		// At the cap: after every slot given, once the window before it
		// has room.
		if p.last.After(slot) {
			slot = p.last
		}
		if n := len(p.recent); n >= p.limit {
			if earliest := p.recent[n-p.limit].Add(p.window); earliest.After(slot) {
				slot = earliest
			}
		}
		p.recent = append(p.recent, slot)
	}
	if slot.After(p.last) {
		p.last = slot
	}
	return slot
}

// room reports whether fewer than limit slots lie within a window of t on
// either side, so that adding t fills no window beyond the limit.
func (p *Pacer[K]) room(t time.Time) bool {
	lo, _ := slices.BinarySearchFunc(p.recent, t.Add(-p.window), time.Time.Compare)
	for lo < len(p.recent) && !p.recent[lo].After(t.Add(-p.window)) {
		lo++
	}
	hi, _ := slices.BinarySearchFunc(p.recent, t.Add(p.window), time.Time.Compare)
	return hi-lo < p.limit
}

// Next is when the next send to chat may go out, without taking the slot:
// a sender that waits for it and then finds nothing to send has not used
// the chat's gap. It is exact for a pace without an overall Limit.
func (p *Pacer[K]) Next(chat K) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.chats
	c.mu.Lock()
	defer c.mu.Unlock()
	next := p.clock.Now()
	if last, ok := c.last[chat]; ok && last.Add(c.gap(chat)).After(next) {
		next = last.Add(c.gap(chat))
	}
	if p.limit > 0 && p.last.After(next) {
		next = p.last
	}
	return next
}
