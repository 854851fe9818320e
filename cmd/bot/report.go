package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/report"
)

// runReport is the report command: the office's figures for a period
// (package report renders them). It returns the exit code.
func runReport(args []string, stdout, stderr io.Writer) int {
	return reportCmd(args, stdout, stderr, os.Getenv, time.Now)
}

func reportCmd(args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	flags := flag.NewFlagSet("report", flag.ContinueOnError)
	flags.SetOutput(stderr)
	fromFlag := flags.String("from", "", "first day of the period, YYYY-MM-DD (office time zone), required")
	toFlag := flags.String("to", "", "last day of the period, YYYY-MM-DD, inclusive, required")
	ikm := flags.Bool("ikm", false, "the satisfaction survey report of PermenPAN-RB 14/2017 instead of the service report")
	format := flags.String("format", "table", "output: table, csv, json or xlsx")
	out := flags.String("out", "", "write there instead of stdout: a file, or for csv a directory of one file per table")
	table := flags.String("table", "", "csv: print only this table to stdout")
	chartPath := flags.String("chart", "", "also draw the chart into this PNG file")
	cardPath := flags.String("card", "", "also write the IKM publication card into this PDF file (one A4 page)")
	lang := flags.String("lang", locales.DefaultLang, "language of the labels")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "sapa report: unexpected argument %q\n", flags.Arg(0))
		return 2
	}
	switch {
	case !slices.Contains([]string{"table", "csv", "json", "xlsx"}, *format):
		fmt.Fprintf(stderr, "sapa report: --format %q: use table, csv, json or xlsx\n", *format)
		return 2
	case *format == "xlsx" && *out == "":
		fmt.Fprintln(stderr, "sapa report: --format xlsx writes a workbook: add --out laporan.xlsx")
		return 2
	case *format == "csv" && *out == "" && *table == "":
		fmt.Fprintln(stderr, "sapa report: --format csv writes one file per table: add --out DIR, or --table NAME for one table on stdout")
		return 2
	case *table != "" && *format != "csv":
		fmt.Fprintln(stderr, "sapa report: --table goes with --format csv")
		return 2
	}
	cfg, err := readSettings(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "sapa: cannot start:", err)
		return 2
	}
	o, problems := loadOffice(cfg)
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "sapa: cannot start: the configuration has %d problem(s):\n%v\n", len(problems), problems)
		return 1
	}
	period, err := report.ParsePeriod(*fromFlag, *toFlag, o.catalog.Office.Location)
	if err != nil {
		fmt.Fprintln(stderr, "sapa report: --from and --to:", err)
		return 2
	}
	set := report.SetService
	if *ikm {
		set = report.SetIKM
	}
	w := report.New(o.catalog, o.texts, *lang)

	// Only warnings: the report itself is the output.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	keys, err := loadDataKeys(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "sapa report:", err)
		return 1
	}
	st, err := openStorage(ctx, cfg, caseOptions(o.catalog, keys.Keys), log)
	if err != nil {
		fmt.Fprintln(stderr, "sapa report:", keys.refused(err, log))
		return 1
	}
	d, err := report.Build(ctx, st.Cases, o.catalog.Office, period, now())
	if cerr := st.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sapa report:", err)
		return 1
	}

	if *table != "" {
		err = writeTable(stdout, w.Tables(d, set), *table)
	} else {
		err = writeReport(stdout, *out, w, d, set, report.Format(*format))
	}
	if err == nil && *chartPath != "" {
		err = writeFile(*chartPath, func(f io.Writer) error { return w.WriteChart(f, d) })
	}
	if err == nil && *cardPath != "" {
		err = writeFile(*cardPath, func(f io.Writer) error { return w.WriteCard(f, d) })
	}
	if err != nil {
		fmt.Fprintln(stderr, "sapa report:", err)
		return 1
	}
	return 0
}

// writeTable prints the table with id as CSV.
func writeTable(stdout io.Writer, tables []report.Table, id string) error {
	var ids []string
	for _, t := range tables {
		if t.ID == id {
			return report.WriteCSV(stdout, t)
		}
		ids = append(ids, t.ID)
	}
	return fmt.Errorf("--table %q: no such table; tables: %s", id, strings.Join(ids, ", "))
}

// writeReport writes the document in format to out: stdout when out is
// "", else a file, or for CSV a directory of one file per table.
func writeReport(stdout io.Writer, out string, w *report.Writer, d report.Document, set report.Set, format report.Format) error {
	files, err := w.Files(d, set, format)
	if err != nil {
		return err
	}
	if format == report.FormatCSV {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("make %s: %w", out, err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(out, f.Name), f.Data, 0o644); err != nil {
				return fmt.Errorf("write %s: %w", f.Name, err)
			}
		}
		return nil
	}
	if out == "" {
		_, err := stdout.Write(files[0].Data)
		return err
	}
	if err := os.WriteFile(out, files[0].Data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
