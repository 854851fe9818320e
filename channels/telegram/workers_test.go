package telegram

import (
	"sync"
	"sync/atomic"
	"testing"
)

// One worker runs tasks in the order submitted, through the compaction of
// its queue, and close returns only after the queued ones ran.
func TestWorkersRunInOrderAndFinishOnClose(t *testing.T) {
	w := newWorkers(1)
	gate := make(chan struct{})
	w.submit(func() { <-gate }) // keeps the worker busy while the rest queue
	var got []int
	for i := range 1000 {
		w.submit(func() { got = append(got, i) })
	}
	close(gate)
	w.close()
	if len(got) != 1000 {
		t.Fatalf("ran %d tasks, want 1000", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("task %d ran at position %d: not in submission order", v, i)
		}
	}
}

// Several workers run tasks at once, never more than their number.
func TestWorkersBoundParallelism(t *testing.T) {
	const n = 4
	w := newWorkers(n)
	var running, peak, begun atomic.Int32
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	for range 3 * n {
		w.submit(func() {
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			if begun.Add(1) <= n {
				started.Done()
			}
			<-release
			running.Add(-1)
		})
	}
	started.Wait() // n tasks run at once
	close(release)
	w.close()
	if p := peak.Load(); p != n {
		t.Fatalf("peak parallel tasks %d, want %d", p, n)
	}
}
