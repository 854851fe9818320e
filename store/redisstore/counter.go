package redisstore

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// RoundTripCounter is a go-redis hook that counts round trips to Redis: one
// per command and one per pipeline or transaction, however many commands it
// holds. Tests and load benchmarks add it to a client with AddHook to check
// what an operation costs. The handshake of each new connection (HELLO,
// CLIENT SETINFO) passes through hooks too and is counted: warm a client up
// before measuring, so that the count holds only the operations. It is safe
// for concurrent use; the zero value is ready.
type RoundTripCounter struct {
	n atomic.Int64
}

var _ redis.Hook = (*RoundTripCounter)(nil)

// Count returns the round trips seen since the last Reset.
func (c *RoundTripCounter) Count() int64 { return c.n.Load() }

// Reset sets the count back to zero.
func (c *RoundTripCounter) Reset() { c.n.Store(0) }

// DialHook does not count: dialing is connection setup, not a round trip of
// an operation.
func (c *RoundTripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook counts each command as one round trip.
func (c *RoundTripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook counts each pipeline or MULTI/EXEC transaction as one
// round trip.
func (c *RoundTripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}
