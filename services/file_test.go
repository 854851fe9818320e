package services

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func sampleImage(t *testing.T, encode func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		t.Fatalf("encode sample image: %v", err)
	}
	return buf.Bytes()
}

func TestSniffFile(t *testing.T) {
	jpg := sampleImage(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	pngData := sampleImage(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	cases := []struct {
		name string
		data []byte
		mime string
	}{
		{"jpeg", jpg, MIMEJPEG},
		{"png", pngData, MIMEPNG},
		{"webp", append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), make([]byte, 24)...), MIMEWebP},
		{"pdf", []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"), MIMEPDF},
		{"text named .jpg", []byte("foto_ktp.jpg: this is just text"), ""},
		{"truncated png header", pngData[:7], ""},
		{"riff that is not webp (wav)", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), ""},
		{"short riff", []byte("RIFF\x24\x00\x00\x00WEB"), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ""},
		{"zip (docx)", []byte("PK\x03\x04\x14\x00\x06\x00"), ""},
		{"html", []byte("<!DOCTYPE html><html></html>"), ""},
		{"pdf without dash", []byte("%PDF1.4"), ""},
		{"two jpeg bytes", []byte{0xff, 0xd8}, ""},
		{"empty", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mime, ok := SniffFile(tc.data)
			if mime != tc.mime || ok != (tc.mime != "") {
				t.Fatalf("SniffFile = %q, %v; want %q, %v", mime, ok, tc.mime, tc.mime != "")
			}
			if ok && !AcceptedFile(mime) {
				t.Errorf("sniffed %q is not an accepted file type", mime)
			}
		})
	}
}

// JudgeFile checks the size before the type, and the cap is inclusive.
func TestJudgeFile(t *testing.T) {
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	for name, tc := range map[string]struct {
		data          []byte
		max           int64
		mime, refused string
	}{
		"accepted":            {pdf, int64(len(pdf)), MIMEPDF, ""},
		"one byte over":       {pdf, int64(len(pdf)) - 1, "", FileRefusedSize},
		"wrong type":          {[]byte("PK\x03\x04 a docx"), 100, "", FileRefusedType},
		"too large and wrong": {[]byte("PK\x03\x04 a docx"), 2, "", FileRefusedSize},
	} {
		mime, refused := JudgeFile(tc.data, tc.max)
		if mime != tc.mime || refused != tc.refused {
			t.Errorf("%s: JudgeFile = %q, %q; want %q, %q", name, mime, refused, tc.mime, tc.refused)
		}
	}
}

func TestFileKindAndExtension(t *testing.T) {
	for _, tc := range []struct{ mime, kind, ext string }{
		{MIMEJPEG, FilePhoto, "jpg"}, {MIMEPNG, FilePhoto, "png"}, {MIMEWebP, FilePhoto, "webp"},
		{MIMEPDF, FileDocument, "pdf"},
	} {
		if k, e := FileKind(tc.mime), FileExtension(tc.mime); k != tc.kind || e != tc.ext {
			t.Errorf("%s: kind %q, extension %q; want %q, %q", tc.mime, k, e, tc.kind, tc.ext)
		}
	}
	for _, mime := range []string{"image/gif", "", "text/plain"} {
		if AcceptedFile(mime) {
			t.Errorf("%q accepted", mime)
		}
	}
}

func TestMayBeAcceptedFile(t *testing.T) {
	for _, tc := range []struct {
		mime, name string
		want       bool
	}{
		{"application/pdf", "x", true}, {"IMAGE/JPEG", "", true}, {"image/webp", "", true},
		{"", "Scan.PDF", true}, {"application/octet-stream", "a.jpeg", true},
		{"application/zip", "a.pdf", false}, {"", "a.docx", false}, {"image/gif", "a.gif", false},
	} {
		if got := MayBeAcceptedFile(tc.mime, tc.name); got != tc.want {
			t.Errorf("MayBeAcceptedFile(%q, %q) = %v", tc.mime, tc.name, got)
		}
	}
}
