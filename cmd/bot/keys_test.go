package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leksono/sapa/office"
)

// TestDataKeysFromTheSettings: DATA_KEYS and DATA_HMAC_KEY come from the
// environment the settings were read from, as every other setting, not
// from the process's: given there, no keys file is made, and a malformed
// one stops the build naming the variables.
func TestDataKeysFromTheSettings(t *testing.T) {
	secret := func() string {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	dir := t.TempDir()
	cfg, err := readSettings(envOf(map[string]string{
		"DATA_DIR": dir, "WHATSAPP": "off", "DATA_KEYS": "k9:" + secret(), "DATA_HMAC_KEY": secret(),
	}))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	keys, err := dataKeys(cfg, log)
	if err != nil || keys.CurrentID() != "k9" {
		t.Fatalf("keys %v (%v), want the k9 of DATA_KEYS", keys, err)
	}
	if _, err := os.Stat(filepath.Join(dir, keysFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a keys file was made although DATA_KEYS is set (%v)", err)
	}

	cfg.DataKeys = "k1:not base64"
	o, problems := office.Load(cfg.ConfigDir)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if a, err := buildCore(context.Background(), cfg, o, nil, log); err == nil || !strings.Contains(err.Error(), "DATA_KEYS") {
		if a != nil {
			a.close(log)
		}
		t.Errorf("build with a malformed DATA_KEYS = %v, want an error naming it", err)
	}
}
