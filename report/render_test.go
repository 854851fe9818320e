package report_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
)

// fixedDocument is the report of the fixed survey (report_test.go).
func fixedDocument(t *testing.T) (*report.Writer, report.Document) {
	t.Helper()
	catalog, texts := office(t)
	sd, period := seedFixed(t, catalog)
	d, err := report.Build(context.Background(), sd.s, catalog.Office, period, sd.at(7, 15, 10))
	if err != nil {
		t.Fatal(err)
	}
	return report.New(catalog, texts, "id"), d
}

// TestXLSXHasNumericCells opens the workbook with excelize, as Excel
// would: a sheet per table, labels in Indonesian, and the figures stored
// as numbers (no type attribute or "n"), not as text.
func TestXLSXHasNumericCells(t *testing.T) {
	w, d := fixedDocument(t)
	for _, set := range []report.Set{report.SetIKM, report.SetService} {
		var buf bytes.Buffer
		if err := w.WriteXLSX(&buf, d, set); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatalf("open the workbook: %v", err)
		}
		tables := w.Tables(d, set)
		sheets := f.GetSheetList()
		if len(sheets) != len(tables) {
			t.Fatalf("%s: sheets %v, want one per table (%d)", set, sheets, len(tables))
		}
		for i, tb := range tables {
			if sheets[i] != tb.Sheet {
				t.Errorf("sheet %d = %q, want %q", i, sheets[i], tb.Sheet)
			}
		}
		if set != report.SetIKM {
			checkNumber(t, f, "Ringkasan", "Selesai tepat waktu", 0.8)
			checkNumber(t, f, "Ringkasan", "Kasus masuk", 6)
			continue
		}
		checkNumber(t, f, "IKM", "IKM konversi x25 (bobot 0,11)", 76.08)
		checkNumber(t, f, "IKM", "IKM konversi x25 (bobot 1/9)", 76.85)
		checkNumber(t, f, "IKM", "Jumlah responden", 5)
		checkNumber(t, f, "Nilai per unsur", "U3 Waktu penyelesaian", 5)
		if v, _ := f.GetCellValue("IKM", "A1"); v != "Indeks Kepuasan Masyarakat (IKM)" {
			t.Errorf("IKM!A1 = %q, want the Indonesian title", v)
		}
		// The category is text beside the number.
		row := findRow(t, f, "IKM", "Mutu pelayanan (bobot 0,11)")
		if typ, _ := f.GetCellType("IKM", "B"+strconv.Itoa(row)); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			t.Errorf("the category cell has type %v, want text", typ)
		}
		if v, _ := f.GetCellValue("IKM", "B"+strconv.Itoa(row)); v != "C (kurang baik)" {
			t.Errorf("category = %q", v)
		}
	}
}

// findRow is the row whose column A holds label.
func findRow(t *testing.T, f *excelize.File, sheet, label string) int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == label {
			return i + 1
		}
	}
	t.Fatalf("sheet %s has no row %q: %q", sheet, label, rows)
	return 0
}

// checkNumber checks that the cell right of label is a numeric cell
// holding want.
func checkNumber(t *testing.T, f *excelize.File, sheet, label string, want float64) {
	t.Helper()
	cell := "B" + strconv.Itoa(findRow(t, f, sheet, label))
	typ, err := f.GetCellType(sheet, cell)
	if err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
		t.Errorf("%s!%s (%s) has type %v, %v; want a number", sheet, cell, label, typ, err)
	}
	raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := strconv.ParseFloat(raw, 64)
	if err != nil || !near(got, want) {
		t.Errorf("%s!%s (%s) = %q, want %v", sheet, cell, label, raw, want)
	}
}

// TestCSVIsOneTablePerFile: every table is a file of its own, a header of
// column ids and rectangular rows, numbers with a point, codes beside
// names.
func TestCSVIsOneTablePerFile(t *testing.T) {
	w, d := fixedDocument(t)
	for _, set := range []report.Set{report.SetService, report.SetIKM} {
		files, err := w.Files(d, set, report.FormatCSV)
		if err != nil {
			t.Fatal(err)
		}
		tables := w.Tables(d, set)
		if len(files) != len(tables) {
			t.Fatalf("%d CSV files for %d tables", len(files), len(tables))
		}
		for i, f := range files {
			if f.Name != tables[i].ID+".csv" {
				t.Errorf("file %d = %s, want %s.csv", i, f.Name, tables[i].ID)
			}
			records, err := csv.NewReader(bytes.NewReader(f.Data)).ReadAll() // fails on ragged rows
			if err != nil {
				t.Errorf("%s: %v\n%s", f.Name, err, f.Data)
				continue
			}
			if len(records) != len(tables[i].Rows)+1 {
				t.Errorf("%s: %d records, want a header and %d rows", f.Name, len(records), len(tables[i].Rows))
			}
			for _, h := range records[0] {
				if !regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(h) {
					t.Errorf("%s: header %q is not a column id", f.Name, h)
				}
			}
		}
	}
	var buf bytes.Buffer
	for _, tb := range w.Tables(d, report.SetIKM) {
		if tb.ID == "ikm_elements" {
			if err := report.WriteCSV(&buf, tb); err != nil {
				t.Fatal(err)
			}
		}
	}
	lines := strings.Split(buf.String(), "\n")
	if lines[0] != "element_code,element,answered,sum,nrr,nrr_weighted,converted,quality" {
		t.Errorf("header = %q", lines[0])
	}
	if !strings.HasPrefix(lines[3], "u3,U3 Waktu penyelesaian,5,13,2.6,0.286,65,C (kurang baik)") {
		t.Errorf("u3 row = %q, want the code, the name and numbers with a point", lines[3])
	}
}

// TestCardPDF reads the card's page: one A4 page whose text holds the
// unit, the period, the index and its category.
func TestCardPDF(t *testing.T) {
	w, d := fixedDocument(t)
	var buf bytes.Buffer
	if err := w.WriteCard(&buf, d); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	if !bytes.HasPrefix(raw, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", raw[:min(20, len(raw))])
	}
	if !bytes.Contains(raw, []byte("/Count 1")) {
		t.Error("the card is not one page")
	}
	// A4 portrait in points: 595.28 x 841.89.
	if !regexp.MustCompile(`/MediaBox \[0 0 595\.2\d+ 841\.8\d+\]`).Match(raw) {
		t.Error("the page is not A4")
	}
	text := pdfText(t, raw)
	for _, want := range []string{
		`INDEKS KEPUASAN MASYARAKAT \(IKM\)`, "KECAMATAN LEKSONO, KABUPATEN WONOSOBO",
		"Periode survei: 1 Januari 2026 s.d. 30 Juni 2026", "76,08", "C", "KURANG BAIK", "Jumlah responden: 5 orang",
	} {
		// fpdf shows each text as "(...)Tj", parentheses escaped.
		if !strings.Contains(text, "("+want+")Tj") {
			t.Errorf("the card's text lacks (%s)Tj", want)
		}
	}
	// The other weighting's index is not on the card: one index, one category.
	if strings.Contains(text, "76,85") {
		t.Error("the card shows the unpublished index too")
	}
}

// pdfText inflates the PDF's compressed streams and returns the page
// content, where fpdf writes each text as "(...)Tj".
func pdfText(t *testing.T, raw []byte) string {
	t.Helper()
	var out strings.Builder
	// "<</Filter /FlateDecode /Length 1520>>\nstream\n": the length says
	// where the stream's bytes end (they may hold any byte, newlines too).
	for _, m := range regexp.MustCompile(`/Length (\d+)>>\r?\nstream\r?\n`).FindAllSubmatchIndex(raw, -1) {
		n, _ := strconv.Atoi(string(raw[m[2]:m[3]]))
		if m[1]+n > len(raw) {
			t.Fatalf("a stream runs past the file's end")
		}
		z, err := zlib.NewReader(bytes.NewReader(raw[m[1] : m[1]+n]))
		if err != nil {
			out.Write(raw[m[1] : m[1]+n]) // an uncompressed stream
			continue
		}
		b, err := io.ReadAll(z)
		if err != nil {
			t.Fatalf("inflate a stream: %v", err)
		}
		out.Write(b)
	}
	if !strings.Contains(out.String(), ")Tj") {
		t.Fatal("no text found in the PDF's streams: the test reads nothing")
	}
	return out.String()
}

// TestChartPNG draws the chart and looks at its pixels: the page size, the
// bars, the IKM line and its bands.
func TestChartPNG(t *testing.T) {
	w, d := fixedDocument(t)
	var buf bytes.Buffer
	if err := w.WriteChart(&buf, d); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decode chart: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1430 || b.Dy() != 1650 {
		t.Errorf("chart is %dx%d, want 1430x1650 (13 x 15 in at 110 dpi)", b.Dx(), b.Dy())
	}
	seen := map[[3]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	for name, c := range map[string][3]uint32{
		"bars": {0x1f, 0x5f, 0xa8}, "on-time bars and IKM line": {0x1b, 0x6e, 0x3b}, "complaint bars": {0xd9, 0x6c, 0x1e},
		"band A": {0xd8, 0xef, 0xd3}, "band C": {0xfd, 0xf1, 0xcc}, "band D": {0xf8, 0xda, 0xdc},
	} {
		if seen[c] < 20 {
			t.Errorf("the chart shows no %s (colour %x: %d pixels)", name, c, seen[c])
		}
	}
}

// TestFilesAndJSON: Files gives each format its file, and the JSON keeps
// the report's figures at its top with the IKM settings beside them.
func TestFilesAndJSON(t *testing.T) {
	w, d := fixedDocument(t)
	files, err := w.Files(d, report.SetIKM, report.FormatText, report.FormatJSON, report.FormatXLSX, report.FormatChart, report.FormatCard)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if len(f.Data) == 0 || f.MIME == "" {
			t.Errorf("%s: empty or without a type", f.Name)
		}
	}
	if got := strings.Join(names, " "); got != "ikm-2026-01-01_2026-06-30.txt ikm-2026-01-01_2026-06-30.json ikm-2026-01-01_2026-06-30.xlsx grafik-2026-01-01_2026-06-30.png ikm-2026-01-01_2026-06-30.pdf" {
		t.Errorf("files = %s", got)
	}
	var got struct {
		services.Report
		Weighting     string `json:"published_weighting"`
		MinimumSample int    `json:"minimum_sample"`
		SampleReached bool   `json:"sample_reached"`
	}
	if err := json.Unmarshal(files[1].Data, &got); err != nil {
		t.Fatal(err)
	}
	if got.IKM.IndexOfficial != 76.08 || got.IKM.CategoryOfficial != "C" || got.Weighting != "0.11" || got.MinimumSample != 6 || got.SampleReached {
		t.Errorf("json = %+v", got)
	}
	if _, err := w.Files(d, report.SetIKM, "doc"); err == nil {
		t.Error("an unknown format was rendered")
	}
}
