package telegram

import "sync"

// workers runs tasks, in the order given, on a fixed set of goroutines that
// live as long as the pool. A goroutine started per chat begins with a small
// stack and grows it, copying it each time, as the handler reaches its depth
// (JSON decoding, HTTP, SQL): the load benchmark's profile put that at a
// tenth of the bot's CPU. A long-lived worker keeps the stack it grew.
type workers struct {
	mu     sync.Mutex
	ready  sync.Cond
	tasks  []func()
	head   int // tasks[head:] are waiting
	closed bool
	wg     sync.WaitGroup
}

// newWorkers starts n workers (at least one).
func newWorkers(n int) *workers {
	w := &workers{}
	w.ready.L = &w.mu
	for range max(n, 1) {
		w.wg.Go(w.work)
	}
	return w
}

// submit queues f for the next free worker. It never blocks: the poll loop
// and the queue consumers keep fetching while every worker is busy.
func (w *workers) submit(f func()) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		panic("telegram: task submitted to a closed worker pool")
	}
	w.tasks = append(w.tasks, f)
	w.mu.Unlock()
	w.ready.Signal()
}

// close lets the workers finish the tasks queued and returns once they
// have. Nothing may be submitted after it.
func (w *workers) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.ready.Broadcast()
	w.wg.Wait()
}

func (w *workers) work() {
	for {
		w.mu.Lock()
		for w.head == len(w.tasks) && !w.closed {
			w.ready.Wait()
		}
		if w.head == len(w.tasks) {
			w.mu.Unlock()
			return
		}
		f := w.tasks[w.head]
		w.tasks[w.head] = nil
		w.head++
		if w.head == len(w.tasks) || w.head > 64 && 2*w.head >= len(w.tasks) {
			// Move what waits to the front, so a pool that is never idle
			// does not grow its array forever.
			n := copy(w.tasks, w.tasks[w.head:])
			clear(w.tasks[n:])
			w.tasks, w.head = w.tasks[:n], 0
		}
		w.mu.Unlock()
		f()
	}
}
