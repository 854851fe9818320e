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

// Backoff is an exponential delay (package pause), under the channels'
// name.
type Backoff = pause.Backoff
