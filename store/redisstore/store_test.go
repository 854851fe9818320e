package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

var _ conversation.StateStore = (*redisstore.Store)(nil)

var tg42 = conversation.ChatKey{Channel: "telegram", ChatID: "42"}

// backend is one Redis-compatible server the contract runs on: the real
// Redis of the machine, and miniredis, which the bot embeds when REDIS_URL
// is unset. Every store test runs on both, so the embedded mode cannot
// drift from production.
type backend struct {
	name string
	// open returns a client, a key prefix private to the test, and a
	// function that lets d pass on the server's TTL clock: a real sleep on
	// Redis, FastForward on miniredis.
	open func(t testing.TB) (redis.UniversalClient, string, func(d time.Duration))
}

var backends = []backend{
	{"redis", func(t testing.TB) (redis.UniversalClient, string, func(time.Duration)) {
		rdb, prefix := storetest.Redis(t)
		// A real Redis counts TTLs on its own clock: letting them pass
		// takes real time, the one justified sleep of these tests.
		return rdb, prefix, time.Sleep
	}},
	{"miniredis", func(t testing.TB) (redis.UniversalClient, string, func(time.Duration)) {
		rdb, prefix, mr := storetest.MiniRedis(t)
		return rdb, prefix, mr.FastForward
	}},
}

// eachBackend runs f as a subtest per backend.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func newStore(t testing.TB, b backend, opts ...redisstore.Option) (*redisstore.Store, redis.UniversalClient, string, func(time.Duration)) {
	t.Helper()
	rdb, prefix, advance := b.open(t)
	return redisstore.New(rdb, prefix, opts...), rdb, prefix, advance
}

func load(t testing.TB, s *redisstore.Store, chat conversation.ChatKey, msg string) conversation.Loaded {
	t.Helper()
	l, err := s.Load(context.Background(), chat, msg)
	if err != nil {
		t.Fatalf("Load(%s, %q): %v", chat, msg, err)
	}
	return l
}

func commit(t testing.TB, s *redisstore.Store, st conversation.State, msg string, ttl time.Duration) {
	t.Helper()
	if err := s.Commit(context.Background(), st, msg, ttl); err != nil {
		t.Fatalf("Commit(%s v%d, %q): %v", st.Chat, st.Version, msg, err)
	}
}

// keysUnder lists every key under prefix.
func keysUnder(t testing.TB, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	var all []string
	iter := rdb.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		all = append(all, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan %s*: %v", prefix, err)
	}
	return all
}

func TestNewChatRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)

		l := load(t, s, tg42, "m1")
		if l.State != nil || l.Duplicate || l.ExpiredDraft != "" {
			t.Fatalf("Load of a new chat = %+v, want empty", l)
		}

		want := conversation.State{
			Chat:      tg42,
			Step:      conversation.StepForm,
			Service:   "SKTM",
			Field:     2,
			Data:      map[string]string{"nik": "3307051234567890", "nama": "Siti Aminah", "alamat": "Jl. Kenanga {3}: RT 01"},
			Retries:   1,
			Editing:   true,
			Lang:      "id",
			Draft:     "SKTM",
			Version:   0,
			UpdatedAt: time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("WIB", 7*3600)),
		}
		commit(t, s, want, "m1", time.Hour)

		got := load(t, s, tg42, "m2")
		if got.Duplicate || got.ExpiredDraft != "" || got.State == nil {
			t.Fatalf("Load after commit = %+v, want a state, no duplicate, no expired draft", got)
		}
		st := *got.State
		if st.Version != 1 {
			t.Errorf("Version = %d, want 1", st.Version)
		}
		if !st.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("UpdatedAt = %v, want %v", st.UpdatedAt, want.UpdatedAt)
		}
		// The rest must match exactly; the fields checked above are aligned.
		st.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
		want.Version = 1
		if !reflect.DeepEqual(st, want) {
			t.Errorf("state round trip:\n got %#v\nwant %#v", st, want)
		}
	})
}

func TestVersionConflict(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		commit(t, s, conversation.State{Chat: tg42, Step: conversation.StepMenu}, "m0", time.Hour)

		a := load(t, s, tg42, "m1").State
		b := load(t, s, tg42, "m2").State
		if a == nil || b == nil || a.Version != 1 || b.Version != 1 {
			t.Fatalf("loads = %+v, %+v, want both at version 1", a, b)
		}
		a.Step = conversation.StepPick
		commit(t, s, *a, "m1", time.Hour)
		b.Step = conversation.StepInfoList
		err := s.Commit(context.Background(), *b, "m2", time.Hour)
		if !errors.Is(err, conversation.ErrConflict) {
			t.Fatalf("second Commit from the same version = %v, want ErrConflict", err)
		}

		got := load(t, s, tg42, "m2")
		if got.State.Step != conversation.StepPick || got.State.Version != 2 {
			t.Errorf("state after conflict = step %q v%d, want the first commit's (pick, v2)", got.State.Step, got.State.Version)
		}
		// A conflict does not record the message: its retry must go through.
		if got.Duplicate {
			t.Errorf("message of the conflicting commit reported as handled")
		}
		got.State.Step = conversation.StepInfoList
		commit(t, s, *got.State, "m2", time.Hour)
	})
}

func TestConcurrentCommitsOneWins(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		commit(t, s, conversation.State{Chat: tg42, Step: conversation.StepMenu}, "m0", time.Hour)
		base := load(t, s, tg42, "").State

		const n = 20
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins []int
		)
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := *base
				st.Field = i
				<-start
				err := s.Commit(context.Background(), st, fmt.Sprintf("m%d", i+1), time.Hour)
				switch {
				case err == nil:
					mu.Lock()
					wins = append(wins, i)
					mu.Unlock()
				case errors.Is(err, conversation.ErrConflict):
				default:
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Commit: %v", err)
		}
		if len(wins) != 1 {
			t.Fatalf("%d commits succeeded from the same version, want exactly 1", len(wins))
		}
		got := load(t, s, tg42, "").State
		if got.Version != 2 || got.Field != wins[0] {
			t.Errorf("state = v%d field %d, want v2 field %d (the winner's)", got.Version, got.Field, wins[0])
		}
	})
}

func TestDuplicateMessage(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		commit(t, s, conversation.State{Chat: tg42, Step: conversation.StepMenu}, "m1", time.Hour)

		l := load(t, s, tg42, "m1")
		if !l.Duplicate {
			t.Errorf("Load of a handled message: Duplicate = false")
		}
		err := s.Commit(context.Background(), *l.State, "m1", time.Hour)
		if !errors.Is(err, conversation.ErrDuplicate) {
			t.Fatalf("second Commit of m1 = %v, want ErrDuplicate", err)
		}
		// The duplicate changed nothing.
		if v := load(t, s, tg42, "m2").State.Version; v != 1 {
			t.Errorf("version after duplicate = %d, want 1", v)
		}
		// Even a commit that would also conflict reports the duplicate: the
		// caller must not handle the message again.
		err = s.Commit(context.Background(), conversation.State{Chat: tg42, Version: 7}, "m1", time.Hour)
		if !errors.Is(err, conversation.ErrDuplicate) {
			t.Errorf("stale Commit of a handled message = %v, want ErrDuplicate", err)
		}

		ttl := rdb.PTTL(context.Background(), prefix+"{telegram:42}:msg:m1").Val()
		if ttl <= 47*time.Hour || ttl > redisstore.DefaultDedupTTL {
			t.Errorf("dedup key PTTL = %v, want about %v", ttl, redisstore.DefaultDedupTTL)
		}
	})
}

func TestStateTTL(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		commit(t, s, conversation.State{Chat: tg42, Step: conversation.StepMenu}, "m1", 2*time.Second)

		ttl, err := rdb.PTTL(context.Background(), prefix+"{telegram:42}:state").Result()
		if err != nil {
			t.Fatalf("PTTL: %v", err)
		}
		if ttl <= 0 || ttl > 2*time.Second {
			t.Errorf("state PTTL = %v, want in (0, 2s]", ttl)
		}
	})
}

func TestStateExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, advance := newStore(t, be)
		withDraft := conversation.ChatKey{Channel: "whatsapp", ChatID: "6281234567890"}
		noDraft := conversation.ChatKey{Channel: "whatsapp", ChatID: "6289876543210"}
		commit(t, s, conversation.State{Chat: withDraft, Step: conversation.StepForm, Service: "SKTM", Draft: "SKTM"}, "m1", 300*time.Millisecond)
		commit(t, s, conversation.State{Chat: noDraft, Step: conversation.StepMenu}, "m1", 300*time.Millisecond)

		// The marker outlives the state by far.
		mttl := rdb.PTTL(context.Background(), prefix+"{whatsapp:6281234567890}:draft").Val()
		if mttl <= 29*24*time.Hour || mttl > redisstore.DefaultDraftTTL {
			t.Errorf("draft marker PTTL = %v, want about %v", mttl, redisstore.DefaultDraftTTL)
		}

		advance(600 * time.Millisecond)

		l := load(t, s, withDraft, "m2")
		if l.State != nil || l.ExpiredDraft != "SKTM" {
			t.Errorf("Load after expiry with draft = state %+v, expired draft %q; want nil, SKTM", l.State, l.ExpiredDraft)
		}
		l = load(t, s, noDraft, "m2")
		if l.State != nil || l.ExpiredDraft != "" {
			t.Errorf("Load after expiry without draft = state %+v, expired draft %q; want nil, empty", l.State, l.ExpiredDraft)
		}

		// After the citizen is told, a new state without a draft forgets it.
		commit(t, s, conversation.State{Chat: withDraft, Step: conversation.StepMenu}, "m2", time.Hour)
		if n := rdb.Exists(context.Background(), prefix+"{whatsapp:6281234567890}:draft").Val(); n != 0 {
			t.Errorf("draft marker still there after a commit without draft")
		}
	})
}

func TestExpiredDraftOnlyWithoutState(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		commit(t, s, conversation.State{Chat: tg42, Step: conversation.StepForm, Draft: "SKTM"}, "m1", time.Hour)
		l := load(t, s, tg42, "m2")
		if l.State == nil || l.ExpiredDraft != "" {
			t.Errorf("Load with live state and draft = state %v, expired draft %q; want a state and no expired draft", l.State, l.ExpiredDraft)
		}
	})
}

func TestDraftMarkerCleared(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		marker := prefix + "{telegram:42}:draft"

		commit(t, s, conversation.State{Chat: tg42, Step: conversation.StepForm, Service: "SKTM", Draft: "SKTM"}, "m1", time.Hour)
		if got := rdb.Get(context.Background(), marker).Val(); got != "SKTM" {
			t.Fatalf("draft marker = %q, want SKTM", got)
		}
		st := load(t, s, tg42, "m2").State
		st.Step, st.Service, st.Draft = conversation.StepMenu, "", ""
		commit(t, s, *st, "m2", time.Hour)
		if n := rdb.Exists(context.Background(), marker).Val(); n != 0 {
			t.Fatalf("draft marker still there after a commit with Draft \"\"")
		}

		// And once the state expires, nothing is reported.
		if err := rdb.Del(context.Background(), prefix+"{telegram:42}:state").Err(); err != nil {
			t.Fatalf("drop state: %v", err)
		}
		if l := load(t, s, tg42, "m3"); l.ExpiredDraft != "" {
			t.Errorf("ExpiredDraft = %q after the draft was finished, want empty", l.ExpiredDraft)
		}
	})
}

func TestTooLarge(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		for _, tc := range []struct {
			name string
			opts []redisstore.Option
			size int
		}{
			{"default 64KiB", nil, 65 << 10},
			{"configured 1KiB", []redisstore.Option{redisstore.WithMaxStateSize(1 << 10)}, 1 << 10},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, rdb, prefix, _ := newStore(t, be, tc.opts...)
				st := conversation.State{
					Chat:  tg42,
					Step:  conversation.StepForm,
					Data:  map[string]string{"keterangan": strings.Repeat("x", tc.size)},
					Draft: "SKTM",
				}
				err := s.Commit(context.Background(), st, "m1", time.Hour)
				if !errors.Is(err, redisstore.ErrTooLarge) {
					t.Fatalf("Commit of a %d-byte field = %v, want ErrTooLarge", tc.size, err)
				}
				if keys := keysUnder(t, rdb, prefix); len(keys) != 0 {
					t.Errorf("keys stored by a rejected commit: %q", keys)
				}
				// The message was not recorded: it may be handled again.
				if l := load(t, s, tg42, "m1"); l.Duplicate || l.State != nil {
					t.Errorf("Load after rejected commit = %+v, want empty", l)
				}
			})
		}

		// Just under the limit passes.
		s, _, _, _ := newStore(t, be, redisstore.WithMaxStateSize(1<<10))
		commit(t, s, conversation.State{Chat: tg42, Data: map[string]string{"a": strings.Repeat("x", 900)}}, "m1", time.Hour)
	})
}

func TestRoundTrips(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, _, _ := newStore(t, be)
		var rt redisstore.RoundTripCounter
		rdb.AddHook(&rt)

		// Warm up on another chat, so that the count holds only the operations:
		// the first commit on a server that never saw the script costs an extra
		// EVAL, and each new connection's handshake passes through hooks.
		warm := conversation.ChatKey{Channel: "telegram", ChatID: "1"}
		load(t, s, warm, "warm")
		commit(t, s, conversation.State{Chat: warm}, "warm", time.Hour)

		for i, chat := range []conversation.ChatKey{tg42, tg42} { // new chat, then existing state
			msg := fmt.Sprintf("m%d", i)
			rt.Reset()
			l := load(t, s, chat, msg)
			if n := rt.Count(); n != 1 {
				t.Errorf("Load #%d cost %d round trips, want 1", i, n)
			}
			st := conversation.State{Chat: chat, Step: conversation.StepMenu}
			if l.State != nil {
				st = *l.State
			}
			rt.Reset()
			commit(t, s, st, msg, time.Hour)
			if n := rt.Count(); n != 1 {
				t.Errorf("Commit #%d cost %d round trips, want 1", i, n)
			}
		}
	})
}

func TestDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		other := conversation.ChatKey{Channel: "telegram", ChatID: "43"}
		commit(t, s, conversation.State{Chat: tg42, Step: conversation.StepForm, Draft: "SKTM"}, "m1", time.Hour)
		commit(t, s, conversation.State{Chat: other, Step: conversation.StepForm, Draft: "SKTM"}, "m1", time.Hour)

		if err := s.Delete(context.Background(), tg42); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		l := load(t, s, tg42, "m1")
		if l.State != nil || l.ExpiredDraft != "" {
			t.Errorf("Load after Delete = state %v, expired draft %q; want nothing", l.State, l.ExpiredDraft)
		}
		if !l.Duplicate {
			t.Errorf("Delete dropped the record of handled message m1")
		}
		if keys := keysUnder(t, rdb, prefix+"{telegram:42}"); len(keys) != 1 {
			t.Errorf("keys of the deleted chat = %q, want only its dedup record", keys)
		}
		if l := load(t, s, other, ""); l.State == nil {
			t.Errorf("Delete of one chat dropped another's state")
		}
		// A new conversation starts from version 0.
		commit(t, s, conversation.State{Chat: tg42, Step: conversation.StepMenu}, "m2", time.Hour)
	})
}

func TestInvalidIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			chat conversation.ChatKey
			msg  string
		}{
			{"empty channel", conversation.ChatKey{ChatID: "42"}, "m1"},
			{"empty chat id", conversation.ChatKey{Channel: "telegram"}, "m1"},
			{"long chat id", conversation.ChatKey{Channel: "telegram", ChatID: strings.Repeat("9", 300)}, "m1"},
			{"long message id", tg42, strings.Repeat("m", 300)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.Load(ctx, tc.chat, tc.msg); !errors.Is(err, redisstore.ErrInvalidKey) {
					t.Errorf("Load = %v, want ErrInvalidKey", err)
				}
				if err := s.Commit(ctx, conversation.State{Chat: tc.chat}, tc.msg, time.Hour); !errors.Is(err, redisstore.ErrInvalidKey) {
					t.Errorf("Commit = %v, want ErrInvalidKey", err)
				}
			})
		}
		if err := s.Commit(ctx, conversation.State{Chat: tg42}, "", time.Hour); !errors.Is(err, redisstore.ErrInvalidKey) {
			t.Errorf("Commit with empty message id = %v, want ErrInvalidKey", err)
		}
		if err := s.Commit(ctx, conversation.State{Chat: tg42}, "m1", 0); err == nil {
			t.Errorf("Commit with ttl 0 succeeded")
		}
		if keys := keysUnder(t, rdb, prefix); len(keys) != 0 {
			t.Errorf("rejected calls stored keys: %q", keys)
		}
	})
}

// hashTag returns what Redis Cluster hashes for key: the text between the
// first '{' and the first '}' after it, when not empty; else the whole key.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

// TestHostileIDs checks that IDs holding the key scheme's separators can
// neither reach another chat's keys nor split one chat over two slots.
func TestHostileIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		ctx := context.Background()

		// Without escaping, chat "a}:msg:1" would own the state key of message
		// "1}:state" of chat "a", and channel "t:x" chat "y" would be channel
		// "t" chat "x:y".
		chats := []conversation.ChatKey{
			{Channel: "t", ChatID: "a"},
			{Channel: "t", ChatID: "a}:msg:1"},
			{Channel: "t", ChatID: "x:y"},
			{Channel: "t:x", ChatID: "y"},
			{Channel: "t", ChatID: "{b}"},
			{Channel: "t", ChatID: "A"},
			{Channel: "t", ChatID: "%41"},
			{Channel: "t", ChatID: "100%"},
			{Channel: "t", ChatID: "-1001234567890"},
			{Channel: "t", ChatID: "warung bu Sri ☕"},
			{Channel: "t", ChatID: "*"},
		}
		msgs := []string{"1}:state", "{", "m:1", "*", "x}y"}
		for i, chat := range chats {
			for j, msg := range msgs {
				st := conversation.State{Chat: chat, Step: conversation.StepForm, Field: i, Draft: "S" + fmt.Sprint(i), Version: int64(j)}
				commit(t, s, st, msg, time.Hour)
			}
		}
		for i, chat := range chats {
			l := load(t, s, chat, "1}:state")
			if l.State == nil || l.State.Field != i || l.State.Version != int64(len(msgs)) || !l.Duplicate {
				t.Errorf("chat %q: Load = %+v, state %+v; want its own state (field %d, v%d) and a duplicate", chat, l, l.State, i, len(msgs))
			}
			if l := load(t, s, chat, "1}:state2"); l.Duplicate {
				t.Errorf("chat %q: unseen message reported as handled", chat)
			}
		}

		// Every key of a chat carries one hash tag, and no two chats share one.
		tags := map[string]int{}
		keys := keysUnder(t, rdb, prefix)
		for _, k := range keys {
			tags[hashTag(k)]++
		}
		want := 2 + len(msgs) // state, draft, messages
		if len(keys) != len(chats)*want || len(tags) != len(chats) {
			t.Fatalf("%d keys under %d hash tags, want %d under %d: %q", len(keys), len(tags), len(chats)*want, len(chats), keys)
		}
		for tag, n := range tags {
			if n != want {
				t.Errorf("hash tag %q holds %d keys, want %d", tag, n, want)
			}
		}

		// Glob characters in IDs stay literal for Delete.
		if err := s.Delete(ctx, conversation.ChatKey{Channel: "t", ChatID: "*"}); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if l := load(t, s, conversation.ChatKey{Channel: "t", ChatID: "a"}, ""); l.State == nil {
			t.Errorf("Delete of chat \"*\" dropped chat \"a\"")
		}
	})
}

func TestNewPanicsOnBadConfig(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	for name, f := range map[string]func(){
		"brace in prefix": func() { redisstore.New(rdb, prefix+"{x}:") },
		"zero dedup TTL":  func() { redisstore.New(rdb, prefix, redisstore.WithDedupTTL(0)) },
		"zero draft TTL":  func() { redisstore.New(rdb, prefix, redisstore.WithDraftTTL(time.Microsecond)) },
		"zero max size":   func() { redisstore.New(rdb, prefix, redisstore.WithMaxStateSize(0)) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("New did not panic")
				}
			}()
			f()
		})
	}
}

// BenchmarkLoadCommit measures one handled message: Load then Commit of the
// same chat, on each backend.
func BenchmarkLoadCommit(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s, rdb, _, _ := newStore(b, be)
			ctx := context.Background()
			// Warm up the script and both connection pools (commands, pipelines).
			load(b, s, tg42, "warm")
			commit(b, s, conversation.State{Chat: tg42, Step: conversation.StepMenu}, "warm", time.Hour)

			var rt redisstore.RoundTripCounter
			rdb.AddHook(&rt)
			data := map[string]string{"nik": "3307051234567890", "nama": "Siti Aminah", "alamat": "Desa Sawangan RT 01 RW 02"}
			i := 0
			for b.Loop() {
				i++
				msg := fmt.Sprintf("m%d", i)
				l, err := s.Load(ctx, tg42, msg)
				if err != nil {
					b.Fatalf("Load: %v", err)
				}
				st := *l.State
				st.Field, st.Data = i%5, data
				if err := s.Commit(ctx, st, msg, time.Hour); err != nil {
					b.Fatalf("Commit: %v", err)
				}
			}
			b.ReportMetric(float64(rt.Count())/float64(b.N), "roundtrips/op")
		})
	}
}
