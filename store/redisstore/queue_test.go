package redisstore_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/store/redisstore"
)

func strs(msgs [][]byte) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m)
	}
	return out
}

// queueMaker opens a queue on rdb.
type queueMaker func(rdb redis.UniversalClient, name string) *redisstore.Queue

// eachQueue runs f on each backend, with a plain queue and with a sealed
// one: sealing must not change what a queue does.
func eachQueue(t *testing.T, f func(t *testing.T, be backend, newQueue queueMaker)) {
	t.Helper()
	kinds := []struct {
		name string
		opts func(t *testing.T) []redisstore.QueueOption
	}{
		{"plain", func(*testing.T) []redisstore.QueueOption { return nil }},
		{"sealed", func(t *testing.T) []redisstore.QueueOption {
			return []redisstore.QueueOption{redisstore.SealedWith(testKeys(t, "q1", 3), "queue", func(err error) {
				t.Errorf("a message of the test's own keys was unreadable: %v", err)
			})}
		}},
	}
	eachBackend(t, func(t *testing.T, be backend) {
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				opts := k.opts(t)
				f(t, be, func(rdb redis.UniversalClient, name string) *redisstore.Queue {
					return redisstore.NewQueue(rdb, name, opts...)
				})
			})
		}
	})
}

func TestQueuePopAckRequeue(t *testing.T) {
	eachQueue(t, func(t *testing.T, be backend, newQueue queueMaker) {
		rdb, prefix, _ := be.open(t)
		q := newQueue(rdb, prefix+"{updates}")
		ctx := context.Background()
		for i := 1; i <= 5; i++ {
			if err := q.Push(ctx, []byte(fmt.Sprintf("u%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.Push(ctx, nil); err == nil {
			t.Error("Push of an empty message succeeded")
		}
		got, err := q.Pop(ctx, 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"u1", "u2", "u3"}; !reflect.DeepEqual(strs(got), want) {
			t.Fatalf("Pop(3) = %q, want %q", strs(got), want)
		}
		if n, _ := q.Len(ctx); n != 2 {
			t.Errorf("Len after pop = %d, want 2", n)
		}
		// u1 handled; u2, u3 not (a crash, or a failed chat): they come
		// back ahead of u4, in order.
		if err := q.Ack(ctx, got[0]); err != nil {
			t.Fatal(err)
		}
		n, err := q.Requeue(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Requeue = %d, %v, want 2", n, err)
		}
		all, err := q.Pop(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"u2", "u3", "u4", "u5"}; !reflect.DeepEqual(strs(all), want) {
			t.Fatalf("after requeue Pop = %q, want %q", strs(all), want)
		}
		if err := q.Ack(ctx, all...); err != nil {
			t.Fatal(err)
		}
		if n, err := q.Requeue(ctx); err != nil || n != 0 {
			t.Errorf("Requeue after acking everything = %d, %v, want 0", n, err)
		}
		if _, err := q.Pop(ctx, 0, 0); err == nil {
			t.Error("Pop(0) succeeded")
		}
	})
}

func TestQueuePopWaits(t *testing.T) {
	eachQueue(t, func(t *testing.T, be backend, newQueue queueMaker) {
		rdb, prefix, _ := be.open(t)
		q := newQueue(rdb, prefix+"{updates}")
		ctx := context.Background()
		start := time.Now()
		got, err := q.Pop(ctx, 10, time.Second)
		if err != nil || len(got) != 0 {
			t.Fatalf("Pop on an empty queue = %q, %v, want nothing", strs(got), err)
		}
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("Pop returned after %s, want it to wait 1s", d)
		}
		// The push comes once Pop is waiting in BLMOVE.
		waiting := make(chan struct{}, 1)
		rdb.AddHook(blockHook{seen: waiting})
		go func() {
			<-waiting
			_ = q.Push(context.Background(), []byte("late"))
		}()
		got, err = q.Pop(ctx, 10, 2*time.Second)
		if err != nil || !reflect.DeepEqual(strs(got), []string{"late"}) {
			t.Fatalf("Pop waiting for a push = %q, %v, want [late]", strs(got), err)
		}
	})
}

func TestQueueHoldIsRequeuedAndAcked(t *testing.T) {
	eachQueue(t, func(t *testing.T, be backend, newQueue queueMaker) {
		rdb, prefix, _ := be.open(t)
		q := newQueue(rdb, prefix+"{updates}")
		ctx := context.Background()
		if err := q.Hold(ctx, nil, nil); err != nil {
			t.Fatalf("Hold of nothing: %v", err)
		}
		// The poll holds p1..p3, then p1 is handled while p4 is taken.
		if err := q.Hold(ctx, [][]byte{[]byte("p1"), []byte("p2"), []byte("p3")}, nil); err != nil {
			t.Fatal(err)
		}
		if err := q.Hold(ctx, [][]byte{[]byte("p4")}, [][]byte{[]byte("p1")}); err != nil {
			t.Fatal(err)
		}
		// Held entries are not in the queue until a requeue...
		if n, _ := q.Len(ctx); n != 0 {
			t.Errorf("Len after hold = %d, want 0", n)
		}
		// ...which a new process makes: the unhandled ones come back in order.
		if n, err := q.Requeue(ctx); err != nil || n != 3 {
			t.Fatalf("Requeue = %d, %v, want 3", n, err)
		}
		got, err := q.Pop(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"p2", "p3", "p4"}; !reflect.DeepEqual(strs(got), want) {
			t.Fatalf("Pop after requeue = %q, want %q", strs(got), want)
		}
		// Acknowledging through Hold empties the processing list.
		if err := q.Hold(ctx, nil, got); err != nil {
			t.Fatal(err)
		}
		if n, err := q.Requeue(ctx); err != nil || n != 0 {
			t.Errorf("Requeue after acking = %d, %v, want 0", n, err)
		}
	})
}

func TestQueuePushOnce(t *testing.T) {
	eachQueue(t, func(t *testing.T, be backend, newQueue queueMaker) {
		rdb, prefix, advance := be.open(t)
		q := newQueue(rdb, prefix+"{updates}")
		ctx := context.Background()
		push := func(id, msg string) bool {
			t.Helper()
			ok, err := q.PushOnce(ctx, id, 300*time.Millisecond, []byte(msg))
			if err != nil {
				t.Fatalf("PushOnce(%s): %v", id, err)
			}
			return ok
		}
		if !push("41", "a") || push("41", "a again") || !push("42", "b") {
			t.Fatal("a new id must be queued once, a repeated one not")
		}
		advance(400 * time.Millisecond)
		if !push("41", "a much later") {
			t.Error("an id claimed longer ago than the window was refused")
		}
		got, err := q.Pop(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"a", "b", "a much later"}; !reflect.DeepEqual(strs(got), want) {
			t.Errorf("queue holds %q, want %q", strs(got), want)
		}
		if _, err := q.PushOnce(ctx, "", time.Second, []byte("x")); err == nil {
			t.Error("an empty id was accepted")
		}
	})
}

func TestQueueBacklogCountsWaitingAndTaken(t *testing.T) {
	eachQueue(t, func(t *testing.T, be backend, newQueue queueMaker) {
		rdb, prefix, _ := be.open(t)
		q := newQueue(rdb, prefix+"{updates}")
		ctx := context.Background()
		for _, m := range []string{"a", "b", "c"} {
			if err := q.Push(ctx, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		taken, err := q.Pop(ctx, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := q.Backlog(ctx); err != nil || n != 3 {
			t.Fatalf("Backlog = %d, %v, want 3 (one waiting, two taken)", n, err)
		}
		if err := q.Ack(ctx, taken...); err != nil {
			t.Fatal(err)
		}
		if n, err := q.Backlog(ctx); err != nil || n != 1 {
			t.Errorf("Backlog after the ack = %d, %v, want 1", n, err)
		}
	})
}

// queueValues is every value the queue name keeps in Redis: its list, its
// processing list, its unreadable list.
func queueValues(t *testing.T, rdb redis.UniversalClient, name string) string {
	t.Helper()
	var all strings.Builder
	for _, k := range []string{name, name + ":processing", name + ":unreadable"} {
		vals, err := rdb.LRange(context.Background(), k, 0, -1).Result()
		if err != nil {
			t.Fatalf("read %s: %v", k, err)
		}
		all.WriteString(strings.Join(vals, "\n"))
	}
	return all.String()
}

// TestSealedQueueHoldsNoClearText holds a NIK pushed, taken by Pop and by
// Hold to be in Redis only sealed, and the messages to come back intact to
// this consumer and to the next one (another process, after Requeue).
func TestSealedQueueHoldsNoClearText(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		rdb, prefix, _ := be.open(t)
		ctx := context.Background()
		keys := testKeys(t, "q1", 4)
		name := prefix + "{updates}"
		q := redisstore.NewQueue(rdb, name, redisstore.SealedWith(keys, "queue", nil))
		msg := func(i int) []byte { return []byte(fmt.Sprintf(`{"text":"nik saya %s","n":%d}`, sealedNIK, i)) }
		if err := q.Push(ctx, msg(1)); err != nil {
			t.Fatal(err)
		}
		if _, err := q.PushOnce(ctx, "2", time.Minute, msg(2)); err != nil {
			t.Fatal(err)
		}
		if err := q.Hold(ctx, [][]byte{msg(3), msg(3)}, nil); err != nil {
			t.Fatal(err)
		}
		got, err := q.Pop(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{string(msg(1)), string(msg(2))}; !reflect.DeepEqual(strs(got), want) {
			t.Fatalf("Pop = %q, want %q", strs(got), want)
		}
		if all := queueValues(t, rdb, name); strings.Contains(all, sealedNIK) || !strings.Contains(all, "enc:v1:q1:") {
			t.Fatalf("the queue holds the NIK in clear, or nothing sealed:\n%s", all)
		}
		// One copy of the doubled message and the first one are handled.
		if err := q.Ack(ctx, got[0]); err != nil {
			t.Fatal(err)
		}
		if err := q.Hold(ctx, nil, [][]byte{msg(3)}); err != nil {
			t.Fatal(err)
		}
		if n, _ := q.Backlog(ctx); n != 2 {
			t.Fatalf("Backlog after two acknowledgements = %d, want 2", n)
		}
		// The next consumer, under a rotated key list, takes the rest.
		next := redisstore.NewQueue(rdb, name, redisstore.SealedWith(parseKeys(t, "q2:"+secret(9)+",q1:"+secret(4), secret(5)), "queue", nil))
		if n, err := next.Requeue(ctx); err != nil || n != 2 {
			t.Fatalf("Requeue = %d, %v, want 2", n, err)
		}
		rest, err := next.Pop(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{string(msg(3)), string(msg(2))}; !reflect.DeepEqual(strs(rest), want) {
			t.Fatalf("next consumer's Pop = %q, want %q", strs(rest), want)
		}
		if err := next.Ack(ctx, rest...); err != nil {
			t.Fatal(err)
		}
		if n, _ := next.Backlog(ctx); n != 0 {
			t.Errorf("Backlog after acknowledging everything = %d, want 0", n)
		}
	})
}

// TestSealedQueueSetsUnreadableAside holds a message no configured key
// opens to leave the way (it would come back for ever), kept for its key,
// and reported; the messages around it go on, and one stored in clear
// before sealing was turned on is read.
func TestSealedQueueSetsUnreadableAside(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		rdb, prefix, _ := be.open(t)
		ctx := context.Background()
		name := prefix + "{outbox}"
		if err := redisstore.NewQueue(rdb, name).Push(ctx, []byte("before sealing")); err != nil {
			t.Fatal(err)
		}
		if err := redisstore.NewQueue(rdb, name, redisstore.SealedWith(testKeys(t, "old", 6), "queue", nil)).Push(ctx, []byte("lost key")); err != nil {
			t.Fatal(err)
		}
		var reported []error
		q := redisstore.NewQueue(rdb, name, redisstore.SealedWith(testKeys(t, "new", 7), "queue", func(err error) { reported = append(reported, err) }))
		if err := q.Push(ctx, []byte("after")); err != nil {
			t.Fatal(err)
		}
		got, err := q.Pop(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"before sealing", "after"}; !reflect.DeepEqual(strs(got), want) {
			t.Fatalf("Pop = %q, want %q", strs(got), want)
		}
		if len(reported) != 1 || !strings.Contains(reported[0].Error(), `"old"`) {
			t.Errorf("reported %v, want one error naming key old", reported)
		}
		if err := q.Ack(ctx, got...); err != nil {
			t.Fatal(err)
		}
		if n, _ := q.Backlog(ctx); n != 0 {
			t.Errorf("Backlog = %d, want 0: the unreadable message is not owed", n)
		}
		if aside := rdb.LRange(ctx, name+":unreadable", 0, -1).Val(); len(aside) != 1 || !strings.HasPrefix(aside[0], "enc:v1:old:") {
			t.Errorf("unreadable list = %q, want the message sealed with key old", aside)
		}
		// A field of another name does not open either: a sealed message
		// cannot be moved from one kind of queue to another.
		other := redisstore.NewQueue(rdb, name, redisstore.SealedWith(testKeys(t, "new", 7), "queued_case", func(error) {}))
		if err := q.Push(ctx, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if got, err := other.Pop(ctx, 10, 0); err != nil || len(got) != 0 {
			t.Errorf("Pop with another field = %q, %v, want nothing", strs(got), err)
		}
	})
}

// blockHook signals seen when a blocking move is sent to the server.
type blockHook struct{ seen chan struct{} }

func (blockHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (blockHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h blockHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "blmove" {
			select {
			case h.seen <- struct{}{}:
			default:
			}
		}
		return next(ctx, cmd)
	}
}
