package redisstore_test

import (
	"context"
	"encoding/base64"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

const (
	sealedNIK = "3307054107900001"
	sealedKK  = "3307051203150004"
)

// secret is a 32-byte key in base64, different for each seed.
func secret(seed byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune('a'+seed%26)), 32)))
}

// parseKeys parses keys as the bot does DATA_KEYS ("id:key,...") and the
// HMAC key.
func parseKeys(t testing.TB, spec, hmacKey string) *pgstore.Keys {
	t.Helper()
	k, err := pgstore.ParseKeys(spec, hmacKey)
	if err != nil {
		t.Fatalf("parse keys: %v", err)
	}
	return k
}

// testKeys is one data key named id; seed makes different key sets.
func testKeys(t testing.TB, id string, seed byte) *pgstore.Keys {
	return parseKeys(t, id+":"+secret(seed), secret(seed+1))
}

func draftState() conversation.State {
	return conversation.State{
		Chat:    tg42,
		Step:    conversation.StepForm,
		Service: "sktm",
		Field:   3,
		Data:    map[string]string{"nik": sealedNIK, "kk": sealedKK, "nama": "Siti Aminah", "catatan": ""},
		Lang:    "id",
		Draft:   "sktm",
	}
}

// storedValues is every value under prefix: strings, and each field and
// value of hashes.
func storedValues(t *testing.T, rdb redis.UniversalClient, prefix string) string {
	t.Helper()
	ctx := context.Background()
	var all strings.Builder
	for _, k := range keysUnder(t, rdb, prefix) {
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "string":
			all.WriteString(rdb.Get(ctx, k).Val())
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				all.WriteString(f + "=" + v + "\n")
			}
		default:
			t.Fatalf("key %s is a %s: extend storedValues", k, typ)
		}
		all.WriteString("\n")
	}
	return all.String()
}

// TestSealedAnswersRestEncrypted holds a draft's NIK and KK numbers to
// never reach Redis in clear, on both the plain commit and the leased one,
// and to come back intact on every way of loading.
func TestSealedAnswersRestEncrypted(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		s, rdb, prefix, _ := newStore(t, be, redisstore.WithSealedFields(testKeys(t, "k1", 0), "nik", "kk"))
		st := draftState()
		want := draftState().Data

		commit(t, s, st, "m1", time.Hour)
		if !reflect.DeepEqual(st.Data, want) {
			t.Fatalf("Commit changed the caller's answers: %v", st.Data)
		}
		stored := storedValues(t, rdb, prefix)
		if !strings.Contains(stored, "Siti Aminah") {
			t.Fatalf("the scan does not see the stored state, the test proves nothing:\n%s", stored)
		}
		for _, secret := range []string{sealedNIK, sealedKK} {
			if strings.Contains(stored, secret) {
				t.Errorf("Redis holds %s in clear:\n%s", secret, stored)
			}
		}
		got := load(t, s, tg42, "m2")
		if got.State == nil || !reflect.DeepEqual(got.State.Data, want) {
			t.Fatalf("Load answers = %+v, want %v", got.State, want)
		}

		// The path of every message: Begin, then a commit with the lease.
		begun, lease := begin(t, s, tg42, "m2", "", time.Now())
		if begun.State == nil || !reflect.DeepEqual(begun.State.Data, want) {
			t.Fatalf("Begin answers = %+v, want %v", begun.State, want)
		}
		next := *begun.State
		next.Field++
		if err := s.CommitWithLease(ctx, next, "m2", time.Hour, lease); err != nil {
			t.Fatalf("CommitWithLease: %v", err)
		}
		stored = storedValues(t, rdb, prefix)
		for _, secret := range []string{sealedNIK, sealedKK} {
			if strings.Contains(stored, secret) {
				t.Errorf("after CommitWithLease Redis holds %s in clear:\n%s", secret, stored)
			}
		}
		if got := load(t, s, tg42, "m3"); got.State == nil || !reflect.DeepEqual(got.State.Data, want) || got.State.Field != 4 {
			t.Fatalf("Load after CommitWithLease = %+v, want field 4 and %v", got.State, want)
		}
	})
}

// TestStatesFromBeforeSealingStillLoad: a form left open while the bot is
// upgraded goes on, and its next commit seals it.
func TestStatesFromBeforeSealingStillLoad(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		rdb, prefix, _ := be.open(t)
		before := redisstore.New(rdb, prefix)
		commit(t, before, draftState(), "m1", time.Hour)
		if !strings.Contains(storedValues(t, rdb, prefix), sealedNIK) {
			t.Fatal("a store without sealing did not store the NIK as typed: the test proves nothing")
		}

		after := redisstore.New(rdb, prefix, redisstore.WithSealedFields(testKeys(t, "k1", 0), "nik", "kk"))
		got := load(t, after, tg42, "m2")
		if got.State == nil || !reflect.DeepEqual(got.State.Data, draftState().Data) {
			t.Fatalf("Load of a state stored in clear = %+v", got.State)
		}
		commit(t, after, *got.State, "m2", time.Hour)
		if strings.Contains(storedValues(t, rdb, prefix), sealedNIK) {
			t.Error("the NIK stays in clear after a commit by a sealing store")
		}
	})
}

// TestSealedStateNeedsItsKeys: without the key that sealed a state, loading
// it fails loudly rather than losing the answers in silence.
func TestSealedStateNeedsItsKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		rdb, prefix, _ := be.open(t)
		commit(t, redisstore.New(rdb, prefix, redisstore.WithSealedFields(testKeys(t, "k1", 0), "nik", "kk")), draftState(), "m1", time.Hour)

		for name, s := range map[string]*redisstore.Store{
			"no keys":    redisstore.New(rdb, prefix),
			"other keys": redisstore.New(rdb, prefix, redisstore.WithSealedFields(testKeys(t, "k2", 5), "nik", "kk")),
		} {
			if l, err := s.Load(ctx, tg42, "m2"); err == nil {
				t.Errorf("%s: Load = %+v, want an error", name, l.State)
			}
		}
		// A key set that still holds the sealing key (after a rotation) opens it.
		rotated := parseKeys(t, "k2:"+secret(5)+",k1:"+secret(0), secret(1))
		got := load(t, redisstore.New(rdb, prefix, redisstore.WithSealedFields(rotated, "nik", "kk")), tg42, "m2")
		if got.State == nil || got.State.Data["nik"] != sealedNIK {
			t.Fatalf("Load with the retired key still listed = %+v", got.State)
		}
	})
}

// TestEveryAnswerSealed: with WithEveryAnswerSealed (the bot's setting)
// no answer of an unfinished form, a name or an address as much as a NIK,
// reaches Redis in clear, and every one comes back on loading.
func TestEveryAnswerSealed(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		s, rdb, prefix, _ := newStore(t, be, redisstore.WithEveryAnswerSealed(testKeys(t, "k1", 0)))
		st := draftState()
		st.Data["alamat"] = "Dusun Kalitengah RT 03 RW 01"
		want := maps.Clone(st.Data)

		commit(t, s, st, "m1", time.Hour)
		begun, lease := begin(t, s, tg42, "m2", "", time.Now())
		if begun.State == nil || !reflect.DeepEqual(begun.State.Data, want) {
			t.Fatalf("Begin answers = %+v, want %v", begun.State, want)
		}
		next := *begun.State
		next.Data["telepon"] = "081298765432"
		want["telepon"] = "081298765432"
		if err := s.CommitWithLease(ctx, next, "m2", time.Hour, lease); err != nil {
			t.Fatalf("CommitWithLease: %v", err)
		}
		stored := storedValues(t, rdb, prefix)
		if !strings.Contains(stored, "sktm") {
			t.Fatalf("the scan does not see the stored state, the test proves nothing:\n%s", stored)
		}
		for _, typed := range []string{sealedNIK, sealedKK, "Siti Aminah", "Kalitengah", "081298765432"} {
			if strings.Contains(stored, typed) {
				t.Errorf("Redis holds %q in clear:\n%s", typed, stored)
			}
		}
		if got := load(t, s, tg42, "m3"); got.State == nil || !reflect.DeepEqual(got.State.Data, want) {
			t.Fatalf("Load answers = %+v, want %v", got.State, want)
		}
	})
}
