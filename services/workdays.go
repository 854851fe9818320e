package services

import "time"

// dateLayout is how holidays and date answers are written.
const dateLayout = "2006-01-02"

// Calendar knows which days the office works and when it closes, to turn a
// time limit in working days into a due date.
type Calendar struct {
	Location *time.Location  // office time zone; nil means UTC
	Holidays map[string]bool // "2006-01-02" -> closed
	Close    string          // "16:00": submissions after it count from the next working day
}

// NewCalendar builds the calendar of an office from its profile.
func NewCalendar(o Office) Calendar {
	holidays := make(map[string]bool, len(o.Holidays))
	for _, h := range o.Holidays {
		holidays[h] = true
	}
	return Calendar{Location: o.Location, Holidays: holidays, Close: o.Hours.Close}
}

// IsWorkingDay reports whether the office works on t's date (in the office
// time zone): Monday to Friday, and not a holiday.
func (c Calendar) IsWorkingDay(t time.Time) bool {
	t = t.In(c.location())
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !c.Holidays[t.Format(dateLayout)]
}

// DueDate returns the end (the closing time) of the days-th working day of a
// case submitted at submitted. Day 1 is the submission day when it is a
// working day and the case arrived before closing time; otherwise it is the
// next working day. A days below 1 counts as 1: the loader rejects such
// limits, and a due date before the submission would make no sense.
func (c Calendar) DueDate(submitted time.Time, days int) time.Time {
	loc := c.location()
	s := submitted.In(loc)
	day := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
	if !c.IsWorkingDay(day) || !s.Before(c.closeOn(day)) {
		day = c.nextWorkingDay(day)
	}
	for n := 1; n < days; n++ {
		day = c.nextWorkingDay(day)
	}
	return c.closeOn(day)
}

// nextWorkingDay returns the first working day after day. AddDate keeps the
// wall-clock midnight even across a DST change, should the office zone have one.
func (c Calendar) nextWorkingDay(day time.Time) time.Time {
	for {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			return day
		}
	}
}

// closeOn is the closing time on day's date. An unreadable Close (the loader
// rejects those) counts as the end of the day rather than failing.
func (c Calendar) closeOn(day time.Time) time.Time {
	hour, minute := 23, 59
	if t, err := time.Parse("15:04", c.Close); err == nil {
		hour, minute = t.Hour(), t.Minute()
	}
	return time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, c.location())
}

func (c Calendar) location() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// WorkingDaysLate counts the working days after due up to now: 0 when the
// case is not late or became late today.
func (c Calendar) WorkingDaysLate(due, now time.Time) int {
	loc := c.location()
	day := time.Date(due.In(loc).Year(), due.In(loc).Month(), due.In(loc).Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	n := 0
	for ; day.Before(today); day = day.AddDate(0, 0, 1) {
		if c.IsWorkingDay(day) {
			n++
		}
	}
	return n
}
