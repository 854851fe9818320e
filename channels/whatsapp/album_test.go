package whatsapp

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/services/imagetest"
)

// TestAlbumOfDocuments sends an SKTM's three documents as WhatsApp sends an
// album: an AlbumMessage announcing three images, then each image as its
// own message tied to it by a MessageAssociation. The announcement is no
// message of the citizen's and gets no answer; each photo is downloaded,
// kept and filed for its requirement (a caption names the KK), and the
// third brings the summary.
func TestAlbumOfDocuments(t *testing.T) {
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	cases := conversationtest.NewCases(catalog.Office.Location)
	media := &conversationtest.Media{}
	engine, err := conversation.New(conversation.Config{Catalog: catalog, Texts: texts,
		States: conversationtest.NewStates(func() time.Time { return t0 }), Cases: cases, Desk: cases, Media: media,
		Now: func() time.Time { return t0 }, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	b, api, _ := testBot(t, Config{Texts: texts}, engine)
	const citizen = "6281234567001"
	n := 0
	send := func(m *waE2E.Message) []string {
		t.Helper()
		n++
		b.onEvent(dm("3EB0A"+strconv.Itoa(n), citizen, m))
		b.waitIdle()
		var got []string
		for _, s := range api.take() {
			got = append(got, s.text)
		}
		return got
	}
	for _, line := range []string{"mau buat sktm", "3307051708900001", "Siti Aminah", "17-08-1990", "sawangan",
		"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "081234567890"} {
		send(text(line))
	}
	album := "3EB0ALBUM"
	n++
	b.onEvent(dm(album, citizen, &waE2E.Message{AlbumMessage: &waE2E.AlbumMessage{ExpectedImageCount: proto.Uint32(3)}}))
	b.waitIdle()
	if got := api.take(); len(got) != 0 {
		t.Fatalf("the album's announcement was answered: %q", got[0].text)
	}
	image := func(i int, path, caption string) *waE2E.Message {
		api.files[path] = imagetest.JPEG(40, 30, uint8(50*i+20), imagetest.EXIF{})
		img := &waE2E.ImageMessage{DirectPath: proto.String(path), Mimetype: proto.String("image/jpeg")}
		if caption != "" {
			img.Caption = proto.String(caption)
		}
		return &waE2E.Message{ImageMessage: img, MessageContextInfo: &waE2E.MessageContextInfo{
			MessageAssociation: &waE2E.MessageAssociation{
				AssociationType:  waE2E.MessageAssociation_MEDIA_ALBUM.Enum(),
				ParentMessageKey: &waCommon.MessageKey{ID: proto.String(album)},
				MessageIndex:     proto.Int32(int32(i)),
			},
		}}
	}
	replies := [][]string{
		send(image(0, "/album/kk", "kk")),
		send(image(1, "/album/pengantar", "")),
		send(image(2, "/album/ktp", "")),
	}
	for i, want := range []string{"Diterima: KK.", "Diterima: Pengantar RT/RW dan desa.", "Diterima: KTP-el."} {
		if got := strings.Join(replies[i], "\n"); !strings.Contains(got, want) {
			t.Errorf("photo %d of the album: %q, want %q", i+1, got, want)
		}
	}
	if got := strings.Join(replies[2], "\n"); !strings.Contains(got, "Mohon periksa data") || !strings.Contains(got, "KK: 1 berkas diterima") {
		t.Errorf("the last photo did not bring the summary:\n%s", got)
	}
	send(text("ya"))
	if len(cases.Filed) != 1 {
		t.Fatalf("%d cases filed, want 1", len(cases.Filed))
	}
	c := cases.Filed[0]
	var reqs []string
	for _, f := range c.Attachments {
		reqs = append(reqs, f.Requirement)
	}
	if strings.Join(reqs, ",") != "foto_kk,pengantar_desa,foto_ktp" || c.Incomplete {
		t.Errorf("filed %v (incomplete %v); want the KK, the pengantar and the KTP, complete", reqs, c.Incomplete)
	}
}
