package redisstore

import (
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// EmbeddedTick is how often the embedded server's TTL clock is moved on.
// Expiry is at most this late; the TTLs it serves are minutes to days.
const EmbeddedTick = time.Second

// Embedded is an in-process Redis-compatible server (miniredis) on
// 127.0.0.1, for a bot run without a Redis server: the same go-redis code
// runs on it, and what it holds is lost when the process ends.
type Embedded struct {
	mr      *miniredis.Miniredis
	stop    chan struct{}
	ticking sync.WaitGroup
}

// StartEmbedded starts the server on a free port of 127.0.0.1. Its keys
// expire with the wall clock, as on Redis: drafts and dedup records expire
// on their own.
func StartEmbedded() (*Embedded, error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start the embedded Redis-compatible store: %w", err)
	}
	e := &Embedded{mr: mr, stop: make(chan struct{})}
	e.ticking.Go(e.tick)
	return e, nil
}

// Addr is the host:port the server listens on.
func (e *Embedded) Addr() string { return e.mr.Addr() }

// Close stops the server; what it held is gone.
func (e *Embedded) Close() {
	close(e.stop)
	e.ticking.Wait()
	e.mr.Close()
}

// tick moves the TTL clock on with the wall clock until Close: one
// FastForward a second instead of miniredis' ClockTTL, which walks every
// key on every command.
func (e *Embedded) tick() {
	t := time.NewTicker(EmbeddedTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.mr.FastForward(now.Sub(last))
			last = now
		}
	}
}
