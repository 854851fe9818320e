package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Output is where a report goes, as `bot report` takes it from its flags.
type Output struct {
	Format Format // FormatText, FormatCSV, FormatJSON or FormatXLSX
	Out    string // a file, or for CSV a directory of one file per table; "" is stdout
	Table  string // CSV only: this one table, to stdout
	Chart  string // also the chart into this PNG file, when set
	Card   string // also the IKM card into this PDF file, when set
}

// Check reports an output that cannot be written, saying what to change.
func (o Output) Check() error {
	switch {
	case !slices.Contains([]Format{FormatText, FormatCSV, FormatJSON, FormatXLSX}, o.Format):
		return fmt.Errorf("--format %q: use table, csv, json or xlsx", o.Format)
	case o.Format == FormatXLSX && o.Out == "":
		return errors.New("--format xlsx writes a workbook: add --out laporan.xlsx")
	case o.Format == FormatCSV && o.Out == "" && o.Table == "":
		return errors.New("--format csv writes one file per table: add --out DIR, or --table NAME for one table on stdout")
	case o.Table != "" && o.Format != FormatCSV:
		return errors.New("--table goes with --format csv")
	}
	return nil
}

// Write renders the tables of set of d as o says, to stdout or its files,
// then the chart and the card when o names their files.
func (w *Writer) Write(stdout io.Writer, d Document, set Set, o Output) error {
	var err error
	if o.Table != "" {
		err = writeTable(stdout, w.Tables(d, set), o.Table)
	} else {
		err = w.writeFiles(stdout, o.Out, d, set, o.Format)
	}
	if err == nil && o.Chart != "" {
		err = writeFile(o.Chart, func(f io.Writer) error { return w.WriteChart(f, d) })
	}
	if err == nil && o.Card != "" {
		err = writeFile(o.Card, func(f io.Writer) error { return w.WriteCard(f, d) })
	}
	return err
}

// writeTable prints the table with id as CSV.
func writeTable(stdout io.Writer, tables []Table, id string) error {
	var ids []string
	for _, t := range tables {
		if t.ID == id {
			return WriteCSV(stdout, t)
		}
		ids = append(ids, t.ID)
	}
	return fmt.Errorf("--table %q: no such table; tables: %s", id, strings.Join(ids, ", "))
}

// writeFiles writes the document in format to out: stdout when out is "",
// else a file, or for CSV a directory of one file per table.
func (w *Writer) writeFiles(stdout io.Writer, out string, d Document, set Set, format Format) error {
	files, err := w.Files(d, set, format)
	if err != nil {
		return err
	}
	if format == FormatCSV {
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
