package pgstore_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

// Survey answers; 0 is an element not asked (u1 and u4 after a
// complaint).
var (
	surveyR1 = []int{4, 4, 3, 3, 4, 3, 3, 2, 3} // total 29
	surveyR2 = []int{3, 3, 3, 4, 4, 3, 4, 3, 3} // total 30
	surveyR3 = []int{3, 2, 3, 3, 3, 4, 4, 3, 2} // total 27
	surveyR4 = []int{0, 3, 2, 0, 3, 3, 4, 3, 4} // a complaint's: total 22 over 7
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
	survey := func(ticket string, scores []int, done time.Time, profiles ...map[string]string) {
		if _, err := s.StartSurvey(ctx, ticket, done); err != nil {
			t.Fatalf("start survey: %v", err)
		}
		answerAll(t, s, ticket, scores, done)
		for _, p := range profiles {
			profile(t, s, ticket, p, done)
		}
		if err := s.CompleteSurvey(ctx, ticket, "", done); err != nil {
			t.Fatalf("complete survey: %v", err)
		}
	}

	// 2026-01-05 and 2026-02-02 are Mondays.
	// c1: sktm, 08:00 -> selesai 14:00 the same day: 0.25 working days, in time.
	c1 := request(at(2026, 1, 5, 8), at(2026, 1, 5, 16), "sktm")
	finish(c1, at(2026, 1, 5, 10), at(2026, 1, 5, 14))
	survey(c1, surveyR1, at(2026, 1, 6, 9), map[string]string{"usia": "30_39", "kelamin": "perempuan"})
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
	answerAll(t, s, c6, []int{0, 4, 4}, at(2026, 2, 1, 9))
	// c7: complaint refused: closed.
	c7 := file(at(2026, 2, 20, 9), at(2026, 2, 27, 16), services.KindComplaint, "pengaduan", "33.07.05.2003", "pelayanan")
	move(t, s, c7, services.StatusRejected, at(2026, 2, 21, 9))
	survey(c7, surveyR4, at(2026, 2, 22, 9), map[string]string{"pendidikan": "sarjana", "kelamin": "perempuan"})
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
	r, err := s.Report(ctx, at(2026, 1, 1, 0), at(2026, 3, 1, 0), at(2026, 6, 1, 0), cal)
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

	// IKM: r1..r4 completed in the period. u1 and u4 average over the
	// three requests (10/3 each), the others over all four: u2 12/4 = 3,
	// u3 2.75, u5 3.5, u6 3.25, u7 3.75, u8 2.75, u9 3; sum of NRR
	// 20/3 + 22 = 86/3. 1/9: 86/3 / 9 x 25 = 79.63 (B); 0.11: 86/3 x 0.11
	// x 25 = 78.83 (B).
	if r.IKM.Respondents != 4 || r.IKM.Index != 79.63 || r.IKM.IndexOfficial != 78.83 || r.IKM.Category != "B" || r.IKM.CategoryOfficial != "B" {
		t.Errorf("IKM = %+v, want 4 respondents, 79.63 B, 78.83 B", r.IKM)
	}
	if r.IKM.Answered[0] != 3 || r.IKM.Answered[1] != 4 {
		t.Errorf("answered = %v, want 3 for u1, 4 for u2", r.IKM.Answered)
	}
	profileOf := func(q string) map[string]int {
		out := map[string]int{}
		for _, p := range r.Profile {
			if p.Question == q {
				for _, c := range p.Counts {
					if c.N > 0 {
						out[c.Key] = c.N
					}
				}
			}
		}
		return out
	}
	if got := profileOf("kelamin"); got["perempuan"] != 2 || got[""] != 2 {
		t.Errorf("sex = %v, want two perempuan (c1, c7), two unanswered", got)
	}
	if got := profileOf("usia"); got["30_39"] != 1 || got[""] != 3 {
		t.Errorf("age = %v, want one 30-39 (c1), three unanswered", got)
	}
	// The year up to 1 March 2026: every case but the one of 2 March.
	if r.YearCases != 12 {
		t.Errorf("year cases = %d, want 12", r.YearCases)
	}
	if r.PartialSurveys != 1 {
		t.Errorf("partial surveys = %d, want 1 (c6)", r.PartialSurveys)
	}
	// sktm: r1+r2+r3 total 86: 25 x 86 / 27 = 79.63; 86/3 x 0.11 x 25 = 78.83.
	// pengaduan: r4 total 22 over X = 7 elements: 22 / 7 x 25 = 78.57;
	// the regulation's weight for 7 elements is 1/7 rounded, 0.14:
	// 22 x 0.14 x 25 = 77.00.
	want := map[string][3]float64{"sktm": {3, 79.63, 78.83}, "pengaduan": {1, 78.57, 77}}
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
	// February c3, c4, c5, c7, c10 and r2, r3, r4: u1 6/2, u2 8/3, u3 8/3,
	// u4 7/2, u5 10/3, u6 10/3, u7 4, u8 3, u9 3; sum 28.5 / 9 x 25 = 79.17.
	if len(r.Monthly) != 2 || r.Monthly[0].Month != "2026-01" || r.Monthly[1].Month != "2026-02" {
		t.Fatalf("months = %+v, want 2026-01 and 2026-02", r.Monthly)
	}
	if m := r.Monthly[0]; m.Cases != 4 || m.IKM.Respondents != 1 || m.IKM.Index != 80.56 {
		t.Errorf("January = %+v, want 4 cases, 1 respondent, 80.56", m)
	}
	if m := r.Monthly[1]; m.Cases != 5 || m.IKM.Respondents != 3 || m.IKM.Index != 79.17 {
		t.Errorf("February = %+v, want 5 cases, 3 respondents, 79.17", m)
	}
	if !r.From.Equal(at(2026, 1, 1, 0)) || !r.To.Equal(at(2026, 3, 1, 0)) {
		t.Errorf("period %v - %v", r.From, r.To)
	}

	// Made on 25 February at noon, a period reaching into April counts as
	// of that moment, as does one ending that day: c10 (due 16:00 that
	// day) is not late yet; c4, c9 and c12 are.
	now := at(2026, 2, 25, 12)
	for _, end := range []time.Time{at(2026, 4, 1, 0), at(2026, 2, 26, 0)} {
		r, err := s.Report(ctx, at(2026, 2, 1, 0), end, now, cal)
		if err != nil {
			t.Fatalf("report to %v: %v", end, err)
		}
		if r.Overdue != 3 || r.Open != 7 || !r.AsOf.Equal(now) {
			t.Errorf("period to %v made %v: overdue %d open %d as of %v; want 3, 7, now", end, now, r.Overdue, r.Open, r.AsOf)
		}
	}

	if _, err := s.Report(ctx, at(2026, 3, 1, 0), at(2026, 1, 1, 0), now, cal); err == nil {
		t.Error("a reversed period was accepted")
	}
	empty, err := s.Report(ctx, at(2024, 1, 1, 0), at(2024, 2, 1, 0), now, cal)
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
