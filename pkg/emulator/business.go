package emulator

import "time"

// Wires move only on Fedwire business days: the current docs say sandbox
// wires complete "on weekdays only", and Fedwire is closed on the Federal
// Reserve holidays. The emulator's calendar is the UTC date, like its end
// of day (21:00 UTC), and a wire step that falls on a weekend or holiday
// happens when the next business day opens, at 14:00 UTC (09:00 New York
// standard time).
const businessOpenHour = 14

// businessDay reports whether t's UTC date is a weekday that is not a
// Federal Reserve holiday.
func businessDay(t time.Time) bool {
	t = t.UTC()
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !fedHoliday(t)
}

// nextBusinessTime returns t itself on a business day, otherwise the
// opening of the next business day.
func nextBusinessTime(t time.Time) time.Time {
	if businessDay(t) {
		return t
	}
	d := t.UTC()
	for {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, businessOpenHour, 0, 0, 0, time.UTC)
		if businessDay(d) {
			return d
		}
	}
}

// fedHoliday reports whether t's UTC date is a Federal Reserve holiday as
// observed: fixed-date holidays falling on a Sunday move to Monday (those
// on a Saturday are not moved, the Fed is open the Friday before).
func fedHoliday(t time.Time) bool {
	y, m, d := t.Date()
	wd := t.Weekday()
	fixed := func(hm time.Month, hd int) bool {
		if m == hm && d == hd {
			return true
		}
		// Observed on Monday when it falls on a Sunday.
		return wd == time.Monday && m == hm && d == hd+1
	}
	nth := func(hm time.Month, hwd time.Weekday, n int) bool {
		return m == hm && wd == hwd && (d-1)/7 == n-1
	}
	last := func(hm time.Month, hwd time.Weekday) bool {
		return m == hm && wd == hwd && d+7 > daysIn(hm, y)
	}
	return fixed(time.January, 1) || nth(time.January, time.Monday, 3) || nth(time.February, time.Monday, 3) ||
		last(time.May, time.Monday) || (y >= 2022 && fixed(time.June, 19)) || fixed(time.July, 4) ||
		nth(time.September, time.Monday, 1) || nth(time.October, time.Monday, 2) || fixed(time.November, 11) ||
		nth(time.November, time.Thursday, 4) || fixed(time.December, 25)
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
