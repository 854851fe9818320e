package office

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// PlaceholderMark is what the shipped address and phone say until the
// office confirms them ("menunggu konfirmasi kantor": awaiting the office's
// confirmation). Citizens read it, so check warns while it is there.
const PlaceholderMark = "menunggu konfirmasi"

const kecamatanFile = "kecamatan.yaml"

// Warnings are what is valid but still wrong for citizens at now: the
// office's address or phone still the shipped placeholder, and holidays
// with no day of this year, or in December none of the coming year. Each
// names the line of kecamatan.yaml to edit.
func (o *Office) Warnings(now time.Time) Problems {
	lines := o.keyLines(kecamatanFile)
	where := func(key string) string {
		w := path.Join(filepath.ToSlash(o.dir), kecamatanFile)
		if n := lines[key]; n > 0 {
			w += ":" + strconv.Itoa(n)
		}
		return w
	}
	var out Problems
	office := o.Catalog.Office
	address := strings.Contains(office.Address, PlaceholderMark)
	phone := strings.Contains(office.Phone, PlaceholderMark) || !strings.ContainsAny(office.Phone, "0123456789")
	switch {
	case address && phone:
		out = append(out, Problem{Where: where("address"), Warning: true,
			Msg:  fmt.Sprintf("address and phone are still placeholders: citizens who ask where the office is read %q and %q", office.Address, office.Phone),
			Hint: fmt.Sprintf("write the office's address on this line and its phone number on line %d", lines["phone"])})
	case address:
		out = append(out, Problem{Where: where("address"), Warning: true,
			Msg:  fmt.Sprintf("address is still a placeholder: citizens who ask where the office is read %q", office.Address),
			Hint: "write the office's address on this line"})
	case phone:
		out = append(out, Problem{Where: where("phone"), Warning: true,
			Msg:  fmt.Sprintf("phone is still a placeholder: citizens who ask how to call the office read %q", office.Phone),
			Hint: "write the office's phone number on this line"})
	}

	if office.Location != nil {
		now = now.In(office.Location)
	}
	years := map[int]bool{}
	for _, day := range office.Holidays {
		if y, err := strconv.Atoi(day[:4]); err == nil {
			years[y] = true
		}
	}
	hint := func(year int) string {
		return fmt.Sprintf("add the national holidays and cuti bersama of %d (SKB 3 Menteri) under holidays, one \"%d-MM-DD\" a line", year, year)
	}
	if y := now.Year(); !years[y] {
		out = append(out, Problem{Where: where("holidays"), Warning: true, Hint: hint(y),
			Msg: fmt.Sprintf("holidays lists no day of %d: deadlines count this year's holidays as working days", y)})
	}
	if y := now.Year() + 1; now.Month() == time.December && !years[y] {
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		days := int(time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC).Sub(today).Hours() / 24)
		out = append(out, Problem{Where: where("holidays"), Warning: true, Hint: hint(y),
			Msg: fmt.Sprintf("holidays lists no day of %d, which starts in %d days: deadlines will count its holidays as working days", y, days)})
	}
	return out
}

// keyLines are the lines of the top-level keys of file; empty when the
// file cannot be read (the loader has reported it).
func (o *Office) keyLines(file string) map[string]int {
	out := map[string]int{}
	raw, err := fs.ReadFile(o.files, file)
	if err != nil {
		return out
	}
	var doc yaml.Node
	if yaml.Unmarshal(raw, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return out
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i].Line
	}
	return out
}
