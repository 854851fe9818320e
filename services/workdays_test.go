package services

import (
	"testing"
	"time"
)

func testCalendar(t *testing.T) Calendar {
	t.Helper()
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatalf("load Asia/Jakarta: %v", err)
	}
	return NewCalendar(Office{
		Location: jakarta,
		Hours:    OfficeHours{Open: "07:30", Close: "16:00"},
		Holidays: []string{
			"2026-01-16", // Friday, Isra Mikraj
			"2026-03-18", "2026-03-19", "2026-03-20", "2026-03-21", "2026-03-22", "2026-03-23", "2026-03-24",
		},
	})
}

func TestIsWorkingDay(t *testing.T) {
	c := testCalendar(t)
	wib := c.Location
	cases := []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 1, 5, 10, 0, 0, 0, wib), true},   // Monday
		{time.Date(2026, 1, 9, 23, 59, 0, 0, wib), true},  // Friday night
		{time.Date(2026, 1, 10, 10, 0, 0, 0, wib), false}, // Saturday
		{time.Date(2026, 1, 11, 10, 0, 0, 0, wib), false}, // Sunday
		{time.Date(2026, 1, 16, 10, 0, 0, 0, wib), false}, // holiday
		// 18:00 UTC on Friday is already Saturday 01:00 in Jakarta.
		{time.Date(2026, 1, 9, 18, 0, 0, 0, time.UTC), false},
		// 20:00 UTC on Sunday is already Monday 03:00 in Jakarta.
		{time.Date(2026, 1, 4, 20, 0, 0, 0, time.UTC), true},
	}
	for _, tc := range cases {
		if got := c.IsWorkingDay(tc.at); got != tc.want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestDueDate(t *testing.T) {
	c := testCalendar(t)
	wib := c.Location
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, wib) }
	due := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 16, 0, 0, 0, wib) }
	cases := []struct {
		name      string
		submitted time.Time
		days      int
		want      time.Time
	}{
		{"monday morning, 1 day", at(2026, 1, 5, 10, 0), 1, due(2026, 1, 5)},
		{"monday before opening counts the same day", at(2026, 1, 5, 6, 0), 1, due(2026, 1, 5)},
		{"monday one minute before close", at(2026, 1, 5, 15, 59), 1, due(2026, 1, 5)},
		{"monday at close counts from tuesday", at(2026, 1, 5, 16, 0), 1, due(2026, 1, 6)},
		{"monday evening", at(2026, 1, 5, 17, 0), 1, due(2026, 1, 6)},
		{"monday morning, 3 days", at(2026, 1, 5, 10, 0), 3, due(2026, 1, 7)},
		{"wednesday, 3 days end on friday", at(2026, 1, 7, 10, 0), 3, due(2026, 1, 9)},
		{"thursday, 3 days across the weekend", at(2026, 1, 8, 10, 0), 3, due(2026, 1, 12)},
		{"friday evening", at(2026, 1, 9, 19, 30), 1, due(2026, 1, 12)},
		{"saturday", at(2026, 1, 10, 9, 0), 1, due(2026, 1, 12)},
		{"sunday, 5 days", at(2026, 1, 11, 9, 0), 5, due(2026, 1, 19)}, // 12..15, then 16 is a holiday
		{"thursday evening before a friday holiday", at(2026, 1, 15, 17, 0), 1, due(2026, 1, 19)},
		{"on a holiday", at(2026, 1, 16, 9, 0), 1, due(2026, 1, 19)},
		{"across idul fitri", at(2026, 3, 17, 10, 0), 3, due(2026, 3, 26)},
		{"days below 1 count as 1", at(2026, 1, 5, 10, 0), 0, due(2026, 1, 5)},
		// Submitted at 20:00 UTC on Sunday = Monday 03:00 in Jakarta.
		{"utc instant on another date", time.Date(2026, 1, 4, 20, 0, 0, 0, time.UTC), 1, due(2026, 1, 5)},
		// Friday 09:30 UTC = 16:30 in Jakarta: after close.
		{"utc instant after close", time.Date(2026, 1, 9, 9, 30, 0, 0, time.UTC), 1, due(2026, 1, 12)},
		{"end of year", at(2026, 12, 31, 17, 0), 1, due(2027, 1, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.DueDate(tc.submitted, tc.days)
			if !got.Equal(tc.want) {
				t.Fatalf("DueDate(%s, %d) = %s, want %s", tc.submitted, tc.days, got, tc.want)
			}
			if got.Location() != wib {
				t.Errorf("DueDate location = %s, want %s", got.Location(), wib)
			}
		})
	}
}

func TestNewCalendar(t *testing.T) {
	c := NewCalendar(Office{Holidays: []string{"2026-12-25"}, Hours: OfficeHours{Close: "15:30"}})
	if !c.Holidays["2026-12-25"] || len(c.Holidays) != 1 || c.Close != "15:30" {
		t.Fatalf("NewCalendar = %+v", c)
	}
	// No zone set: UTC, and the close time is honoured.
	got := c.DueDate(time.Date(2026, 12, 24, 15, 31, 0, 0, time.UTC), 1)
	want := time.Date(2026, 12, 28, 15, 30, 0, 0, time.UTC) // 25 holiday, 26-27 weekend
	if !got.Equal(want) {
		t.Fatalf("DueDate = %s, want %s", got, want)
	}
}

func TestWorkingDaysLate(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	cal := NewCalendar(Office{Location: wib, Holidays: []string{"2026-12-25"}, Hours: OfficeHours{Open: "07:30", Close: "16:00"}})
	due := time.Date(2026, 12, 23, 16, 0, 0, 0, wib) // Wednesday
	for _, tc := range []struct {
		now  time.Time
		want int
	}{
		{time.Date(2026, 12, 23, 17, 0, 0, 0, wib), 0}, // late the same day
		{time.Date(2026, 12, 24, 9, 0, 0, 0, wib), 0},  // Thursday: the first late day is still running
		{time.Date(2026, 12, 28, 9, 0, 0, 0, wib), 1},  // Monday: Thursday counts, Friday is Christmas, weekend is off
		{time.Date(2026, 12, 30, 9, 0, 0, 0, wib), 3},  // Wednesday: Thu, Mon, Tue
		{time.Date(2026, 12, 20, 9, 0, 0, 0, wib), 0},  // before the due date
	} {
		if got := cal.WorkingDaysLate(due, tc.now); got != tc.want {
			t.Errorf("WorkingDaysLate(%v) = %d, want %d", tc.now, got, tc.want)
		}
	}
}
