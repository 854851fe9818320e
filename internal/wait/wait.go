// Package wait is how tests wait for an event that has no channel of its
// own to wait on: a condition polled until a deadline. Tests never sleep a
// fixed time: on two shared cores any fixed sleep is either too long or too
// short, while a condition returns the moment it holds.
package wait

import (
	"testing"
	"time"
)

// Poll is how often Until looks at its condition again.
const Poll = 5 * time.Millisecond

// Until returns as soon as cond holds, looking again every Poll, and fails
// the test, saying what it waited for, when timeout passed first.
func Until(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !Within(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// Within reports whether cond held within timeout, looking again every
// Poll: for tests that report a timeout their own way.
func Within(timeout time.Duration, cond func() bool) bool {
	if cond() {
		return true
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(Poll)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
			if cond() {
				return true
			}
		}
	}
}

// Receive returns the next value from ch, failing the test, saying what it
// waited for, when timeout passed first or ch was closed.
func Receive[T any](t testing.TB, what string, timeout time.Duration, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the channel closed", what)
		}
		return v
	case <-timer.C:
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
	panic("unreachable")
}

// Done returns when ch is closed (or yields), failing the test, saying what
// it waited for, when timeout passed first: for a done channel.
func Done[T any](t testing.TB, what string, timeout time.Duration, ch <-chan T) {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}
