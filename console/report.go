package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
)

// reportView is the report page's data: the tables of `bot report` (the
// regulation's IKM report, or the service report) over a period.
type reportView struct {
	From, To string
	Sets     []option
	IKM      bool
	Title    string
	Tables   []reportTable
	Error    string
	// Query is the period and set, for the download links.
	Query string
}

// reportTable is one table of a report as the page shows it.
type reportTable struct {
	ID, Title      string
	Notes, Columns []string
	Rows, Footer   [][]reportCell
}

// reportCell is one value: numbers are aligned right.
type reportCell struct {
	Text   string
	Number bool
}

// reportDownloads are the files the page offers, by the format the link
// names.
var reportDownloads = map[string]report.Format{"xlsx": report.FormatXLSX, "kartu": report.FormatCard, "grafik": report.FormatChart}

// reportRequest reads the period (dari, sampai: YYYY-MM-DD; by default
// this year up to today) and the set (jenis: ikm or layanan) of a report
// page or download.
func (s *Server) reportRequest(r *http.Request) (report.Period, report.Set, url.Values, error) {
	now := s.now().In(s.catalog.Office.Location)
	q := r.URL.Query()
	v := url.Values{"dari": {q.Get("dari")}, "sampai": {q.Get("sampai")}, "jenis": {string(report.SetIKM)}}
	if v.Get("dari") == "" {
		v.Set("dari", time.Date(now.Year(), 1, 1, 0, 0, 0, 0, now.Location()).Format(time.DateOnly))
	}
	if v.Get("sampai") == "" {
		v.Set("sampai", now.Format(time.DateOnly))
	}
	set := report.SetIKM
	if q.Get("jenis") == "layanan" {
		set = report.SetService
		v.Set("jenis", "layanan")
	}
	p, err := report.ParsePeriod(v.Get("dari"), v.Get("sampai"), s.catalog.Office.Location)
	return p, set, v, err
}

// reportPage shows the report of a period in the page, with the files of
// `bot report` to download: the workbook, the IKM card and the chart.
func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Reports == nil {
		s.notFound(w, r)
		return
	}
	p, set, q, err := s.reportRequest(r)
	v := reportView{From: q.Get("dari"), To: q.Get("sampai"), IKM: set == report.SetIKM, Query: q.Encode()}
	v.Sets = []option{
		{Value: "ikm", Label: s.tr("console.report.set_ikm"), Selected: v.IKM},
		{Value: "layanan", Label: s.tr("console.report.set_service"), Selected: !v.IKM},
	}
	if err != nil {
		v.Error = s.tr("console.report.bad_period")
		s.render(w, r, http.StatusBadRequest, "report", &o, v)
		return
	}
	d, err := report.Build(r.Context(), s.cfg.Reports, s.catalog.Office, p, s.now())
	if err != nil {
		s.fail(w, r, "build a report", err)
		return
	}
	wr := report.New(s.catalog, s.texts, locales.DefaultLang)
	v.Title = wr.Title(d, set)
	for _, t := range wr.Tables(d, set) {
		rt := reportTable{ID: t.ID, Title: t.Title, Notes: t.Notes}
		for _, c := range t.Columns {
			rt.Columns = append(rt.Columns, c.Label)
		}
		cells := func(rows [][]report.Cell) [][]reportCell {
			out := make([][]reportCell, 0, len(rows))
			for _, row := range rows {
				line := make([]reportCell, len(row))
				for i, c := range row {
					line[i] = reportCell{Text: wr.CellText(c), Number: c.Kind == report.CellNumber || c.Kind == report.CellPercent}
				}
				out = append(out, line)
			}
			return out
		}
		rt.Rows, rt.Footer = cells(t.Rows), cells(t.Footer)
		v.Tables = append(v.Tables, rt)
	}
	s.render(w, r, http.StatusOK, "report", &o, v)
}

// reportFile is one file of the report of a period: the workbook (xlsx),
// the IKM card (kartu, PDF) or the chart (grafik, PNG).
func (s *Server) reportFile(w http.ResponseWriter, r *http.Request, _ services.Officer) {
	format, known := reportDownloads[r.PathValue("format")]
	if s.cfg.Reports == nil || !known {
		s.notFound(w, r)
		return
	}
	p, set, _, err := s.reportRequest(r)
	if err != nil {
		s.notFound(w, r)
		return
	}
	d, err := report.Build(r.Context(), s.cfg.Reports, s.catalog.Office, p, s.now())
	if err != nil {
		s.fail(w, r, "build a report", err)
		return
	}
	files, err := report.New(s.catalog, s.texts, locales.DefaultLang).Files(d, set, format)
	if err != nil || len(files) != 1 {
		s.fail(w, r, "render a report", err)
		return
	}
	f := files[0]
	disposition := "inline"
	if format == report.FormatXLSX {
		disposition = "attachment"
	}
	w.Header().Set("Content-Type", f.MIME)
	w.Header().Set("Content-Disposition", disposition+`; filename="`+f.Name+`"`)
	_, _ = w.Write(f.Data)
}
