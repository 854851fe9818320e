package store

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leksono/sapa/store/pgstore"
)

// Without DATA_KEYS the keys file under the data directory is made at the
// first start, with one warning saying to back it up, and read at every
// later one. A refusal by the database removes the file this start made
// and says where the keys were read; a refusal of anything else comes back
// as it was.
func TestLoadKeysFromTheKeysFile(t *testing.T) {
	dir := t.TempDir()
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	first, err := LoadKeys(Config{DataDir: dir}, log)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	path := filepath.Join(dir, KeysFile)
	if !strings.Contains(logs.String(), "back this file up") || !strings.Contains(logs.String(), path) {
		t.Errorf("no warning naming %s:\n%s", path, logs)
	}
	logs.Reset()
	again, err := LoadKeys(Config{DataDir: dir}, log)
	if err != nil || again.CurrentID() != first.CurrentID() || logs.Len() != 0 {
		t.Fatalf("second start: keys %v (%v), log %q; want the same keys, silently", again.CurrentID(), err, logs)
	}

	other := errors.New("connect: refused")
	if got := again.Refused(other, log); got != other {
		t.Errorf("Refused(%v) = %v, want it unchanged", other, got)
	}
	refusal := &pgstore.KeysError{Missing: []string{"k7"}}
	msg := again.Refused(refusal, log).Error()
	if !strings.Contains(msg, "k7") || !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
		t.Errorf("refusal %q: want one line naming k7 and %s", msg, path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a keys file this start did not make was removed: %v", err)
	}
	if err := first.Refused(refusal, log); !errors.As(err, new(*pgstore.KeysError)) {
		t.Errorf("refusal %v does not wrap the KeysError", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the keys file made by the refused start is still there (%v)", err)
	}
}

// Keys given in the settings are used as they are: no keys file is made,
// and malformed ones are refused naming both variables.
func TestLoadKeysFromTheSettings(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadKeys(Config{DataDir: dir, DataKeys: "k9:" + strings.Repeat("A", 43) + "=", DataHMACKey: strings.Repeat("B", 43) + "="}, slog.New(slog.DiscardHandler))
	if err != nil || k.CurrentID() != "k9" {
		t.Fatalf("keys %v (%v), want k9", k.Keys, err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeysFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a keys file was made although the keys were given (%v)", err)
	}
	_, err = LoadKeys(Config{DataDir: dir, DataKeys: "k1:not base64"}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), pgstore.EnvDataKeys) || !strings.Contains(err.Error(), pgstore.EnvDataHMACKey) {
		t.Errorf("malformed keys = %v, want an error naming %s and %s", err, pgstore.EnvDataKeys, pgstore.EnvDataHMACKey)
	}
}
