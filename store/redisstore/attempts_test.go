package redisstore_test

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// leaseAttempts counts, through a hook on rdb, the lease scripts holder
// runs (taking, renewing or waiting for a lease): how a test sees a
// waiting holder try and fail, instead of sleeping and hoping it did.
func leaseAttempts(rdb redis.UniversalClient, holder string) *atomic.Int32 {
	n := &atomic.Int32{}
	rdb.AddHook(attemptHook{holder: holder, n: n})
	return n
}

type attemptHook struct {
	holder string
	n      *atomic.Int32
}

func (attemptHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (attemptHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h attemptHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		// EVALSHA sha 1 <lease key> <holder> ...: counted once it answered.
		if args := cmd.Args(); len(args) > 4 && (cmd.Name() == "evalsha" || cmd.Name() == "eval") {
			key, _ := args[3].(string)
			holder, _ := args[4].(string)
			if holder == h.holder && strings.Contains(key, "lease:") {
				h.n.Add(1)
			}
		}
		return err
	}
}
