package letters

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/leksono/sapa/services"
)

// page is the A4 layout, in millimetres: the margins Indonesian
// government letters keep (wider on the left, for binding).
const (
	pageLeft   = 25.0
	pageTop    = 15.0
	pageRight  = 20.0
	pageBottom = 20.0
	pageWidth  = 210.0
	textWidth  = pageWidth - pageLeft - pageRight
	lineHeight = 6.0
	labelWidth = 45.0
	qrSize     = 26.0 // the printed QR code, quiet zone included
	qrPixels   = 8    // pixels per module of the embedded PNG
)

// sheet is what one letter prints: everything is resolved to text.
type sheet struct {
	letterhead []string // regency line, office line, contact line
	title      string
	number     string // "Nomor: 470/012/IV/2026"
	opening    string
	lines      [][2]string // label, value
	body       []string    // paragraphs
	closing    string
	dated      string // "Leksono, 12 Desember 2026"
	signatory  Signatory
	nipLabel   string // "NIP. {nip}" filled
	code       string // "7KQ2M-XD40A"
	codeLine   string // "Kode verifikasi: 7KQ2M-XD40A"
	verifyNote string // how to check the letter
	verifyURL  string // what the QR code holds
	author     string // PDF metadata
	created    time.Time
}

// render makes the A4 PDF of a sheet: core Times fonts (no font file to
// ship; Latin-1 covers Indonesian names), the QR code as a grey PNG.
func render(s sheet) ([]byte, error) {
	qr, err := qrcode.New(s.verifyURL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("make the QR code: %w", err)
	}
	qr.DisableBorder = false
	modules := len(qr.Bitmap())
	qrPNG, err := grayPNG(qr.Image(modules * qrPixels))
	if err != nil {
		return nil, fmt.Errorf("make the QR code: %w", err)
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(pageLeft, pageTop, pageRight)
	pdf.SetAutoPageBreak(true, pageBottom)
	pdf.SetCreationDate(s.created)
	pdf.SetModificationDate(s.created)
	pdf.SetTitle(s.title+" "+s.number, true)
	pdf.SetAuthor(s.author, true)
	pdf.SetCreator("Sapa Leksono", true)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252, the core fonts' encoding
	pdf.AddPage()

	// Letterhead, then the double rule under it.
	// Font size and line height of each letterhead line.
	head := [][2]float64{{14, 7}, {16, 7.5}, {10, 5}, {10, 5}}
	for i, l := range s.letterhead {
		style := ""
		if i < 2 {
			style = "B"
		}
		h := head[min(i, len(head)-1)]
		pdf.SetFont("Times", style, h[0])
		pdf.CellFormat(textWidth, h[1], tr(l), "", 1, "C", false, 0, "")
	}
	y := pdf.GetY() + 2
	pdf.SetLineWidth(0.8)
	pdf.Line(pageLeft, y, pageWidth-pageRight, y)
	pdf.SetLineWidth(0.2)
	pdf.Line(pageLeft, y+1.2, pageWidth-pageRight, y+1.2)
	pdf.SetY(y + 6)

	pdf.SetFont("Times", "BU", 12)
	pdf.CellFormat(textWidth, lineHeight, tr(s.title), "", 1, "C", false, 0, "")
	pdf.SetFont("Times", "", 12)
	pdf.CellFormat(textWidth, lineHeight, tr(s.number), "", 1, "C", false, 0, "")
	pdf.Ln(lineHeight)

	paragraph := func(text string) {
		pdf.MultiCell(textWidth, lineHeight, tr(text), "", "J", false)
		pdf.Ln(2)
	}
	paragraph(s.opening)
	for _, l := range s.lines {
		pdf.SetX(pageLeft + 10)
		pdf.CellFormat(labelWidth, lineHeight, tr(l[0]), "", 0, "L", false, 0, "")
		pdf.CellFormat(4, lineHeight, ":", "", 0, "L", false, 0, "")
		pdf.MultiCell(textWidth-10-labelWidth-4, lineHeight, tr(l[1]), "", "L", false)
	}
	pdf.Ln(2)
	for _, p := range s.body {
		paragraph(p)
	}
	if s.closing != "" {
		paragraph(s.closing)
	}

	// The signature block on the right, the verification block on the
	// left at the same height; a new page when they no longer fit.
	const signX = pageLeft + textWidth/2 + 5
	titleLines := strings.Split(s.signatory.Title, "\n")
	need := lineHeight*float64(len(titleLines)+4) + 24
	if _, pageHeight := pdf.GetPageSize(); pdf.GetY()+need > pageHeight-pageBottom {
		pdf.AddPage()
	}
	top := pdf.GetY() + 4
	pdf.SetXY(signX, top)
	pdf.CellFormat(0, lineHeight, tr(s.dated), "", 2, "L", false, 0, "")
	pdf.SetFont("Times", "B", 12)
	for _, l := range titleLines {
		pdf.SetX(signX)
		pdf.CellFormat(0, lineHeight, tr(l), "", 2, "L", false, 0, "")
	}
	pdf.SetY(pdf.GetY() + 22) // room for the signature and the stamp
	pdf.SetX(signX)
	pdf.SetFont("Times", "BU", 12)
	pdf.CellFormat(0, lineHeight, tr(s.signatory.Name), "", 2, "L", false, 0, "")
	pdf.SetFont("Times", "", 12)
	if s.signatory.Rank != "" {
		pdf.SetX(signX)
		pdf.CellFormat(0, lineHeight, tr(s.signatory.Rank), "", 2, "L", false, 0, "")
	}
	if s.signatory.NIP != "" {
		pdf.SetX(signX)
		pdf.CellFormat(0, lineHeight, tr(s.nipLabel), "", 2, "L", false, 0, "")
	}
	bottom := pdf.GetY()

	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qrPNG))
	pdf.ImageOptions("qr", pageLeft, top, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetXY(pageLeft, top+qrSize+1)
	pdf.SetFont("Times", "B", 10)
	pdf.CellFormat(signX-pageLeft-5, 5, tr(s.codeLine), "", 2, "L", false, 0, "")
	pdf.SetFont("Times", "", 8)
	pdf.MultiCell(signX-pageLeft-8, 3.8, tr(s.verifyNote), "", "L", false)
	pdf.SetY(max(bottom, pdf.GetY()))

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("write the PDF: %w", err)
	}
	return out.Bytes(), nil
}

// grayPNG encodes an image as an 8-bit grey PNG: what the QR code is, and
// what the PDF embeds without a palette.
func grayPNG(img image.Image) ([]byte, error) {
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// paragraphs splits a template text at blank lines, joining the lines of
// each paragraph.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// MaskName shows a name as verification does: the first two letters of
// each word ("Siti Aminah" -> "Si** Am****"), one of a word of two.
func MaskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		r := []rune(w)
		keep := 2
		if len(r) <= 2 {
			keep = 1
		}
		words[i] = string(r[:keep]) + strings.Repeat("*", len(r)-keep)
	}
	return strings.Join(words, " ")
}

// display writes a form answer as a letter prints it: identity numbers in
// full, dates written out, villages and choices by name.
func (i *Issuer) display(f services.Field, value string) string {
	switch f.Type {
	case services.FieldVillage:
		if v, ok := i.catalog.Village(value); ok {
			return v.Name
		}
	case services.FieldDate:
		if d, err := time.ParseInLocation(time.DateOnly, value, i.catalog.Office.Location); err == nil {
			return i.date(d)
		}
	case services.FieldPhone:
		if rest, ok := strings.CutPrefix(value, "62"); ok {
			return "0" + rest
		}
	case services.FieldYesNo:
		if value == "ya" {
			return i.text("field.yes", nil)
		}
		return i.text("field.no", nil)
	case services.FieldChoice:
		for _, c := range f.Choices {
			if c.Value != value {
				continue
			}
			if c.LabelKey != "" {
				return i.text(c.LabelKey, nil)
			}
			return c.Label
		}
	}
	return value
}
