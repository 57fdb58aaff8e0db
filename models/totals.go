package models

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Scope narrows totals to a route or a mode, and optionally a direction.
type Scope struct {
	Route     *string `json:"route"`
	Mode      *string `json:"mode"`
	Direction *string `json:"direction"`
}

func (sc Scope) any() bool { return sc.Route != nil || sc.Mode != nil || sc.Direction != nil }

// rollupScope resolves a scope to its roll-up key. A route that does not
// exist is ENOTFOUND.
func (s *Store) rollupScope(ctx context.Context, route, mode *string) (string, error) {
	switch {
	case route != nil:
		row, err := s.withCtx(ctx).routeRowByCode(*route)
		if err != nil {
			return "", err
		}
		return scopeRoute(row.ID), nil
	case mode != nil:
		return scopeMode(*mode), nil
	}
	return scopeAll, nil
}

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

func growth(this, last Figures) Growth {
	g := Growth{Runs: YoY(this.Runs, last.Runs), Containers: YoY(this.Containers, last.Containers), TEU: YoY(this.TEU, last.TEU)}
	if this.SeaRailTEU != nil && last.SeaRailTEU != nil {
		g.SeaRailTEU = YoY(*this.SeaRailTEU, *last.SeaRailTEU)
	}
	return g
}

// monthFigures reads the monthly roll-ups of a scope for months from..to
// (YYYY-MM, inclusive), keyed by month.
func (s *Store) monthFigures(ctx context.Context, scope, dir, from, to string) (map[string]rollupMonthlyRow, error) {
	var rows []rollupMonthlyRow
	err := s.db.WithContext(ctx).Where("scope = ? AND direction = ? AND month >= ? AND month <= ?", scope, dir, from, to).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[string]rollupMonthlyRow, len(rows))
	for _, r := range rows {
		out[r.Month] = r
	}
	return out, nil
}

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

// MonthlyTotals answers twelve months of figures for year, from the roll-ups.
func (s *Store) MonthlyTotals(ctx context.Context, year int, sc Scope) (MonthlyTotals, error) {
	out := MonthlyTotals{Year: year, Scope: sc, Months: make([]MonthTotals, 0, 12)}
	scope, err := s.rollupScope(ctx, sc.Route, sc.Mode)
	if err != nil {
		return out, err
	}
	dir := ""
	if sc.Direction != nil {
		dir = *sc.Direction
	}
	this, err := s.monthFigures(ctx, scope, dir, fmt.Sprintf("%04d-01", year), fmt.Sprintf("%04d-12", year))
	if err != nil {
		return out, fmt.Errorf("totals.monthly: %w", err)
	}
	last, err := s.monthFigures(ctx, scope, dir, fmt.Sprintf("%04d-01", year-1), fmt.Sprintf("%04d-12", year-1))
	if err != nil {
		return out, fmt.Errorf("totals.monthly: %w", err)
	}
	var sea map[string]rollupMonthlyRow
	if !sc.any() {
		if sea, err = s.monthFigures(ctx, scopeSeaRail, "", fmt.Sprintf("%04d-01", year), fmt.Sprintf("%04d-12", year)); err != nil {
			return out, fmt.Errorf("totals.monthly: %w", err)
		}
	}
	var cum int64
	for m := 1; m <= 12; m++ {
		key := fmt.Sprintf("%04d-%02d", year, m)
		lkey := fmt.Sprintf("%04d-%02d", year-1, m)
		f := this[key]
		cum += f.Runs
		mt := MonthTotals{Month: key, Runs: f.Runs, Containers: f.Containers, TEU: f.TEU, CumulativeRuns: cum,
			RunsLastYear: last[lkey].Runs, RunsYoYPct: YoY(f.Runs, last[lkey].Runs)}
		if sea != nil {
			v := sea[key].TEU
			mt.SeaRailTEU = &v
		}
		out.Months = append(out.Months, mt)
	}
	return out, nil
}

// YearlyTotals is the answer of /totals/yearly.
type YearlyTotals struct {
	Year               int     `json:"year"`
	Through            string  `json:"through"`
	Scope              Scope   `json:"scope"`
	Figures                    // this year, January to through
	SamePeriodLastYear Figures `json:"same_period_last_year"`
	YoYPct             Growth  `json:"yoy_pct"`
	LastYearFull       Figures `json:"last_year_full"`
}

// DefaultThrough is the month /totals/yearly covers when none is given: the
// current month for the current year, December otherwise.
func (s *Store) DefaultThrough(year int) int {
	now := s.Now().In(s.Loc)
	if now.Year() == year {
		return int(now.Month())
	}
	return 12
}

// YearlyTotals answers January..through of year and of the year before, and
// the whole year before, from the roll-ups.
func (s *Store) YearlyTotals(ctx context.Context, year, through int, sc Scope) (YearlyTotals, error) {
	out := YearlyTotals{Year: year, Through: fmt.Sprintf("%04d-%02d", year, through), Scope: sc}
	scope, err := s.rollupScope(ctx, sc.Route, sc.Mode)
	if err != nil {
		return out, err
	}
	dir := ""
	if sc.Direction != nil {
		dir = *sc.Direction
	}
	sum := func(y, m1, m2 int) (Figures, error) {
		from, to := fmt.Sprintf("%04d-%02d", y, m1), fmt.Sprintf("%04d-%02d", y, m2)
		rows, err := s.monthFigures(ctx, scope, dir, from, to)
		if err != nil {
			return Figures{}, err
		}
		var f Figures
		for _, r := range rows {
			f.Runs += r.Runs
			f.Containers += r.Containers
			f.TEU += r.TEU
		}
		if !sc.any() {
			sea, err := s.monthFigures(ctx, scopeSeaRail, "", from, to)
			if err != nil {
				return Figures{}, err
			}
			var t int64
			for _, r := range sea {
				t += r.TEU
			}
			f.SeaRailTEU = &t
		}
		return f, nil
	}
	if out.Figures, err = sum(year, 1, through); err == nil {
		if out.SamePeriodLastYear, err = sum(year-1, 1, through); err == nil {
			out.LastYearFull, err = sum(year-1, 1, 12)
		}
	}
	if err != nil {
		return out, fmt.Errorf("totals.yearly: %w", err)
	}
	out.YoYPct = growth(out.Figures, out.SamePeriodLastYear)
	return out, nil
}

// dayFigures sums the daily roll-ups of a scope from..to (dates, inclusive).
func (s *Store) dayFigures(ctx context.Context, scope string, from, to time.Time) (rollupDailyRow, error) {
	var r rollupDailyRow
	err := s.db.WithContext(ctx).Model(&rollupDailyRow{}).
		Select("COALESCE(SUM(runs), 0) AS runs, COALESCE(SUM(containers), 0) AS containers, COALESCE(SUM(teu), 0) AS teu").
		Where("scope = ? AND direction = ? AND day >= ? AND day <= ?", scope, "", from.Format(dayLayout), to.Format(dayLayout)).
		Scan(&r).Error
	return r, err
}

// DataYears answers the years that have any figure in the roll-ups, newest
// first, and the newest month with counted runs ("" when none).
func (s *Store) DataYears(ctx context.Context) ([]int, string, error) {
	var months []string
	if err := s.db.WithContext(ctx).Model(&rollupMonthlyRow{}).Distinct("month").
		Where("direction = ? AND (runs > 0 OR teu > 0)", "").Order("month DESC").Pluck("month", &months).Error; err != nil {
		return nil, "", fmt.Errorf("totals.years: %w", err)
	}
	years := []int{}
	for _, m := range months {
		y := 0
		fmt.Sscanf(m[:4], "%d", &y)
		if len(years) == 0 || years[len(years)-1] != y {
			years = append(years, y)
		}
	}
	var latest string
	err := s.db.WithContext(ctx).Model(&rollupMonthlyRow{}).Select("COALESCE(MAX(month), '')").
		Where("scope = ? AND direction = ? AND runs > 0", scopeAll, "").Scan(&latest).Error
	return years, latest, err
}
