package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
//
// A queue made with SealedWith keeps every message sealed in Redis (see
// there); its methods take and give the messages in clear.
type Queue struct {
	rdb        redis.UniversalClient
	list       string
	processing string
	unreadable string
	seal       *queueSeal // nil: messages are stored as given
}

// queueSeal is what a sealed queue needs: the sealer, and the sealed form
// of each message this process took and has not acknowledged yet.
type queueSeal struct {
	sealer FieldSealer
	field  string
	report func(error)

	mu sync.Mutex
	// held maps a taken message, in clear, to its sealed forms in the
	// processing list (one per copy taken), oldest first. Ack and Hold
	// remove entries by their exact stored value, and a sealed value
	// cannot be made again from the clear one (each seal draws a fresh
	// nonce): this is how they find it.
	held map[string][]string
}

// QueueOption changes a setting of NewQueue.
type QueueOption func(*Queue)

// SealedWith has every message sealed by sealer, as the value of field,
// before it reaches Redis, and opened when it is taken: queues, journals
// and outboxes hold what citizens typed (NIK and KK numbers, names,
// complaints) for seconds to days, in Redis's memory, its append-only file
// and its replicas. Messages stored before sealing was turned on are read
// as they are.
//
// A message no key opens (its key was removed from DATA_KEYS too early, or
// it was altered) cannot be handled and would come back for ever: it is
// moved to <name>:unreadable, where it waits for its key to be restored,
// and reported to unreadable (nil: not reported).
//
// Only the process that took a message (Pop, Hold) can acknowledge it: it
// remembers the sealed form of what it took. That is the contract of the
// queue already: one consumer at a time, and a new one starts with
// Requeue.
func SealedWith(sealer FieldSealer, field string, unreadable func(error)) QueueOption {
	return func(q *Queue) {
		q.seal = &queueSeal{sealer: sealer, field: field, report: unreadable, held: map[string][]string{}}
	}
}

// NewQueue returns the queue named name (prefix included, for example
// "sapa:{tg-updates}").
func NewQueue(rdb redis.UniversalClient, name string, opts ...QueueOption) *Queue {
	q := &Queue{rdb: rdb, list: name, processing: name + ":processing", unreadable: name + ":unreadable"}
	for _, o := range opts {
		o(q)
	}
	return q
}

// sealed is raw as the queue stores it.
func (q *Queue) sealed(raw []byte) ([]byte, error) {
	if q.seal == nil {
		return raw, nil
	}
	v, err := q.seal.sealer.Seal(q.seal.field, string(raw))
	if err != nil {
		return nil, fmt.Errorf("seal a message of %s: %w", q.list, err)
	}
	return []byte(v), nil
}

// taken records that this process holds stored (the sealed form of raw).
func (q *Queue) taken(raw []byte, stored string) {
	if q.seal == nil {
		return
	}
	q.seal.mu.Lock()
	q.seal.held[string(raw)] = append(q.seal.held[string(raw)], stored)
	q.seal.mu.Unlock()
}

// stored returns the stored forms of msgs, each as this process took it;
// a message it did not take is looked for as given.
func (q *Queue) stored(msgs [][]byte) []string {
	out := make([]string, len(msgs))
	if q.seal == nil {
		for i, m := range msgs {
			out[i] = string(m)
		}
		return out
	}
	q.seal.mu.Lock()
	defer q.seal.mu.Unlock()
	used := map[string]int{}
	for i, m := range msgs {
		k := string(m)
		if forms := q.seal.held[k]; used[k] < len(forms) {
			out[i] = forms[used[k]]
			used[k]++
			continue
		}
		out[i] = k
	}
	return out
}

// released forgets msgs, which are no longer in the processing list.
func (q *Queue) released(msgs [][]byte) {
	if q.seal == nil {
		return
	}
	q.seal.mu.Lock()
	defer q.seal.mu.Unlock()
	for _, m := range msgs {
		k := string(m)
		if forms := q.seal.held[k]; len(forms) > 1 {
			q.seal.held[k] = forms[1:]
		} else {
			delete(q.seal.held, k)
		}
	}
}

// opened opens the messages taken into the processing list, oldest first,
// and moves the ones no key opens to the unreadable list.
func (q *Queue) opened(ctx context.Context, vals []string) ([][]byte, error) {
	out := make([][]byte, 0, len(vals))
	var bad []string
	for _, v := range vals {
		if q.seal == nil {
			out = append(out, []byte(v))
			continue
		}
		if !isSealed(v) {
			// Stored before the queue was sealed.
			out = append(out, []byte(v))
			q.taken([]byte(v), v)
			continue
		}
		plain, err := q.seal.sealer.Open(q.seal.field, v)
		if err != nil {
			bad = append(bad, v)
			if q.seal.report != nil {
				q.seal.report(fmt.Errorf("queue %s: message moved to %s: %w", q.list, q.unreadable, err))
			}
			continue
		}
		out = append(out, []byte(plain))
		q.taken([]byte(plain), v)
	}
	if len(bad) > 0 {
		_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, v := range bad {
				p.LRem(ctx, q.processing, 1, v)
				p.RPush(ctx, q.unreadable, v)
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("queue pop from %s: set unreadable messages aside: %w", q.list, err)
		}
	}
	return out, nil
}

// isSealed reports whether a stored message is in the sealed form
// (pgstore.Keys writes "enc:v1:<key id>:<base64>").
func isSealed(v string) bool { return len(v) > 7 && v[:7] == "enc:v1:" }

// Push appends raw to the queue. When it returns nil the message is in
// Redis.
func (q *Queue) Push(ctx context.Context, raw []byte) error {
	if len(raw) == 0 {
		return errors.New("queue push: empty message")
	}
	raw, err := q.sealed(raw)
	if err != nil {
		return err
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
	raw, err := q.sealed(raw)
	if err != nil {
		return false, err
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
	first, err := q.rdb.BLMove(ctx, q.list, q.processing, "LEFT", "RIGHT", wait).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue pop from %s: %w", q.list, err)
	}
	if out, err = q.opened(ctx, []string{first}); err != nil {
		return out, err
	}
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
	return q.opened(ctx, vals)
}

// Ack removes handled messages from the processing list, in one round trip.
func (q *Queue) Ack(ctx context.Context, msgs ...[]byte) error {
	if len(msgs) == 0 {
		return nil
	}
	stored := q.stored(msgs)
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range stored {
			p.LRem(ctx, q.processing, 1, m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue ack on %s: %w", q.processing, err)
	}
	q.released(msgs)
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
	vals := make([]any, len(taken))
	forms := make([]string, len(taken))
	for i, m := range taken {
		v, err := q.sealed(m)
		if err != nil {
			return err
		}
		vals[i], forms[i] = v, string(v)
	}
	done := q.stored(handled)
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(vals) > 0 {
			p.RPush(ctx, q.processing, vals...)
		}
		for _, m := range done {
			p.LRem(ctx, q.processing, 1, m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue hold on %s: %w", q.processing, err)
	}
	for i, m := range taken {
		q.taken(m, forms[i])
	}
	q.released(handled)
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
	if q.seal != nil {
		// Nothing is held any more: what was comes back through Pop.
		q.seal.mu.Lock()
		clear(q.seal.held)
		q.seal.mu.Unlock()
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
