package report_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

// office is the real Leksono configuration and texts.
func office(t testing.TB) (*services.Catalog, *locales.Bundle) {
	t.Helper()
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return catalog, texts
}

// seeder files cases in a real SQLite store.
type seeder struct {
	t   testing.TB
	s   *pgstore.Store
	loc *time.Location
	n   int
}

func newSeeder(t testing.TB, catalog *services.Catalog) *seeder {
	t.Helper()
	s, err := pgstore.OpenSQLite(context.Background(), storetest.SQLite(t),
		pgstore.Options{TicketPrefix: "LKS", Location: catalog.Office.Location, AllowPlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &seeder{t: t, s: s, loc: catalog.Office.Location}
}

func (sd *seeder) at(m time.Month, d, h int) time.Time {
	return time.Date(2026, m, d, h, 0, 0, 0, sd.loc)
}

// file files a case; kategori is set for a complaint.
func (sd *seeder) file(kind services.Kind, service, village, kategori string, created, due time.Time) string {
	sd.t.Helper()
	sd.n++
	form := map[string]string{}
	if kategori != "" {
		form["kategori"] = kategori
	}
	rec, err := sd.s.SubmitCase(context.Background(), services.NewCase{
		Kind: kind, ServiceCode: service, Unit: "pelayanan_umum", Channel: "telegram", ChatID: fmt.Sprint(100 + sd.n),
		CitizenName: "Warga", VillageCode: village, Form: form, SourceMessage: fmt.Sprintf("telegram:%d:1", 100+sd.n),
		SubmittedAt: created, DueAt: due,
	})
	if err != nil {
		sd.t.Fatalf("submit: %v", err)
	}
	return rec.Ticket
}

// finish takes a case through verification and processing to selesai.
func (sd *seeder) finish(ticket string, at time.Time) {
	sd.t.Helper()
	for _, st := range []services.Status{services.StatusVerifying, services.StatusProcessing, services.StatusDone} {
		if _, _, err := sd.s.ChangeStatus(context.Background(), pgstore.StatusChange{Ticket: ticket, To: st, Actor: "budi", At: at}); err != nil {
			sd.t.Fatalf("move %s to %s: %v", ticket, st, err)
		}
	}
}

// survey answers a case's survey: scores in element order, 0 not asked.
func (sd *seeder) survey(ticket string, scores []int, profile map[string]string, at time.Time) {
	sd.t.Helper()
	ctx := context.Background()
	if _, err := sd.s.StartSurvey(ctx, ticket, at); err != nil {
		sd.t.Fatal(err)
	}
	for i, score := range scores {
		if score != 0 {
			if err := sd.s.AnswerSurvey(ctx, ticket, services.SurveyElements[i], score, at); err != nil {
				sd.t.Fatal(err)
			}
		}
	}
	for q, v := range profile {
		if err := sd.s.AnswerProfile(ctx, ticket, q, v, at); err != nil {
			sd.t.Fatal(err)
		}
	}
	if err := sd.s.CompleteSurvey(ctx, ticket, "", at); err != nil {
		sd.t.Fatal(err)
	}
}

// The fixed survey, worked out by hand (the same answers as
// services.TestIKMSkippedElements). Three requests answer all nine
// elements; two complaints are not asked u1 (requirements) nor u4 (cost).
//
//	respondent       u1 u2 u3 u4 u5 u6 u7 u8 u9
//	r1 request        4  4  3  3  4  3  3  2  3
//	r2 request        3  3  3  4  4  3  4  3  3
//	r3 request        3  2  3  3  3  4  4  3  2
//	r4 complaint      -  3  2  -  3  3  4  3  4
//	r5 complaint      -  2  2  -  3  3  3  2  2
//	answered          3  5  5  3  5  5  5  5  5
//	sum              10 14 13 10 17 16 18 13 14
//	NRR           3.333 2.8 2.6 3.333 3.4 3.2 3.6 2.6 2.8
//	NRR x 25      83.33 70 65 83.33 85 80 90 65 70
//	category          B  C  C  B  B  B  A  C  C
//
// Sum of NRR = 83/3 = 27.6667.
// Weight 0.11 (published by default): weighted mean 27.6667 x 0.11 = 3.0433,
// IKM 76.0833 -> 76.08, category C (65.00-76.60).
// Weight 1/9: weighted mean 3.0741, IKM 2075/27 = 76.85, category B.
// Priorities: u3 (2.6), u8 (2.6), u2 (2.8).
//
// Minimum sample: the six cases of the year (the five above and one open
// case) are below the table's first row (10), so all six must answer; five
// did: one short. With yearly_users 120 configured: s = 3.841 x 120 x 0.25
// / (0.0025 x 119 + 3.841 x 0.25) = 115.23 / 1.25775 = 91.6, 92 in the
// table.
var fixedScores = [][]int{
	{4, 4, 3, 3, 4, 3, 3, 2, 3},
	{3, 3, 3, 4, 4, 3, 4, 3, 3},
	{3, 2, 3, 3, 3, 4, 4, 3, 2},
	{0, 3, 2, 0, 3, 3, 4, 3, 4},
	{0, 2, 2, 0, 3, 3, 3, 2, 2},
}

var fixedProfiles = []map[string]string{
	{"usia": "30_39", "kelamin": "perempuan", "pendidikan": "sma", "pekerjaan": "petani"},
	{"usia": "40_49", "kelamin": "laki_laki", "pendidikan": "smp", "pekerjaan": "wiraswasta"},
	nil,
	{"usia": "20_29", "kelamin": "perempuan", "pendidikan": "sarjana", "pekerjaan": "pns"},
	{"usia": "30_39", "kelamin": "perempuan", "pekerjaan": "rumah_tangga"},
}

// seedFixed files the fixed survey's five cases in February 2026 and one
// open, overdue case in June, and returns the first half of 2026.
func seedFixed(t testing.TB, catalog *services.Catalog) (*seeder, report.Period) {
	sd := newSeeder(t, catalog)
	for i, scores := range fixedScores {
		created := sd.at(2, 2+i, 8) // 2 February 2026 is a Monday
		kind, service, kategori := services.KindRequest, "sktm", ""
		if scores[0] == 0 {
			kind, service, kategori = services.KindComplaint, "pengaduan", []string{"", "", "", "jalan_jembatan", "kebersihan"}[i]
		}
		ticket := sd.file(kind, service, "33.07.05.200"+fmt.Sprint(1+i%2), kategori, created, created.Add(8*time.Hour))
		done := created.Add(6 * time.Hour)
		if i == 2 {
			done = created.Add(26 * time.Hour) // r3 finished the next day: late
		}
		sd.finish(ticket, done)
		sd.survey(ticket, scores, fixedProfiles[i], done.Add(time.Hour))
	}
	sd.file(services.KindRequest, "domisili", "33.07.05.1006", "", sd.at(6, 29, 9), sd.at(6, 30, 16))
	return sd, report.Period{First: sd.at(1, 1, 0), Last: sd.at(6, 30, 0)}
}

func TestIKMReportOfTheFixedSurvey(t *testing.T) {
	catalog, texts := office(t)
	sd, period := seedFixed(t, catalog)
	now := sd.at(7, 15, 10)
	d, err := report.Build(context.Background(), sd.s, catalog.Office, period, now)
	if err != nil {
		t.Fatal(err)
	}
	x := d.Report.IKM
	if x.Respondents != 5 || x.IndexOfficial != 76.08 || x.CategoryOfficial != "C" || x.Index != 76.85 || x.Category != "B" {
		t.Fatalf("IKM = %+v, want 5 respondents, 76.08 C (0.11), 76.85 B (1/9)", x)
	}
	if d.Weighting != services.WeightingRegulation || d.Population != 6 || d.PopulationConfigured || d.MinimumSample != 6 || d.SampleReached() {
		t.Errorf("weighting %q population %d (configured %v) minimum %d reached %v; want 0.11, 6 cases, 6, not reached",
			d.Weighting, d.Population, d.PopulationConfigured, d.MinimumSample, d.SampleReached())
	}
	// Statuses as of the period's end: the June case is open and overdue.
	if d.Report.Open != 1 || d.Report.Overdue != 1 || !d.Report.AsOf.Equal(period.End()) {
		t.Errorf("open %d overdue %d as of %v; want 1, 1, the end of June", d.Report.Open, d.Report.Overdue, d.Report.AsOf)
	}

	w := report.New(catalog, texts, "id")
	tables := map[string]report.Table{}
	for _, tb := range w.Tables(d, report.SetIKM) {
		tables[tb.ID] = tb
	}
	// Per element: answered, sum, NRR, converted value, category.
	want := []struct {
		answered, sum int
		nrr, conv     float64
		quality       string
	}{
		{3, 10, 10.0 / 3, 250.0 / 3, "B (baik)"}, {5, 14, 2.8, 70, "C (kurang baik)"}, {5, 13, 2.6, 65, "C (kurang baik)"},
		{3, 10, 10.0 / 3, 250.0 / 3, "B (baik)"}, {5, 17, 3.4, 85, "B (baik)"}, {5, 16, 3.2, 80, "B (baik)"},
		{5, 18, 3.6, 90, "A (sangat baik)"}, {5, 13, 2.6, 65, "C (kurang baik)"}, {5, 14, 2.8, 70, "C (kurang baik)"},
	}
	rows := tables["ikm_elements"].Rows
	if len(rows) != 9 {
		t.Fatalf("element table has %d rows, want 9", len(rows))
	}
	for i, w := range want {
		r := rows[i]
		if r[0].Code != services.SurveyElements[i] || r[1].Value != float64(w.answered) || r[2].Value != float64(w.sum) ||
			!near(r[3].Value, w.nrr) || !near(r[4].Value, w.nrr*0.11) || !near(r[5].Value, w.conv) || r[6].Text != w.quality {
			t.Errorf("element %s row = %+v, want %+v", services.SurveyElements[i], r, w)
		}
	}
	foot := tables["ikm_elements"].Footer[0]
	if !near(foot[4].Value, 83.0/3*0.11) || foot[5].Value != 76.08 || foot[6].Text != "C (kurang baik)" {
		t.Errorf("total row = %+v, want 3.0433, 76.08, C", foot)
	}
	var priorities []string
	for _, r := range tables["priorities"].Rows {
		priorities = append(priorities, r[1].Code)
		if !strings.HasSuffix(r[3].Text, ".") || strings.HasPrefix(r[3].Text, "[") {
			t.Errorf("priority %s has no sentence: %q", r[1].Code, r[3].Text)
		}
	}
	if strings.Join(priorities, " ") != "u3 u8 u2" {
		t.Errorf("priorities = %v, want u3 u8 u2", priorities)
	}
	profile := map[string]float64{}
	for _, r := range tables["respondents"].Rows {
		profile[r[0].Code+"="+r[1].Code] = r[2].Value
	}
	for k, n := range map[string]float64{"kelamin=perempuan": 3, "kelamin=laki_laki": 1, "kelamin=": 1, "pendidikan=": 2, "usia=30_39": 2, "pekerjaan=petani": 1} {
		if profile[k] != n {
			t.Errorf("profile %s = %v, want %v", k, profile[k], n)
		}
	}

	var text bytes.Buffer
	if err := w.WriteText(&text, d, report.SetIKM); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"Laporan Survei Kepuasan Masyarakat Kecamatan Leksono, 1 Januari 2026 s.d. 30 Juni 2026",
		"IKM konversi x25 (bobot 0,11)", "76,08", "C (kurang baik)", "IKM konversi x25 (bobot 1/9)", "76,85", "B (baik)",
		"Belum mencukupi (kurang 1 responden)", "kasus tercatat 12 bulan s.d. 30 Juni 2026",
		"IKM bobot 1/9 membagi rata", "Yang diumumkan kantor: bobot 0,11.",
		texts.T("id", "report.priority.u3", nil), "Perempuan", "Tidak menjawab",
	} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("IKM text lacks %q:\n%s", s, text.String())
		}
	}
	if strings.Contains(text.String(), "[report.") || strings.Contains(text.String(), "[survey.") {
		t.Errorf("IKM text shows a missing locale key:\n%s", text.String())
	}

	// An office that knows its yearly users: 120 need 92 respondents.
	o := catalog.Office
	o.YearlyUsers, o.IKMWeighting = 120, services.WeightingExact
	d, err = report.Build(context.Background(), sd.s, o, period, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.Population != 120 || !d.PopulationConfigured || d.MinimumSample != 92 || d.SampleReached() {
		t.Errorf("configured 120: population %d minimum %d reached %v; want 120, 92, no", d.Population, d.MinimumSample, d.SampleReached())
	}
	text.Reset()
	if err := w.WriteText(&text, d, report.SetService); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"IKM (bobot 1/9)", "76,85", "Mutu pelayanan (bobot 1/9)", "B (baik)",
		"Kasus belum selesai per 30 Juni 2026", "Jalan dan jembatan", "Kebersihan dan sampah", "Leksono", "Sawangan", "Feb 2026", "80,0%"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("service text lacks %q:\n%s", s, text.String())
		}
	}
}

// TestOverdueAsOfNow is the 7 December case: the report of
// December made on the 7th counts overdue as of then, equal to the report
// of the period ending that day, and says so.
func TestOverdueAsOfNow(t *testing.T) {
	catalog, texts := office(t)
	sd := newSeeder(t, catalog)
	at := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, sd.loc) }
	sd.file(services.KindRequest, "sktm", "33.07.05.2001", "", at(1, 9), at(3, 16)) // late since the 3rd
	for h := 9; h < 12; h++ {
		sd.file(services.KindRequest, "sktm", "33.07.05.2001", "", at(7, h), at(11, 16)) // due the 11th
	}
	done := sd.file(services.KindRequest, "sktm", "33.07.05.2001", "", at(2, 9), at(4, 16))
	sd.finish(done, at(3, 10))
	now := at(7, 14)

	month, err := report.Build(context.Background(), sd.s, catalog.Office, report.Period{First: at(1, 0), Last: at(31, 0)}, now)
	if err != nil {
		t.Fatal(err)
	}
	today, err := report.Build(context.Background(), sd.s, catalog.Office, report.Period{First: at(1, 0), Last: at(7, 0)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if month.Report.Overdue != 1 || today.Report.Overdue != month.Report.Overdue || month.Report.Open != 4 {
		t.Errorf("overdue: December %d, to today %d; open %d; want 1, 1, 4", month.Report.Overdue, today.Report.Overdue, month.Report.Open)
	}
	var text bytes.Buffer
	if err := report.New(catalog, texts, "id").WriteText(&text, month, report.SetService); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Lewat batas waktu per 7 Desember 2026 pukul 14.00") {
		t.Errorf("the report does not say as of when:\n%s", text.String())
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestCheckTexts(t *testing.T) {
	_, texts := office(t)
	if err := report.CheckTexts(texts); err != nil {
		t.Errorf("the shipped locales lack report texts:\n%v", err)
	}
	bare, err := locales.Load(fstest.MapFS{"id/a.yaml": {Data: []byte("report:\n  title: Laporan\n")}})
	if err != nil {
		t.Fatal(err)
	}
	err = report.CheckTexts(bare)
	if err == nil || !strings.Contains(err.Error(), `the reports: missing locale key "report.card.title"`) || strings.Contains(err.Error(), `"report.title"`) {
		t.Errorf("missing keys: %v", err)
	}
}

// TestEmptyPeriod: a period without a case renders everywhere, and no
// respondent is never a sufficient sample.
func TestEmptyPeriod(t *testing.T) {
	catalog, texts := office(t)
	sd := newSeeder(t, catalog)
	d, err := report.Build(context.Background(), sd.s, catalog.Office, report.Period{First: sd.at(1, 1, 0), Last: sd.at(12, 31, 0)}, sd.at(12, 7, 14))
	if err != nil {
		t.Fatal(err)
	}
	if d.SampleReached() || d.MinimumSample != 0 {
		t.Errorf("empty: minimum %d reached %v, want 0 and not reached", d.MinimumSample, d.SampleReached())
	}
	w := report.New(catalog, texts, "id")
	if _, err := w.Files(d, report.SetIKM, report.FormatText, report.FormatXLSX, report.FormatChart, report.FormatCard, report.FormatCSV); err != nil {
		t.Fatalf("render an empty period: %v", err)
	}
	var text bytes.Buffer
	if err := w.WriteText(&text, d, report.SetIKM); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Belum ada responden") {
		t.Errorf("the empty report does not say there is no respondent:\n%s", text.String())
	}
}
