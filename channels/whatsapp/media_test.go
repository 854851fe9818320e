package whatsapp

import (
	"bytes"
	"context"
	"os"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
	"github.com/leksono/sapa/services"
)

// TestDownloadIsCappedOnItsWayIn: a photo whose sender declared a small
// size but whose file is large is refused while it downloads, without the
// whole file reaching memory or staying on disk; one within the cap is
// taken.
func TestDownloadIsCappedOnItsWayIn(t *testing.T) {
	const limit = 4 << 10
	dir := t.TempDir()
	api := newFakeSender(dispatchtest.NewClock(t0))
	big := append(bytes.Clone(jpegBytes), make([]byte, 64<<10)...)
	api.files["/forged"] = big
	forged := &mediaRef{media: "photo", declared: 1000, msg: &waE2E.ImageMessage{DirectPath: proto.String("/forged"), FileLength: proto.Uint64(1000)}}
	att, refused, err := fetch(context.Background(), api, forged, limit, dir)
	if err != nil || refused != services.FileRefusedSize || att.Data != nil {
		t.Errorf("forged length: attachment of %d bytes, refused %q, err %v; want refused for size", len(att.Data), refused, err)
	}
	if api.written > limit+mediaOverhead {
		t.Errorf("the download wrote %d bytes, past the cap of %d", api.written, limit+mediaOverhead)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("download left %d files behind", len(left))
	}

	fits := append(bytes.Clone(jpegBytes), make([]byte, limit-len(jpegBytes))...)
	api.files["/fits"] = fits
	ok := &mediaRef{media: "photo", msg: &waE2E.ImageMessage{DirectPath: proto.String("/fits")}}
	att, refused, err = fetch(context.Background(), api, ok, limit, dir)
	if err != nil || refused != "" || !bytes.Equal(att.Data, fits) {
		t.Errorf("a photo of exactly the cap: %d bytes, refused %q, err %v", len(att.Data), refused, err)
	}
	// The declared size alone refuses before any download.
	tooBig := &mediaRef{media: "photo", declared: limit + 1, msg: &waE2E.ImageMessage{DirectPath: proto.String("/gone")}}
	if _, refused, err := fetch(context.Background(), api, tooBig, limit, dir); refused != services.FileRefusedSize || err != nil {
		t.Errorf("declared too large: refused %q, err %v", refused, err)
	}
}
