package dispatch

import "sync"

// task is what a Pool runs: a chat's line, which runs its head message.
// An interface holding a pointer, so submitting one allocates nothing.
type task interface{ run() }

// Pool runs tasks, in the order submitted, on a fixed set of goroutines that
// live as long as the pool. Dispatchers sharing a pool share its workers
// (Telegram's webhook shards do). A goroutine started per chat begins with
// a small stack and grows it, copying it each time, as the handler reaches
// its depth (JSON decoding, HTTP, SQL): the load benchmark's profile put
// that at a tenth of the bot's CPU. A long-lived worker keeps the stack it
// grew.
type Pool struct {
	mu     sync.Mutex
	ready  sync.Cond
	tasks  []task
	head   int // tasks[head:] are waiting
	closed bool
	wg     sync.WaitGroup
}

// NewPool starts n workers (at least one).
func NewPool(n int) *Pool {
	p := &Pool{}
	p.ready.L = &p.mu
	for range max(n, 1) {
		p.wg.Go(p.work)
	}
	return p
}

// submit queues t for the next free worker. It never blocks: the sources
// (a poll loop, whatsmeow's event handler) keep going while every worker is
// busy.
func (p *Pool) submit(t task) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		panic("dispatch: task submitted to a closed pool")
	}
	p.tasks = append(p.tasks, t)
	p.mu.Unlock()
	p.ready.Signal()
}

// Close lets the workers finish the tasks queued and returns once they
// have. Close the dispatchers on the pool first: nothing may be submitted
// after it.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ready.Broadcast()
	p.wg.Wait()
}

func (p *Pool) work() {
	for {
		p.mu.Lock()
		for p.head == len(p.tasks) && !p.closed {
			p.ready.Wait()
		}
		if p.head == len(p.tasks) {
			p.mu.Unlock()
			return
		}
		t := p.tasks[p.head]
		p.tasks[p.head] = nil
		p.head++
		if p.head == len(p.tasks) || p.head > 64 && 2*p.head >= len(p.tasks) {
			// Move what waits to the front, so a pool that is never idle
			// does not grow its array forever.
			n := copy(p.tasks, p.tasks[p.head:])
			clear(p.tasks[n:])
			p.tasks, p.head = p.tasks[:n], 0
		}
		p.mu.Unlock()
		t.run()
	}
}
