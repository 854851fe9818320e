package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes the document's tables of set as one workbook, a sheet
// per table: its title and notes on top, the header in bold, numbers as
// numeric cells with a number format (Excel shows them with the PC's own
// decimal separator, "80,56" on an Indonesian one), shares as percentages.
func (w *Writer) WriteXLSX(out io.Writer, d Document, set Set) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newXLSXStyles(f)
	if err != nil {
		return fmt.Errorf("xlsx styles: %w", err)
	}
	first := true
	for _, t := range w.Tables(d, set) {
		sheet := sheetName(t.Sheet, t.ID)
		if first {
			// A new workbook has one sheet: it becomes the first table's.
			err = f.SetSheetName(f.GetSheetName(0), sheet)
			first = false
		} else {
			_, err = f.NewSheet(sheet)
		}
		if err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", sheet, err)
		}
		if err := w.writeSheet(f, sheet, t, st); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", sheet, err)
		}
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Title: w.unit() + " " + w.period(d.Period), Creator: "Sapa Leksono", Language: w.lang}); err != nil {
		return fmt.Errorf("xlsx properties: %w", err)
	}
	if err := f.Write(out); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// xlsxStyles are the style ids of a workbook.
type xlsxStyles struct {
	title, header, bold int
	places              map[int]int // number format by decimals
	percent             int
}

func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	st := xlsxStyles{places: map[int]int{}}
	var err error
	if st.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}}); err != nil {
		return st, err
	}
	if st.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F1"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
	}); err != nil {
		return st, err
	}
	if st.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return st, err
	}
	for places := 0; places <= 4; places++ {
		format := "0"
		if places > 0 {
			format += "." + strings.Repeat("0", places)
		}
		if st.places[places], err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
			return st, err
		}
	}
	pct := "0.0%"
	st.percent, err = f.NewStyle(&excelize.Style{CustomNumFmt: &pct})
	return st, err
}

func (w *Writer) writeSheet(f *excelize.File, sheet string, t Table, st xlsxStyles) error {
	row := 1
	set := func(col, row int, c Cell, bold bool) error {
		ref, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		style := 0
		switch c.Kind {
		case CellNumber:
			err = f.SetCellValue(sheet, ref, c.Value)
			style = st.places[min(c.Places, 4)]
		case CellPercent:
			err = f.SetCellValue(sheet, ref, c.Value)
			style = st.percent
		case CellNone:
			err = f.SetCellValue(sheet, ref, "-")
		default:
			err = f.SetCellValue(sheet, ref, c.Text)
			if bold {
				style = st.bold
			}
		}
		if err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(sheet, ref, ref, style)
		}
		return nil
	}
	if err := set(1, row, plain(t.Title), false); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "A1", st.title); err != nil {
		return err
	}
	for _, n := range t.Notes {
		row++
		if err := set(1, row, plain(n), false); err != nil {
			return err
		}
	}
	row += 2
	widths := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		if err := set(i+1, row, plain(c.Label), false); err != nil {
			return err
		}
		widths[i] = utf8.RuneCountInString(c.Label)
	}
	first, _ := excelize.CoordinatesToCellName(1, row)
	last, _ := excelize.CoordinatesToCellName(len(t.Columns), row)
	if err := f.SetCellStyle(sheet, first, last, st.header); err != nil {
		return err
	}
	for _, r := range t.Rows {
		row++
		for i, c := range r {
			if err := set(i+1, row, c, false); err != nil {
				return err
			}
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(w.CellText(c)))
			}
		}
	}
	for _, r := range t.Footer {
		row++
		for i, c := range r {
			if err := set(i+1, row, c, true); err != nil {
				return err
			}
		}
	}
	for i, n := range widths {
		name, _ := excelize.ColumnNumberToName(i + 1)
		// Long headers wrap; long texts (priorities) get at most 80.
		if err := f.SetColWidth(sheet, name, name, float64(min(max(n, 6), 80))+2); err != nil {
			return err
		}
	}
	return nil
}

// sheetName makes a valid, unique-enough sheet name: at most 31
// characters, none of : \ / ? * [ ].
func sheetName(name, fallback string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '-'
		}
		return r
	}, name)
	if name == "" {
		name = fallback
	}
	if utf8.RuneCountInString(name) > 31 {
		name = string([]rune(name)[:31])
	}
	return name
}
