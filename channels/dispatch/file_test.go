package dispatch

import (
	"io"
	"strings"
	"testing"

	"github.com/leksono/sapa/services"
)

// Each stored file becomes one to send, of its type, opened through the
// given store each time it is sent: a retry reads from the first byte.
func TestStoredFiles(t *testing.T) {
	stored := []services.StoredFile{
		{Kind: "photo", MIME: "image/jpeg", Path: "ab/photo"},
		{Kind: "document", MIME: "application/pdf", Path: "cd/letter"},
	}
	opened := map[string]int{}
	files := StoredFiles(stored, func(f services.StoredFile) (io.ReadCloser, error) {
		opened[f.Path]++
		return io.NopCloser(strings.NewReader("bytes of " + f.Path)), nil
	})
	if len(files) != len(stored) {
		t.Fatalf("%d files, want %d", len(files), len(stored))
	}
	for i, f := range files {
		if f.MIME != stored[i].MIME || f.Name != "" {
			t.Errorf("file %d: %q named %q, want %q unnamed", i, f.MIME, f.Name, stored[i].MIME)
		}
		for range 2 {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(r)
			r.Close()
			if want := "bytes of " + stored[i].Path; string(body) != want {
				t.Errorf("file %d reads %q, want %q", i, body, want)
			}
		}
	}
	if opened["ab/photo"] != 2 || opened["cd/letter"] != 2 {
		t.Errorf("opened %v, want each file twice", opened)
	}
	if got := StoredFiles(nil, nil); len(got) != 0 {
		t.Errorf("no stored files gave %d", len(got))
	}
}
