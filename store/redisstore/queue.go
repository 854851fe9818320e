package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Queue is a durable FIFO of raw messages in a Redis list, with a processing
// list for the ones a consumer has taken but not acknowledged. The Telegram
// webhook pushes each update here before it answers 200, so an update
// Telegram was told is received survives a crash of the process that
// received it.
//
// Keys: <name> (the queue) and <name>:processing. On Redis Cluster, name
// must hold a hash tag (for example "sapa:{tg-updates}") so both keys share
// a slot for the scripts.
//
// Delivery is at least once. Pop moves messages from the queue to the
// processing list in the same atomic step, and Ack removes them once
// handled; a consumer that dies between the two leaves them in the
// processing list. Requeue moves them back to the head of the queue, in
// their order. There is no per-message timer: the visibility timeout is the
// consumer's lease. Exactly one consumer (the holder of a lease, see
// HoldLease) pops at a time, and it calls Requeue when it takes the lease,
// so a dead consumer's messages come back at most one lease TTL after its
// last renewal. The single consumer is also what keeps each chat's messages
// in order across replicas; consumers handle different chats in parallel.
//
// Durability is Redis's: run it with appendonly yes (appendfsync everysec
// loses at most a second of pushes on a crash of Redis itself).
type Queue struct {
	rdb        redis.UniversalClient
	list       string
	processing string
}

// NewQueue returns the queue named name (prefix included, for example
// "sapa:{tg-updates}").
func NewQueue(rdb redis.UniversalClient, name string) *Queue {
	return &Queue{rdb: rdb, list: name, processing: name + ":processing"}
}

// Push appends raw to the queue. When it returns nil the message is in
// Redis.
func (q *Queue) Push(ctx context.Context, raw []byte) error {
	if len(raw) == 0 {
		return errors.New("queue push: empty message")
	}
	if err := q.rdb.RPush(ctx, q.list, raw).Err(); err != nil {
		return fmt.Errorf("queue push to %s: %w", q.list, err)
	}
	return nil
}

// pushOnceScript claims a message id for a while and appends the message
// only when the claim is new, in one step.
//
// KEYS: queue, claim. ARGV: message, claim ttl ms.
var pushOnceScript = redis.NewScript(`
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
	redis.call('RPUSH', KEYS[1], ARGV[1])
	return 1
end
return 0
`)

// PushOnce appends raw unless a message with the same id was pushed within
// window (a sender retrying after a lost answer), and reports whether it
// appended. Either way, when it returns nil the message is in Redis. The
// claim key shares the queue's hash tag.
func (q *Queue) PushOnce(ctx context.Context, id string, window time.Duration, raw []byte) (bool, error) {
	if len(raw) == 0 || id == "" || window < time.Millisecond {
		return false, fmt.Errorf("queue push to %s: empty message or id, or window %v: %w", q.list, window, ErrInvalidKey)
	}
	n, err := pushOnceScript.Run(ctx, q.rdb, []string{q.list, q.list + ":seen:" + escape(id)}, raw, window.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("queue push to %s: %w", q.list, err)
	}
	return n == 1, nil
}

// popScript moves up to ARGV[1] messages from the head of the queue to the
// tail of the processing list and returns them, oldest first.
//
// KEYS: queue, processing. ARGV: max.
var popScript = redis.NewScript(`
local out = {}
for i = 1, tonumber(ARGV[1]) do
	local m = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
	if not m then
		break
	end
	out[#out + 1] = m
end
return out
`)

// Pop takes up to max messages, oldest first, moving them to the processing
// list. When the queue is empty it waits up to wait for one to arrive (zero
// does not wait; go-redis sends BLMOVE's timeout in whole seconds, so a
// shorter wait is one second). It returns no messages and no error
// when nothing arrived in time. Each message must be given to Ack once
// handled.
func (q *Queue) Pop(ctx context.Context, max int, wait time.Duration) ([][]byte, error) {
	if max < 1 {
		return nil, fmt.Errorf("queue pop from %s: max %d under 1", q.list, max)
	}
	out, err := q.popBatch(ctx, max)
	if err != nil || len(out) > 0 || wait <= 0 {
		return out, err
	}
	first, err := q.rdb.BLMove(ctx, q.list, q.processing, "LEFT", "RIGHT", wait).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue pop from %s: %w", q.list, err)
	}
	out = [][]byte{first}
	if max > 1 {
		// Whatever arrived with it comes in the same batch.
		more, err := q.popBatch(ctx, max-1)
		if err != nil {
			return out, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func (q *Queue) popBatch(ctx context.Context, max int) ([][]byte, error) {
	vals, err := popScript.Run(ctx, q.rdb, []string{q.list, q.processing}, max).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("queue pop from %s: %w", q.list, err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out, nil
}

// Ack removes handled messages from the processing list, in one round trip.
func (q *Queue) Ack(ctx context.Context, msgs ...[]byte) error {
	if len(msgs) == 0 {
		return nil
	}
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range msgs {
			p.LRem(ctx, q.processing, 1, m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue ack on %s: %w", q.processing, err)
	}
	return nil
}

// Hold records messages taken from elsewhere (the Telegram poll) as being
// processed, as if popped, and acknowledges handled ones, in one round
// trip. When it returns nil the taken ones are in Redis; Requeue gives them
// back to the next consumer if this one dies first.
func (q *Queue) Hold(ctx context.Context, taken, handled [][]byte) error {
	if len(taken) == 0 && len(handled) == 0 {
		return nil
	}
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(taken) > 0 {
			vals := make([]any, len(taken))
			for i, m := range taken {
				vals[i] = m
			}
			p.RPush(ctx, q.processing, vals...)
		}
		for _, m := range handled {
			p.LRem(ctx, q.processing, 1, m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue hold on %s: %w", q.processing, err)
	}
	return nil
}

// requeueScript moves the whole processing list back to the head of the
// queue, keeping the order: the last one taken goes back first.
//
// KEYS: queue, processing.
var requeueScript = redis.NewScript(`
local n = 0
while redis.call('LMOVE', KEYS[2], KEYS[1], 'RIGHT', 'LEFT') do
	n = n + 1
end
return n
`)

// Requeue puts every message taken and not acknowledged back at the head of
// the queue, in order, and returns how many. Call it when a consumer starts
// (messages of a consumer that died) and after a batch that was not fully
// handled (to try them again in order).
func (q *Queue) Requeue(ctx context.Context) (int, error) {
	n, err := requeueScript.Run(ctx, q.rdb, []string{q.list, q.processing}).Int()
	if err != nil {
		return 0, fmt.Errorf("queue requeue on %s: %w", q.list, err)
	}
	return n, nil
}

// Backlog returns how many messages are in the queue or taken and not
// acknowledged, in one round trip: what is still owed.
func (q *Queue) Backlog(ctx context.Context) (int, error) {
	var waiting, taken *redis.IntCmd
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		waiting = p.LLen(ctx, q.list)
		taken = p.LLen(ctx, q.processing)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue backlog of %s: %w", q.list, err)
	}
	return int(waiting.Val() + taken.Val()), nil
}

// Len returns how many messages wait in the queue, not counting those being
// processed.
func (q *Queue) Len(ctx context.Context) (int, error) {
	n, err := q.rdb.LLen(ctx, q.list).Result()
	if err != nil {
		return 0, fmt.Errorf("queue length of %s: %w", q.list, err)
	}
	return int(n), nil
}
