package services

import (
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
	r := BuildReport(from, to, cases, nil, cal)
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
