package services

import (
	"maps"
	"math"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	for _, c := range []struct {
		values []float64
		p      float64
		want   float64
	}{
		{nil, 0.5, 0},
		{[]float64{3}, 0.9, 3},
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{1, 2, 3}, 0.5, 2},
		// h = 9 x 0.9 = 8.1: 9 + 0.1 x (10 - 9)
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9.1},
		{[]float64{1, 2}, 1, 2},
	} {
		if got := Percentile(c.values, c.p); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.values, c.p, got, c.want)
		}
	}
}

func TestMonthsOf(t *testing.T) {
	loc := time.FixedZone("WIB", 7*3600)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	to := time.Date(2026, 7, 1, 0, 0, 0, 0, loc) // exclusive: June is the last month
	want := []string{"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"}
	if got := monthsOf(from, to, loc); !slices.Equal(got, want) {
		t.Errorf("months = %v, want %v", got, want)
	}
	if got := monthsOf(to, from, loc); got != nil {
		t.Errorf("reversed period gives %v, want none", got)
	}
}

// TestBuildReportStatusAsOfTo: a case finished after the period's end is
// still open in the report, and a case finished inside it counts with its
// processing time.
func TestBuildReportStatusAsOfTo(t *testing.T) {
	loc := time.FixedZone("WIB", 7*3600)
	cal := Calendar{Location: loc}
	day := func(d, h int) time.Time { return time.Date(2026, 5, d, h, 0, 0, 0, loc) } // 2026-05-04 is a Monday
	from, to := day(1, 0), day(9, 0)
	cases := []ReportCase{
		{Kind: KindRequest, ServiceCode: "sktm", CreatedAt: day(4, 8), DueAt: day(4, 16), Events: []ReportEvent{
			{At: day(4, 8), To: StatusReceived}, {At: day(4, 9), To: StatusVerifying},
			{At: day(4, 10), To: StatusProcessing}, {At: day(4, 14), To: StatusDone},
			{At: day(4, 15), To: StatusDone}, // a note after the end keeps the finish time
		}},
		{Kind: KindRequest, ServiceCode: "sktm", CreatedAt: day(5, 8), DueAt: day(5, 16), Events: []ReportEvent{
			{At: day(5, 8), To: StatusReceived}, {At: day(11, 9), To: StatusDone},
		}},
	}
	r := BuildReport(from, to, time.Time{}, cases, nil, cal)
	if r.Cases != 2 || r.Open != 1 || r.Overdue != 1 {
		t.Errorf("cases %d open %d overdue %d, want 2, 1, 1", r.Cases, r.Open, r.Overdue)
	}
	if len(r.Services) != 1 {
		t.Fatalf("services = %+v, want sktm only", r.Services)
	}
	s := r.Services[0]
	if s.Finished != 1 || s.WithinDue != 1 || s.WithinDueShare != 1 || math.Abs(s.MedianDays-0.25) > 1e-9 {
		t.Errorf("sktm = %+v, want one finished in 6 h (0.25 working days), within due", s)
	}
	if s.ByStatus[StatusDone] != 1 || s.ByStatus[StatusReceived] != 1 {
		t.Errorf("by status = %v, want one selesai and one diterima", s.ByStatus)
	}
}

// TestBuildReportFutureEndCountsAsOfNow is the 7 December example:
// made on 7 December for a period ending 31 December, three open cases due
// 11 December are not late yet, and the overdue count equals that of a
// period ending today. One case due 4 December is late in both.
func TestBuildReportFutureEndCountsAsOfNow(t *testing.T) {
	loc := time.FixedZone("WIB", 7*3600)
	cal := Calendar{Location: loc}
	day := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, loc) }
	open := func(created, due time.Time) ReportCase {
		return ReportCase{Kind: KindRequest, ServiceCode: "sktm", CreatedAt: created, DueAt: due,
			Events: []ReportEvent{{At: created, To: StatusReceived}}}
	}
	cases := []ReportCase{
		open(day(1, 9), day(4, 16)),
		open(day(7, 8), day(11, 16)), open(day(7, 9), day(11, 16)), open(day(7, 10), day(11, 16)),
	}
	now := day(7, 14)
	month := BuildReport(day(1, 0), time.Date(2027, 1, 1, 0, 0, 0, 0, loc), now, cases, nil, cal)
	today := BuildReport(day(1, 0), day(8, 0), now, cases, nil, cal)
	if month.Overdue != 1 || today.Overdue != month.Overdue {
		t.Errorf("overdue: period to 31 Dec %d, to today %d; want 1 and 1", month.Overdue, today.Overdue)
	}
	if !month.AsOf.Equal(now) || !today.AsOf.Equal(now) {
		t.Errorf("as of %v and %v, want now %v", month.AsOf, today.AsOf, now)
	}
	if month.Open != 4 || month.Cases != 4 {
		t.Errorf("open %d cases %d, want 4 and 4", month.Open, month.Cases)
	}
	// Made after the period: counted as of its end, when all four were
	// late (the 11th is before the 12th).
	past := BuildReport(day(1, 0), day(12, 0), day(20, 9), cases, nil, cal)
	if !past.AsOf.Equal(day(12, 0)) || past.Overdue != 4 {
		t.Errorf("past period: as of %v overdue %d, want the 12th and 4", past.AsOf, past.Overdue)
	}
}

// TestBuildReportProfileAndVillages counts the respondents' profile (only
// of responses counted in the index) and the cases by village.
func TestBuildReportProfileAndVillages(t *testing.T) {
	loc := time.FixedZone("WIB", 7*3600)
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, loc)
	done := at.Add(time.Hour)
	surveys := []ReportSurvey{
		{ServiceCode: "sktm", StartedAt: at, CompletedAt: &done, Scores: fixedSurvey[0],
			Profile: map[string]string{"usia": "30_39", "kelamin": "perempuan", "pendidikan": "sma", "pekerjaan": "petani"}},
		{ServiceCode: "sktm", StartedAt: at, CompletedAt: &done, Scores: fixedSurvey[1],
			Profile: map[string]string{"usia": "30_39", "kelamin": "laki_laki", "pendidikan": "bogus"}},
		{ServiceCode: "pengaduan", StartedAt: at, CompletedAt: &done, Scores: fixedSurvey[3]},
		{ServiceCode: "sktm", StartedAt: at, CompletedAt: &done, Scores: make([]int, 9), // invalid: not counted
			Profile: map[string]string{"usia": "60_lebih"}},
		{ServiceCode: "sktm", StartedAt: at, Scores: fixedSurvey[2]}, // not completed
	}
	cases := []ReportCase{
		{Kind: KindRequest, ServiceCode: "sktm", VillageCode: "v2", CreatedAt: at, DueAt: at},
		{Kind: KindRequest, ServiceCode: "sktm", VillageCode: "v1", CreatedAt: at, DueAt: at},
		{Kind: KindComplaint, ServiceCode: "pengaduan", VillageCode: "v2", CreatedAt: at, DueAt: at},
	}
	r := BuildReport(at.AddDate(0, 0, -1), at.AddDate(0, 0, 1), at.AddDate(0, 0, 1), cases, surveys, Calendar{Location: loc})
	if r.IKM.Respondents != 3 || r.PartialSurveys != 1 {
		t.Fatalf("respondents %d partial %d, want 3 and 1", r.IKM.Respondents, r.PartialSurveys)
	}
	counts := func(q string) map[string]int {
		for _, p := range r.Profile {
			if p.Question == q {
				out := map[string]int{}
				for _, c := range p.Counts {
					if c.N > 0 {
						out[c.Key] = c.N
					}
				}
				return out
			}
		}
		t.Fatalf("no profile of %s in %+v", q, r.Profile)
		return nil
	}
	if got := counts("usia"); !maps.Equal(got, map[string]int{"30_39": 2, "": 1}) {
		t.Errorf("age = %v, want two 30-39 and one unanswered", got)
	}
	if got := counts("pendidikan"); !maps.Equal(got, map[string]int{"sma": 1, "": 2}) {
		t.Errorf("education = %v, want one SMA and two unanswered (one unknown option)", got)
	}
	if len(r.Profile) != len(SurveyProfile) || len(r.Profile[3].Counts) != len(SurveyProfile[3].Options)+1 {
		t.Errorf("profile = %+v, want every question with every option and the unanswered", r.Profile)
	}
	if want := []Count{{"v2", 2}, {"v1", 1}}; !slices.Equal(r.ByVillage, want) {
		t.Errorf("by village = %v, want %v", r.ByVillage, want)
	}
}
