// Package mediastore keeps the photos and documents citizens send, on disk,
// addressed by the SHA-256 of their content: the same file sent twice, by
// one citizen or two, is stored once. Which files are taken is the rule of
// services (services.SniffFile: JPEG, PNG, WebP and PDF by their bytes,
// never by a name or a declared type); the store applies it again, and its
// size cap, before writing. With a Sealer (SealedWith) every file is kept
// encrypted with the data keys, as the case's NIK and KK are: a KTP or KK
// photo carries them, and the children's data of a family card.
package mediastore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/leksono/sapa/services"
)

// DefaultMaxBytes is the size cap New applies when given 0: the largest
// file a citizen may send (services.MaxFileBytes).
const DefaultMaxBytes = services.MaxFileBytes

// ErrType is returned (wrapped) by Save for content that is not a type a
// citizen may send (services.SniffFile).
var ErrType = errors.New("file type not accepted: only JPEG, PNG, WebP and PDF")

// ErrTooLarge is returned (wrapped) by Save for content over the size cap.
var ErrTooLarge = errors.New("file over the size cap")

// Sealer encrypts and decrypts with the data keys (pgstore.Keys): field
// names what is sealed and is bound to the ciphertext.
type Sealer interface {
	Seal(field, plaintext string) (string, error)
	Open(field, sealed string) (string, error)
}

// sealedPrefix starts a value a Sealer made (pgstore's "enc:v1:"): a file
// that does not start with it was written before sealing, in clear.
const sealedPrefix = "enc:"

// Option configures a Store.
type Option func(*Store)

// SealedWith keeps every file sealed by sealer, bound to its SHA-256, so
// one file cannot be passed off as another. Files written before in clear
// are still read.
func SealedWith(sealer Sealer) Option {
	return func(s *Store) { s.sealer = sealer }
}

// Store is a media directory. It is safe for concurrent use, and several
// processes may share one directory: every file appears by an atomic
// rename, complete or not at all.
type Store struct {
	dir      string
	maxBytes int64
	sealer   Sealer // nil: files are kept as sent
	// locks serialise saves of the same content within the process, so the
	// second one finds the file the first wrote instead of writing it again.
	locks [64]sync.Mutex
}

// New opens the media directory dir, creating it (mode 0700: citizens'
// documents are personal data) if needed. maxBytes caps the size of one
// file; 0 means DefaultMaxBytes.
func New(dir string, maxBytes int64, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, errors.New("media store: empty directory")
	}
	if maxBytes < 0 {
		return nil, fmt.Errorf("media store: negative size cap %d", maxBytes)
	}
	if maxBytes == 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("media store: create %s: %w", dir, err)
	}
	s := &Store{dir: dir, maxBytes: maxBytes}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// MaxBytes is the size cap of one file.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

// Dir is the media directory.
func (s *Store) Dir() string { return s.dir }

// Save stores data and describes it. It refuses content that
// services.SniffFile does not accept (ErrType) and content over the cap
// (ErrTooLarge), both wrapped. The file is kept at
// <dir>/<sha[0:2]>/<sha>.<ext>, and the returned Path is that location
// relative to the directory, so the directory can move. Saving content
// already stored returns the same StoredFile and writes nothing.
func (s *Store) Save(ctx context.Context, kind string, data []byte) (services.StoredFile, error) {
	if kind != services.FilePhoto && kind != services.FileDocument {
		return services.StoredFile{}, fmt.Errorf("save media: unknown kind %q", kind)
	}
	if int64(len(data)) > s.maxBytes {
		return services.StoredFile{}, fmt.Errorf("save %s of %d bytes (cap %d): %w", kind, len(data), s.maxBytes, ErrTooLarge)
	}
	mime, ok := services.SniffFile(data)
	if !ok {
		return services.StoredFile{}, fmt.Errorf("save %s: %w", kind, ErrType)
	}
	if err := ctx.Err(); err != nil {
		return services.StoredFile{}, fmt.Errorf("save %s: %w", kind, err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	f := services.StoredFile{
		Kind:   kind,
		MIME:   mime,
		Size:   int64(len(data)),
		SHA256: hash,
		Path:   filepath.ToSlash(filepath.Join(hash[:2], hash+"."+services.FileExtension(mime))),
	}

	lock := &s.locks[sum[0]%byte(len(s.locks))]
	lock.Lock()
	defer lock.Unlock()
	full := filepath.Join(s.dir, filepath.FromSlash(f.Path))
	switch st, err := os.Stat(full); {
	case err == nil && st.Mode().IsRegular() && st.Size() == f.Size && s.sealer == nil:
		return f, nil // stored before: content-addressed, so it is the same file
	case err == nil && st.Mode().IsRegular() && s.sealer != nil && s.readable(f, full):
		return f, nil // stored before, and its keys still open it
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return services.StoredFile{}, fmt.Errorf("save %s %s: %w", kind, hash, err)
	}
	// Missing, or damaged behind our back: write it.
	stored := data
	if s.sealer != nil {
		sealed, err := s.sealer.Seal(sealField(hash), string(data))
		if err != nil {
			return services.StoredFile{}, fmt.Errorf("seal %s %s: %w", kind, hash, err)
		}
		stored = []byte(sealed)
	}
	if err := writeAtomic(full, stored); err != nil {
		return services.StoredFile{}, fmt.Errorf("save %s %s: %w", kind, hash, err)
	}
	return f, nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers and other processes never see half a
// file.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp already uses 0600; say it for the reader and for umasks.
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("restrict temporary file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write temporary file: %w", err)
	}
	// Without the sync a crash after the rename could leave an empty file
	// under the name of content we reported stored.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temporary file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	return nil
}

// Open opens a stored file for reading, decrypted. f.Path must be one Save
// returned: a path leaving the directory is refused. A sealed file needs
// the Sealer that can open it; one sealed for another hash does not open.
func (s *Store) Open(f services.StoredFile) (io.ReadCloser, error) {
	p := filepath.FromSlash(f.Path)
	if f.Path == "" || !filepath.IsLocal(p) || strings.Contains(f.Path, `\`) {
		return nil, fmt.Errorf("open media %q: not a path inside the media directory", f.Path)
	}
	full := filepath.Join(s.dir, p)
	if s.sealer == nil {
		file, err := os.Open(full)
		if err != nil {
			return nil, fmt.Errorf("open media %s: %w", f.SHA256, err)
		}
		return file, nil
	}
	data, err := s.read(f, full)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// read reads and opens a file of a sealing store: a file in clear (written
// before sealing) is returned as it is.
func (s *Store) read(f services.StoredFile, full string) ([]byte, error) {
	raw, err := os.ReadFile(full)
	if err != nil {
		return nil, fmt.Errorf("open media %s: %w", f.SHA256, err)
	}
	if !bytes.HasPrefix(raw, []byte(sealedPrefix)) {
		return raw, nil
	}
	plain, err := s.sealer.Open(sealField(f.SHA256), string(raw))
	if err != nil {
		return nil, fmt.Errorf("open media %s: %w", f.SHA256, err)
	}
	return []byte(plain), nil
}

// readable reports whether the file already at full holds f's content,
// sealed: one kept in clear from before sealing is written again, sealed.
func (s *Store) readable(f services.StoredFile, full string) bool {
	raw, err := os.ReadFile(full)
	if err != nil || !bytes.HasPrefix(raw, []byte(sealedPrefix)) {
		return false
	}
	plain, err := s.sealer.Open(sealField(f.SHA256), string(raw))
	return err == nil && int64(len(plain)) == f.Size
}

// sealField binds a sealed file to its content's hash.
func sealField(hash string) string { return "media:" + hash }

// Reseal brings every file to the sealer's current key: files kept in
// clear are sealed, files sealed with an older key sealed again. Run it
// with the case store's Reseal after a new key was put in front of
// DATA_KEYS; once both returned, the old key may be removed. It returns
// how many files it rewrote, and is safe to run beside the bot: each file
// is replaced by an atomic rename.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	if s.sealer == nil {
		return 0, errors.New("reseal media: the store has no sealer")
	}
	n := 0
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || strings.HasPrefix(name, ".tmp-") {
			return nil
		}
		hash, _, _ := strings.Cut(name, ".")
		data, err := s.read(services.StoredFile{SHA256: hash}, path)
		if err != nil {
			return err
		}
		sealed, err := s.sealer.Seal(sealField(hash), string(data))
		if err != nil {
			return fmt.Errorf("seal %s: %w", hash, err)
		}
		if err := writeAtomic(path, []byte(sealed)); err != nil {
			return fmt.Errorf("rewrite %s: %w", hash, err)
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("reseal media in %s: %w", s.dir, err)
	}
	return n, nil
}

// Remove deletes the stored file at path, one Save returned (an erased
// case's photo). A file already gone is not an error; a path leaving the
// directory is refused.
func (s *Store) Remove(path string) error {
	p := filepath.FromSlash(path)
	if path == "" || !filepath.IsLocal(p) || strings.Contains(path, `\`) {
		return fmt.Errorf("remove media %q: not a path inside the media directory", path)
	}
	if err := os.Remove(filepath.Join(s.dir, p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove media: %w", err)
	}
	return nil
}
