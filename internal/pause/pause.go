// Package pause is how the bot's loops wait: the one context-aware wait
// (For) and the one exponential backoff (Backoff), for a retry after a
// failure, a poll of a lease, a chat held by another process. The channels
// reach them through channels/dispatch (Clock, Sleep, Backoff), whose
// Clock tests replace with a fake one; the stores, the delivery core and
// the engine use them directly.
package pause

import (
	"context"
	"time"
)

// For waits d or until ctx is done, and reports whether the full wait
// elapsed. A wait of zero or less returns at once, true unless ctx is done.
func For(ctx context.Context, d time.Duration) bool {
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

// Backoff is an exponential delay: Next gives Min, then twice the last
// delay, never more than Max (no cap when Max is zero); Reset starts again
// from Min. The zero value waits nothing; it is not safe for concurrent use.
type Backoff struct {
	Min, Max time.Duration
	cur      time.Duration
}

// Next returns the delay before the next attempt.
func (b *Backoff) Next() time.Duration {
	switch {
	case b.cur == 0:
		b.cur = b.Min
	case b.Max > 0:
		b.cur = min(2*b.cur, b.Max)
	default:
		b.cur *= 2
	}
	return b.cur
}

// Reset makes the next delay Min again, after a success.
func (b *Backoff) Reset() { b.cur = 0 }
