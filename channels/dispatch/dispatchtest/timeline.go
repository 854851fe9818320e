package dispatchtest

import (
	"context"
	"sync"
	"time"
)

// Timeline is a dispatch.Clock for tests with many goroutines waiting at
// once (chats paced side by side): a sleep blocks until the test moves the
// time past its end, so concurrent sleeps overlap as they do in real time,
// and the test steps from one wake-up to the next without waiting for any.
type Timeline struct {
	mu       sync.Mutex
	now      time.Time
	sleepers map[*sleeper]struct{}
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

// NewTimeline returns a timeline showing t.
func NewTimeline(t time.Time) *Timeline {
	return &Timeline{now: t, sleepers: map[*sleeper]struct{}{}}
}

// Now implements dispatch.Clock.
func (c *Timeline) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep implements dispatch.Clock: it returns true once the time was moved
// to d from now or later, false when ctx ends first.
func (c *Timeline) Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	c.mu.Lock()
	s := &sleeper{until: c.now.Add(d), wake: make(chan struct{})}
	c.sleepers[s] = struct{}{}
	c.mu.Unlock()
	select {
	case <-s.wake:
		return true
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.sleepers, s)
		c.mu.Unlock()
		return false
	}
}

// Sleepers is how many goroutines sleep on the timeline now.
func (c *Timeline) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// NextWake is when the earliest sleeper wakes; ok is false when none
// sleeps.
func (c *Timeline) NextWake() (t time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.sleepers {
		if !ok || s.until.Before(t) {
			t, ok = s.until, true
		}
	}
	return t, ok
}

// AdvanceTo moves the time to t (never back) and wakes every sleeper whose
// sleep ends by then. They no longer count as sleepers when it returns.
func (c *Timeline) AdvanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	for s := range c.sleepers {
		if !s.until.After(c.now) {
			delete(c.sleepers, s)
			close(s.wake)
		}
	}
}
