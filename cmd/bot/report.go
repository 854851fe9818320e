package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// reportDate is how --from and --to are written.
const reportDate = "2006-01-02"

// runReport is the report command: the office's figures for a period,
// printed as a table, CSV or JSON, and optionally drawn as a PNG chart. It
// returns the exit code.
func runReport(args []string, stdout, stderr io.Writer) int {
	return report(args, stdout, stderr, os.Getenv)
}

func report(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	flags := flag.NewFlagSet("report", flag.ContinueOnError)
	flags.SetOutput(stderr)
	fromFlag := flags.String("from", "", "first day of the period, YYYY-MM-DD (office time zone), required")
	toFlag := flags.String("to", "", "last day of the period, YYYY-MM-DD, inclusive, required")
	format := flags.String("format", "table", "output: table, csv or json")
	chartPath := flags.String("chart", "", "also draw the monthly cases and IKM into this PNG file")
	lang := flags.String("lang", locales.DefaultLang, "language of the labels (table, csv, chart)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "sapa report: unexpected argument %q\n", flags.Arg(0))
		return 2
	}
	switch *format {
	case "table", "csv", "json":
	default:
		fmt.Fprintf(stderr, "sapa report: --format %q: use table, csv or json\n", *format)
		return 2
	}
	cfg, err := readSettings(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "sapa: cannot start:", err)
		return 2
	}
	o, problems := loadOffice(cfg)
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "sapa: cannot start: the configuration has %d problem(s):\n%v\n", len(problems), problems)
		return 1
	}
	loc := o.catalog.Office.Location
	from, to, err := reportPeriod(*fromFlag, *toFlag, loc)
	if err != nil {
		fmt.Fprintln(stderr, "sapa report:", err)
		return 2
	}

	// Only warnings: the report itself is the output.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	keys, err := loadDataKeys(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "sapa report:", err)
		return 1
	}
	st, err := openStorage(ctx, cfg, caseOptions(o.catalog, keys.Keys), log)
	if err != nil {
		fmt.Fprintln(stderr, "sapa report:", keys.refused(err, log))
		return 1
	}
	r, err := st.Cases.Report(ctx, from, to, services.NewCalendar(o.catalog.Office))
	if cerr := st.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sapa report:", err)
		return 1
	}

	lb := reportLabels{texts: o.texts, lang: *lang, catalog: o.catalog,
		from: *fromFlag, to: *toFlag, office: o.catalog.Office.Name}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	case "csv":
		err = writeCSV(stdout, lb.tables(r))
	default:
		err = writeTable(stdout, lb.t("report.title", map[string]string{"office": lb.office, "from": lb.from, "to": lb.to}), lb.tables(r))
	}
	if err != nil {
		fmt.Fprintln(stderr, "sapa report: write:", err)
		return 1
	}
	if *chartPath != "" {
		if err := drawChart(*chartPath, r, lb); err != nil {
			fmt.Fprintln(stderr, "sapa report:", err)
			return 1
		}
	}
	return 0
}

// reportPeriod reads the inclusive dates into the half-open period
// [from 00:00, the day after to 00:00) of the office time zone.
func reportPeriod(fromText, toText string, loc *time.Location) (time.Time, time.Time, error) {
	if fromText == "" || toText == "" {
		return time.Time{}, time.Time{}, errors.New("--from and --to are required, as YYYY-MM-DD")
	}
	from, err := time.ParseInLocation(reportDate, fromText, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("--from %q is not a date YYYY-MM-DD", fromText)
	}
	last, err := time.ParseInLocation(reportDate, toText, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("--to %q is not a date YYYY-MM-DD", toText)
	}
	if last.Before(from) {
		return time.Time{}, time.Time{}, fmt.Errorf("--to %s is before --from %s", toText, fromText)
	}
	return from, last.AddDate(0, 0, 1), nil
}

// reportTable is one section of the report, rendered as an aligned table
// or as a CSV block.
type reportTable struct {
	title  string
	header []string
	rows   [][]string
}

// reportLabels turns codes into the office's words.
type reportLabels struct {
	texts            *locales.Bundle
	lang             string
	catalog          *services.Catalog
	from, to, office string
}

func (l reportLabels) t(key string, args map[string]string) string {
	return l.texts.T(l.lang, key, args)
}

// label is the text of key when the locales have it, else fallback: a
// code nobody wrote a text for still shows as itself.
func (l reportLabels) label(key, fallback string) string {
	if !l.texts.Has(key) {
		return fallback
	}
	return l.t(key, nil)
}

func (l reportLabels) col(name string) string { return l.t("report.column."+name, nil) }

func (l reportLabels) service(code string) string {
	if code == "" {
		return l.t("report.none", nil)
	}
	return l.label("service."+code+".name", code)
}

func (l reportLabels) status(s string) string { return l.label("status.label."+s, s) }

func (l reportLabels) village(code string) string {
	if code == "" {
		return l.t("report.none", nil)
	}
	for _, v := range l.catalog.Villages {
		if v.Code == code {
			return v.Name + " (" + code + ")"
		}
	}
	return code
}

func (l reportLabels) quality(category string) string {
	if category == "" {
		return "-"
	}
	return l.label("report.quality."+category, category)
}

func num(n int) string     { return strconv.Itoa(n) }
func dec(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
func (l reportLabels) pct(share float64) string {
	return l.t("report.percent", map[string]string{"value": strconv.FormatFloat(share*100, 'f', 1, 64)})
}

// tables lays the report out as the sections a camat reads, in order.
func (l reportLabels) tables(r services.Report) []reportTable {
	asOf := map[string]string{"to": l.to}
	var out []reportTable

	out = append(out, reportTable{
		title:  l.t("report.section.summary", nil),
		header: []string{l.col("item"), l.col("value")},
		rows: [][]string{
			{l.t("report.summary.period", nil), l.from + " - " + l.to},
			{l.t("report.summary.cases", nil), num(r.Cases)},
			{l.t("report.summary.open", asOf), num(r.Open)},
			{l.t("report.summary.overdue", asOf), num(r.Overdue)},
			{l.t("report.summary.partial", nil), num(r.PartialSurveys)},
		},
	})

	kinds := reportTable{title: l.t("report.section.kind", nil), header: []string{l.col("kind"), l.col("count")}}
	for _, c := range r.ByKind {
		kinds.rows = append(kinds.rows, []string{l.label("report.kind."+c.Key, c.Key), num(c.N)})
	}
	out = append(out, kinds)

	statuses := reportTable{title: l.t("report.section.status", asOf), header: []string{l.col("status"), l.col("count")}}
	for _, c := range r.ByStatus {
		statuses.rows = append(statuses.rows, []string{l.status(c.Key), num(c.N)})
	}
	out = append(out, statuses)

	times := reportTable{title: l.t("report.section.services", nil), header: []string{
		l.col("service"), l.col("kind"), l.col("cases"), l.col("finished"), l.col("median"), l.col("p90"), l.col("within_due"),
	}}
	crossHeader := []string{l.col("service")}
	for _, st := range services.Statuses {
		crossHeader = append(crossHeader, l.status(string(st)))
	}
	cross := reportTable{title: l.t("report.section.service_status", asOf), header: append(crossHeader, l.col("cases"))}
	for _, s := range r.Services {
		median, p90, due := "-", "-", "-"
		if s.Finished > 0 {
			median, p90, due = dec(s.MedianDays), dec(s.P90Days), l.pct(s.WithinDueShare)
		}
		times.rows = append(times.rows, []string{
			l.service(s.Service), l.label("report.kind."+string(s.Kind), string(s.Kind)), num(s.Cases), num(s.Finished), median, p90, due,
		})
		row := []string{l.service(s.Service)}
		for _, st := range services.Statuses {
			row = append(row, num(s.ByStatus[st]))
		}
		cross.rows = append(cross.rows, append(row, num(s.Cases)))
	}
	out = append(out, times, cross)

	cats := reportTable{title: l.t("report.section.complaint_category", nil), header: []string{l.col("category"), l.col("count")}}
	for _, c := range r.ComplaintsByCategory {
		name := c.Key
		if name == "" {
			name = l.t("report.none", nil)
		}
		cats.rows = append(cats.rows, []string{name, num(c.N)})
	}
	villages := reportTable{title: l.t("report.section.complaint_village", nil), header: []string{l.col("village"), l.col("count")}}
	for _, c := range r.ComplaintsByVillage {
		villages.rows = append(villages.rows, []string{l.village(c.Key), num(c.N)})
	}
	out = append(out, cats, villages)

	ikm := reportTable{title: l.t("report.section.ikm", nil), header: []string{
		l.col("scope"), l.col("respondents"), l.col("index"), l.col("index_official"), l.col("quality"),
	}}
	nrr := reportTable{title: l.t("report.section.nrr", nil), header: []string{l.col("element"), l.t("report.all_services", nil)}}
	scopes := []services.IKMResult{r.IKM}
	addIKM := func(name string, x services.IKMResult) {
		index, official := "-", "-"
		if x.Respondents > 0 {
			index, official = dec(x.Index), dec(x.IndexOfficial)
		}
		ikm.rows = append(ikm.rows, []string{name, num(x.Respondents), index, official, l.quality(x.Category)})
	}
	addIKM(l.t("report.all_services", nil), r.IKM)
	for _, s := range r.IKMByService {
		addIKM(l.service(s.Service), s.IKM)
		nrr.header = append(nrr.header, l.service(s.Service))
		scopes = append(scopes, s.IKM)
	}
	for i, e := range services.SurveyElements {
		row := []string{e + " " + l.label("survey.element."+e, "")}
		for _, x := range scopes {
			v := "-"
			if x.Respondents > 0 && i < len(x.NRR) {
				v = dec(x.NRR[i])
			}
			row = append(row, v)
		}
		nrr.rows = append(nrr.rows, row)
	}
	out = append(out, ikm, nrr)

	monthly := reportTable{title: l.t("report.section.monthly", nil), header: []string{
		l.col("month"), l.col("cases"), l.col("respondents"), l.col("ikm"),
	}}
	for _, m := range r.Monthly {
		index := "-"
		if m.IKM.Respondents > 0 {
			index = dec(m.IKM.Index)
		}
		monthly.rows = append(monthly.rows, []string{m.Month, num(m.Cases), num(m.IKM.Respondents), index})
	}
	return append(out, monthly)
}

// writeTable prints the title and each section as aligned columns.
func writeTable(w io.Writer, title string, tables []reportTable) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, title)
	for _, t := range tables {
		fmt.Fprintf(tw, "\n%s\n", t.title)
		fmt.Fprintln(tw, strings.Join(t.header, "\t"))
		for _, row := range t.rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		// Flush per section: each section aligns its own columns.
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// writeCSV writes each section as a block: a row with its title, its
// header row, its rows, then an empty line, which CSV readers skip.
func writeCSV(w io.Writer, tables []reportTable) error {
	cw := csv.NewWriter(w)
	for i, t := range tables {
		if i > 0 {
			cw.Flush()
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if err := cw.Write([]string{t.title}); err != nil {
			return err
		}
		if err := cw.Write(t.header); err != nil {
			return err
		}
		if err := cw.WriteAll(t.rows); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Chart size: fits a page of a report when pasted at 15 cm wide.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 6 * vg.Inch
	chartDPI    = 150
)

var (
	chartBlue  = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	chartGreen = color.RGBA{R: 0x1b, G: 0x8a, B: 0x4b, A: 0xff}
)

// drawChart draws the monthly cases as bars above the monthly IKM as a
// line, on one PNG. Months without a completed survey have no IKM point.
func drawChart(path string, r services.Report, l reportLabels) error {
	months := make([]string, len(r.Monthly))
	cases := make(plotter.Values, len(r.Monthly))
	var ikm plotter.XYs
	for i, m := range r.Monthly {
		months[i] = m.Month
		cases[i] = float64(m.Cases)
		if m.IKM.Respondents > 0 {
			ikm = append(ikm, plotter.XY{X: float64(i), Y: m.IKM.Index})
		}
	}
	if len(months) == 0 {
		return errors.New("draw chart: the period has no month")
	}

	top := plot.New()
	top.Title.Text = l.t("report.chart.cases", nil) + " - " + l.office
	top.Y.Label.Text = l.t("report.chart.axis_cases", nil)
	top.Y.Min = 0
	bars, err := plotter.NewBarChart(cases, vg.Points(28))
	if err != nil {
		return fmt.Errorf("draw chart: %w", err)
	}
	bars.Color = chartBlue
	bars.LineStyle.Width = 0
	top.Add(plotter.NewGrid(), bars)
	top.NominalX(months...)

	bottom := plot.New()
	bottom.Title.Text = l.t("report.chart.ikm", nil)
	bottom.Y.Label.Text = l.t("report.chart.axis_ikm", nil)
	bottom.Y.Min, bottom.Y.Max = 25, 100
	bottom.Add(plotter.NewGrid())
	if len(ikm) > 0 {
		line, points, err := plotter.NewLinePoints(ikm)
		if err != nil {
			return fmt.Errorf("draw chart: %w", err)
		}
		line.Color, line.Width = chartGreen, vg.Points(2)
		points.Color, points.Shape = chartGreen, draw.CircleGlyph{}
		bottom.Add(line, points)
	}
	bottom.NominalX(months...)
	// The same x range on both panels keeps each month's bar above its
	// IKM point.
	for _, p := range []*plot.Plot{top, bottom} {
		p.X.Min, p.X.Max = -0.5, float64(len(months))-0.5
	}

	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	// A white page: a transparent PNG shows black in some word processors.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(12), PadY: vg.Points(16)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])

	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("draw chart: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		return errors.Join(fmt.Errorf("draw chart %s: %w", path, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("draw chart %s: %w", path, err)
	}
	return nil
}
