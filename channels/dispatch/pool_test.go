package dispatch

import (
	"sync"
	"sync/atomic"
	"testing"
)

// taskFunc runs a function as a pool task.
type taskFunc func()

func (f taskFunc) run() { f() }

// One worker runs tasks in the order submitted, through the compaction of
// its queue, and Close returns only after the queued ones ran.
func TestPoolRunsInOrderAndFinishesOnClose(t *testing.T) {
	p := NewPool(1)
	gate := make(chan struct{})
	p.submit(taskFunc(func() { <-gate })) // keeps the worker busy while the rest queue
	var got []int
	for i := range 1000 {
		p.submit(taskFunc(func() { got = append(got, i) }))
	}
	close(gate)
	p.Close()
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
func TestPoolBoundsParallelism(t *testing.T) {
	const n = 4
	p := NewPool(n)
	var running, peak, begun atomic.Int32
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	for range 3 * n {
		p.submit(taskFunc(func() {
			r := running.Add(1)
			for q := peak.Load(); r > q && !peak.CompareAndSwap(q, r); q = peak.Load() {
			}
			if begun.Add(1) <= n {
				started.Done()
			}
			<-release
			running.Add(-1)
		}))
	}
	started.Wait() // n tasks run at once
	close(release)
	p.Close()
	if q := peak.Load(); q != n {
		t.Fatalf("peak parallel tasks %d, want %d", q, n)
	}
}

func TestPoolRefusesTasksAfterClose(t *testing.T) {
	p := NewPool(1)
	p.Close()
	defer func() {
		if recover() == nil {
			t.Error("a task was accepted by a closed pool")
		}
	}()
	p.submit(taskFunc(func() {}))
}
