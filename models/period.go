package models

import (
	"fmt"
	"time"
)

const (
	dayLayout   = "2006-01-02"
	monthLayout = "2006-01"
)

// Year is a calendar year of the reporting time zone.
type Year int

// Month is a calendar month of the reporting time zone.
type Month struct {
	Year  Year
	Month time.Month
}

// Day is a calendar day of the reporting time zone.
type Day struct {
	Year  Year
	Month time.Month
	Day   int
}

// DayOf is the calendar day of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day{Year(y), m, d}
}

// MonthOf is the month of t in loc.
func MonthOf(t time.Time, loc *time.Location) Month { return DayOf(t, loc).Of() }

// ParseDay parses YYYY-MM-DD strictly (a real calendar date).
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(dayLayout, s)
	if err != nil || t.Format(dayLayout) != s {
		return Day{}, Invalid(CodeInvalidFormat, Params{"format": "date"}, "must be a date YYYY-MM-DD")
	}
	return DayOf(t, time.UTC), nil
}

// ParseMonth parses YYYY-MM strictly.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse(monthLayout, s)
	if err != nil || t.Format(monthLayout) != s {
		return Month{}, Invalid(CodeInvalidFormat, Params{"format": "month"}, "must be a month YYYY-MM")
	}
	return MonthOf(t, time.UTC), nil
}

func (y Year) String() string { return fmt.Sprintf("%04d", int(y)) }

// Months are the year's twelve months, January first.
func (y Year) Months() []Month {
	out := make([]Month, 12)
	for i := range out {
		out[i] = Month{y, time.Month(i + 1)}
	}
	return out
}

// Month is the year's month m (1–12).
func (y Year) Month(m int) Month { return Month{y, time.Month(m)} }

// First is January 1st; End is December 31st.
func (y Year) First() Day { return Day{y, time.January, 1} }
func (y Year) End() Day   { return Day{y, time.December, 31} }

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", int(m.Year), int(m.Month)) }

// civil is the month's first day at midnight UTC, for calendar arithmetic.
func (m Month) civil() time.Time { return time.Date(int(m.Year), m.Month, 1, 0, 0, 0, 0, time.UTC) }

// First is the month's first day; End its last.
func (m Month) First() Day { return Day{m.Year, m.Month, 1} }
func (m Month) End() Day   { return DayOf(m.civil().AddDate(0, 1, -1), time.UTC) }

// Add is the month n months later (earlier for a negative n).
func (m Month) Add(n int) Month { return MonthOf(m.civil().AddDate(0, n, 0), time.UTC) }

// Before reports whether m comes before o.
func (m Month) Before(o Month) bool {
	return m.Year < o.Year || m.Year == o.Year && m.Month < o.Month
}

// Start is the instant the month begins in loc.
func (m Month) Start(loc *time.Location) time.Time { return m.First().Start(loc) }

func (d Day) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", int(d.Year), int(d.Month), d.Day)
}

// Of is the month the day belongs to.
func (d Day) Of() Month { return Month{d.Year, d.Month} }

// Start is the instant the day begins in loc.
func (d Day) Start(loc *time.Location) time.Time {
	return time.Date(int(d.Year), d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Add is the day n days later (earlier for a negative n).
func (d Day) Add(n int) Day {
	return DayOf(time.Date(int(d.Year), d.Month, d.Day+n, 0, 0, 0, 0, time.UTC), time.UTC)
}

// Before reports whether d comes before o.
func (d Day) Before(o Day) bool {
	if d.Year != o.Year || d.Month != o.Month {
		return d.Of().Before(o.Of())
	}
	return d.Day < o.Day
}

// Date is the day at midnight UTC, for calendar arithmetic and formatting.
func (d Day) Date() time.Time { return d.Start(time.UTC) }

// DayNumber is the day's position in its year (1 for January 1st).
func (d Day) DayNumber() int { return d.Date().YearDay() }

// ParseInstant parses an RFC 3339 instant that carries an explicit offset
// ("Z" or ±hh:mm) and returns it in UTC, truncated to microseconds so that
// every backend stores the same value.
func ParseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Invalid(CodeInvalidFormat, Params{"format": "instant"}, "must be an RFC 3339 instant with an offset, e.g. 2024-10-12T09:30:00+08:00")
	}
	// The range keeps every instant a valid year in any reporting zone,
	// and clear of the local-mean-time offsets zones had before 1970.
	if u := t.UTC(); u.Year() < 1970 || u.Year() > 9998 {
		return time.Time{}, Invalid(CodeOutOfRange, Params{"min": 1970, "max": 9998, "unit": "year"}, "must be between the years 1970 and 9998")
	}
	return t.UTC().Truncate(time.Microsecond), nil
}
