package whatsapp

import (
	"context"
	"sync"
)

// queue runs jobs keyed by chat on a fixed pool of workers: one chat's jobs
// strictly one after another in the order they were added, different chats
// in parallel. add never blocks, so whatsmeow's event handler, which holds
// up every other event while it runs, returns at once. The queue is held in
// memory only: whatsmeow has acknowledged a message by the time it sits
// here, so jobs still queued when the process stops are lost.
type queue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending map[string][]func(context.Context) // jobs not started, per chat
	ready   []string                           // chats with pending jobs and no worker on them
	busy    map[string]bool                    // chats a worker is on
	closed  bool
	wg      sync.WaitGroup
}

func newQueue() *queue {
	q := &queue{pending: map[string][]func(context.Context){}, busy: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// start runs n workers until stop. Jobs get ctx.
func (q *queue) start(ctx context.Context, n int) {
	for range max(n, 1) {
		q.wg.Go(func() { q.work(ctx) })
	}
}

// add queues job for chat. It reports false once the queue is stopped.
func (q *queue) add(chat string, job func(context.Context)) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.pending[chat] = append(q.pending[chat], job)
	if !q.busy[chat] && len(q.pending[chat]) == 1 {
		q.ready = append(q.ready, chat)
		q.cond.Signal()
	}
	return true
}

func (q *queue) work(ctx context.Context) {
	for {
		q.mu.Lock()
		for len(q.ready) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.ready) == 0 {
			q.mu.Unlock()
			return
		}
		chat := q.ready[0]
		q.ready = q.ready[1:]
		job := q.pending[chat][0]
		q.pending[chat] = q.pending[chat][1:]
		q.busy[chat] = true
		q.mu.Unlock()

		job(ctx)

		q.mu.Lock()
		delete(q.busy, chat)
		if len(q.pending[chat]) > 0 {
			// Back of the line, so one chatty citizen cannot starve the others.
			q.ready = append(q.ready, chat)
			q.cond.Signal()
		} else {
			delete(q.pending, chat)
		}
		q.cond.Broadcast() // wakes waitIdle
		q.mu.Unlock()
	}
}

// stop refuses new jobs and waits for the workers to run every job already
// queued. Jobs see the context given to start, so a caller that wants a
// bounded stop cancels it after a grace period and the jobs left give up at
// once.
func (q *queue) stop() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
	q.wg.Wait()
}

// waitIdle blocks until no job is pending or running. Tests use it to step
// through a conversation one message at a time.
func (q *queue) waitIdle() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.pending) > 0 || len(q.busy) > 0 {
		q.cond.Wait()
	}
}
