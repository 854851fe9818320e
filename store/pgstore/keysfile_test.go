package pgstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leksono/sapa/store/pgstore"
)

// TestLoadKeysFile: the first load creates the file, owner-only, with keys
// that seal; the next loads read the same keys back; a damaged file is
// refused, naming it, and never replaced.
func TestLoadKeysFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "keys.env")
	first, created, err := pgstore.LoadKeysFile(path)
	if err != nil || !created {
		t.Fatalf("first load: created %v, %v", created, err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("keys file %s: %v, mode %v; want 0600", path, err, info.Mode())
	}
	sealed, err := first.Seal("nik", "3307051708900001")
	if err != nil {
		t.Fatal(err)
	}
	again, created, err := pgstore.LoadKeysFile(path)
	if err != nil || created {
		t.Fatalf("second load: created %v, %v", created, err)
	}
	if plain, err := again.Open("nik", sealed); err != nil || plain != "3307051708900001" {
		t.Errorf("the keys read back do not open what the first sealed: %q, %v", plain, err)
	}

	if err := os.WriteFile(path, []byte("DATA_KEYS=k1:short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pgstore.LoadKeysFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("damaged file: %v, want an error naming %s", err, path)
	}
	if body, _ := os.ReadFile(path); string(body) != "DATA_KEYS=k1:short\n" {
		t.Errorf("the damaged file was replaced:\n%s", body)
	}
}
