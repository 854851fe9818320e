package mediastore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/mediastore"
)

func encoded(t testing.TB, enc func(io.Writer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := enc(&buf, img); err != nil {
		t.Fatalf("encode sample image: %v", err)
	}
	return buf.Bytes()
}

func jpegBytes(t testing.TB) []byte {
	return encoded(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
}

func pngBytes(t testing.TB) []byte { return encoded(t, png.Encode) }

// A WebP header as cameras and WhatsApp write it: RIFF, size, WEBP, VP8 chunk.
var webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), make([]byte, 24)...)

var pdfBytes = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func newStore(t testing.TB, maxBytes int64) (*mediastore.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "media")
	s, err := mediastore.New(dir, maxBytes)
	if err != nil {
		t.Fatalf("new media store: %v", err)
	}
	return s, dir
}

func TestSaveEachTypeAndOpen(t *testing.T) {
	s, dir := newStore(t, 0)
	ctx := context.Background()
	cases := []struct {
		name, kind, mime, ext string
		data                  []byte
	}{
		{"jpeg", services.FilePhoto, services.MIMEJPEG, "jpg", jpegBytes(t)},
		{"png", services.FilePhoto, services.MIMEPNG, "png", pngBytes(t)},
		{"webp", services.FilePhoto, services.MIMEWebP, "webp", webpBytes},
		{"pdf", services.FileDocument, services.MIMEPDF, "pdf", pdfBytes},
		// A scan sent "as a file" is a document even though it is a JPEG.
		{"jpeg as document", services.FileDocument, services.MIMEJPEG, "jpg", append(jpegBytes(t), 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := s.Save(ctx, tc.kind, tc.data)
			if err != nil {
				t.Fatalf("save: %v", err)
			}
			sum := sha256.Sum256(tc.data)
			hash := hex.EncodeToString(sum[:])
			want := services.StoredFile{
				Kind: tc.kind, MIME: tc.mime, Size: int64(len(tc.data)), SHA256: hash,
				Path: hash[:2] + "/" + hash + "." + tc.ext,
			}
			if f != want {
				t.Fatalf("stored file = %+v\nwant %+v", f, want)
			}
			st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
			if err != nil {
				t.Fatalf("stat stored file: %v", err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("file mode = %v, want 0600", st.Mode().Perm())
			}
			rc, err := s.Open(f)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, tc.data) {
				t.Fatalf("read back %d bytes, different from the %d saved", len(got), len(tc.data))
			}
		})
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("media directory mode = %v, want 0700", st.Mode().Perm())
	}
}

func TestSaveRefuses(t *testing.T) {
	s, dir := newStore(t, 0)
	ctx := context.Background()
	cases := []struct {
		name string
		kind string
		data []byte
		want error
	}{
		// Save takes no name: a text file a citizen called ktp.jpg is text.
		{"text file named .jpg", services.FilePhoto, []byte("ktp.jpg\nnot really a photo"), mediastore.ErrType},
		{"truncated png header", services.FilePhoto, pngBytes(t)[:6], mediastore.ErrType},
		{"empty", services.FileDocument, nil, mediastore.ErrType},
		{"zip", services.FileDocument, []byte("PK\x03\x04rest of a docx"), mediastore.ErrType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Save(ctx, tc.kind, tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("save error = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := s.Save(ctx, "video", pdfBytes); err == nil {
		t.Error("an unknown kind was accepted")
	}
	if n := countFiles(t, dir); n != 0 {
		t.Fatalf("%d files on disk after refusals, want 0", n)
	}
}

func TestSaveSizeCapEdge(t *testing.T) {
	exact := append(slices.Clone(pdfBytes), bytes.Repeat([]byte(" "), 100)...)
	s, dir := newStore(t, int64(len(exact)))
	if s.MaxBytes() != int64(len(exact)) {
		t.Fatalf("MaxBytes = %d, want %d", s.MaxBytes(), len(exact))
	}
	ctx := context.Background()
	if _, err := s.Save(ctx, services.FileDocument, exact); err != nil {
		t.Fatalf("a file of exactly the cap was refused: %v", err)
	}
	over := append(slices.Clone(exact), '\n')
	_, err := s.Save(ctx, services.FileDocument, over)
	if !errors.Is(err, mediastore.ErrTooLarge) {
		t.Fatalf("one byte over the cap: error = %v, want ErrTooLarge", err)
	}
	// The size is checked first: a huge file of the wrong type is "too large".
	_, err = s.Save(ctx, services.FilePhoto, bytes.Repeat([]byte("x"), len(exact)+1))
	if !errors.Is(err, mediastore.ErrTooLarge) {
		t.Fatalf("oversized text: error = %v, want ErrTooLarge", err)
	}
	if n := countFiles(t, dir); n != 1 {
		t.Fatalf("%d files on disk, want 1", n)
	}
}

func TestNewDefaultsAndRefusals(t *testing.T) {
	s, _ := newStore(t, 0)
	if s.MaxBytes() != mediastore.DefaultMaxBytes || mediastore.DefaultMaxBytes != 10<<20 {
		t.Fatalf("default cap = %d, want 10 MB", s.MaxBytes())
	}
	if _, err := mediastore.New("", 0); err == nil {
		t.Error("an empty directory was accepted")
	}
	if _, err := mediastore.New(t.TempDir(), -1); err == nil {
		t.Error("a negative cap was accepted")
	}
	// A directory that cannot be created fails at start, not at the first photo.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mediastore.New(filepath.Join(file, "media"), 0); err == nil {
		t.Error("a media directory under a regular file was accepted")
	}
}

func TestSaveDedupByHash(t *testing.T) {
	s, dir := newStore(t, 0)
	ctx := context.Background()
	data := jpegBytes(t)
	first, err := s.Save(ctx, services.FilePhoto, data)
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, filepath.FromSlash(first.Path))
	before, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the bytes, as a second download of the same photo would be.
	second, err := s.Save(ctx, services.FilePhoto, slices.Clone(data))
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Fatalf("second save = %+v, want the first %+v", second, first)
	}
	after, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Fatal("the second save rewrote the file")
	}
	if n := countFiles(t, dir); n != 1 {
		t.Fatalf("%d files on disk, want 1", n)
	}
	// Other bytes are another file.
	other, err := s.Save(ctx, services.FilePhoto, pngBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if other.SHA256 == first.SHA256 || countFiles(t, dir) != 2 {
		t.Fatalf("different content was not stored apart")
	}
}

func TestSaveRepairsDamagedFile(t *testing.T) {
	s, dir := newStore(t, 0)
	ctx := context.Background()
	f, err := s.Save(ctx, services.FileDocument, pdfBytes)
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, filepath.FromSlash(f.Path))
	if err := os.WriteFile(full, []byte("%PDF-"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, services.FileDocument, pdfBytes); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(full)
	if err != nil || !bytes.Equal(got, pdfBytes) {
		t.Fatalf("damaged file not rewritten: %d bytes, err %v", len(got), err)
	}
}

func TestSaveConcurrentSameBytes(t *testing.T) {
	s, dir := newStore(t, 0)
	ctx := context.Background()
	data := pngBytes(t)
	const n = 16
	var (
		wg    sync.WaitGroup
		files [n]services.StoredFile
		errs  [n]error
	)
	for i := range n {
		wg.Go(func() { files[i], errs[i] = s.Save(ctx, services.FilePhoto, slices.Clone(data)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("save %d: %v", i, errs[i])
		}
		if files[i] != files[0] {
			t.Fatalf("save %d = %+v, want %+v", i, files[i], files[0])
		}
	}
	if c := countFiles(t, dir); c != 1 {
		t.Fatalf("%d files on disk (temporary files left?), want 1", c)
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(files[0].Path)))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored content differs: %v", err)
	}
}

// Two stores on one directory stand for two processes: rename keeps the
// file whole whichever wins.
func TestSaveConcurrentTwoStoresOneDir(t *testing.T) {
	dir := t.TempDir()
	a, err := mediastore.New(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := mediastore.New(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := jpegBytes(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			_, err := s.Save(context.Background(), services.FilePhoto, data)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := countFiles(t, dir); c != 1 {
		t.Fatalf("%d files on disk, want 1", c)
	}
}

func TestSaveHonoursCancelledContext(t *testing.T) {
	s, dir := newStore(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Save(ctx, services.FileDocument, pdfBytes); !errors.Is(err, context.Canceled) {
		t.Fatalf("save on a cancelled context: %v", err)
	}
	if c := countFiles(t, dir); c != 0 {
		t.Fatalf("%d files written on a cancelled context", c)
	}
}

func TestOpenRefusesPathsOutside(t *testing.T) {
	s, _ := newStore(t, 0)
	for _, p := range []string{"", "../secret.pdf", "/etc/passwd", "ab/../../x.jpg", `ab\..\..\x.jpg`} {
		if rc, err := s.Open(services.StoredFile{Path: p}); err == nil {
			rc.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
	if _, err := s.Open(services.StoredFile{Path: "ab/missing.jpg"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// countFiles counts regular files under dir, temporary ones included.
func countFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
			if strings.HasPrefix(d.Name(), ".tmp-") {
				t.Errorf("temporary file left: %s", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return n
}

// Remove deletes a stored file (an erased case's photo), accepts one that
// is already gone, and refuses any path leaving the directory.
func TestRemove(t *testing.T) {
	s, dir := newStore(t, 0)
	f, err := s.Save(context.Background(), "photo", jpegBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(f.Path); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if n := countFiles(t, dir); n != 0 {
		t.Errorf("%d files left after Remove", n)
	}
	if err := s.Remove(f.Path); err != nil {
		t.Errorf("Remove of a file already gone: %v", err)
	}
	for _, p := range []string{"", "../secret.pdf", "/etc/passwd", "ab/../../x.jpg", `ab\..\..\x.jpg`} {
		if err := s.Remove(p); err == nil {
			t.Errorf("Remove(%q) succeeded", p)
		}
	}
}

// xorSealer stands in for pgstore.Keys (which mediastore may not import):
// it keeps the format ("enc:" prefix, bound to the field) and hides the
// bytes, so the test can see what reaches the disk.
type xorSealer struct{ key byte }

func (x xorSealer) Seal(field, plaintext string) (string, error) {
	b := []byte(plaintext)
	for i := range b {
		b[i] ^= x.key
	}
	return "enc:v1:k1:" + field + ":" + hex.EncodeToString(b), nil
}

func (x xorSealer) Open(field, sealed string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, "enc:v1:k1:"+field+":")
	if !ok {
		return "", errors.New("sealed for another field or key")
	}
	b, err := hex.DecodeString(rest)
	if err != nil {
		return "", err
	}
	for i := range b {
		b[i] ^= x.key
	}
	return string(b), nil
}

// A sealing store keeps no file in clear: a KTP photo holds the NIK.
func TestSealedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	ctx := context.Background()
	photo := jpegBytes(t)

	// A file kept in clear before sealing was turned on.
	plain, err := mediastore.New(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := plain.Save(ctx, services.FileDocument, pdfBytes)
	if err != nil {
		t.Fatal(err)
	}

	s, err := mediastore.New(dir, 0, mediastore.SealedWith(xorSealer{key: 0x5a}))
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Save(ctx, services.FilePhoto, photo)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(onDisk, photo[:16]) || !bytes.HasPrefix(onDisk, []byte("enc:")) {
		t.Fatalf("the photo is on disk in clear (%d bytes)", len(onDisk))
	}
	if got := readAll(t, s, f); !bytes.Equal(got, photo) {
		t.Fatalf("Open gave %d bytes, not the photo", len(got))
	}
	// Saved again: the same description, still sealed.
	if again, err := s.Save(ctx, services.FilePhoto, photo); err != nil || again != f {
		t.Fatalf("second save = %+v, %v", again, err)
	}
	// The file in clear is read as it is, and sealed when sent again.
	if got := readAll(t, s, legacy); !bytes.Equal(got, pdfBytes) {
		t.Fatalf("legacy file reads %q", got)
	}
	if _, err := s.Save(ctx, services.FileDocument, pdfBytes); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(legacy.Path))); !bytes.HasPrefix(raw, []byte("enc:")) {
		t.Error("a file in clear sent again stays in clear")
	}
	// A sealed file does not open as another file's content, nor without
	// its keys.
	other := legacy
	other.Path = f.Path
	if _, err := s.Open(other); err == nil {
		t.Error("a file sealed for one hash opened as another")
	}
	if rc, err := plain.Open(f); err == nil {
		got, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Equal(got, photo) {
			t.Error("a store without the sealer read the photo")
		}
	}
}

func readAll(t *testing.T, s *mediastore.Store, f services.StoredFile) []byte {
	t.Helper()
	rc, err := s.Open(f)
	if err != nil {
		t.Fatalf("open %s: %v", f.Path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Reseal brings every file, the ones in clear too, to the current key.
func TestReseal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	ctx := context.Background()
	plain, _ := mediastore.New(dir, 0)
	inClear, err := plain.Save(ctx, services.FileDocument, pdfBytes)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, _ := mediastore.New(dir, 0, mediastore.SealedWith(xorSealer{key: 1}))
	photo, err := oldKey.Save(ctx, services.FilePhoto, jpegBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	// The new key reads what the old one sealed only after Reseal, here
	// with a sealer that holds both keys as DATA_KEYS does.
	rotated, _ := mediastore.New(dir, 0, mediastore.SealedWith(rotating{current: xorSealer{key: 2}, old: xorSealer{key: 1}}))
	n, err := rotated.Reseal(ctx)
	if err != nil || n != 2 {
		t.Fatalf("reseal = %d, %v; want 2 files", n, err)
	}
	newOnly, _ := mediastore.New(dir, 0, mediastore.SealedWith(xorSealer{key: 2}))
	if got := readAll(t, newOnly, inClear); !bytes.Equal(got, pdfBytes) {
		t.Error("the file in clear does not read with the new key")
	}
	if got := readAll(t, newOnly, photo); !bytes.Equal(got, jpegBytes(t)) {
		t.Error("the photo does not read with the new key alone")
	}
}

// rotating seals with current and opens with either, as pgstore.Keys does
// with several keys listed. xorSealer cannot tell its keys apart by the
// text, so the check is whether the result looks like the file.
type rotating struct{ current, old xorSealer }

func (r rotating) Seal(field, plaintext string) (string, error) {
	return r.current.Seal(field, plaintext)
}

func (r rotating) Open(field, sealed string) (string, error) {
	s, err := r.current.Open(field, sealed)
	if err == nil && (strings.HasPrefix(s, "%PDF") || strings.HasPrefix(s, "\xff\xd8")) {
		return s, nil
	}
	return r.old.Open(field, sealed)
}
