package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/report"
)

// reportFlags declares the report command's flags: the office's figures
// for a period, which package report renders.
func reportFlags(flags *flag.FlagSet) func(env) int {
	var f reportArgs
	flags.StringVar(&f.from, "from", "", "first day of the period, YYYY-MM-DD (office time zone), required")
	flags.StringVar(&f.to, "to", "", "last day of the period, YYYY-MM-DD, inclusive, required")
	flags.BoolVar(&f.ikm, "ikm", false, "the satisfaction survey report of PermenPAN-RB 14/2017 instead of the service report")
	flags.StringVar((*string)(&f.out.Format), "format", "table", "output: table, csv, json or xlsx (xlsx needs --out)")
	flags.StringVar(&f.out.Out, "out", "", "write there instead of stdout: a file, or for csv a directory of one file per table")
	flags.StringVar(&f.out.Table, "table", "", "csv: print only this table to stdout")
	flags.StringVar(&f.out.Chart, "chart", "", "also draw the chart into this PNG file")
	flags.StringVar(&f.out.Card, "card", "", "also write the IKM publication card into this PDF file (one A4 page)")
	flags.StringVar(&f.lang, "lang", locales.DefaultLang, "language of the labels")
	return func(e env) int { return reportCmd(e, f) }
}

// reportArgs are the report command's flags.
type reportArgs struct {
	from, to, lang string
	ikm            bool
	out            report.Output
}

// reportCmd writes the report f asks for and returns the exit code.
func reportCmd(e env, f reportArgs) int {
	if err := f.out.Check(); err != nil {
		fmt.Fprintln(e.stderr, "sapa report:", err)
		return 2
	}
	cfg, o, code := prepare(e)
	if o == nil {
		return code
	}
	period, err := report.ParsePeriod(f.from, f.to, o.Catalog.Office.Location)
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa report: --from and --to:", err)
		return 2
	}
	set := report.SetService
	if f.ikm {
		set = report.SetIKM
	}
	// Only warnings: the report itself is the output.
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	st, _, err := openStorage(ctx, cfg, o, false, log)
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa report:", err)
		return 1
	}
	d, err := report.Build(ctx, st.Cases, o.Catalog.Office, period, e.now())
	if err = errors.Join(err, st.Close()); err == nil {
		err = report.New(o.Catalog, o.Texts, f.lang).Write(e.stdout, d, set, f.out)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa report:", err)
		return 1
	}
	return 0
}
