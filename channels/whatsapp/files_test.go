package whatsapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/services"
)

func fileOf(data []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

func TestSendFilesUploadsImagesAndDocuments(t *testing.T) {
	b, api, _ := testBot(t, Config{StaffGroups: []string{staffGroup}}, &recorder{})
	err := b.SendFiles(context.Background(), staffGroup, "Pengaduan LKS-1", []File{
		{MIME: "image/jpeg", Open: fileOf(jpegBytes)},
		{Name: "LKS-1.pdf", MIME: "application/pdf", Open: fileOf(pdfBytes)},
		{MIME: "application/pdf", Open: fileOf(pdfBytes)},
	})
	if err != nil {
		t.Fatalf("SendFiles: %v", err)
	}
	if len(api.uploads) != 3 || api.uploads[0].kind != whatsmeow.MediaImage || api.uploads[1].kind != whatsmeow.MediaDocument ||
		!bytes.Equal(api.uploads[0].data, jpegBytes) || !bytes.Equal(api.uploads[1].data, pdfBytes) {
		t.Fatalf("uploads = %+v", api.uploads)
	}
	out := api.take()
	if len(out) != 3 {
		t.Fatalf("sent %d messages, want 3", len(out))
	}
	img := out[0].msg.GetImageMessage()
	sum := sha256.Sum256(jpegBytes)
	if img == nil || img.GetCaption() != "Pengaduan LKS-1" || img.GetMimetype() != "image/jpeg" || img.GetDirectPath() != "/up/1" ||
		img.GetURL() == "" || len(img.GetMediaKey()) == 0 || !bytes.Equal(img.GetFileSHA256(), sum[:]) ||
		img.GetFileLength() != uint64(len(jpegBytes)) || out[0].to.String() != staffGroup {
		t.Errorf("image message = %v to %v", out[0].msg, out[0].to)
	}
	doc := out[1].msg.GetDocumentMessage()
	if doc == nil || doc.GetFileName() != "LKS-1.pdf" || doc.GetMimetype() != "application/pdf" || doc.GetDirectPath() != "/up/2" ||
		doc.GetCaption() != "Pengaduan LKS-1" || doc.GetFileLength() != uint64(len(pdfBytes)) {
		t.Errorf("document message = %v", out[1].msg)
	}
	if name := out[2].msg.GetDocumentMessage().GetFileName(); name != "file.pdf" {
		t.Errorf("default document name = %q", name)
	}
	for i := 1; i < len(out); i++ {
		if gap := out[i].at.Sub(out[i-1].at); gap < time.Second {
			t.Errorf("files %d and %d %v apart, want the chat's pacing", i, i+1, gap)
		}
	}
}

func TestSendFilesFollowsFirstContactRules(t *testing.T) {
	b, api, _ := testBot(t, Config{}, &recorder{})
	files := []File{{MIME: "image/png", Open: fileOf(pngBytes)}}
	if err := b.SendFiles(context.Background(), "6289999999999", "", files); !errors.Is(err, ErrFirstContact) {
		t.Fatalf("to a stranger: %v, want ErrFirstContact", err)
	}
	if len(api.uploads) != 0 {
		t.Fatalf("%d uploads for a refused chat", len(api.uploads))
	}
	// Once the citizen wrote, files may go to them.
	b.onEvent(dm("M1", "6281234567890", text("halo")))
	b.waitIdle()
	api.take()
	if err := b.SendFiles(context.Background(), "6281234567890", "", files); err != nil {
		t.Fatalf("to a chat that wrote: %v", err)
	}
	out := api.take()
	if len(out) != 1 || out[0].msg.GetImageMessage().GetMimetype() != "image/png" || out[0].msg.GetImageMessage().Caption != nil {
		t.Fatalf("sent %v", out)
	}
}

func TestSendFilesRetriesUploadsThenGivesUp(t *testing.T) {
	b, api, _ := testBot(t, Config{StaffGroups: []string{staffGroup}}, &recorder{})
	files := []File{{MIME: "image/webp", Open: fileOf(webpBytes)}}
	api.failUps = 2
	if err := b.SendFiles(context.Background(), staffGroup, "x", files); err != nil {
		t.Fatalf("after two failed uploads: %v", err)
	}
	if len(api.take()) != 1 {
		t.Fatal("the file was not sent after the upload succeeded")
	}
	api.failUps = 100
	if err := b.SendFiles(context.Background(), staffGroup, "x", files); err == nil {
		t.Fatal("SendFiles succeeded although every upload failed")
	}
	if n := len(api.take()); n != 0 {
		t.Fatalf("%d messages sent without an upload", n)
	}
}

func TestSendFilesRefusesBadInput(t *testing.T) {
	b, api, _ := testBot(t, Config{StaffGroups: []string{staffGroup}}, &recorder{})
	ctx := context.Background()
	broken := func() (io.ReadCloser, error) { return nil, errors.New("gone") }
	for name, files := range map[string][]File{
		"none":     nil,
		"nil open": {{MIME: "image/jpeg"}},
		"gif":      {{MIME: "image/gif", Open: fileOf([]byte("GIF89a"))}},
		"unopened": {{MIME: "image/jpeg", Open: broken}},
	} {
		if err := b.SendFiles(ctx, staffGroup, "", files); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(api.uploads) != 0 || len(api.take()) != 0 {
		t.Error("something was uploaded or sent for refused input")
	}
}

// A refused file reaches the engine saying why, as on Telegram.
func TestRefusedFileTellsTheEngineWhy(t *testing.T) {
	h := &recorder{}
	b, api, _ := testBot(t, Config{MaxMedia: 64}, h)
	api.files["/big"] = append(append([]byte(nil), jpegBytes...), make([]byte, 100)...)
	api.files["/txt"] = []byte("ktp.jpg, but text")
	b.onEvent(dm("M1", "6281234567890", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/big")}}))
	b.onEvent(dm("M2", "6281234567890", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
		FileName: proto.String("ktp.jpg"), Mimetype: proto.String("image/jpeg"), DirectPath: proto.String("/txt"),
	}}))
	b.waitIdle()
	if len(h.got) != 2 || h.got[0].Media != services.FileRefusedSize || h.got[1].Media != services.FileRefusedType ||
		len(h.got[0].Attachments)+len(h.got[1].Attachments) != 0 {
		t.Fatalf("engine got %+v", h.got)
	}
}
