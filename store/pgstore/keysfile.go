package pgstore

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadKeysFile returns the keys kept in the file at path, as a bot with no
// DATA_KEYS keeps them (DATA_DIR/keys.env): the lines DATA_KEYS=... and
// DATA_HMAC_KEY=.... A missing file is created with fresh keys, readable by
// its owner only, and created reports it: losing that file loses the NIK
// and KK numbers of every stored case, so it must be backed up, apart from
// the database.
func LoadKeysFile(path string) (k *Keys, created bool, err error) {
	vals, err := readKeysFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		vals, err = writeKeysFile(path)
		created = err == nil
	}
	if err != nil {
		return nil, false, err
	}
	k, err = ParseKeys(vals[EnvDataKeys], vals[EnvDataHMACKey])
	if err != nil {
		return nil, false, fmt.Errorf("keys in %s: %w", path, err)
	}
	return k, created, nil
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
	vals := map[string]string{EnvDataKeys: "k1:" + secret(), EnvDataHMACKey: secret()}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	body := "# Keys that encrypt NIK and KK numbers at rest. Keep this file secret and backed up:\n" +
		"# without it the numbers in the database cannot be read.\n" +
		EnvDataKeys + "=" + vals[EnvDataKeys] + "\n" +
		EnvDataHMACKey + "=" + vals[EnvDataHMACKey] + "\n"
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
