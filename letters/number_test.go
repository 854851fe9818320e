package letters

import (
	"strings"
	"testing"
	"time"
)

func TestNumberFormat(t *testing.T) {
	april := time.Date(2026, 4, 30, 23, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		format, class string
		seq           int64
		want          string
	}{
		{DefaultNumberFormat, "470", 12, "470/012/IV/2026"},
		{DefaultNumberFormat, "400.12.2.3", 1, "400.12.2.3/001/IV/2026"},
		{"{class}/{seq}/Kec.Lks/{roman_month}/{year}", "474", 1234, "474/1234/Kec.Lks/IV/2026"},
		{"{seq}-{month}-{year}", "", 7, "007-04-2026"},
	} {
		f, err := ParseNumberFormat(tc.format)
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		if got := f.Format(tc.seq, tc.class, april); got != tc.want {
			t.Errorf("%s with %d = %q, want %q", tc.format, tc.seq, got, tc.want)
		}
	}
	for m := 1; m <= 12; m++ {
		f, _ := ParseNumberFormat("{seq}/{roman_month}/{year}")
		got := f.Format(1, "", time.Date(2026, time.Month(m), 1, 0, 0, 0, 0, time.UTC))
		if want := "001/" + romanMonths[m-1] + "/2026"; got != want {
			t.Errorf("month %d = %q", m, got)
		}
	}
}

func TestNumberFormatProblems(t *testing.T) {
	for format, want := range map[string]string{
		"{class}/{seq}/{roman_month}":  "{year} is required",
		"{class}/{roman_month}/{year}": "{seq} is required",
		"{seq}/{tahun}/{year}":         "unknown placeholder {tahun}",
		"{seq}/{year":                  "is not closed",
		"{seq}/year}/{year}":           "a } has no {",
	} {
		_, err := ParseNumberFormat(format)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseNumberFormat(%q) = %v, want %q", format, err, want)
		}
	}
	f, _ := ParseNumberFormat("{seq}/{year}")
	if f.UsesClass() {
		t.Error("a format without {class} uses no class")
	}
}
