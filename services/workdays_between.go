package services

import "time"

// WorkingDaysBetween measures the time from from to to in working days:
// each working day (in the office time zone) counts for the share of its
// 24 hours that lies between from and to, and weekends and holidays count
// for nothing. A case filed on Friday at 15:00 and finished on Monday at
// 09:00 took 9/24 + 9/24 = 0.75 working days. Whole calendar days rather
// than counter hours are counted because the office closes at different
// times (Ramadan hours) and a case may well be finished after closing.
// It returns 0 when to is not after from.
func (c Calendar) WorkingDaysBetween(from, to time.Time) float64 {
	if !to.After(from) {
		return 0
	}
	loc := c.location()
	f := from.In(loc)
	day := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	var days float64
	for day.Before(to) {
		// AddDate keeps midnight across a DST change, where a day is 23
		// or 25 hours long; the share is taken of that day's own length.
		next := day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			start, end := day, next
			if from.After(start) {
				start = from
			}
			if to.Before(end) {
				end = to
			}
			days += float64(end.Sub(start)) / float64(next.Sub(day))
		}
		day = next
	}
	return days
}
