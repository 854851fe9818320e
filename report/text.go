package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteText prints the document's tables of set as aligned columns under
// a title, numbers written the language's way ("80,56").
func (w *Writer) WriteText(out io.Writer, d Document, set Set) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, w.Title(d, set))
	for _, t := range w.Tables(d, set) {
		fmt.Fprintf(tw, "\n%s\n", t.Title)
		for _, n := range t.Notes {
			fmt.Fprintln(tw, n)
		}
		labels := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			labels[i] = c.Label
		}
		fmt.Fprintln(tw, strings.Join(labels, "\t"))
		for _, row := range append(t.Rows, t.Footer...) {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = w.CellText(c)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		// Flush per section: each section aligns its own columns.
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// Title is the heading of the report of set over d's period, with the
// office's name: "Laporan Survei Kepuasan Masyarakat Kecamatan Leksono,
// 1 Januari 2026 s.d. 30 Juni 2026".
func (w *Writer) Title(d Document, set Set) string {
	key := "report.title"
	if set == SetIKM {
		key = "report.title_ikm"
	}
	return w.t(key, map[string]string{"unit": w.unit(), "period": w.period(d.Period)})
}

// CellText is a cell as people read it, in the writer's language ("80,56",
// "75,0%", "-").
func (w *Writer) CellText(c Cell) string {
	switch c.Kind {
	case CellNumber:
		return w.number(c.Value, c.Places)
	case CellPercent:
		return w.t("report.percent", map[string]string{"value": w.number(c.Value*100, 1)})
	case CellNone:
		return "-"
	default:
		return c.Text
	}
}

// WriteCSV writes one table as a CSV file for machines: a header row of
// column ids, then the rows; numbers with a decimal point and no grouping,
// shares as fractions (0.75), empty for no value, and each coded column
// preceded by its codes. Titles, notes and totals are left out: every row
// is data.
func WriteCSV(out io.Writer, t Table) error {
	cw := csv.NewWriter(out)
	var header []string
	for _, c := range t.Columns {
		if c.CodeID != "" {
			header = append(header, c.CodeID)
		}
		header = append(header, c.ID)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range t.Rows {
		var rec []string
		for i, c := range row {
			if i < len(t.Columns) && t.Columns[i].CodeID != "" {
				rec = append(rec, c.Code)
			}
			rec = append(rec, csvValue(c))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvValue is a cell for machines. Numbers keep six decimals, enough for
// any recomputation and free of float noise (0.30000000000000004).
func csvValue(c Cell) string {
	switch c.Kind {
	case CellNumber, CellPercent:
		return strconv.FormatFloat(math.Round(c.Value*1e6)/1e6, 'f', -1, 64)
	case CellNone:
		return ""
	default:
		return c.Text
	}
}
