package models

import (
	"fmt"
	"time"
)

// Periods are always taken in the reporting time zone. These functions are the
// only place that turns an instant into a day, month or year.

const (
	dayLayout   = "2006-01-02"
	monthLayout = "2006-01"
)

// Day returns the calendar day of t in loc as YYYY-MM-DD.
func Day(t time.Time, loc *time.Location) string { return t.In(loc).Format(dayLayout) }

// Month returns the month of t in loc as YYYY-MM.
func Month(t time.Time, loc *time.Location) string { return t.In(loc).Format(monthLayout) }

// ParseDate parses YYYY-MM-DD strictly (a real calendar date).
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(dayLayout, s)
	if err != nil || t.Format(dayLayout) != s {
		return time.Time{}, fmt.Errorf("must be a date YYYY-MM-DD")
	}
	return t, nil
}

// ParseMonth parses YYYY-MM strictly.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse(monthLayout, s)
	if err != nil || t.Format(monthLayout) != s {
		return time.Time{}, fmt.Errorf("must be a month YYYY-MM")
	}
	return t, nil
}

// DayStart returns the instant at which the calendar day date (YYYY-MM-DD,
// already validated) begins in loc.
func DayStart(date time.Time, loc *time.Location) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, loc)
}

// ParseInstant parses an RFC 3339 instant that carries an explicit offset
// ("Z" or ±hh:mm) and returns it in UTC, truncated to microseconds so that
// every backend stores the same value.
func ParseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 instant with an offset, e.g. 2024-10-12T09:30:00+08:00")
	}
	// The range keeps every instant a valid year in any reporting zone,
	// and clear of the local-mean-time offsets zones had before 1970.
	if u := t.UTC(); u.Year() < 1970 || u.Year() > 9998 {
		return time.Time{}, fmt.Errorf("must be between the years 1970 and 9998")
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// FormatInstant renders a stored instant in the reporting time zone, with its offset.
func FormatInstant(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339Nano)
}
