package whatsapp

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestQueueKeepsChatOrderAndRunsChatsInParallel(t *testing.T) {
	q := newQueue()
	q.start(context.Background(), 3)
	defer q.stop()

	var (
		mu    sync.Mutex
		order = map[string][]int{}
	)
	// Chat "slow" blocks until chat "fast" has run: only parallel workers
	// get there.
	fastDone := make(chan struct{})
	q.add("slow", func(context.Context) {
		select {
		case <-fastDone:
		case <-time.After(5 * time.Second):
			t.Error("chat fast did not run while chat slow was busy")
		}
		mu.Lock()
		order["slow"] = append(order["slow"], 0)
		mu.Unlock()
	})
	for i := 1; i <= 50; i++ {
		q.add("slow", func(context.Context) {
			mu.Lock()
			order["slow"] = append(order["slow"], i)
			mu.Unlock()
		})
	}
	q.add("fast", func(context.Context) { close(fastDone) })
	q.waitIdle()

	if len(order["slow"]) != 51 {
		t.Fatalf("ran %d jobs of chat slow, want 51", len(order["slow"]))
	}
	for i, v := range order["slow"] {
		if v != i {
			t.Fatalf("chat slow ran out of order: %v", order["slow"])
		}
	}
}

func TestQueueStopRunsQueuedJobsAndRefusesNew(t *testing.T) {
	q := newQueue()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q.start(ctx, 1)
	var ran int
	for range 5 {
		q.add("a", func(context.Context) { ran++ })
	}
	q.stop()
	if ran != 5 {
		t.Errorf("ran %d queued jobs on stop, want 5", ran)
	}
	if q.add("a", func(context.Context) {}) {
		t.Error("add accepted a job after stop")
	}
}
