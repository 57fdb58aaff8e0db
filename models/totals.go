package models

import (
	"math"
)

// Scope narrows totals to a route or a mode, and optionally a direction.
type Scope struct {
	Route     *string `json:"route"`
	Mode      *string `json:"mode"`
	Direction *string `json:"direction"`
}

func (sc Scope) Any() bool { return sc.Route != nil || sc.Mode != nil || sc.Direction != nil }

// Figures are the counted runs, containers and TEU of a period, and its
// sea-rail TEU (nil when the figures are scoped to a route, mode or direction).
type Figures struct {
	Runs       int64  `json:"runs"`
	Containers int64  `json:"containers"`
	TEU        int64  `json:"teu"`
	SeaRailTEU *int64 `json:"sea_rail_teu"`
}

// Growth is the year-on-year change of each figure, in percent.
type Growth struct {
	Runs       *float64 `json:"runs"`
	Containers *float64 `json:"containers"`
	TEU        *float64 `json:"teu"`
	SeaRailTEU *float64 `json:"sea_rail_teu"`
}

// Pct is 100 × num / den rounded half away from zero to one decimal, or nil
// when den is 0. It is the one place percentages are computed.
func Pct(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	// Exact integer rounding of 1000 × num / den, then one decimal.
	n, d := 1000*num, den
	neg := (n < 0) != (d < 0)
	if n < 0 {
		n = -n
	}
	if d < 0 {
		d = -d
	}
	q := (2*n + d) / (2 * d)
	if neg {
		q = -q
	}
	v := float64(q) / 10
	if v == 0 {
		v = math.Copysign(0, 1)
	}
	return &v
}

// YoY is the growth from last to this, in percent; nil when last is 0.
func YoY(this, last int64) *float64 { return Pct(this-last, last) }

// MonthTotals is one month of /totals/monthly.
type MonthTotals struct {
	Month          string   `json:"month"`
	Runs           int64    `json:"runs"`
	Containers     int64    `json:"containers"`
	TEU            int64    `json:"teu"`
	CumulativeRuns int64    `json:"cumulative_runs"`
	RunsLastYear   int64    `json:"runs_last_year"`
	RunsYoYPct     *float64 `json:"runs_yoy_pct"`
	SeaRailTEU     *int64   `json:"sea_rail_teu"`
}

// MonthlyTotals is the answer of /totals/monthly.
type MonthlyTotals struct {
	Year   int           `json:"year"`
	Scope  Scope         `json:"scope"`
	Months []MonthTotals `json:"months"`
}

// YearMonth bounds: the years totals and targets accept.
const (
	MinYear = 1900
	MaxYear = 9999
)

// YearlyTotals is the answer of /totals/yearly.
type YearlyTotals struct {
	Year               int     `json:"year"`
	Through            string  `json:"through"`
	Scope              Scope   `json:"scope"`
	Figures                    // this year, January to through
	SamePeriodLastYear Figures `json:"same_period_last_year"`
	YoYPct             Growth  `json:"yoy_pct"`
	LastYearFull       Figures `json:"last_year_full"`
	// Transit is the median transit time of the runs that arrived from
	// January to through.
	Transit TransitTimes `json:"transit"`
}

// WanFrom is the smallest figure written in 万 (ten thousands) in Chinese:
// 53,984 TEU read "5.4万标箱". The summaries and the dashboard (which the
// server tells through its page) both write figures by it.
const WanFrom = 10_000
