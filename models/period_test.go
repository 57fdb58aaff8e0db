package models_test

import (
	"testing"
	"time"

	"banlie/models"
)

func TestPeriods(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 2024-10-31T17:30Z is already November 1st in Shanghai.
	at := time.Date(2024, 10, 31, 17, 30, 0, 0, time.UTC)
	if d := models.DayOf(at, shanghai); d.String() != "2024-11-01" || d.Of().String() != "2024-11" {
		t.Errorf("DayOf = %s in %s", d, d.Of())
	}
	if d := models.DayOf(at, time.UTC); d.String() != "2024-10-31" {
		t.Errorf("DayOf in UTC = %s", d)
	}
	for _, c := range []struct{ month, end string }{{"2024-02", "2024-02-29"}, {"2023-02", "2023-02-28"}, {"2024-12", "2024-12-31"}, {"2024-04", "2024-04-30"}} {
		m, err := models.ParseMonth(c.month)
		if err != nil {
			t.Fatal(err)
		}
		if m.End().String() != c.end || m.First().String() != c.month+"-01" {
			t.Errorf("%s: first %s, end %s; want end %s", c.month, m.First(), m.End(), c.end)
		}
	}
	dec, _ := models.ParseMonth("2024-12")
	if dec.Add(1).String() != "2025-01" || dec.Add(-12).String() != "2023-12" || dec.Add(-24).String() != "2022-12" {
		t.Errorf("month arithmetic: %s %s %s", dec.Add(1), dec.Add(-12), dec.Add(-24))
	}
	months := models.Year(2024).Months()
	if len(months) != 12 || months[0].String() != "2024-01" || months[11].String() != "2024-12" {
		t.Errorf("Year.Months = %v", months)
	}
	if y := models.Year(2024); y.First().String() != "2024-01-01" || y.End().String() != "2024-12-31" || y.End().DayNumber() != 366 {
		t.Errorf("year bounds %s %s (%d days)", y.First(), y.End(), y.End().DayNumber())
	}
	d, _ := models.ParseDay("2024-02-28")
	if d.Add(1).String() != "2024-02-29" || d.Add(2).String() != "2024-03-01" || d.Add(-59).String() != "2023-12-31" {
		t.Errorf("day arithmetic: %s %s %s", d.Add(1), d.Add(2), d.Add(-59))
	}
	if !d.Before(d.Add(1)) || d.Add(1).Before(d) || d.Before(d) || !models.Year(2023).End().Before(models.Year(2024).First()) {
		t.Error("Before does not order days")
	}
	if start := d.Start(shanghai); !start.Equal(time.Date(2024, 2, 27, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("2024-02-28 begins in Shanghai at %s", start.UTC())
	}
	for _, bad := range []string{"2024-02-30", "2024-2-01", "2024-02-01x", "", "24-02-01"} {
		if _, err := models.ParseDay(bad); err == nil {
			t.Errorf("ParseDay(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"2024-13", "2024-1", "2024-01-01", ""} {
		if _, err := models.ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}
