package pgstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leksono/sapa/store/pgstore"
)

// TestKeysThatCannotOpenTheDataAreRefused is the lost keys.env of the
// issue: a database holding sealed cases, opened with keys that cannot
// read them, used to start and fail on every case read ("cipher: message
// authentication failed", for ever). It now refuses to open, naming the key
// ids it needs; the right keys, and the right keys behind a new one, open.
func TestKeysThatCannotOpenTheDataAreRefused(t *testing.T) { eachBackend(t, testKeysRefused) }

func testKeysRefused(t *testing.T, b backend) {
	ctx := context.Background()
	where := b.fresh(t)
	open := func(keys *pgstore.Keys) (*pgstore.Store, error) {
		o := options(t)
		o.Keys = keys
		s, err := b.open(ctx, where, o)
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		return s, err
	}
	first, err := open(testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.SubmitCase(ctx, withKK(1)); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name      string
		keys      *pgstore.Keys
		missing   []string
		different []string
		hmac      bool
	}{
		{"another key", parseKeys(t, "k7:"+key32(7)), []string{"k1"}, nil, false},
		// Both starts of the issue called their generated key k1.
		{"another key under the same id", parseKeys(t, "k1:"+key32(7)), nil, []string{"k1"}, false},
		{"another look-up key", mustKeys(t, "k1:"+key32(1), key32(0xBB)), nil, nil, true},
	} {
		_, err := open(tc.keys)
		var kerr *pgstore.KeysError
		if !errors.As(err, &kerr) {
			t.Errorf("%s: open = %v, want a KeysError", tc.name, err)
			continue
		}
		if !slices.Equal(kerr.Missing, tc.missing) || !slices.Equal(kerr.Different, tc.different) || kerr.HMAC != tc.hmac {
			t.Errorf("%s: refused with %+v, want missing %v, different %v, hmac %v", tc.name, kerr, tc.missing, tc.different, tc.hmac)
		}
		if msg := err.Error(); strings.Contains(msg, key32(7)) || strings.Contains(msg, key32(1)) {
			t.Errorf("%s: the refusal shows key material: %s", tc.name, msg)
		}
	}
	if _, err := open(testKeys(t)); err != nil {
		t.Errorf("the keys that sealed the data: %v", err)
	}
	// A new key in front, the old one behind it: the rotation README
	// describes.
	if _, err := open(parseKeys(t, "k2:"+key32(2)+",k1:"+key32(1))); err != nil {
		t.Errorf("a new key in front of the old one: %v", err)
	}
	// k2 sealed nothing yet, but it is the current key of a start: a later
	// start must list it too.
	if _, err := open(testKeys(t)); !isMissing(err, "k2") {
		t.Errorf("without the key a start sealed with: %v, want k2 missing", err)
	}
}

// A database sealed before the checks existed has none recorded: its
// cases are read once to find the keys they need.
func TestKeysCheckedOnAnOlderDatabase(t *testing.T) { eachBackend(t, testKeysOlderDatabase) }

func testKeysOlderDatabase(t *testing.T, b backend) {
	ctx := context.Background()
	where := b.fresh(t)
	o := options(t)
	s, err := b.open(ctx, where, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitCase(ctx, withKK(1)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if err := rawDB(t, b, where).Exec("DELETE FROM key_checks").Error; err != nil {
		t.Fatal(err)
	}
	o.Keys = parseKeys(t, "k9:"+key32(9))
	if _, err := b.open(ctx, where, o); !isMissing(err, "k1") {
		t.Errorf("an older database opened with other keys: %v, want k1 missing", err)
	}
	o.Keys = parseKeys(t, "k1:"+key32(9))
	var kerr *pgstore.KeysError
	if _, err := b.open(ctx, where, o); !errors.As(err, &kerr) || !slices.Equal(kerr.Different, []string{"k1"}) {
		t.Errorf("an older database opened with another k1: %v, want k1 different", err)
	}
	o.Keys = testKeys(t)
	s, err = b.open(ctx, where, o)
	if err != nil {
		t.Fatalf("an older database opened with its keys: %v", err)
	}
	_ = s.Close()
	if n := count(t, rawDB(t, b, where), "SELECT count(*) FROM key_checks"); n != 2 {
		t.Errorf("%d key checks recorded, want 2 (k1 and the look-up key)", n)
	}
}

// Two generated keys files never name their keys alike, so data sealed by
// each can be told apart and both keys listed.
func TestGeneratedKeyIDsAreUnique(t *testing.T) {
	dir := t.TempDir()
	a, _, err := pgstore.LoadKeysFile(filepath.Join(dir, "a.env"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := pgstore.LoadKeysFile(filepath.Join(dir, "b.env"))
	if err != nil {
		t.Fatal(err)
	}
	if a.CurrentID() == b.CurrentID() {
		t.Errorf("two generated keys are both called %q", a.CurrentID())
	}
	if a.CurrentID() == "k1" {
		t.Errorf("a generated key is called k1, as every generated key was")
	}
}

func isMissing(err error, id string) bool {
	var kerr *pgstore.KeysError
	return errors.As(err, &kerr) && slices.Contains(kerr.Missing, id)
}

func mustKeys(t *testing.T, spec, mac string) *pgstore.Keys {
	t.Helper()
	k, err := pgstore.ParseKeys(spec, mac)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
