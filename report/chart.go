package report

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/leksono/sapa/services"
)

// The chart's page: six panels in three rows, readable on a projector and
// when pasted 16 cm wide into a report.
const (
	chartWidth  = 13 * vg.Inch
	chartHeight = 15 * vg.Inch
	chartDPI    = 110
	// chartNameRunes is where long names are cut on a bar axis.
	chartNameRunes = 36
)

var (
	chartBlue   = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	chartGreen  = color.RGBA{R: 0x1b, G: 0x6e, B: 0x3b, A: 0xff}
	chartOrange = color.RGBA{R: 0xd9, G: 0x6c, B: 0x1e, A: 0xff}
	chartGrey   = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
	// The IKM bands, light enough for the line to stand out: A green,
	// B blue, C yellow, D red.
	bandColors = map[string]color.Color{
		"A": color.RGBA{R: 0xd8, G: 0xef, B: 0xd3, A: 0xff},
		"B": color.RGBA{R: 0xdd, G: 0xea, B: 0xf7, A: 0xff},
		"C": color.RGBA{R: 0xfd, G: 0xf1, B: 0xcc, A: 0xff},
		"D": color.RGBA{R: 0xf8, G: 0xda, B: 0xdc, A: 0xff},
	}
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// WriteChart draws the document as one PNG: the cases filed each month and
// the IKM each month over the regulation's A-D bands (top), the share
// finished on time and the cases by service (middle), the cases by village
// and the complaints by category (bottom). Counts are whole numbers, every
// bar carries its value, names replace codes.
func (w *Writer) WriteChart(out io.Writer, d Document) error {
	r := d.Report
	if len(r.Monthly) == 0 {
		return errors.New("draw chart: the period has no month")
	}
	panels := [][]*plot.Plot{
		{w.casesPanel(r), w.ikmPanel(d)},
		{w.onTimePanel(r), w.servicesPanel(r)},
		{w.villagesPanel(r), w.categoriesPanel(r)},
	}
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	// A white page: a transparent PNG shows black in some word processors.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	title := w.t("report.chart.title", map[string]string{"unit": w.unit(), "period": w.period(d.Period)})
	dc.FillText(textStyle(sansBold, 17, draw.XCenter, draw.YTop),
		vg.Point{X: chartWidth / 2, Y: chartHeight - vg.Points(14)}, title)
	dc.FillText(textStyle(sans, 11, draw.XCenter, draw.YTop),
		vg.Point{X: chartWidth / 2, Y: chartHeight - vg.Points(36)}, w.t("report.chart.subtitle", map[string]string{"as_of": w.asOf(d)}))

	tiles := draw.Tiles{Rows: 3, Cols: 2, PadTop: vg.Points(64), PadBottom: vg.Points(10),
		PadLeft: vg.Points(10), PadRight: vg.Points(16), PadX: vg.Points(28), PadY: vg.Points(26)}
	for row, ps := range panels {
		for col, p := range ps {
			p.Draw(tiles.At(dc, col, row))
		}
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(out); err != nil {
		return fmt.Errorf("draw chart: %w", err)
	}
	return nil
}

func textStyle(f font.Font, size float64, x draw.XAlignment, y draw.YAlignment) text.Style {
	return text.Style{Color: color.Black, Font: font.From(f, vg.Points(size)), XAlign: x, YAlign: y, Handler: plot.DefaultTextHandler}
}

// newPanel is a plot with the chart's fonts and title.
func newPanel(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansBold, vg.Points(13))
	p.Title.Padding = vg.Points(8)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, vg.Points(11))
		a.Tick.Label.Font = font.From(sans, vg.Points(10))
	}
	return p
}

// valueLabels writes each value beside its bar; horizontal bars get it at
// their end, vertical ones above.
func valueLabels(values []float64, labels []string, horizontal bool) (*plotter.Labels, error) {
	xys := make(plotter.XYs, len(values))
	for i, v := range values {
		if horizontal {
			xys[i] = plotter.XY{X: v, Y: float64(i)}
		} else {
			xys[i] = plotter.XY{X: float64(i), Y: v}
		}
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = font.From(sansBold, vg.Points(10))
		if horizontal {
			l.TextStyle[i].YAlign = draw.YCenter
		} else {
			l.TextStyle[i].XAlign = draw.XCenter
		}
	}
	if horizontal {
		l.Offset = vg.Point{X: vg.Points(4)}
	} else {
		l.Offset = vg.Point{Y: vg.Points(3)}
	}
	return l, nil
}

// wholeTicks puts ticks on whole numbers only: a count axis never shows
// "2.50" cases.
var wholeTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	span := max - min
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000} {
		step = s
		if span/s <= 6 {
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ticks
})

// countRange fits a count axis: from 0 to a little above the largest
// value, so its label fits, and at least 1.
func countRange(a *plot.Axis, largest float64) {
	a.Min = 0
	a.Max = math.Max(1, math.Ceil(largest*1.18))
	a.Tick.Marker = wholeTicks
}

// emptyNote marks a panel with nothing to show.
func (w *Writer) emptyNote(p *plot.Plot) {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: 0.5, Y: 0.5}}, Labels: []string{w.t("report.chart.no_data", nil)}})
	if err != nil {
		return
	}
	l.TextStyle[0].Font = font.From(sans, vg.Points(12))
	l.TextStyle[0].Color = chartGrey
	l.TextStyle[0].XAlign, l.TextStyle[0].YAlign = draw.XCenter, draw.YCenter
	p.Add(l)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.X.Label.Text, p.Y.Label.Text = "", ""
	p.HideAxes()
}

// hbars draws named values as horizontal bars, the first on top.
func (w *Writer) hbars(p *plot.Plot, names []string, values []float64, labels []string, c color.Color) {
	if len(values) == 0 {
		w.emptyNote(p)
		return
	}
	// Bars count from the bottom: reversed, the first is on top.
	n := len(values)
	rv, rn, rl := make(plotter.Values, n), make([]string, n), make([]string, n)
	for i := range values {
		rv[n-1-i], rn[n-1-i], rl[n-1-i] = values[i], shorten(names[i]), labels[i]
	}
	bars, err := plotter.NewBarChart(rv, vg.Points(math.Min(20, 170/float64(n))))
	if err != nil {
		w.emptyNote(p)
		return
	}
	bars.Horizontal = true
	bars.Color = c
	bars.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), bars)
	if l, err := valueLabels(rv, rl, true); err == nil {
		p.Add(l)
	}
	p.NominalY(rn...)
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
}

// shorten cuts a long name for a bar axis.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= chartNameRunes {
		return s
	}
	return string([]rune(s)[:chartNameRunes-1]) + "…"
}

func (w *Writer) casesPanel(r services.Report) *plot.Plot {
	p := newPanel(w.t("report.chart.cases", nil))
	p.Y.Label.Text = w.t("report.chart.axis_cases", nil)
	months := make([]string, len(r.Monthly))
	values := make(plotter.Values, len(r.Monthly))
	labels := make([]string, len(r.Monthly))
	largest := 0.0
	for i, m := range r.Monthly {
		months[i] = w.month(m.Month)
		values[i] = float64(m.Cases)
		labels[i] = strconv.Itoa(m.Cases)
		largest = math.Max(largest, values[i])
	}
	bars, err := plotter.NewBarChart(values, vg.Points(math.Min(40, 520/float64(len(values)))))
	if err == nil {
		bars.Color = chartBlue
		bars.LineStyle.Width = 0
		p.Add(plotter.NewGrid(), bars)
		if l, err := valueLabels(values, labels, false); err == nil {
			p.Add(l)
		}
	}
	p.NominalX(months...)
	p.X.Min, p.X.Max = -0.5, float64(len(months))-0.5
	countRange(&p.Y, largest)
	return p
}

// bands is the regulation's A-D bands as filled stripes across the plot,
// each named at its right end.
type bands struct {
	xmin, xmax float64
	names      map[string]string
}

// Plot implements plot.Plotter.
func (b bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, band := range services.IKMBands {
		lo, hi := band.Min, band.Max
		if band.Category != "A" {
			hi += 0.01 // close the regulation's gap between two bands
		}
		rect := vg.Path{}
		rect.Move(vg.Point{X: trX(b.xmin), Y: trY(lo)})
		rect.Line(vg.Point{X: trX(b.xmax), Y: trY(lo)})
		rect.Line(vg.Point{X: trX(b.xmax), Y: trY(hi)})
		rect.Line(vg.Point{X: trX(b.xmin), Y: trY(hi)})
		rect.Close()
		c.SetColor(bandColors[band.Category])
		c.Fill(rect)
		sty := textStyle(sansBold, 10, draw.XRight, draw.YTop)
		sty.Color = chartGrey
		c.FillText(sty, vg.Point{X: trX(b.xmax) - vg.Points(4), Y: trY(hi) - vg.Points(3)}, b.names[band.Category])
	}
}

func (w *Writer) ikmPanel(d Document) *plot.Plot {
	r := d.Report
	p := newPanel(w.t("report.chart.ikm", map[string]string{"weighting": w.weighting(d.Weighting)}))
	p.Y.Label.Text = w.t("report.chart.axis_ikm", nil)
	months := make([]string, len(r.Monthly))
	var points plotter.XYs
	var values, counts []string
	for i, m := range r.Monthly {
		months[i] = w.month(m.Month)
		if m.IKM.Respondents > 0 {
			index, _ := m.IKM.Published(d.Weighting)
			points = append(points, plotter.XY{X: float64(i), Y: index})
			values = append(values, w.number(index, 2))
			counts = append(counts, w.t("report.chart.respondents", map[string]string{"n": strconv.Itoa(m.IKM.Respondents)}))
		}
	}
	names := map[string]string{}
	for _, b := range services.IKMBands {
		names[b.Category] = w.quality(b.Category)
	}
	// One more column on the right holds the bands' names, clear of the
	// line and its labels.
	right := float64(len(months)) + 0.6
	p.Add(bands{xmin: -0.5, xmax: right, names: names})
	if len(points) > 0 {
		line, dots, err := plotter.NewLinePoints(points)
		if err == nil {
			line.Color, line.Width = chartGreen, vg.Points(2.5)
			dots.Color, dots.Shape, dots.Radius = chartGreen, draw.CircleGlyph{}, vg.Points(4)
			p.Add(line, dots)
		}
		if l, err := plotter.NewLabels(plotter.XYLabels{XYs: points, Labels: values}); err == nil {
			for i := range l.TextStyle {
				l.TextStyle[i].Font = font.From(sansBold, vg.Points(10))
				l.TextStyle[i].XAlign = draw.XCenter
			}
			l.Offset = vg.Point{Y: vg.Points(8)}
			p.Add(l)
		}
		if l, err := plotter.NewLabels(plotter.XYLabels{XYs: points, Labels: counts}); err == nil {
			for i := range l.TextStyle {
				l.TextStyle[i].Font = font.From(sans, vg.Points(9))
				l.TextStyle[i].Color = chartGrey
				l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YTop
			}
			l.Offset = vg.Point{Y: -vg.Points(8)}
			p.Add(l)
		}
	}
	p.NominalX(months...)
	p.X.Min, p.X.Max = -0.5, right
	p.Y.Min, p.Y.Max = 25, 100
	// Ticks at the bands' lower edges, so each band reads off the axis.
	var ticks []plot.Tick
	for _, v := range []float64{25, 65, 76.61, 88.31, 100} {
		places := 2
		if v == math.Trunc(v) {
			places = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: w.number(v, places)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	return p
}

func (w *Writer) onTimePanel(r services.Report) *plot.Plot {
	p := newPanel(w.t("report.chart.on_time", nil))
	p.X.Label.Text = w.t("report.chart.axis_share", nil)
	var names, labels []string
	var values []float64
	for _, s := range r.Services {
		if s.Finished == 0 {
			continue
		}
		names = append(names, w.service(s.Service))
		values = append(values, s.WithinDueShare*100)
		labels = append(labels, w.t("report.chart.share_of", map[string]string{
			"percent": w.number(s.WithinDueShare*100, 0), "n": strconv.Itoa(s.WithinDue), "of": strconv.Itoa(s.Finished),
		}))
	}
	w.hbars(p, names, values, labels, chartGreen)
	if len(values) > 0 {
		p.X.Min, p.X.Max = 0, 125
		p.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0%"}, {Value: 25, Label: "25%"},
			{Value: 50, Label: "50%"}, {Value: 75, Label: "75%"}, {Value: 100, Label: "100%"}})
	}
	return p
}

// countBars draws counts by name as horizontal bars on a whole-number axis.
func (w *Writer) countBars(p *plot.Plot, names []string, counts []int, c color.Color) {
	values := make([]float64, len(counts))
	labels := make([]string, len(counts))
	largest := 0.0
	for i, n := range counts {
		values[i], labels[i] = float64(n), strconv.Itoa(n)
		largest = math.Max(largest, values[i])
	}
	p.X.Label.Text = w.t("report.chart.axis_cases", nil)
	w.hbars(p, names, values, labels, c)
	if len(values) > 0 {
		countRange(&p.X, largest)
	}
}

func (w *Writer) servicesPanel(r services.Report) *plot.Plot {
	p := newPanel(w.t("report.chart.services", nil))
	var names []string
	var counts []int
	for _, s := range r.Services {
		names = append(names, w.service(s.Service))
		counts = append(counts, s.Cases)
	}
	w.countBars(p, names, counts, chartBlue)
	return p
}

func (w *Writer) villagesPanel(r services.Report) *plot.Plot {
	p := newPanel(w.t("report.chart.villages", nil))
	var names []string
	var counts []int
	for _, c := range r.ByVillage {
		names = append(names, w.village(c.Key))
		counts = append(counts, c.N)
	}
	w.countBars(p, names, counts, chartBlue)
	return p
}

func (w *Writer) categoriesPanel(r services.Report) *plot.Plot {
	p := newPanel(w.t("report.chart.categories", nil))
	var names []string
	var counts []int
	for _, c := range r.ComplaintsByCategory {
		names = append(names, w.category(c.Key))
		counts = append(counts, c.N)
	}
	w.countBars(p, names, counts, chartOrange)
	return p
}
