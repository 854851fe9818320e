package letters_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/leksono/sapa/services"
)

var docs = flag.Bool("docs", false, "write the sample letter of README.md (docs/letter-sample.pdf)")

// TestDocsSampleLetter prints an SKTM of a made-up citizen and checks it is
// one A4 page. With -docs it writes it to docs/, where it becomes the
// README's picture with:
// pdftoppm -png -r 80 -singlefile docs/letter-sample.pdf docs/letter-sample
func TestDocsSampleLetter(t *testing.T) {
	f := newFixture(t)
	l, err := f.issuer.Issue(context.Background(), f.sktm(t, services.StatusVerifying, services.StatusProcessing), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	if pages := bytes.Count(l.PDF, []byte("/Type /Page\n")); pages != 1 {
		t.Errorf("the sample letter has %d pages, want 1", pages)
	}
	if *docs {
		if err := os.WriteFile(filepath.Join("..", "docs", "letter-sample.pdf"), l.PDF, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
