package office

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
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
// office's address or phone still the shipped placeholder, a signatory of
// the letters still one, classification codes of letters still to be
// confirmed, and holidays with no day of this year, or in December none of
// the coming year. Each names the line to edit.
func (o *Office) Warnings(now time.Time) Problems {
	line := func(key string) int {
		if k, _ := o.lookup(kecamatanFile, key); k != nil {
			return k.Line
		}
		return 0
	}
	where := func(key string) string {
		if n := line(key); n > 0 {
			return o.lineAt(kecamatanFile, n)
		}
		return path.Join(filepath.ToSlash(o.dir), kecamatanFile)
	}
	var out Problems
	office := o.Catalog.Office
	address := strings.Contains(office.Address, PlaceholderMark)
	phone := strings.Contains(office.Phone, PlaceholderMark) || !strings.ContainsAny(office.Phone, "0123456789")
	switch {
	case address && phone:
		out = append(out, Problem{Where: where("address"), Warning: true,
			Msg:  fmt.Sprintf("address and phone are still placeholders: citizens who ask where the office is read %q and %q", office.Address, office.Phone),
			Hint: fmt.Sprintf("write the office's address on this line and its phone number on line %d", line("phone"))})
	case address:
		out = append(out, Problem{Where: where("address"), Warning: true,
			Msg:  fmt.Sprintf("address is still a placeholder: citizens who ask where the office is read %q", office.Address),
			Hint: "write the office's address on this line"})
	case phone:
		out = append(out, Problem{Where: where("phone"), Warning: true,
			Msg:  fmt.Sprintf("phone is still a placeholder: citizens who ask how to call the office read %q", office.Phone),
			Hint: "write the office's phone number on this line"})
	}

	out = append(out, o.signatoryWarnings(where)...)

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
	return append(out, o.classWarning()...)
}

// ToConfirm marks, in a comment on its line, a value of configs/letters/
// the office has still to confirm (a letter's classification code): check
// warns while it is there.
const ToConfirm = "TO BE CONFIRMED"

// signatoryWarnings name each signatory a letter template names whose
// name, rank or NIP is still the shipped placeholder: every letter it
// signs prints it. where names a line of kecamatan.yaml.
func (o *Office) signatoryWarnings(where func(string) string) Problems {
	if o.Letters == nil {
		return nil
	}
	used := map[string]bool{}
	for _, code := range o.Letters.Services() {
		tpl, _ := o.Letters.For(code)
		used[tpl.Signatory] = true
	}
	keys := slices.Sorted(maps.Keys(used))
	var out Problems
	for _, k := range keys {
		s := o.Letters.Signatories[k]
		if !strings.Contains(s.Name+s.Rank+s.NIP, PlaceholderMark) {
			continue
		}
		at := where("letters")
		if _, name := o.lookup(kecamatanFile, "letters", "signatories", k, "name"); name != nil {
			at = o.lineAt(kecamatanFile, name.Line)
		}
		out = append(out, Problem{Where: at, Warning: true,
			Msg:  fmt.Sprintf("signatory %q is still a placeholder: the letters it signs print %q under the signature", k, s.Name),
			Hint: "write the name, rank and NIP of who signs on this line and the next two"})
	}
	return out
}

// classWarning names the letter templates whose classification code is
// still marked ToConfirm, in one warning: every letter number of theirs
// is written with it.
func (o *Office) classWarning() Problems {
	if o.Letters == nil {
		return nil
	}
	var first string
	var others []string
	for _, code := range o.Letters.Services() {
		file := path.Join("letters", code+".yaml")
		key, value := o.lookup(file, "class")
		if value == nil || !strings.Contains(key.LineComment+value.LineComment, ToConfirm) {
			continue
		}
		if first == "" {
			first = o.lineAt(file, value.Line)
		} else {
			others = append(others, code+".yaml")
		}
	}
	if first == "" {
		return nil
	}
	msg := fmt.Sprintf("the classification code of this letter is still to be confirmed (%q on its line): its letter numbers are written with it", ToConfirm)
	if len(others) > 0 {
		msg = fmt.Sprintf("the classification codes of %d letters are still to be confirmed (%q on the class line of this file and of %s): their letter numbers are written with them",
			len(others)+1, ToConfirm, strings.Join(others, ", "))
	}
	return Problems{{Where: first, Warning: true, Msg: msg,
		Hint: fmt.Sprintf("confirm each class against the office's archive classification list, then delete %q from its line", ToConfirm)}}
}

// lineAt is file:line as problems name a line of an office file.
func (o *Office) lineAt(file string, line int) string {
	return path.Join(filepath.ToSlash(o.dir), file) + ":" + strconv.Itoa(line)
}

// lookup finds the value under the keys of path in file, and its key;
// nil when the file cannot be read or has no such value.
func (o *Office) lookup(file string, keys ...string) (key, value *yaml.Node) {
	raw, err := fs.ReadFile(o.files, file)
	if err != nil {
		return nil, nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(raw, &doc) != nil || len(doc.Content) == 0 {
		return nil, nil
	}
	value = doc.Content[0]
	for _, k := range keys {
		if value.Kind != yaml.MappingNode {
			return nil, nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(value.Content); i += 2 {
			if value.Content[i].Value == k {
				key, next = value.Content[i], value.Content[i+1]
				break
			}
		}
		if next == nil {
			return nil, nil
		}
		value = next
	}
	return key, value
}
