// Package dispatchtest holds what tests of the channel runtime and of the
// channels on it share.
package dispatchtest

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a dispatch.Clock that moves only when told to, or when someone
// sleeps on it: a sleep returns at once with the clock advanced, so paced
// and retried code runs instantly and its waits can be read back.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now implements dispatch.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep implements dispatch.Clock: it advances the clock by d, unless ctx
// is done, and records d.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.sleeps = append(c.sleeps, d)
	return true
}

// Advance moves the clock by d, as time passing without anyone sleeping.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Sleeps returns every sleep so far, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}
