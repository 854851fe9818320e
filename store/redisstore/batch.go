package redisstore

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// maxBatch bounds the scripts sent in one pipeline.
const maxBatch = 64

// scriptBatcher runs the scripts of concurrent callers in shared pipelines:
// under load, the messages of different chats handled at the same moment
// reach Redis in one write and come back in one read, instead of a round
// trip each (the load benchmark's bot spent a fifth of its CPU in those
// writes and reads). A caller that finds no pipeline in flight sends one at
// once with whatever others queued meanwhile; nobody waits for a batch to
// fill, so a lone message costs what it did.
//
// One pipeline is in flight at a time. Its sender is one of the callers: when
// it is done, the first caller that queued meanwhile is woken to send the
// next one, so no caller works for others longer than one batch.
type scriptBatcher struct {
	rdb redis.UniversalClient

	mu      sync.Mutex
	pending []*scriptCall
	busy    bool // a pipeline is in flight
}

type scriptCall struct {
	ctx    context.Context
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	wake   chan bool // true: send the next batch; false: cmd is ready
}

// run runs script like script.Run, sharing a pipeline with concurrent
// callers. The caller's context bounds its wait only through the client's
// timeouts: its script may already share a pipeline with others.
func (b *scriptBatcher) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	c := &scriptCall{ctx: ctx, script: script, keys: keys, args: args, wake: make(chan bool, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	if b.busy {
		b.mu.Unlock()
		if lead := <-c.wake; !lead {
			return c.cmd
		}
	} else {
		b.busy = true
		b.mu.Unlock()
	}
	// This caller sends the next batch; it is first in the queue, so its
	// own script is in it.
	b.mu.Lock()
	n := min(len(b.pending), maxBatch)
	batch := append([]*scriptCall(nil), b.pending[:n]...)
	b.pending = append(b.pending[:0:0], b.pending[n:]...)
	b.mu.Unlock()

	b.exec(c, batch)

	b.mu.Lock()
	if len(b.pending) > 0 {
		next := b.pending[0]
		b.mu.Unlock()
		next.wake <- true
	} else {
		b.busy = false
		b.mu.Unlock()
	}
	return c.cmd
}

// exec sends batch in one pipeline and hands each caller but the sender its
// result. A script Redis does not know yet (first use, or after a restart of
// Redis) is run again on its own, which loads it.
func (b *scriptBatcher) exec(sender *scriptCall, batch []*scriptCall) {
	ctx := context.WithoutCancel(sender.ctx)
	pipe := b.rdb.Pipeline()
	for _, c := range batch {
		c.cmd = pipe.EvalSha(ctx, c.script.Hash(), c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // each command holds its own result and error
	for _, c := range batch {
		if err := c.cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			c.cmd = c.script.Run(c.ctx, b.rdb, c.keys, c.args...)
		}
		if c != sender {
			c.wake <- false
		}
	}
}
