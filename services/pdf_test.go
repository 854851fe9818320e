package services

import (
	"bytes"
	"compress/zlib"
	"strings"
	"testing"
)

// pdfWith is a minimal PDF whose catalog holds extra.
func pdfWith(extra string) []byte {
	return []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + extra + " >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// objectStream is a PDF whose dictionaries sit in a compressed object
// stream, as PDF 1.5 writers do.
func objectStream(hidden string) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write([]byte(hidden))
	_ = w.Close()
	return []byte("%PDF-1.7\n3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length " +
		strings.Repeat("9", 2) + " >>\nstream\n" + z.String() + "\nendstream\nendobj\n%%EOF\n")
}

func TestActivePDF(t *testing.T) {
	for name, c := range map[string]struct {
		pdf  []byte
		want bool
	}{
		"plain letter":             {pdfWith(""), false},
		"opens at page one":        {pdfWith("/OpenAction [3 0 R /Fit]"), false},
		"web link":                 {pdfWith("/Annots [<< /A << /S /URI /URI (https://wonosobokab.go.id) >> >>]"), false},
		"script on open":           {pdfWith("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), true},
		"script in a name tree":    {pdfWith("/Names << /JavaScript 5 0 R >>"), true},
		"escaped name":             {pdfWith("/OpenAction << /S /J#61vaScript /J#53 (x) >>"), true},
		"launches a program":       {pdfWith("/OpenAction << /S /Launch /F (cmd.exe) >>"), true},
		"embedded file":            {pdfWith("/Names << /EmbeddedFiles 6 0 R >>"), true},
		"submits a form":           {pdfWith("/AcroForm << /XFA 7 0 R >>"), true},
		"script in object stream":  {objectStream("1 0 << /S /JavaScript /JS (this.exportDataObject()) >>"), true},
		"plain object stream":      {objectStream("1 0 << /Type /Page /Parent 2 0 R >>"), false},
		"name that only starts JS": {pdfWith("/JSON (x)"), false},
	} {
		if got := ActivePDF(c.pdf); got != c.want {
			t.Errorf("%s: ActivePDF = %v, want %v", name, got, c.want)
		}
		wantRefused := ""
		if c.want {
			wantRefused = FileRefusedActive
		}
		if _, refused := JudgeFile(c.pdf, MaxFileBytes); refused != wantRefused {
			t.Errorf("%s: JudgeFile refused %q, want %q", name, refused, wantRefused)
		}
		if refused := JudgeContent(c.pdf, MIMEPDF); refused != wantRefused {
			t.Errorf("%s: JudgeContent refused %q, want %q", name, refused, wantRefused)
		}
	}
}

func TestActivePDFBoundsInflation(t *testing.T) {
	// 100 MB of zeros compress to about 100 KB: past the bound, the PDF
	// cannot be cleared and counts as active.
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 100 {
		_, _ = w.Write(zeros)
	}
	_ = w.Close()
	bomb := append([]byte("%PDF-1.7\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n"), z.Bytes()...)
	bomb = append(bomb, []byte("\nendstream\nendobj\n")...)
	if !ActivePDF(bomb) {
		t.Error("a compression bomb passed as a plain PDF")
	}
}
