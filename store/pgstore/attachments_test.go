package pgstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// storedFile describes content as the media store would have stored it.
func storedFile(content, kind, mime, ext string) services.StoredFile {
	sum := sha256.Sum256([]byte(content))
	h := hex.EncodeToString(sum[:])
	return services.StoredFile{Kind: kind, MIME: mime, Size: int64(len(content)), SHA256: h, Path: h[:2] + "/" + h + "." + ext}
}

var (
	photoA = storedFile("photo A", "photo", "image/jpeg", "jpg")
	photoB = storedFile("photo B", "photo", "image/png", "png")
	scan   = storedFile("scan", "document", "application/pdf", "pdf")
)

func TestSubmitCaseFilesAttachments(t *testing.T) { eachBackend(t, testSubmitCaseFilesAttachments) }

func testSubmitCaseFilesAttachments(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	nc := sample(1)
	nc.Kind = services.KindComplaint
	// The citizen sent photo A twice: one row.
	nc.Attachments = []services.StoredFile{photoA, scan, photoA}
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	got, err := s.Attachments(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("attachments: %v", err)
	}
	if want := []services.StoredFile{photoA, scan}; !slices.Equal(got, want) {
		t.Fatalf("attachments = %+v\nwant %+v", got, want)
	}
	// Submitting the same message again files nothing more.
	if _, err := s.SubmitCase(ctx, nc); err != nil {
		t.Fatalf("resubmit: %v", err)
	}
	raw := rawDB(t, b, where)
	if n := count(t, raw, `SELECT count(*) FROM attachments`); n != 2 {
		t.Fatalf("%d attachment rows after a resubmission, want 2", n)
	}
	var at time.Time
	if err := raw.Raw(`SELECT created_at FROM attachments ORDER BY id LIMIT 1`).Row().Scan(&at); err != nil {
		t.Fatal(err)
	}
	if !at.Equal(nc.SubmittedAt) {
		t.Errorf("attachment created_at = %s, want the submission time %s", at, nc.SubmittedAt)
	}

	// Another case holding the same photo gets its own row, same hash.
	other := sample(2)
	other.Attachments = []services.StoredFile{photoA}
	rec2, err := s.SubmitCase(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Attachments(ctx, rec2.Ticket); err != nil || !slices.Equal(got, []services.StoredFile{photoA}) {
		t.Fatalf("second case attachments = %+v, %v", got, err)
	}
	if n := count(t, raw, `SELECT count(*) FROM attachments WHERE sha256 = ?`, photoA.SHA256); n != 2 {
		t.Fatalf("%d rows for the photo over two cases, want 2", n)
	}

	// A case without files lists none, not an error.
	rec3, err := s.SubmitCase(ctx, sample(3))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Attachments(ctx, rec3.Ticket); err != nil || len(got) != 0 {
		t.Fatalf("attachments of a case without files = %+v, %v", got, err)
	}
	if _, err := s.Attachments(ctx, "LKS-000000-9999"); !errors.Is(err, pgstore.ErrNotFound) {
		t.Fatalf("attachments of an unknown ticket: %v, want ErrNotFound", err)
	}
}

// A malformed attachment fails the whole submission: no case without its
// files.
func TestSubmitCaseBadAttachmentRollsBack(t *testing.T) {
	eachBackend(t, testSubmitCaseBadAttachmentRollsBack)
}

func testSubmitCaseBadAttachmentRollsBack(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	bad := photoB
	bad.SHA256 = "not-a-hash"
	nc := sample(1)
	nc.Attachments = []services.StoredFile{photoA, bad}
	if _, err := s.SubmitCase(ctx, nc); err == nil {
		t.Fatal("a submission with a malformed attachment was accepted")
	}
	raw := rawDB(t, b, where)
	for _, table := range []string{"cases", "case_events", "attachments"} {
		if n := count(t, raw, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%d rows in %s after a failed submission", n, table)
		}
	}
}

func TestAddAttachments(t *testing.T) { eachBackend(t, testAddAttachments) }

func testAddAttachments(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	ticket := submitAt(t, s, 1, at, func(nc *services.NewCase) {
		nc.Attachments = []services.StoredFile{photoA}
	})
	later := at.Add(3 * time.Hour)
	if err := s.AddAttachments(ctx, ticket, []services.StoredFile{photoB, photoA, scan}, later); err != nil {
		t.Fatalf("add: %v", err)
	}
	got, err := s.Attachments(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if want := []services.StoredFile{photoA, photoB, scan}; !slices.Equal(got, want) {
		t.Fatalf("attachments = %+v\nwant %+v", got, want)
	}
	c, _, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if !c.UpdatedAt.Equal(later) {
		t.Errorf("case updated_at = %s, want %s", c.UpdatedAt, later)
	}
	// Nothing to add is no change and no error.
	if err := s.AddAttachments(ctx, ticket, nil, later.Add(time.Hour)); err != nil {
		t.Fatalf("add nothing: %v", err)
	}

	if err := s.AddAttachments(ctx, "LKS-000000-9999", []services.StoredFile{photoA}, later); !errors.Is(err, pgstore.ErrNotFound) {
		t.Fatalf("add to an unknown ticket: %v, want ErrNotFound", err)
	}
	bad := scan
	bad.Path = ""
	if err := s.AddAttachments(ctx, ticket, []services.StoredFile{bad}, later); err == nil {
		t.Fatal("an attachment without a path was accepted")
	}
	if err := s.AddAttachments(ctx, ticket, []services.StoredFile{scan}, time.Time{}); err == nil {
		t.Fatal("a zero time was accepted")
	}

	move(t, s, ticket, services.StatusRejected, later.Add(time.Hour))
	extra := storedFile("photo C", "photo", "image/webp", "webp")
	if err := s.AddAttachments(ctx, ticket, []services.StoredFile{extra}, later.Add(2*time.Hour)); !errors.Is(err, pgstore.ErrClosed) {
		t.Fatalf("add to a closed case: %v, want ErrClosed", err)
	}
	if got, _ := s.Attachments(ctx, ticket); len(got) != 3 {
		t.Fatalf("a closed case holds %d files, want 3", len(got))
	}
}

func TestDeskAttachments(t *testing.T) { eachBackend(t, testDeskAttachments) }

func testDeskAttachments(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	nc := sample(1)
	nc.Attachments = []services.StoredFile{scan}
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Desk().Attachments(ctx, rec.Ticket)
	if err != nil || !slices.Equal(got, []services.StoredFile{scan}) {
		t.Fatalf("desk attachments = %+v, %v", got, err)
	}
	// Views stay light: the files are asked for, never loaded with the case.
	v, _, err := s.Desk().Case(ctx, rec.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if v.Attachments != nil {
		t.Errorf("case view carries %d attachments, want none", len(v.Attachments))
	}
	if _, err := s.Desk().Attachments(ctx, "LKS-000000-9999"); !errors.Is(err, conversation.ErrNoCase) {
		t.Fatalf("desk attachments of an unknown ticket: %v, want ErrNoCase", err)
	}
}

func TestAttachmentsSchema(t *testing.T) { eachBackend(t, testAttachmentsSchema) }

func testAttachmentsSchema(t *testing.T, b backend) {
	_, where := openStore(t, b)
	raw := rawDB(t, b, where)
	for _, idx := range []string{"idx_attachments_sha256", "idx_attachments_case_sha256"} {
		if n := count(t, raw, b.indexCount, idx); n != 1 {
			t.Errorf("index %s: %d, want 1", idx, n)
		}
	}
	if n := count(t, raw, b.foreignKeys, "attachments", "cases"); n != 1 {
		t.Errorf("foreign key attachments -> cases: %d, want 1", n)
	}
}
