package dispatchtest

import (
	"testing"
	"time"
)

// pollEvery is how often WaitFor looks at its condition.
const pollEvery = 5 * time.Millisecond

// WaitFor returns once cond holds, looking at it every few milliseconds,
// and fails t when it still does not hold after within: the way to wait for
// an event that sends no signal (a count in Redis, a flag set by another
// goroutine), never a fixed sleep.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if cond() {
		return
	}
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if cond() {
				return
			}
		case <-deadline.C:
			if cond() {
				return
			}
			t.Fatalf("still waiting after %s for %s", within, what)
			return
		}
	}
}
