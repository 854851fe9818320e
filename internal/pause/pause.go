// Package pause is the one context-aware wait of the bot's loops: a retry
// after a failure, a poll of a lease, a chat held by another process. The
// channels reach it through channels/dispatch's Clock, which tests replace
// with a fake clock; the stores, the delivery core and the engine call it
// directly.
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
