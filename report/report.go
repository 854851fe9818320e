// Package report turns a period's figures (services.Report) into what a
// kecamatan office hands in and shows: tables to read, one CSV file per
// table for machines, an XLSX workbook for Excel, a chart for a meeting,
// and the satisfaction index (IKM) of PermenPAN-RB 14/2017 in the
// regulation's own form, with its one-page publication card as a PDF.
//
// Build loads a Document; a Writer renders it in the office's language.
// Both are plain Go calls, so the bot's report command and a web page of
// the office console serve the same figures and the same files.
package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// dateLayout is how a period's days are written on the command line and
// in file names.
const dateLayout = "2006-01-02"

// Period is the days a report covers, both included, in the office's time
// zone.
type Period struct {
	First time.Time // 00:00 of the first day
	Last  time.Time // 00:00 of the last day
}

// ParsePeriod reads the first and last day, written YYYY-MM-DD, in loc.
func ParsePeriod(first, last string, loc *time.Location) (Period, error) {
	if first == "" || last == "" {
		return Period{}, errors.New("the first and last day are required, as YYYY-MM-DD")
	}
	f, err := time.ParseInLocation(dateLayout, first, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%q is not a date YYYY-MM-DD", first)
	}
	l, err := time.ParseInLocation(dateLayout, last, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%q is not a date YYYY-MM-DD", last)
	}
	if l.Before(f) {
		return Period{}, fmt.Errorf("the last day %s is before the first %s", last, first)
	}
	return Period{First: f, Last: l}, nil
}

// End is the moment the period ends: 00:00 of the day after its last.
func (p Period) End() time.Time { return p.Last.AddDate(0, 0, 1) }

// String is the period as file names write it: 2026-01-01_2026-06-30.
func (p Period) String() string {
	return p.First.Format(dateLayout) + "_" + p.Last.Format(dateLayout)
}

// Source is where the figures come from: *pgstore.Store. Statuses are
// counted as of the earlier of now and to.
type Source interface {
	Report(ctx context.Context, from, to, now time.Time, cal services.Calendar) (services.Report, error)
}

// Document is one period's report, ready to be rendered.
type Document struct {
	Period Period
	// Report holds the figures; Report.AsOf says when statuses were
	// counted.
	Report services.Report
	// Weighting is the IKM the office publishes (configs/kecamatan.yaml).
	Weighting services.IKMWeighting
	// Population is the office's service users a year, the population of
	// the survey's minimum sample: survey.yearly_users of the office's
	// configuration when set (PopulationConfigured), else the cases the bot
	// recorded in the year up to the end of the period.
	Population           int
	PopulationConfigured bool
	// MinimumSample is the Krejcie-Morgan sample of Population.
	MinimumSample int
}

// SampleReached reports whether the period's respondents reach the
// minimum sample. No respondent never does, whatever the population.
func (d Document) SampleReached() bool {
	return d.Report.IKM.Respondents > 0 && d.Report.IKM.Respondents >= d.MinimumSample
}

// Build loads the figures of period p as of now from src.
func Build(ctx context.Context, src Source, office services.Office, p Period, now time.Time) (Document, error) {
	r, err := src.Report(ctx, p.First, p.End(), now, services.NewCalendar(office))
	if err != nil {
		return Document{}, fmt.Errorf("report %s: %w", p, err)
	}
	d := Document{Period: p, Report: r, Weighting: office.IKMWeighting, Population: office.YearlyUsers, PopulationConfigured: office.YearlyUsers > 0}
	if d.Weighting == "" {
		d.Weighting = services.WeightingRegulation
	}
	if !d.PopulationConfigured {
		d.Population = r.YearCases
	}
	d.MinimumSample = services.MinimumSample(d.Population)
	return d, nil
}

// Writer renders documents in one language with the office's names.
type Writer struct {
	catalog *services.Catalog
	texts   *locales.Bundle
	lang    string
}

// New returns a Writer in lang (locales.DefaultLang when empty).
func New(catalog *services.Catalog, texts *locales.Bundle, lang string) *Writer {
	if lang == "" {
		lang = locales.DefaultLang
	}
	return &Writer{catalog: catalog, texts: texts, lang: lang}
}

// Format is one way to render a document.
type Format string

// The formats Files renders.
const (
	FormatText  Format = "table" // aligned tables, to read
	FormatCSV   Format = "csv"   // one CSV file per table, for machines
	FormatJSON  Format = "json"  // the figures as JSON
	FormatXLSX  Format = "xlsx"  // one workbook, a sheet per table
	FormatChart Format = "chart" // PNG chart
	FormatCard  Format = "card"  // the IKM publication card, one A4 page of PDF
)

// Set chooses the tables of a document.
type Set string

// The table sets.
const (
	// SetService is the office's service report: cases, statuses,
	// processing times, complaints, the IKM by service and by month.
	SetService Set = "service"
	// SetIKM is the regulation's satisfaction report: the table per
	// element, the respondents' profile, the sample, the priorities.
	SetIKM Set = "ikm"
)

// File is one rendered file.
type File struct {
	Name string // file name, e.g. "ikm-2026-01-01_2026-06-30.pdf"
	MIME string
	Data []byte
}

// Files renders d in each format. CSV gives one file per table.
func (w *Writer) Files(d Document, set Set, formats ...Format) ([]File, error) {
	var out []File
	for _, f := range formats {
		var buf bytes.Buffer
		name, mime := "", ""
		var err error
		switch f {
		case FormatText:
			name, mime = w.fileName(set, d, "txt"), "text/plain; charset=utf-8"
			err = w.WriteText(&buf, d, set)
		case FormatJSON:
			name, mime = w.fileName(set, d, "json"), "application/json"
			err = WriteJSON(&buf, d)
		case FormatXLSX:
			name, mime = w.fileName(set, d, "xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
			err = w.WriteXLSX(&buf, d, set)
		case FormatChart:
			name, mime = "grafik-"+d.Period.String()+".png", "image/png"
			err = w.WriteChart(&buf, d)
		case FormatCard:
			name, mime = "ikm-"+d.Period.String()+".pdf", "application/pdf"
			err = w.WriteCard(&buf, d)
		case FormatCSV:
			for _, t := range w.Tables(d, set) {
				var b bytes.Buffer
				if err := WriteCSV(&b, t); err != nil {
					return nil, fmt.Errorf("render %s.csv: %w", t.ID, err)
				}
				out = append(out, File{Name: t.ID + ".csv", MIME: "text/csv; charset=utf-8", Data: b.Bytes()})
			}
			continue
		default:
			return nil, fmt.Errorf("render: unknown format %q", f)
		}
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", name, err)
		}
		out = append(out, File{Name: name, MIME: mime, Data: buf.Bytes()})
	}
	return out, nil
}

func (w *Writer) fileName(set Set, d Document, ext string) string {
	base := "laporan-"
	if set == SetIKM {
		base = "ikm-"
	}
	return base + d.Period.String() + "." + ext
}

// t is the text of key in the writer's language.
func (w *Writer) t(key string, args map[string]string) string {
	return w.texts.T(w.lang, key, args)
}

// label is the text of key when the locales have it, else fallback: a
// code nobody wrote a text for still shows as itself.
func (w *Writer) label(key, fallback string) string {
	if !w.texts.Has(key) {
		return fallback
	}
	return w.t(key, nil)
}

// unit is the office as the report names it: "Kecamatan Leksono".
func (w *Writer) unit() string {
	return w.t("report.unit", map[string]string{"office": w.catalog.Office.Name, "regency": w.catalog.Office.Regency})
}

func (w *Writer) service(code string) string {
	if code == "" {
		return w.t("report.none", nil)
	}
	return w.label("service."+code+".name", code)
}

func (w *Writer) status(s string) string { return w.label("status.label."+s, s) }

func (w *Writer) kind(k string) string { return w.label("report.kind."+k, k) }

func (w *Writer) village(code string) string {
	if code == "" {
		return w.t("report.none", nil)
	}
	if v, ok := w.catalog.Village(code); ok {
		return v.Name
	}
	return code
}

// category is the name of a complaint category: the label of the choice
// with that value in a complaint form's "kategori" field.
func (w *Writer) category(code string) string {
	if code == "" {
		return w.t("report.none", nil)
	}
	for _, s := range w.catalog.Services {
		for _, f := range s.Form {
			if f.Name != "kategori" {
				continue
			}
			for _, c := range f.Choices {
				if c.Value != code {
					continue
				}
				if c.LabelKey != "" {
					return w.label(c.LabelKey, code)
				}
				if c.Label != "" {
					return c.Label
				}
			}
		}
	}
	return code
}

func (w *Writer) element(code string) string { return w.label("survey.element."+code, code) }

// quality is a category with its words: "B (baik)".
func (w *Writer) quality(category string) string {
	if category == "" {
		return "-"
	}
	return w.label("report.quality."+category, category)
}

// weighting names a weighting as reports print it: "bobot 0,11".
func (w *Writer) weighting(x services.IKMWeighting) string {
	return w.t("report.weighting."+weightingKey(x), nil)
}

func weightingKey(x services.IKMWeighting) string {
	if x == services.WeightingExact {
		return "exact"
	}
	return "regulation"
}

// date writes a day the way people of the language read it ("7 Desember
// 2026").
func (w *Writer) date(t time.Time) string {
	t = t.In(w.loc())
	return w.t("date.format", map[string]string{
		"day": strconv.Itoa(t.Day()), "month": w.t("date.month."+strconv.Itoa(int(t.Month())), nil), "year": strconv.Itoa(t.Year()),
	})
}

// month writes a "2006-01" month short: "Des 2026".
func (w *Writer) month(key string) string {
	m, err := time.Parse("2006-01", key)
	if err != nil {
		return key
	}
	return w.t("report.month_short."+strconv.Itoa(int(m.Month())), nil) + " " + strconv.Itoa(m.Year())
}

func (w *Writer) loc() *time.Location {
	if w.catalog.Office.Location != nil {
		return w.catalog.Office.Location
	}
	return time.UTC
}

// period writes the period: "1 Januari 2026 s.d. 30 Juni 2026".
func (w *Writer) period(p Period) string {
	return w.t("report.period", map[string]string{"from": w.date(p.First), "to": w.date(p.Last)})
}

// asOf says truthfully when statuses were counted: the last day of the
// period when it is over, else the moment the report was made.
func (w *Writer) asOf(d Document) string {
	r := d.Report
	if !r.AsOf.Before(r.To) {
		return w.date(d.Period.Last)
	}
	at := r.AsOf.In(w.loc())
	return w.t("report.as_of_time", map[string]string{"date": w.date(at), "time": at.Format("15.04")})
}

// number writes x with places decimals in the language's way ("80,56").
func (w *Writer) number(x float64, places int) string {
	s := strconv.FormatFloat(x, 'f', places, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	sep := w.t("report.format.thousands", nil)
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(w.t("report.format.decimal", nil))
		b.WriteString(frac)
	}
	return b.String()
}

// WriteJSON writes the document's figures as indented JSON.
func WriteJSON(out io.Writer, d Document) error {
	return writeJSON(out, d)
}

// tableIDs are the ids of every table, for their locale keys.
var tableIDs = []string{"summary", "kind", "status", "services", "service_status", "village", "complaint_category",
	"complaint_village", "ikm", "nrr", "monthly", "ikm_summary", "ikm_elements", "respondents", "priorities"}

// textKeys are the locale keys a Writer reads, beside the catalog's names
// (service, status and survey texts the bot checks already).
func textKeys() []string {
	keys := []string{
		"report.title", "report.title_ikm", "report.unit", "report.unit_full", "report.period", "report.as_of_time",
		"report.none", "report.all_services", "report.not_answered", "report.percent", "report.format.decimal",
		"report.format.thousands", "report.weighting.regulation", "report.weighting.exact", "report.weighting_note",
		"report.ikm_elements_note", "report.ikm_elements_total", "report.kind.request", "report.kind.complaint",
		"date.format",
	}
	for m := 1; m <= 12; m++ {
		keys = append(keys, "report.month_short."+strconv.Itoa(m), "date.month."+strconv.Itoa(m))
	}
	for _, id := range tableIDs {
		keys = append(keys, "report.section."+id, "report.sheet."+id)
	}
	for _, b := range services.IKMBands {
		keys = append(keys, "report.quality."+b.Category, "report.quality_words."+b.Category)
	}
	for _, e := range services.SurveyElements {
		keys = append(keys, "report.priority."+e, "survey.element."+e)
	}
	for _, group := range []struct {
		prefix string
		names  []string
	}{
		{"report.summary.", []string{"unit", "period", "cases", "finished", "within_due", "open", "overdue", "ikm", "quality", "respondents", "partial"}},
		{"report.ikm_summary.", []string{"unit", "period", "respondents", "population", "population_config", "population_cases",
			"minimum_sample", "sample", "sample_reached", "sample_short", "sample_none", "published", "weighted_mean", "index", "quality"}},
		{"report.column.", []string{"item", "value", "kind", "count", "status", "service", "cases", "finished", "median", "p90",
			"within_due", "village", "category", "scope", "respondents", "index_exact", "quality_exact", "index_regulation",
			"quality_regulation", "element", "month", "ikm_weighted", "answered", "sum", "nrr", "nrr_weighted", "converted",
			"quality", "question", "answer", "share", "rank", "action"}},
		{"report.chart.", []string{"title", "subtitle", "cases", "ikm", "axis_cases", "axis_ikm", "respondents", "on_time",
			"axis_share", "share_of", "services", "villages", "categories", "no_data"}},
		{"report.card.", []string{"title", "period", "index_label", "weighting", "respondents", "sample_reached", "sample_short",
			"elements", "thanks", "basis"}},
	} {
		for _, n := range group.names {
			keys = append(keys, group.prefix+n)
		}
	}
	return append(keys, services.ProfileKeys()...)
}

// CheckTexts reports every locale key the reports need and the default
// language lacks, as `bot check` prints them.
func CheckTexts(texts *locales.Bundle) error {
	var problems []error
	for _, key := range texts.Missing(textKeys()) {
		problems = append(problems, fmt.Errorf("the reports: missing locale key %q", key))
	}
	return errors.Join(problems...)
}
