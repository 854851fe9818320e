// Package grace gives work in hand a bounded time to finish after a stop:
// every channel adapter drains the same way.
package grace

import (
	"context"
	"sync"
	"time"
)

// Context returns a context that outlives the cancellation of parent by d,
// so work in hand can finish after a stop but not forever. release cancels
// it at once and frees its timer.
func Context(parent context.Context, d time.Duration) (ctx context.Context, release context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	var (
		mu    sync.Mutex
		timer *time.Timer
	)
	stopWatch := context.AfterFunc(parent, func() {
		mu.Lock()
		timer = time.AfterFunc(d, cancel)
		mu.Unlock()
	})
	return ctx, func() {
		stopWatch()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}
