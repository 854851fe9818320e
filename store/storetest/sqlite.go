package storetest

import (
	"path/filepath"
	"testing"
)

// SQLite returns the path of a database file that does not exist yet, in a
// directory of its own that the testing package removes when the test
// ends. SQLite needs no server, so unlike Postgres and Redis it cannot be
// unreachable; the path only keeps tests apart.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "sapa.db")
}
