package report

import (
	"strings"
	"testing"
)

func TestOutputCheck(t *testing.T) {
	for _, tc := range []struct {
		o    Output
		want string // "" when the output can be written
	}{
		{Output{Format: FormatText}, ""},
		{Output{Format: FormatJSON, Chart: "g.png", Card: "c.pdf"}, ""},
		{Output{Format: FormatCSV, Table: "ikm"}, ""},
		{Output{Format: FormatCSV, Out: "dir"}, ""},
		{Output{Format: FormatXLSX, Out: "a.xlsx"}, ""},
		{Output{Format: "xml"}, `--format "xml": use table, csv, json or xlsx`},
		{Output{Format: FormatChart, Out: "g.png"}, `--format "chart"`},
		{Output{Format: FormatXLSX}, "add --out laporan.xlsx"},
		{Output{Format: FormatCSV}, "add --out DIR, or --table NAME"},
		{Output{Format: FormatText, Table: "ikm"}, "--table goes with --format csv"},
	} {
		err := tc.o.Check()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v.Check() = %v, want %q", tc.o, err, tc.want)
		}
	}
}
