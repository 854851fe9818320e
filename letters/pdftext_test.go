package letters_test

import (
	"fmt"
	"image"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/leksono/sapa/letters/letterstest"
)

// pdfText is the text a PDF shows (letterstest.Text).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	text, err := letterstest.Text(pdf)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

var (
	widthRe  = regexp.MustCompile(`/Width (\d+)`)
	heightRe = regexp.MustCompile(`/Height (\d+)`)
)

// pdfImages decodes the 8-bit grey PNG images a PDF embeds: fpdf keeps
// PNG's own rows, each led by its filter type (/Predictor 15).
func pdfImages(t *testing.T, pdf []byte) []image.Image {
	t.Helper()
	var out []image.Image
	streams, err := letterstest.Streams(pdf)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range streams {
		if !strings.Contains(o.Dict, "/Subtype /Image") {
			continue
		}
		if !strings.Contains(o.Dict, "/DeviceGray") || !strings.Contains(o.Dict, "/BitsPerComponent 8") || !strings.Contains(o.Dict, "/Predictor 15") {
			t.Fatalf("image is not an 8-bit grey PNG: %q", o.Dict)
		}
		w, _ := strconv.Atoi(widthRe.FindStringSubmatch(o.Dict)[1])
		h, _ := strconv.Atoi(heightRe.FindStringSubmatch(o.Dict)[1])
		img := image.NewGray(image.Rect(0, 0, w, h))
		if len(o.Data) != h*(w+1) {
			t.Fatalf("image data %d bytes, want %d", len(o.Data), h*(w+1))
		}
		prev := make([]byte, w)
		for y := range h {
			row := o.Data[y*(w+1)+1 : (y+1)*(w+1)]
			cur := img.Pix[y*img.Stride : y*img.Stride+w]
			unfilter(t, o.Data[y*(w+1)], row, prev, cur)
			prev = cur
		}
		out = append(out, img)
	}
	return out
}

// unfilter undoes one PNG filter of a row of 1-byte pixels.
func unfilter(t *testing.T, filter byte, row, prev, cur []byte) {
	for x := range row {
		var left, up, upLeft int
		if x > 0 {
			left, upLeft = int(cur[x-1]), int(prev[x-1])
		}
		up = int(prev[x])
		var pred int
		switch filter {
		case 0:
		case 1:
			pred = left
		case 2:
			pred = up
		case 3:
			pred = (left + up) / 2
		case 4:
			p := left + up - upLeft
			pa, pb, pc := abs(p-left), abs(p-up), abs(p-upLeft)
			switch {
			case pa <= pb && pa <= pc:
				pred = left
			case pb <= pc:
				pred = up
			default:
				pred = upLeft
			}
		default:
			t.Fatalf("PNG filter %d", filter)
		}
		cur[x] = byte(int(row[x]) + pred)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// decodeQR reads a QR code with ZXing's decoder.
func decodeQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("binarize: %w", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
