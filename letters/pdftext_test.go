package letters_test

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// pdfObject is one stream object of a PDF: its dictionary and its data,
// inflated when it was compressed.
type pdfObject struct {
	dict string
	data []byte
}

var lengthRe = regexp.MustCompile(`/Length (\d+)`)

// pdfStreams reads every stream of a PDF as fpdf writes them ("n 0 obj
// <<...>> stream ... endstream"), inflating FlateDecode ones.
func pdfStreams(t *testing.T, pdf []byte) []pdfObject {
	t.Helper()
	var out []pdfObject
	rest := pdf
	for {
		at := bytes.Index(rest, []byte("stream\n"))
		if at < 0 {
			return out
		}
		head := rest[:at]
		if bytes.HasSuffix(head, []byte("end")) { // "endstream\n" is not a start
			rest = rest[at+len("stream\n"):]
			continue
		}
		dict := string(head[bytes.LastIndex(head, []byte(" obj"))+1:])
		m := lengthRe.FindStringSubmatch(dict)
		if m == nil {
			t.Fatalf("stream without /Length: %q", dict)
		}
		n, _ := strconv.Atoi(m[1])
		data := rest[at+len("stream\n") : at+len("stream\n")+n]
		if strings.Contains(dict, "/FlateDecode") {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("inflate %q: %v", dict, err)
			}
			if data, err = io.ReadAll(r); err != nil {
				t.Fatalf("inflate %q: %v", dict, err)
			}
		}
		out = append(out, pdfObject{dict: dict, data: data})
		rest = rest[at+len("stream\n")+n:]
	}
}

// pdfText is the text a PDF shows: the strings of every text operator
// (Tj) of its page contents, one per line, escapes undone. fpdf writes the
// core fonts' text as literal strings in cp1252, which is ASCII for the
// texts tested here.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	var lines []string
	for _, o := range pdfStreams(t, pdf) {
		if strings.Contains(o.dict, "/Subtype") { // images, fonts
			continue
		}
		content := o.data
		for i := 0; i < len(content); i++ {
			if content[i] != '(' {
				continue
			}
			var s []byte
			j := i + 1
			for ; j < len(content) && content[j] != ')'; j++ {
				c := content[j]
				if c == '\\' && j+1 < len(content) {
					j++
					switch e := content[j]; {
					case e == 'n':
						c = '\n'
					case e >= '0' && e <= '7':
						v, k := 0, 0
						for ; k < 3 && j+k < len(content) && content[j+k] >= '0' && content[j+k] <= '7'; k++ {
							v = v*8 + int(content[j+k]-'0')
						}
						j += k - 1
						c = byte(v)
					default:
						c = e
					}
				}
				s = append(s, c)
			}
			if bytes.HasPrefix(bytes.TrimLeft(content[j+1:], " "), []byte("Tj")) {
				lines = append(lines, string(s))
			}
			i = j
		}
	}
	return strings.Join(lines, "\n")
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
	for _, o := range pdfStreams(t, pdf) {
		if !strings.Contains(o.dict, "/Subtype /Image") {
			continue
		}
		if !strings.Contains(o.dict, "/DeviceGray") || !strings.Contains(o.dict, "/BitsPerComponent 8") || !strings.Contains(o.dict, "/Predictor 15") {
			t.Fatalf("image is not an 8-bit grey PNG: %q", o.dict)
		}
		w, _ := strconv.Atoi(widthRe.FindStringSubmatch(o.dict)[1])
		h, _ := strconv.Atoi(heightRe.FindStringSubmatch(o.dict)[1])
		img := image.NewGray(image.Rect(0, 0, w, h))
		if len(o.data) != h*(w+1) {
			t.Fatalf("image data %d bytes, want %d", len(o.data), h*(w+1))
		}
		prev := make([]byte, w)
		for y := range h {
			row := o.data[y*(w+1)+1 : (y+1)*(w+1)]
			cur := img.Pix[y*img.Stride : y*img.Stride+w]
			unfilter(t, o.data[y*(w+1)], row, prev, cur)
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
