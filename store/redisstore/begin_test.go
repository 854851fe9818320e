package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/store/redisstore"
)

// t0 is the clock Begin is given; the bucket and the notice go by it, not
// by the server's clock, so every backend sees the same minutes.
var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func begin(t testing.TB, s *redisstore.Store, chat conversation.ChatKey, msg, sender string, now time.Time) (redisstore.Begun, redisstore.ChatLease) {
	t.Helper()
	b, l, err := s.Begin(context.Background(), chat, msg, sender, now)
	if err != nil {
		t.Fatalf("Begin(%s, %q, %q): %v", chat, msg, sender, err)
	}
	return b, l
}

// handle begins msg and, when granted, commits the next state with the
// lease; it reports what Begin found.
func handle(t testing.TB, s *redisstore.Store, chat conversation.ChatKey, msg, sender string, now time.Time) redisstore.Begun {
	t.Helper()
	b, l := begin(t, s, chat, msg, sender, now)
	if !l.Held() {
		return b
	}
	st := conversation.State{Chat: chat, Step: conversation.StepMenu}
	if b.State != nil {
		st = *b.State
	}
	if err := s.CommitWithLease(context.Background(), st, msg, time.Hour, l); err != nil {
		t.Fatalf("CommitWithLease(%s, %q): %v", chat, msg, err)
	}
	return b
}

func granted(b redisstore.Begun) bool { return !b.Duplicate && !b.Limited && !b.Busy }

func TestBeginRateLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		// Two messages in a burst, then one every two minutes.
		s, _, _, _ := newStore(t, be, redisstore.WithRateLimit(2, 0.5))
		n := 0
		next := func() string { n++; return "m" + strconv.Itoa(n) }

		for i := range 2 {
			if b := handle(t, s, tg42, next(), "", t0); !granted(b) {
				t.Fatalf("message %d of the burst = %+v, want granted", i+1, b)
			}
		}
		// A duplicate is answered as such, spending nothing.
		if b, _ := begin(t, s, tg42, "m1", "", t0); !b.Duplicate || b.Limited {
			t.Errorf("redelivered m1 = %+v, want Duplicate", b)
		}
		steps := []struct {
			after           time.Duration
			limited, notice bool
		}{
			{0, true, true},                      // bucket empty: one notice
			{time.Second, true, false},           // still empty, already told
			{30 * time.Second, true, false},      // half a minute later: still told
			{60 * time.Second, true, true},       // a minute after the notice: told again
			{90 * time.Second, true, false},      // 0.75 token
			{121 * time.Second, false, false},    // one token refilled
			{122 * time.Second, true, true},      // spent again; last notice a minute ago
			{122*time.Second + 1, true, false},   // told
			{10 * time.Minute, false, false},     // full again, at most 2
			{10*time.Minute + 1, false, false},   //
			{10*time.Minute + 2, true, true},     // burst capped at capacity
			{10*time.Minute + 3e9, true, false},  //
			{12*time.Minute + 1e9, false, false}, // one token since 10 min
			{12*time.Minute + 4e9, true, true},   //
			{12*time.Minute + 5e9, true, false},  //
			{13*time.Minute + 5e9, true, true},   // 0.5 token after a minute
			{14*time.Minute + 2e9, false, false}, //
		}
		for _, st := range steps {
			b := handle(t, s, tg42, next(), "", t0.Add(st.after))
			if b.Limited != st.limited || b.NoticeDue != st.notice || b.Busy || b.Duplicate {
				t.Errorf("at +%v: %+v, want limited %v notice %v", st.after, b, st.limited, st.notice)
			}
		}

		// Other citizens are unaffected: another chat, and another sender
		// of a group chat, have their own buckets.
		if b := handle(t, s, conversation.ChatKey{Channel: "telegram", ChatID: "43"}, "x1", "", t0.Add(14*time.Minute+2e9)); !granted(b) {
			t.Errorf("another chat = %+v, want granted", b)
		}
		group := conversation.ChatKey{Channel: "telegram", ChatID: "-100777"}
		for i := range 3 {
			handle(t, s, group, "g"+strconv.Itoa(i), "spammer", t0)
		}
		if b := handle(t, s, group, "g9", "spammer", t0); !b.Limited {
			t.Errorf("spammer in a group = %+v, want limited", b)
		}
		if b := handle(t, s, group, "g10", "neighbour", t0); !granted(b) {
			t.Errorf("neighbour in the same group = %+v, want granted", b)
		}
	})
}

func TestBeginRateLimitOff(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be, redisstore.WithRateLimit(0, 0))
		for i := range 50 {
			if b := handle(t, s, tg42, "m"+strconv.Itoa(i), "", t0); !granted(b) {
				t.Fatalf("message %d without a limit = %+v, want granted", i, b)
			}
		}
	})
}

func TestBeginDefaultLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		for i := range redisstore.DefaultRateCapacity {
			if b := handle(t, s, tg42, "m"+strconv.Itoa(i), "", t0); !granted(b) {
				t.Fatalf("message %d of %d = %+v, want granted", i+1, redisstore.DefaultRateCapacity, b)
			}
		}
		if b := handle(t, s, tg42, "over", "", t0); !b.Limited || !b.NoticeDue {
			t.Errorf("message %d = %+v, want limited with a notice", redisstore.DefaultRateCapacity+1, b)
		}
		// 20 a minute: one token every 3 s.
		if b := handle(t, s, tg42, "later", "", t0.Add(3*time.Second)); !granted(b) {
			t.Errorf("3 s later = %+v, want granted", b)
		}
	})
}

func TestBeginLoadsLikeLoad(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		b, l := begin(t, s, tg42, "m1", "", t0)
		if !l.Held() || b.State != nil || b.Duplicate || b.ExpiredDraft != "" {
			t.Fatalf("Begin of a new chat = %+v, %+v", b, l)
		}
		st := conversation.State{Chat: tg42, Step: conversation.StepForm, Service: "sktm", Draft: "sktm", Data: map[string]string{"nama": "Siti"}}
		if err := s.CommitWithLease(context.Background(), st, "m1", time.Hour, l); err != nil {
			t.Fatalf("commit: %v", err)
		}
		b, l = begin(t, s, tg42, "m2", "", t0)
		if b.State == nil || b.State.Version != 1 || b.State.Service != "sktm" || b.State.Data["nama"] != "Siti" {
			t.Fatalf("Begin after commit = %+v", b)
		}
		if err := s.Release(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(context.Background(), tg42); err != nil {
			t.Fatal(err)
		}
		// "hapus data saya": Delete drops the state and the draft marker,
		// so the chat starts afresh.
		b, l = begin(t, s, tg42, "m3", "", t0)
		if !l.Held() || b.State != nil || b.ExpiredDraft != "" {
			t.Errorf("Begin after Delete = %+v, want the lease and nothing stored", b)
		}
		if err := s.Release(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		// Without a message id there is no duplicate check, but still the lock.
		if b, l := begin(t, s, tg42, "", "", t0); !l.Held() || b.Duplicate {
			t.Errorf("Begin without message id = %+v, %+v; want the lease", b, l)
		}
	})
}

func TestBeginExpiredDraft(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, advance := newStore(t, be)
		commit(t, s, conversation.State{Chat: tg42, Draft: "sktm"}, "m1", 50*time.Millisecond)
		advance(100 * time.Millisecond)
		b, l := begin(t, s, tg42, "m2", "", t0)
		if !l.Held() || b.State != nil || b.ExpiredDraft != "sktm" {
			t.Errorf("Begin after the state expired = %+v, want the expired draft sktm", b)
		}
	})
}

func TestBeginLockExclusive(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s1, rdb, prefix, _ := newStore(t, be)
		s2 := redisstore.New(rdb, prefix) // another bot process on the same Redis
		ctx := context.Background()

		b1, l1 := begin(t, s1, tg42, "m1", "", t0)
		if !l1.Held() {
			t.Fatalf("first Begin = %+v, want the lease", b1)
		}
		for i := range 25 { // more than the bucket: Busy spends no token
			if b2, l2 := begin(t, s2, tg42, "m2", "", t0); !b2.Busy || l2.Held() {
				t.Fatalf("Begin #%d while held = %+v, %+v; want Busy", i, b2, l2)
			}
		}
		// Other chats go on.
		if b, _ := begin(t, s2, conversation.ChatKey{Channel: "telegram", ChatID: "43"}, "x", "", t0); !granted(b) {
			t.Errorf("another chat while 42 is held = %+v", b)
		}
		if err := s1.CommitWithLease(ctx, conversation.State{Chat: tg42, Step: conversation.StepMenu}, "m1", time.Hour, l1); err != nil {
			t.Fatalf("commit: %v", err)
		}
		b2, l2 := begin(t, s2, tg42, "m2", "", t0)
		if !l2.Held() || b2.State == nil || b2.State.Version != 1 {
			t.Errorf("Begin after the commit = %+v, %+v; want the lease and version 1", b2, l2)
		}
	})
}

// TestBeginSerializes runs messages of one chat from two stores (two bot
// processes) at once: with the lock, each is handled against the state the
// previous one left, so none conflicts and none is lost.
func TestBeginSerializes(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s1, rdb, prefix, _ := newStore(t, be, redisstore.WithRateLimit(0, 0))
		stores := []*redisstore.Store{s1, redisstore.New(rdb, prefix, redisstore.WithRateLimit(0, 0))}
		ctx := context.Background()
		const n = 20
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			conflicts int
			errs      []error
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := stores[i%2]
				msg := "m" + strconv.Itoa(i)
				for {
					b, l, err := s.Begin(ctx, tg42, msg, "", t0)
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
					if b.Busy {
						// The other store holds the chat: let it finish.
						runtime.Gosched()
						continue
					}
					st := conversation.State{Chat: tg42, Data: map[string]string{}}
					if b.State != nil {
						st = *b.State
					}
					st.Data["seen"] += "," + msg
					err = s.CommitWithLease(ctx, st, msg, time.Hour, l)
					mu.Lock()
					if errors.Is(err, conversation.ErrConflict) {
						conflicts++
					} else if err != nil {
						errs = append(errs, err)
					}
					mu.Unlock()
					if err == nil || !errors.Is(err, conversation.ErrConflict) {
						return
					}
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		if conflicts != 0 {
			t.Errorf("%d conflicts under the lock, want 0", conflicts)
		}
		l := load(t, s1, tg42, "")
		if l.State == nil || l.State.Version != n {
			t.Fatalf("final state = %+v, want version %d", l.State, n)
		}
	})
}

func TestLockExpiresAfterCrash(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s1, rdb, prefix, advance := newStore(t, be, redisstore.WithLockTTL(100*time.Millisecond))
		s2 := redisstore.New(rdb, prefix, redisstore.WithLockTTL(100*time.Millisecond))
		s3 := redisstore.New(rdb, prefix)
		ctx := context.Background()

		_, crashed := begin(t, s1, tg42, "m1", "", t0) // and never released
		if b, _ := begin(t, s2, tg42, "m2", "", t0); !b.Busy {
			t.Fatalf("Begin while held = %+v, want Busy", b)
		}
		advance(150 * time.Millisecond)
		b2, l2 := begin(t, s2, tg42, "m2", "", t0)
		if !l2.Held() {
			t.Fatalf("Begin after the lock TTL = %+v, want the lease", b2)
		}
		// The crashed holder wakes up and commits: the version check lets it
		// (nobody advanced the state), but its release must leave s2's lock.
		if err := s1.CommitWithLease(ctx, conversation.State{Chat: tg42}, "m1", time.Hour, crashed); err != nil {
			t.Fatalf("stale commit: %v", err)
		}
		if b, _ := begin(t, s3, tg42, "m3", "", t0); !b.Busy {
			t.Errorf("after a stale holder's commit, Begin = %+v, want Busy: s2 still holds the lock", b)
		}
		// s2 loaded version 0: its commit conflicts, and frees the lock.
		err := s2.CommitWithLease(ctx, conversation.State{Chat: tg42}, "m2", time.Hour, l2)
		if !errors.Is(err, conversation.ErrConflict) {
			t.Errorf("commit after the stale one: err = %v, want ErrConflict", err)
		}
		if b, l := begin(t, s3, tg42, "m2", "", t0); !l.Held() || b.State == nil || b.State.Version != 1 {
			t.Errorf("Begin after the conflict = %+v, want the lease and version 1", b)
		}
	})
}

func TestReleaseNeedsToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		ctx := context.Background()
		_, l := begin(t, s, tg42, "m1", "", t0)
		for _, wrong := range []redisstore.ChatLease{
			{Chat: tg42, Token: "not-the-token"},
			{Chat: conversation.ChatKey{Channel: "telegram", ChatID: "43"}, Token: l.Token},
			{}, // holds nothing
		} {
			if err := s.Release(ctx, wrong); err != nil {
				t.Fatalf("release %+v: %v", wrong, err)
			}
			if b, _ := begin(t, s, tg42, "m2", "", t0); !b.Busy {
				t.Fatalf("after releasing %+v: %+v, want still Busy", wrong, b)
			}
		}
		if err := s.CommitWithLease(ctx, conversation.State{Chat: conversation.ChatKey{Channel: "telegram", ChatID: "43"}}, "m1", time.Hour, l); !errors.Is(err, redisstore.ErrInvalidKey) {
			t.Errorf("commit of another chat with this lease: err = %v, want ErrInvalidKey", err)
		}
		if err := s.Release(ctx, l); err != nil {
			t.Fatalf("release: %v", err)
		}
		if b, l2 := begin(t, s, tg42, "m2", "", t0); !l2.Held() {
			t.Errorf("after the right release: %+v, want the lease", b)
		}
	})
}

func TestCommitWithLeaseReleasesOnDuplicate(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		ctx := context.Background()
		_, l := begin(t, s, tg42, "m1", "", t0)
		// Another path recorded m1 meanwhile (the old Commit).
		commit(t, s, conversation.State{Chat: tg42}, "m1", time.Hour)
		err := s.CommitWithLease(ctx, conversation.State{Chat: tg42, Version: 1}, "m1", time.Hour, l)
		if !errors.Is(err, conversation.ErrDuplicate) {
			t.Fatalf("err = %v, want ErrDuplicate", err)
		}
		if b, l := begin(t, s, tg42, "m2", "", t0); !l.Held() {
			t.Errorf("after a duplicate commit: %+v, want the lock free", b)
		}
	})
}

func TestBeginRoundTrips(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, _, _ := newStore(t, be)
		var rt redisstore.RoundTripCounter
		rdb.AddHook(&rt)
		// Warm up on another chat: scripts loaded, connections open.
		handle(t, s, conversation.ChatKey{Channel: "telegram", ChatID: "1"}, "warm", "", t0)

		for i := range 3 {
			msg := fmt.Sprintf("m%d", i)
			rt.Reset()
			b, l := begin(t, s, tg42, msg, "", t0)
			if n := rt.Count(); n != 1 {
				t.Errorf("Begin #%d cost %d round trips, want 1", i, n)
			}
			st := conversation.State{Chat: tg42}
			if b.State != nil {
				st = *b.State
			}
			if err := s.CommitWithLease(context.Background(), st, msg, time.Hour, l); err != nil {
				t.Fatal(err)
			}
			if n := rt.Count(); n != 2 {
				t.Errorf("Begin + CommitWithLease #%d cost %d round trips, want 2", i, n)
			}
		}
	})
}

func TestBeginInvalidIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		long := string(make([]byte, 300))
		for _, c := range []struct {
			chat        conversation.ChatKey
			msg, sender string
		}{
			{conversation.ChatKey{Channel: "", ChatID: "1"}, "m", ""},
			{tg42, long, ""},
			{tg42, "m", long},
		} {
			if _, _, err := s.Begin(context.Background(), c.chat, c.msg, c.sender, t0); !errors.Is(err, redisstore.ErrInvalidKey) {
				t.Errorf("Begin(%q, %d-byte msg, %d-byte sender): err = %v, want ErrInvalidKey", c.chat, len(c.msg), len(c.sender), err)
			}
		}
	})
}
