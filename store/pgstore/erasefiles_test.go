package pgstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/services/imagetest"
	"github.com/leksono/sapa/store/mediastore"
	"github.com/leksono/sapa/store/pgstore"
)

func TestErasureRemovesFiles(t *testing.T) { eachBackend(t, testErasureRemovesFiles) }

// testErasureRemovesFiles: the photos a citizen sent go with the erasure of
// their closed case, rows and files, while a photo another citizen's case
// holds too (stored once, by its content) stays for that case.
func testErasureRemovesFiles(t *testing.T, b backend) {
	ctx := context.Background()
	media, err := mediastore.New(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	o := privacyOptions(t)
	o.Files = media
	s, err := b.open(ctx, b.fresh(t), o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	save := func(shade uint8) services.StoredFile {
		t.Helper()
		f, err := media.Save(ctx, "photo", imagetest.JPEG(16, 16, shade, imagetest.EXIF{}))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	own, shared := save(10), save(200)
	nc := withKK(41)
	nc.Attachments = []services.StoredFile{own, shared}
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	other := withKK(42)
	other.Attachments = []services.StoredFile{shared}
	bystander, err := s.SubmitCase(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	at := nc.SubmittedAt.Add(time.Hour)
	if _, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, To: services.StatusRejected, Actor: "budi", At: at}); err != nil {
		t.Fatal(err)
	}
	req, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, at)
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := s.CompleteDeletion(ctx, req.ID, "camat", at.Add(time.Hour)); err != nil || len(kept) != 0 {
		t.Fatalf("complete = %v, %v", kept, err)
	}

	if files, err := s.Attachments(ctx, rec.Ticket); err != nil || len(files) != 0 {
		t.Errorf("the erased case still lists %d files (%v)", len(files), err)
	}
	if _, err := os.Stat(filepath.Join(media.Dir(), filepath.FromSlash(own.Path))); !os.IsNotExist(err) {
		t.Errorf("the erased citizen's own photo is still on disk (%v)", err)
	}
	if files, err := s.Attachments(ctx, bystander.Ticket); err != nil || len(files) != 1 || files[0].SHA256 != shared.SHA256 {
		t.Errorf("the other case's files = %v, %v; want the shared photo", files, err)
	}
	r, err := media.Open(shared)
	if err != nil {
		t.Fatalf("the photo the other case holds too was removed: %v", err)
	}
	_ = r.Close()
}

func TestOnEraseNamesTheErasedChat(t *testing.T) { eachBackend(t, testOnEraseNamesTheErasedChat) }

// testOnEraseNamesTheErasedChat: the stores beside the case store (the
// WhatsApp tables) hear of each erased chat once the erasure committed:
// at once for a citizen whose cases are closed, at the close of the last
// open one otherwise, and never while a case still needs the chat.
func testOnEraseNamesTheErasedChat(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStoreWith(t, b, privacyOptions(t))
	var told []string
	s.OnErase(func(_ context.Context, channel, chatID string) error {
		told = append(told, channel+":"+chatID)
		return nil
	})
	closed, open := withKK(51), withKK(52)
	for _, nc := range []services.NewCase{closed, open} {
		rec, err := s.SubmitCase(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		if nc.ChatID == closed.ChatID {
			if _, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, To: services.StatusRejected, Actor: "budi", At: nc.SubmittedAt}); err != nil {
				t.Fatal(err)
			}
		}
	}
	at := closed.SubmittedAt.Add(time.Hour)
	for _, nc := range []services.NewCase{closed, open} {
		req, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteDeletion(ctx, req.ID, "camat", at); err != nil {
			t.Fatal(err)
		}
	}
	if len(told) != 1 || told[0] != "telegram:"+closed.ChatID {
		t.Fatalf("told %v, want only the chat whose cases were all closed", told)
	}
	mine, err := s.CitizenCases(ctx, open.Channel, open.ChatID, 0)
	if err != nil || len(mine) != 1 {
		t.Fatalf("open case: %v, %v", mine, err)
	}
	if _, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: mine[0].Ticket, To: services.StatusRejected, Actor: "budi", At: at}); err != nil {
		t.Fatal(err)
	}
	if len(told) != 2 || told[1] != "telegram:"+open.ChatID {
		t.Errorf("told %v after the last open case closed, want its chat too", told)
	}
}
