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
	// Runs (开行) are the runs that departed (for the hub: trains
	// dispatched from it outbound, and inbound runs by their departure).
	Runs       int64 `json:"runs"`
	Containers int64 `json:"containers"`
	// EmptyContainers are the empty boxes among Containers.
	EmptyContainers int64 `json:"empty_containers"`
	// LadenRatioPct (综合重箱率) is the share of laden boxes among
	// Containers, one decimal; nil without containers.
	LadenRatioPct *float64 `json:"laden_ratio_pct"`
	TEU           int64    `json:"teu"`
	// ArrivalsDepartures (到发) are the outbound runs that departed plus
	// the inbound runs that arrived (at the hub) in the period.
	ArrivalsDepartures int64  `json:"arrivals_departures"`
	SeaRailTEU         *int64 `json:"sea_rail_teu"`
}

// Settle computes the figures derived from the others (the laden ratio).
func (f *Figures) Settle() {
	f.LadenRatioPct = Pct(f.Containers-f.EmptyContainers, f.Containers)
}

// Bases say, for each figure of totals, what it counts: the releases quote
// 开行 (runs: departures) and 到发 (arrivals and departures) side by side.
type Bases struct {
	Runs               string `json:"runs"`
	ArrivalsDepartures string `json:"arrivals_departures"`
	LadenRatioPct      string `json:"laden_ratio_pct"`
}

// CountingBases are the bases every totals answer states.
var CountingBases = Bases{
	Runs:               "departures: runs that departed in the period, each direction by its departure (开行)",
	ArrivalsDepartures: "outbound departures plus inbound arrivals in the period (到发)",
	LadenRatioPct:      "laden containers (containers − empty_containers) per 100 containers of the runs that departed (综合重箱率)",
}

// Growth is the year-on-year change of each figure, in percent.
type Growth struct {
	Runs               *float64 `json:"runs"`
	ArrivalsDepartures *float64 `json:"arrivals_departures"`
	Containers         *float64 `json:"containers"`
	TEU                *float64 `json:"teu"`
	SeaRailTEU         *float64 `json:"sea_rail_teu"`
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
	Month              string   `json:"month"`
	Runs               int64    `json:"runs"`
	Containers         int64    `json:"containers"`
	EmptyContainers    int64    `json:"empty_containers"`
	LadenRatioPct      *float64 `json:"laden_ratio_pct"`
	TEU                int64    `json:"teu"`
	ArrivalsDepartures int64    `json:"arrivals_departures"`
	CumulativeRuns     int64    `json:"cumulative_runs"`
	RunsLastYear       int64    `json:"runs_last_year"`
	RunsYoYPct         *float64 `json:"runs_yoy_pct"`
	SeaRailTEU         *int64   `json:"sea_rail_teu"`
	// ByCorridor (with ?by=corridor) are the month's figures of each
	// corridor's rail runs, in the order of Corridors.
	ByCorridor []CorridorFigures `json:"by_corridor,omitempty"`
}

// CorridorFigures are the figures of one corridor's rail runs.
type CorridorFigures struct {
	Corridor           string   `json:"corridor"`
	Figures                     // sea_rail_teu is null
	SamePeriodLastYear *Figures `json:"same_period_last_year,omitempty"`
	YoYPct             *Growth  `json:"yoy_pct,omitempty"`
}

// MonthlyTotals is the answer of /totals/monthly.
type MonthlyTotals struct {
	Year   int           `json:"year"`
	Scope  Scope         `json:"scope"`
	By     *string       `json:"by"`
	Bases  Bases         `json:"bases"`
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
	By      *string      `json:"by"`
	Bases   Bases        `json:"bases"`
	// ByCorridor (with ?by=corridor): January to through of each
	// corridor's rail runs, this year and last, in the order of Corridors.
	ByCorridor []CorridorFigures `json:"by_corridor,omitempty"`
}

// WanFrom is the smallest figure written in 万 (ten thousands) in Chinese:
// 53,984 TEU read "5.4万标箱". The summaries and the dashboard (which the
// server tells through its page) both write figures by it.
const WanFrom = 10_000
