package pgstore_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

// The survey answers of the worked example in services/ikm_test.go, whose
// IKM is 79.86 (1/9) and 79.06 (0.11).
var (
	surveyR1 = []int{4, 4, 3, 3, 4, 3, 3, 2, 3} // total 29
	surveyR2 = []int{3, 3, 3, 4, 4, 3, 4, 3, 3} // total 30
	surveyR3 = []int{3, 2, 3, 3, 3, 4, 4, 3, 2} // total 27
	surveyR4 = []int{4, 3, 2, 3, 3, 3, 4, 3, 4} // total 29
)

func TestReport(t *testing.T) { eachBackend(t, testReport) }

// testReport files a small history and checks every figure of a report of
// January and February 2026 (Jakarta time) against values computed by
// hand in the comments.
func testReport(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	loc := jakarta(t)
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, loc) }
	n := 0
	file := func(created, due time.Time, kind services.Kind, service, village, category string) string {
		n++
		return submitAt(t, s, n, created, func(nc *services.NewCase) {
			nc.Kind, nc.ServiceCode, nc.VillageCode, nc.DueAt = kind, service, village, due
			if category != "" {
				nc.Form["kategori"] = category
			}
		})
	}
	request := func(created, due time.Time, service string) string {
		return file(created, due, services.KindRequest, service, "33.07.05.2001", "")
	}
	finish := func(ticket string, processing, done time.Time) {
		move(t, s, ticket, services.StatusVerifying, processing)
		move(t, s, ticket, services.StatusProcessing, processing)
		move(t, s, ticket, services.StatusDone, done)
	}
	survey := func(ticket string, scores []int, done time.Time) {
		if _, err := s.StartSurvey(ctx, ticket, done); err != nil {
			t.Fatalf("start survey: %v", err)
		}
		answerAll(t, s, ticket, scores, done)
		if err := s.CompleteSurvey(ctx, ticket, "", done); err != nil {
			t.Fatalf("complete survey: %v", err)
		}
	}

	// 2026-01-05 and 2026-02-02 are Mondays.
	// c1: sktm, 08:00 -> selesai 14:00 the same day: 0.25 working days, in time.
	c1 := request(at(2026, 1, 5, 8), at(2026, 1, 5, 16), "sktm")
	finish(c1, at(2026, 1, 5, 10), at(2026, 1, 5, 14))
	survey(c1, surveyR1, at(2026, 1, 6, 9))
	// c2: sktm, Tue 08:00 -> Thu 08:00: 16/24 + 1 + 8/24 = 2 working days, late.
	c2 := request(at(2026, 1, 6, 8), at(2026, 1, 6, 16), "sktm")
	finish(c2, at(2026, 1, 6, 9), at(2026, 1, 8, 8))
	survey(c2, surveyR2, at(2026, 2, 3, 9))
	// c3: sktm, Mon 08:00 -> 20:00: 0.5 working days, late (due 16:00).
	c3 := request(at(2026, 2, 2, 8), at(2026, 2, 2, 16), "sktm")
	finish(c3, at(2026, 2, 2, 9), at(2026, 2, 2, 20))
	survey(c3, surveyR3, at(2026, 2, 4, 9))
	// c4: domisili never touched, due 02-04: open and overdue.
	request(at(2026, 2, 3, 10), at(2026, 2, 4, 16), "domisili")
	// c5: domisili sent back to the citizen: open, clock paused, not overdue.
	c5 := request(at(2026, 2, 10, 10), at(2026, 2, 11, 16), "domisili")
	move(t, s, c5, services.StatusIncomplete, at(2026, 2, 10, 11))
	// c6, c8: open complaints due after the period; c6's survey is partial.
	c6 := file(at(2026, 1, 20, 9), at(2026, 3, 10, 16), services.KindComplaint, "pengaduan", "33.07.05.2001", "pelayanan")
	file(at(2026, 1, 21, 9), at(2026, 3, 10, 16), services.KindComplaint, "pengaduan", "33.07.05.2001", "")
	if _, err := s.StartSurvey(ctx, c6, at(2026, 2, 1, 9)); err != nil {
		t.Fatalf("start survey: %v", err)
	}
	answerAll(t, s, c6, []int{4, 4, 4}, at(2026, 2, 1, 9))
	// c7: complaint refused: closed.
	c7 := file(at(2026, 2, 20, 9), at(2026, 2, 27, 16), services.KindComplaint, "pengaduan", "33.07.05.2003", "pelayanan")
	move(t, s, c7, services.StatusRejected, at(2026, 2, 21, 9))
	survey(c7, surveyR4, at(2026, 2, 22, 9))
	// c10: sktm finished only after the period: diproses at its end, overdue;
	// its survey, completed after the period, does not count.
	c10 := request(at(2026, 2, 25, 8), at(2026, 2, 25, 16), "sktm")
	finish(c10, at(2026, 2, 25, 9), at(2026, 3, 5, 9))
	survey(c10, []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, at(2026, 3, 6, 9))
	// Backlog from before the period: c9 still diproses and overdue; c12
	// finished after the period, so open and overdue at its end; c13
	// finished before it: neither.
	c9 := request(at(2025, 12, 15, 8), at(2025, 12, 16, 16), "sktm")
	move(t, s, c9, services.StatusVerifying, at(2025, 12, 15, 9))
	move(t, s, c9, services.StatusProcessing, at(2025, 12, 15, 9))
	c12 := request(at(2025, 12, 20, 8), at(2025, 12, 22, 16), "sktm")
	finish(c12, at(2025, 12, 20, 9), at(2026, 3, 3, 9))
	c13 := request(at(2025, 12, 1, 8), at(2025, 12, 2, 16), "sktm")
	finish(c13, at(2025, 12, 1, 9), at(2025, 12, 2, 9))
	// After the period: not counted at all.
	request(at(2026, 3, 2, 8), at(2026, 3, 2, 16), "sktm")

	cal := services.Calendar{Location: loc}
	r, err := s.Report(ctx, at(2026, 1, 1, 0), at(2026, 3, 1, 0), cal)
	if err != nil {
		t.Fatalf("report: %v", err)
	}

	if r.Cases != 9 {
		t.Errorf("cases = %d, want 9 (c1-c8, c10)", r.Cases)
	}
	checkCounts(t, "by kind", r.ByKind, map[string]int{"complaint": 3, "request": 6})
	checkCounts(t, "by status", r.ByStatus, map[string]int{
		"diterima": 3, "verifikasi": 0, "perlu_perbaikan": 1, "diproses": 1, "selesai": 3, "ditolak": 1, "bukan_wewenang": 0,
	})
	if len(r.ByStatus) != len(services.Statuses) || r.ByStatus[0].Key != string(services.StatusReceived) {
		t.Errorf("by status = %v, want every status in lifecycle order", r.ByStatus)
	}
	// Open at the end: c4, c5, c6, c8, c10, c9, c12. Overdue: c4, c10, c9, c12.
	if r.Open != 7 || r.Overdue != 4 {
		t.Errorf("open %d overdue %d, want 7 and 4", r.Open, r.Overdue)
	}
	checkCounts(t, "complaints by category", r.ComplaintsByCategory, map[string]int{"pelayanan": 2, "": 1})
	if r.ComplaintsByCategory[0].Key != "pelayanan" {
		t.Errorf("complaints by category = %v, want the largest first", r.ComplaintsByCategory)
	}
	checkCounts(t, "complaints by village", r.ComplaintsByVillage, map[string]int{"33.07.05.2001": 2, "33.07.05.2003": 1})

	var sktm *services.ServiceReport
	var codes []string
	for i := range r.Services {
		codes = append(codes, r.Services[i].Service)
		if r.Services[i].Service == "sktm" {
			sktm = &r.Services[i]
		}
	}
	if len(codes) != 3 || codes[0] != "domisili" || codes[1] != "pengaduan" || codes[2] != "sktm" {
		t.Fatalf("services = %v, want domisili, pengaduan, sktm", codes)
	}
	// sktm: c1, c2, c3 finished (0.25, 2, 0.5 working days), c10 diproses.
	// Median of 0.25, 0.5, 2 is 0.5; p90: rank 2 x 0.9 = 1.8 -> 0.5 + 0.8 x 1.5 = 1.7.
	if sktm.Cases != 4 || sktm.Finished != 3 || sktm.WithinDue != 1 || sktm.Kind != services.KindRequest {
		t.Errorf("sktm = %+v, want 4 cases, 3 finished, 1 within due", *sktm)
	}
	if !near(sktm.MedianDays, 0.5) || !near(sktm.P90Days, 1.7) || !near(sktm.WithinDueShare, 1.0/3) {
		t.Errorf("sktm median %v p90 %v share %v, want 0.5, 1.7, 1/3", sktm.MedianDays, sktm.P90Days, sktm.WithinDueShare)
	}
	if sktm.ByStatus[services.StatusDone] != 3 || sktm.ByStatus[services.StatusProcessing] != 1 {
		t.Errorf("sktm by status = %v", sktm.ByStatus)
	}

	// IKM: r1..r4 completed in the period, the worked example.
	if r.IKM.Respondents != 4 || r.IKM.Index != 79.86 || r.IKM.IndexOfficial != 79.06 || r.IKM.Category != "B" {
		t.Errorf("IKM = %+v, want 4 respondents, 79.86, 79.06, B", r.IKM)
	}
	if r.PartialSurveys != 1 {
		t.Errorf("partial surveys = %d, want 1 (c6)", r.PartialSurveys)
	}
	// sktm: r1+r2+r3 total 86: 25 x 86 / 27 = 79.63; 86/3 x 0.11 x 25 = 78.83.
	// pengaduan: r4 total 29: 25 x 29 / 9 = 80.56; 29 x 0.11 x 25 = 79.75.
	want := map[string][3]float64{"sktm": {3, 79.63, 78.83}, "pengaduan": {1, 80.56, 79.75}}
	if len(r.IKMByService) != 2 {
		t.Errorf("IKM by service = %+v, want pengaduan and sktm", r.IKMByService)
	}
	for _, si := range r.IKMByService {
		w, ok := want[si.Service]
		if !ok || float64(si.IKM.Respondents) != w[0] || si.IKM.Index != w[1] || si.IKM.IndexOfficial != w[2] {
			t.Errorf("IKM of %s = %+v, want %v", si.Service, si.IKM, w)
		}
	}

	// Monthly: January c1, c2, c6, c8 and survey r1 (29: 80.56);
	// February c3, c4, c5, c7, c10 and r2, r3, r4 (86: 79.63).
	if len(r.Monthly) != 2 || r.Monthly[0].Month != "2026-01" || r.Monthly[1].Month != "2026-02" {
		t.Fatalf("months = %+v, want 2026-01 and 2026-02", r.Monthly)
	}
	if m := r.Monthly[0]; m.Cases != 4 || m.IKM.Respondents != 1 || m.IKM.Index != 80.56 {
		t.Errorf("January = %+v, want 4 cases, 1 respondent, 80.56", m)
	}
	if m := r.Monthly[1]; m.Cases != 5 || m.IKM.Respondents != 3 || m.IKM.Index != 79.63 {
		t.Errorf("February = %+v, want 5 cases, 3 respondents, 79.63", m)
	}
	if !r.From.Equal(at(2026, 1, 1, 0)) || !r.To.Equal(at(2026, 3, 1, 0)) {
		t.Errorf("period %v - %v", r.From, r.To)
	}

	if _, err := s.Report(ctx, at(2026, 3, 1, 0), at(2026, 1, 1, 0), cal); err == nil {
		t.Error("a reversed period was accepted")
	}
	empty, err := s.Report(ctx, at(2024, 1, 1, 0), at(2024, 2, 1, 0), cal)
	if err != nil || empty.Cases != 0 || empty.IKM.Respondents != 0 || empty.Open != 0 || len(empty.Monthly) != 1 {
		t.Errorf("report of an empty period = %+v, %v", empty, err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func checkCounts(t *testing.T, what string, got []services.Count, want map[string]int) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range got {
		seen[c.Key] = c.N
	}
	if len(seen) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, n := range want {
		if m, ok := seen[k]; !ok || m != n {
			t.Errorf("%s[%q] = %d, want %d (all: %v)", what, k, m, n, got)
		}
	}
}
