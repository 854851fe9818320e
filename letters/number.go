package letters

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NumberFormat is how an office writes its letter numbers, parsed from
// kecamatan.yaml (letters.number). Placeholders:
//
//	{seq}          the register's running number of the year, at least three digits (001);
//	               it starts again at 001 on 1 January
//	{class}        the template's classification code (kode klasifikasi arsip), e.g. 470
//	{roman_month}  the month of issue in Roman numerals, I to XII
//	{month}        the month of issue, 01 to 12
//	{year}         the year of issue, 2026
//
// {seq} and {year} must both be there: one year's numbers would otherwise
// repeat the next year's. Everything else is written as it stands, so an
// office writes "{class}/{seq}/Kec.Lks/{roman_month}/{year}" if that is its
// custom. The default, "{class}/{seq}/{roman_month}/{year}", gives
// 470/012/IV/2026 as Indonesian offices write them.
type NumberFormat struct {
	parts []numberPart
}

// DefaultNumberFormat is the format of an office that sets none.
const DefaultNumberFormat = "{class}/{seq}/{roman_month}/{year}"

// numberPart is a literal (name "") or a placeholder.
type numberPart struct {
	name, literal string
}

var numberPlaceholders = []string{"seq", "class", "roman_month", "month", "year"}

// ParseNumberFormat reads a number format, or says what is wrong with it.
func ParseNumberFormat(s string) (NumberFormat, error) {
	var f NumberFormat
	seen := map[string]bool{}
	rest := s
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			f.parts = append(f.parts, numberPart{literal: rest})
			break
		}
		if open > 0 {
			f.parts = append(f.parts, numberPart{literal: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return NumberFormat{}, fmt.Errorf("number format %q: a { is not closed", s)
		}
		name := rest[open+1 : open+end]
		if !contains(numberPlaceholders, name) {
			return NumberFormat{}, fmt.Errorf("number format %q: unknown placeholder {%s} (use: {%s})", s, name, strings.Join(numberPlaceholders, "}, {"))
		}
		seen[name] = true
		f.parts = append(f.parts, numberPart{name: name})
		rest = rest[open+end+1:]
	}
	for _, p := range f.parts {
		if strings.ContainsRune(p.literal, '}') {
			return NumberFormat{}, fmt.Errorf("number format %q: a } has no {", s)
		}
	}
	for _, need := range []string{"seq", "year"} {
		if !seen[need] {
			return NumberFormat{}, fmt.Errorf("number format %q: {%s} is required, so that numbers never repeat", s, need)
		}
	}
	return f, nil
}

// UsesClass reports whether the format prints the template's
// classification code, which templates must then set.
func (f NumberFormat) UsesClass() bool {
	for _, p := range f.parts {
		if p.name == "class" {
			return true
		}
	}
	return false
}

// Format writes letter number seq of the year of at (in the office's time
// zone, which the caller has applied), for a template of class.
func (f NumberFormat) Format(seq int64, class string, at time.Time) string {
	var b strings.Builder
	for _, p := range f.parts {
		switch p.name {
		case "":
			b.WriteString(p.literal)
		case "seq":
			fmt.Fprintf(&b, "%03d", seq)
		case "class":
			b.WriteString(class)
		case "roman_month":
			b.WriteString(romanMonths[at.Month()-1])
		case "month":
			fmt.Fprintf(&b, "%02d", int(at.Month()))
		case "year":
			b.WriteString(strconv.Itoa(at.Year()))
		}
	}
	return b.String()
}

var romanMonths = [12]string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
