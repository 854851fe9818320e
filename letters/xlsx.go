package letters

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// registerColumns are the register's columns: the locale key of the
// header (letter.register.<key>), the width, and the cell of an entry.
var registerColumns = []struct {
	key   string
	width float64
	cell  func(i *Issuer, e Entry) any
}{
	{"seq", 7, func(_ *Issuer, e Entry) any { return e.Seq }},
	{"number", 22, func(_ *Issuer, e Entry) any { return e.Number }},
	{"date", 12, func(i *Issuer, e Entry) any { return localDate(i, e.IssuedAt) }},
	{"service", 34, func(_ *Issuer, e Entry) any { return e.ServiceName }},
	{"holder", 26, func(_ *Issuer, e Entry) any { return e.Holder }},
	{"village", 16, func(_ *Issuer, e Entry) any { return e.Village }},
	{"ticket", 17, func(_ *Issuer, e Entry) any { return e.Ticket }},
	{"officer", 16, func(_ *Issuer, e Entry) any { return e.IssuedBy }},
	{"prints", 8, func(_ *Issuer, e Entry) any { return e.Prints }},
	{"code", 14, func(_ *Issuer, e Entry) any { return e.Code }},
	{"state", 11, func(i *Issuer, e Entry) any {
		if e.Revoked {
			return i.text("letter.register.revoked", nil)
		}
		return i.text("letter.register.valid", nil)
	}},
	{"revoked_at", 12, func(i *Issuer, e Entry) any {
		if !e.Revoked {
			return ""
		}
		return localDate(i, e.RevokedAt)
	}},
	{"revoke_reason", 30, func(_ *Issuer, e Entry) any { return e.RevokeReason }},
}

// RegisterXLSX is the register of a year as a spreadsheet, the office's
// "buku register surat keluar": a title, one row per letter in number
// order, dates as date cells.
func (i *Issuer) RegisterXLSX(ctx context.Context, year int) ([]byte, error) {
	entries, err := i.Register(ctx, year)
	if err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := i.text("letter.register.sheet", map[string]string{"year": strconv.Itoa(year)})
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, fmt.Errorf("register sheet: %w", err)
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	if err != nil {
		return nil, fmt.Errorf("register styles: %w", err)
	}
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F1"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
	})
	if err != nil {
		return nil, fmt.Errorf("register styles: %w", err)
	}
	dateFormat := "dd/mm/yyyy"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat, Alignment: &excelize.Alignment{Horizontal: "left"}})
	if err != nil {
		return nil, fmt.Errorf("register styles: %w", err)
	}
	set := func(col, row int, v any, style int) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(sheet, cell, cell, style)
		}
		return nil
	}
	o := i.catalog.Office
	err = set(1, 1, i.text("letter.register.title", map[string]string{"kecamatan": o.Name, "kabupaten": o.Regency, "year": strconv.Itoa(year)}), title)
	for c, col := range registerColumns {
		if err == nil {
			err = set(c+1, 3, i.text("letter.register."+col.key, nil), header)
		}
		if err == nil {
			name, _ := excelize.ColumnNumberToName(c + 1)
			err = f.SetColWidth(sheet, name, name, col.width)
		}
	}
	for r, e := range entries {
		for c, col := range registerColumns {
			if err != nil {
				break
			}
			v := col.cell(i, e)
			style := 0
			if _, ok := v.(dateOnly); ok {
				style = date
				v = v.(dateOnly).Time
			}
			err = set(c+1, r+4, v, style)
		}
	}
	if err == nil {
		err = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	}
	if err == nil {
		err = f.SetDocProps(&excelize.DocProperties{Title: sheet, Creator: "Sapa Leksono", Language: "id"})
	}
	if err != nil {
		return nil, fmt.Errorf("register of %d as xlsx: %w", year, err)
	}
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		return nil, fmt.Errorf("register of %d as xlsx: %w", year, err)
	}
	return out.Bytes(), nil
}

// dateOnly is a date cell: the office's calendar day, written as a date
// (Excel counts days, and a time zone would shift late letters a day).
type dateOnly struct{ time.Time }

func localDate(i *Issuer, t time.Time) dateOnly {
	t = t.In(i.catalog.Office.Location)
	return dateOnly{time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
}
