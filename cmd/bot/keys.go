package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// keysFile is where the embedded mode keeps the keys it generated, under
// DATA_DIR, when DATA_KEYS is not set.
const keysFile = "keys.env"

// dataKeys returns the keys that seal NIK and KK numbers at rest: from
// DATA_KEYS and DATA_HMAC_KEY when set (production: the same keys on every
// process), else from DATA_DIR/keys.env, generated on the first start. Losing
// that file loses the NIK and KK numbers of every stored case: back it up
// with the database, and never beside it in the same backup.
func dataKeys(getenv func(string) string, dataDir string, log *slog.Logger) (*pgstore.Keys, error) {
	enc, mac := strings.TrimSpace(getenv(pgstore.EnvDataKeys)), strings.TrimSpace(getenv(pgstore.EnvDataHMACKey))
	if enc != "" || mac != "" {
		k, err := pgstore.ParseKeys(enc, mac)
		if err != nil {
			return nil, fmt.Errorf("%s / %s: %w", pgstore.EnvDataKeys, pgstore.EnvDataHMACKey, err)
		}
		return k, nil
	}
	path := filepath.Join(dataDir, keysFile)
	vals, err := readKeysFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if vals, err = writeKeysFile(path); err != nil {
			return nil, err
		}
		log.Warn("generated the keys that encrypt NIK and KK numbers: back this file up apart from the database, or set DATA_KEYS and DATA_HMAC_KEY", "file", path)
	} else if err != nil {
		return nil, err
	}
	k, err := pgstore.ParseKeys(vals[pgstore.EnvDataKeys], vals[pgstore.EnvDataHMACKey])
	if err != nil {
		return nil, fmt.Errorf("keys in %s: %w", path, err)
	}
	return k, nil
}

func readKeysFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && !strings.HasPrefix(name, "#") {
			vals[name] = value
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return vals, nil
}

func writeKeysFile(path string) (map[string]string, error) {
	secret := func() string {
		var b [32]byte
		_, _ = rand.Read(b[:]) // crypto/rand does not fail on supported platforms
		return base64.StdEncoding.EncodeToString(b[:])
	}
	vals := map[string]string{pgstore.EnvDataKeys: "k1:" + secret(), pgstore.EnvDataHMACKey: secret()}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	body := "# Keys that encrypt NIK and KK numbers at rest. Keep this file secret and backed up:\n" +
		"# without it the numbers in the database cannot be read.\n" +
		pgstore.EnvDataKeys + "=" + vals[pgstore.EnvDataKeys] + "\n" +
		pgstore.EnvDataHMACKey + "=" + vals[pgstore.EnvDataHMACKey] + "\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return vals, f.Close()
}

// fieldsOfKind lists the catalog's form fields holding identity numbers
// (sealed at rest), and those holding other personal data (erased on a
// deletion request): names, addresses, phones, dates, free text, places.
func fieldsOfKind(c *services.Catalog) (sensitive, personal []string) {
	seen := map[string]bool{}
	for _, s := range c.Services {
		for _, f := range s.Form {
			if seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			switch f.Type {
			case services.FieldNIK, services.FieldKK:
				sensitive = append(sensitive, f.Name)
			case services.FieldText, services.FieldPhone, services.FieldDate, services.FieldLocation:
				personal = append(personal, f.Name)
			}
		}
	}
	return sensitive, personal
}
