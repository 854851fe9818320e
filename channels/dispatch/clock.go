package dispatch

import (
	"context"
	"time"

	"github.com/leksono/sapa/internal/pause"
)

// Clock is time as the runtime sees it; tests replace it with a fake one
// (dispatchtest.Clock) so waits take no real time and can be read back.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, and reports whether d elapsed.
	Sleep(ctx context.Context, d time.Duration) bool
}

// Wall is the real clock.
var Wall Clock = wall{}

type wall struct{}

func (wall) Now() time.Time { return time.Now() }

func (wall) Sleep(ctx context.Context, d time.Duration) bool { return Sleep(ctx, d) }

// Sleep waits d or until ctx is done, and reports whether the full wait
// elapsed. A wait of zero or less returns at once, true unless ctx is done.
// It is the bot's one such wait (package pause), under the channels' name.
func Sleep(ctx context.Context, d time.Duration) bool { return pause.For(ctx, d) }

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
