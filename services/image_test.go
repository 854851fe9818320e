package services

import (
	"bytes"
	"errors"
	"image/jpeg"
	"testing"

	"github.com/leksono/sapa/services/imagetest"
)

// TestStripImageRemovesEXIF: a real JPEG with the owner's name, the GPS
// position and the camera's orientation in its EXIF block comes out with
// none of them, turned upright, and still a picture of the same content.
func TestStripImageRemovesEXIF(t *testing.T) {
	src := imagetest.JPEG(40, 20, 100, imagetest.EXIF{Artist: "Siti Aminah", Orientation: 6, Latitude: -7.361234, Longitude: 109.923456})
	if !bytes.Contains(src, []byte("Exif\x00\x00")) || !bytes.Contains(src, []byte("Siti Aminah")) || jpegOrientation(src) != 6 {
		t.Fatal("the test picture lacks its EXIF block")
	}
	if _, err := jpeg.Decode(bytes.NewReader(src)); err != nil {
		t.Fatalf("the test picture is not a JPEG: %v", err)
	}
	out, mime, err := StripImage(src)
	if err != nil {
		t.Fatalf("StripImage: %v", err)
	}
	if mime != MIMEJPEG {
		t.Errorf("type %s, want %s", mime, MIMEJPEG)
	}
	for _, leak := range [][]byte{[]byte("Exif"), []byte("Siti Aminah"), {0xff, 0xe1}} {
		if bytes.Contains(out, leak) {
			t.Errorf("the stripped picture still holds %q", leak)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the stripped picture does not decode: %v", err)
	}
	// Orientation 6: the camera was turned a quarter clockwise; upright,
	// the picture is 20 wide and 40 high, its red half on top.
	if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
		t.Fatalf("stripped picture is %dx%d, want 20x40 (turned upright)", b.Dx(), b.Dy())
	}
	top, _, _, _ := img.At(10, 5).RGBA()
	bottom, _, _, _ := img.At(10, 35).RGBA()
	if top < 0x9000 || bottom > 0x6000 {
		t.Errorf("red at the top %x, at the bottom %x: the picture was not turned the right way", top, bottom)
	}
}

func TestStripImageKeepsPNGAndTurnsWebPIntoJPEG(t *testing.T) {
	out, mime, err := StripImage(imagetest.PNG(8, 6, 30))
	if err != nil || mime != MIMEPNG {
		t.Fatalf("PNG: %s, %v", mime, err)
	}
	if cfg, err := imageConfig(out, MIMEPNG); err != nil || cfg.Width != 8 || cfg.Height != 6 {
		t.Errorf("PNG comes back %+v, %v", cfg, err)
	}
	if _, _, err := StripImage([]byte("%PDF-1.4")); err == nil {
		t.Error("a PDF was stripped as a picture")
	}
}

// A picture whose header claims 30000 x 30000 pixels is refused from its
// header, never decoded.
func TestPixelBombRefusedFromItsHeader(t *testing.T) {
	bomb := imagetest.PNGBomb(30000, 30000)
	if len(bomb) > 100 {
		t.Fatalf("the bomb is %d bytes: it should be tiny", len(bomb))
	}
	if _, _, err := StripImage(bomb); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("StripImage(bomb) = %v, want ErrImageTooLarge", err)
	}
	if got := JudgeContent(bomb, MIMEPNG); got != FileRefusedSize {
		t.Errorf("JudgeContent(bomb) = %q, want %q", got, FileRefusedSize)
	}
	if got := JudgeContent(imagetest.PNGBomb(4000, 3000), MIMEPNG); got != "" {
		t.Errorf("a 12-megapixel header was refused: %q", got)
	}
	fake := append([]byte{0xff, 0xd8, 0xff, 0xe0}, []byte("not a jpeg at all")...)
	if got := JudgeContent(fake, MIMEJPEG); got != FileRefusedType {
		t.Errorf("JudgeContent(unreadable JPEG) = %q, want %q", got, FileRefusedType)
	}
	if got := JudgeContent(imagetest.JPEG(4, 4, 0, imagetest.EXIF{}), MIMEPNG); got != FileRefusedType {
		t.Errorf("a JPEG declared as PNG: %q, want %q", got, FileRefusedType)
	}
}
