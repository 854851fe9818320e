package services

import (
	"math"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Amsterdam even where the system has no zoneinfo
)

func TestWorkingDaysBetween(t *testing.T) {
	jkt := time.FixedZone("WIB", 7*3600)
	cal := Calendar{Location: jkt, Holidays: map[string]bool{"2026-06-01": true}, Close: "16:00"}
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 5, day, hour, minute, 0, 0, jkt) }
	// May 2026: the 1st is a Friday; 2-3 and 9-10 are weekends.
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     float64
	}{
		{"same day, six hours", at(4, 8, 0), at(4, 14, 0), 0.25},
		{"whole working day", at(4, 0, 0), at(5, 0, 0), 1},
		{"over the weekend", at(1, 15, 0), at(4, 9, 0), 9.0/24 + 9.0/24},
		{"weekend only", at(2, 8, 0), at(3, 20, 0), 0},
		{"one week", at(4, 10, 0), at(11, 10, 0), 5},
		{"across a holiday", time.Date(2026, 5, 29, 12, 0, 0, 0, jkt), time.Date(2026, 6, 2, 12, 0, 0, 0, jkt), 0.5 + 0.5},
		{"reversed", at(5, 0, 0), at(4, 0, 0), 0},
		{"equal", at(4, 9, 0), at(4, 9, 0), 0},
		{"times in another zone", at(4, 8, 0).UTC(), at(4, 20, 0).UTC(), 0.5},
	} {
		if got := cal.WorkingDaysBetween(c.from, c.to); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// TestWorkingDaysBetweenDST uses a zone with daylight saving time: the
// short day still counts as one whole working day.
func TestWorkingDaysBetweenDST(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatalf("load Europe/Amsterdam: %v", err)
	}
	cal := Calendar{Location: ams}
	// 2026-03-29 (a Sunday) is 23 hours long there; use the Monday after a
	// Friday to cross it: Fri 00:00 -> Tue 00:00 is two working days.
	from := time.Date(2026, 3, 27, 0, 0, 0, 0, ams)
	to := time.Date(2026, 3, 31, 0, 0, 0, 0, ams)
	if got := cal.WorkingDaysBetween(from, to); math.Abs(got-2) > 1e-9 {
		t.Errorf("Fri-Tue across DST = %v, want 2", got)
	}
}
