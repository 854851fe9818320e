package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/leksono/sapa/services"
)

// The card's colours: the office's blue, and one per quality category.
var (
	cardBlue       = [3]int{0x1f, 0x4e, 0x89}
	categoryColors = map[string][3]int{
		"A": {0x2e, 0x7d, 0x32}, "B": {0x1f, 0x6f, 0xb5}, "C": {0xe0, 0x8a, 0x00}, "D": {0xc6, 0x28, 0x28},
	}
)

// WriteCard writes the IKM publication card the regulation asks a unit to
// post on its notice board and website: one A4 page with the unit, the
// period, the published index in large type, its category, the number of
// respondents by sex and education, and each element's mean. It uses the
// PDF core font Helvetica, which every reader has, so nothing is embedded.
func (w *Writer) WriteCard(out io.Writer, d Document) error {
	x := d.Report.IKM
	index, category := x.Published(d.Weighting)

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(18, 16, 18)
	pdf.SetAutoPageBreak(false, 0)
	// The report's moment as the file's date: the same figures give the
	// same bytes.
	pdf.SetCreationDate(d.Report.AsOf)
	pdf.SetModificationDate(d.Report.AsOf)
	pdf.SetTitle(w.t("report.card.title", nil)+" - "+w.unit(), true)
	pdf.SetAuthor(w.unit(), true)
	pdf.SetCreator("Sapa Leksono", false)
	pdf.SetLang(w.lang)
	pdf.AddPage()
	tr := pdf.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' cp1252
	const pageW, left = 210.0, 18.0
	const width = pageW - 2*left

	// Head: what the card is and whose.
	pdf.SetFillColor(cardBlue[0], cardBlue[1], cardBlue[2])
	pdf.Rect(0, 0, pageW, 46, "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetXY(left, 12)
	pdf.SetFont("Helvetica", "B", 22)
	pdf.CellFormat(width, 10, tr(w.t("report.card.title", nil)), "", 1, "C", false, 0, "")
	pdf.SetFont("Helvetica", "B", 15)
	pdf.SetX(left)
	pdf.CellFormat(width, 9, tr(strings.ToUpper(w.t("report.unit_full", map[string]string{
		"office": w.catalog.Office.Name, "regency": w.catalog.Office.Regency,
	}))), "", 1, "C", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.SetX(left)
	pdf.CellFormat(width, 7, tr(w.t("report.card.period", map[string]string{"period": w.period(d.Period)})), "", 1, "C", false, 0, "")

	// The index and its category, large.
	pdf.SetTextColor(40, 40, 40)
	pdf.SetXY(left, 58)
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(width, 8, tr(w.t("report.card.index_label", nil)), "", 1, "C", false, 0, "")
	pdf.SetX(left)
	pdf.SetFont("Helvetica", "B", 72)
	value := "-"
	if x.Respondents > 0 {
		value = w.number(index, 2)
	}
	pdf.CellFormat(width, 30, tr(value), "", 1, "C", false, 0, "")

	c, ok := categoryColors[category]
	if !ok {
		c = [3]int{0x88, 0x88, 0x88}
	}
	const box = 34.0
	boxX := (pageW - box) / 2
	pdf.SetFillColor(c[0], c[1], c[2])
	pdf.RoundedRect(boxX, 104, box, box, 4, "1234", "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetXY(boxX, 104)
	pdf.SetFont("Helvetica", "B", 64)
	letter := category
	if letter == "" {
		letter = "-"
	}
	pdf.CellFormat(box, box, letter, "", 0, "C", false, 0, "")
	pdf.SetTextColor(c[0], c[1], c[2])
	pdf.SetXY(left, 141)
	pdf.SetFont("Helvetica", "B", 20)
	pdf.CellFormat(width, 10, tr(strings.ToUpper(w.label("report.quality_words."+category, "-"))), "", 1, "C", false, 0, "")
	pdf.SetTextColor(40, 40, 40)
	pdf.SetFont("Helvetica", "", 10)
	pdf.SetX(left)
	pdf.CellFormat(width, 6, tr(w.t("report.card.weighting", map[string]string{"weighting": w.weighting(d.Weighting)})), "", 1, "C", false, 0, "")

	// Respondents: how many, and who.
	pdf.SetXY(left, 162)
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(width, 8, tr(w.t("report.card.respondents", map[string]string{"n": w.number(float64(x.Respondents), 0)})), "", 1, "C", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, q := range []string{"kelamin", "pendidikan", "usia"} {
		pdf.SetX(left)
		pdf.MultiCell(width, 5.5, tr(w.profileLine(d, q)), "", "C", false)
	}
	sample := "report.card.sample_short"
	if d.SampleReached() {
		sample = "report.card.sample_reached"
	}
	pdf.SetX(left)
	pdf.SetFont("Helvetica", "I", 9)
	pdf.CellFormat(width, 6, tr(w.t(sample, map[string]string{"minimum": strconv.Itoa(d.MinimumSample)})), "", 1, "C", false, 0, "")

	// Each element's mean, two columns.
	pdf.SetXY(left, 206)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(width, 7, tr(w.t("report.card.elements", nil)), "B", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9.5)
	half := width / 2
	y := pdf.GetY() + 1.5
	for i, e := range services.SurveyElements {
		col, row := i/5, i%5
		pdf.SetXY(left+float64(col)*half, y+float64(row)*6.2)
		mean := "-"
		if i < len(x.Answered) && x.Answered[i] > 0 {
			mean = w.number(x.NRR[i]*25, 2) + " (" + services.IKMCategory(x.NRR[i]*25) + ")"
		}
		pdf.CellFormat(half-26, 6, fit(pdf, tr(strings.ToUpper(e)+"  "+w.element(e)), half-28), "", 0, "L", false, 0, "")
		pdf.CellFormat(24, 6, tr(mean), "", 0, "R", false, 0, "")
	}

	// Foot: the thanks the regulation's card carries, and the basis.
	pdf.SetFillColor(cardBlue[0], cardBlue[1], cardBlue[2])
	pdf.Rect(0, 262, pageW, 35, "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetXY(left, 267)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.MultiCell(width, 5.5, tr(w.t("report.card.thanks", nil)), "", "C", false)
	pdf.SetX(left)
	pdf.SetFont("Helvetica", "", 8.5)
	pdf.MultiCell(width, 4.5, tr(w.t("report.card.basis", map[string]string{"as_of": w.asOf(d)})), "", "C", false)

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("draw card: %w", err)
	}
	if n := pdf.PageCount(); n != 1 {
		return fmt.Errorf("draw card: %d pages, want one", n)
	}
	if err := pdf.Output(out); err != nil {
		return fmt.Errorf("write card: %w", err)
	}
	return nil
}

// profileLine is one profile question's answers on the card: "Jenis
// kelamin: Laki-laki 2, Perempuan 3". Answers nobody gave are left out.
func (w *Writer) profileLine(d Document, question string) string {
	for _, p := range d.Report.Profile {
		if p.Question != question {
			continue
		}
		var parts []string
		for _, c := range p.Counts {
			if c.N == 0 {
				continue
			}
			name := w.t("report.not_answered", nil)
			if c.Key != "" {
				name = w.label("survey.profile."+question+".option."+c.Key, c.Key)
			}
			parts = append(parts, name+" "+strconv.Itoa(c.N))
		}
		if len(parts) == 0 {
			parts = []string{"-"}
		}
		return w.label("survey.profile."+question+".name", question) + ": " + strings.Join(parts, ", ")
	}
	return ""
}

// fit cuts s, with "...", to width mm in the current font.
func fit(pdf *fpdf.Fpdf, s string, width float64) string {
	if pdf.GetStringWidth(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && pdf.GetStringWidth(string(r)+"...") > width {
		r = r[:len(r)-1]
	}
	return strings.TrimSpace(string(r)) + "..."
}
