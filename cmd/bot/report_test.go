package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store"
	"github.com/leksono/sapa/store/pgstore"
)

// reportEnv points the settings at a fresh embedded storage and returns
// the office and the SQLite path the report will read.
func reportEnv(t *testing.T) (*office.Office, string) {
	t.Helper()
	dataDir := t.TempDir()
	for k, v := range map[string]string{"DATA_DIR": dataDir, "DATABASE_URL": "", "REDIS_URL": "", "CONFIG_DIR": "", "LOG_LEVEL": ""} {
		t.Setenv(k, v)
	}
	o, problems := office.Load("")
	if len(problems) > 0 {
		t.Fatalf("load office: %v", problems)
	}
	return o, filepath.Join(dataDir, store.SQLiteFile)
}

// seedReport files, in January and February 2026: two SKTM cases, one
// finished on time with a complete survey, one open; one complaint.
func seedReport(t *testing.T, o *office.Office, path string) {
	t.Helper()
	ctx := context.Background()
	dk, err := loadDataKeys(office.Settings{DataDir: filepath.Dir(path)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgstore.OpenSQLite(ctx, path, store.CaseOptions(o.Catalog, dk.Keys))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer s.Close()
	loc := o.Catalog.Office.Location
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, loc) }
	file := func(i int, kind services.Kind, service string, created time.Time, form map[string]string) string {
		rec, err := s.SubmitCase(ctx, services.NewCase{
			Kind: kind, ServiceCode: service, Unit: "pelayanan", Channel: "telegram", ChatID: fmt.Sprint(100 + i),
			CitizenName: "Warga", VillageCode: "33.07.05.2001", Form: form, SourceMessage: fmt.Sprintf("telegram:%d:1", 100+i),
			SubmittedAt: created, DueAt: created.Add(8 * time.Hour),
		})
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		return rec.Ticket
	}
	done := file(1, services.KindRequest, "sktm", at(1, 5, 8), nil)
	for _, st := range []services.Status{services.StatusVerifying, services.StatusProcessing, services.StatusDone} {
		if _, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: done, To: st, Actor: "budi", At: at(1, 5, 14)}); err != nil {
			t.Fatalf("move to %s: %v", st, err)
		}
	}
	if _, err := s.StartSurvey(ctx, done, at(1, 6, 9)); err != nil {
		t.Fatalf("start survey: %v", err)
	}
	for i, e := range services.SurveyElements {
		if err := s.AnswerSurvey(ctx, done, e, []int{4, 4, 3, 3, 4, 3, 3, 2, 3}[i], at(1, 6, 9)); err != nil {
			t.Fatalf("answer: %v", err)
		}
	}
	if err := s.CompleteSurvey(ctx, done, "", at(1, 6, 9)); err != nil {
		t.Fatalf("complete survey: %v", err)
	}
	file(2, services.KindRequest, "sktm", at(2, 2, 8), nil)
	file(3, services.KindComplaint, "pengaduan", at(2, 3, 8), map[string]string{"kategori": "jalan_jembatan"})
}

func runReportCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	now := func() time.Time { return time.Date(2026, 7, 15, 10, 0, 0, 0, time.FixedZone("WIB", 7*3600)) }
	code := runCommand(append([]string{"report"}, args...), env{stdout: &out, stderr: &errOut, getenv: os.Getenv, now: now})
	return code, out.String(), errOut.String()
}

func TestReportFormats(t *testing.T) {
	o, path := reportEnv(t)
	seedReport(t, o, path)
	period := []string{"--from", "2026-01-01", "--to", "2026-02-28"}

	code, out, errOut := runReportCmd(t, append(period, "--format", "json")...)
	if code != 0 {
		t.Fatalf("json report exit %d: %s", code, errOut)
	}
	var r services.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("decode json report: %v\n%s", err, out)
	}
	// sktm survey: total 29 -> 25 x 29 / 9 = 80.56 (B), 29 x 0.11 x 25 = 79.75 (B).
	if r.Cases != 3 || r.Open != 2 || r.IKM.Respondents != 1 || r.IKM.Index != 80.56 || r.IKM.IndexOfficial != 79.75 || r.IKM.CategoryOfficial != "B" {
		t.Errorf("report = cases %d open %d IKM %+v; want 3, 2, one respondent at 80.56/79.75 B", r.Cases, r.Open, r.IKM)
	}
	if len(r.Monthly) != 2 || r.Monthly[0].Cases != 1 || r.Monthly[1].Cases != 2 {
		t.Errorf("monthly = %+v, want January 1 case, February 2", r.Monthly)
	}
	// The last day is inclusive: the period ends at 1 March 00:00 office time.
	if want := time.Date(2026, 3, 1, 0, 0, 0, 0, o.Catalog.Office.Location); !r.To.Equal(want) || !r.AsOf.Equal(want) {
		t.Errorf("period end %v as of %v, want %v", r.To, r.AsOf, want)
	}

	code, out, errOut = runReportCmd(t, period...)
	if code != 0 {
		t.Fatalf("table report exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Laporan pelayanan Kecamatan Leksono, 1 Januari 2026 s.d. 28 Februari 2026",
		o.Texts.T("id", "report.section.ikm", nil),
		o.Texts.T("id", "service.sktm.name", nil),
		o.Texts.T("id", "status.label.selesai", nil),
		"80,56", "79,75", "B (baik)", "Sawangan", "Jalan dan jembatan", "Feb 2026", "per 28 Februari 2026",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "[report.") {
		t.Errorf("table shows a missing locale key:\n%s", out)
	}

	code, out, errOut = runReportCmd(t, append(period, "--ikm")...)
	if code != 0 || !strings.Contains(out, "Laporan Survei Kepuasan Masyarakat") || !strings.Contains(out, "Sampel minimum") {
		t.Errorf("--ikm exit %d: %s\n%s", code, errOut, out)
	}

	// CSV: one table on stdout, or one file per table.
	code, out, errOut = runReportCmd(t, append(period, "--format", "csv", "--table", "ikm")...)
	if code != 0 {
		t.Fatalf("csv table exit %d: %s", code, errOut)
	}
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("parse csv: %v\n%s", err, out)
	}
	if len(records) != 3 || records[0][0] != "scope_code" || records[1][2] != "1" || records[1][3] != "80.56" || records[1][5] != "79.75" {
		t.Errorf("csv of the ikm table = %q, want the header and all services at 1, 80.56, 79.75", records)
	}
	dir := filepath.Join(t.TempDir(), "csv")
	if code, _, errOut := runReportCmd(t, append(period, "--format", "csv", "--out", dir)...); code != 0 {
		t.Fatalf("csv dir exit %d: %s", code, errOut)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.csv")); len(files) != 11 {
		t.Errorf("csv files = %v, want one per table of the service report (11)", files)
	}

	book := filepath.Join(t.TempDir(), "laporan.xlsx")
	if code, _, errOut := runReportCmd(t, append(period, "--ikm", "--format", "xlsx", "--out", book)...); code != 0 {
		t.Fatalf("xlsx exit %d: %s", code, errOut)
	}
	if raw, err := os.ReadFile(book); err != nil || !bytes.HasPrefix(raw, []byte("PK")) {
		t.Errorf("the workbook is not a zip file: %v", err)
	}
}

func TestReportChartAndCard(t *testing.T) {
	o, path := reportEnv(t)
	seedReport(t, o, path)
	dir := t.TempDir()
	chart, card := filepath.Join(dir, "report.png"), filepath.Join(dir, "ikm.pdf")
	code, _, errOut := runReportCmd(t, "--from", "2026-01-01", "--to", "2026-06-30", "--format", "json", "--chart", chart, "--card", card)
	if code != 0 {
		t.Fatalf("report exit %d: %s", code, errOut)
	}
	f, err := os.Open(chart)
	if err != nil {
		t.Fatalf("open chart: %v", err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("decode chart: %v", err)
	}
	raw, err := os.ReadFile(card)
	if err != nil || !bytes.HasPrefix(raw, []byte("%PDF-")) {
		t.Errorf("card: %v, want a PDF", err)
	}
}

func TestReportBadArguments(t *testing.T) {
	reportEnv(t)
	for _, args := range [][]string{
		{},
		{"--from", "2026-01-01"},
		{"--from", "2026-13-01", "--to", "2026-12-31"},
		{"--from", "2026-02-01", "--to", "2026-01-31"},
		{"--from", "2026-01-01", "--to", "2026-01-31", "--format", "xml"},
		{"--from", "2026-01-01", "--to", "2026-01-31", "--format", "xlsx"},
		{"--from", "2026-01-01", "--to", "2026-01-31", "--format", "csv"},
		{"--from", "2026-01-01", "--to", "2026-01-31", "--table", "ikm"},
		{"--from", "2026-01-01", "--to", "2026-01-31", "extra"},
	} {
		code, out, errOut := runReportCmd(t, args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("report %q: exit %d, stdout %q, stderr %q; want 2, nothing, an explanation", args, code, out, errOut)
		}
	}
	code, _, errOut := runReportCmd(t, "--from", "2026-01-01", "--to", "2026-01-31", "--format", "csv", "--table", "nope")
	if code != 1 || !strings.Contains(errOut, "tables: summary, kind") {
		t.Errorf("unknown table: exit %d, %s", code, errOut)
	}
}
