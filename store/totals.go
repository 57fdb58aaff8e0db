package store

import (
	"banlie/models"
	"context"
	"fmt"
)

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

func growth(this, last models.Figures) models.Growth {
	g := models.Growth{Runs: models.YoY(this.Runs, last.Runs), Containers: models.YoY(this.Containers, last.Containers), TEU: models.YoY(this.TEU, last.TEU),
		ArrivalsDepartures: models.YoY(this.ArrivalsDepartures, last.ArrivalsDepartures)}
	if this.SeaRailTEU != nil && last.SeaRailTEU != nil {
		g.SeaRailTEU = models.YoY(*this.SeaRailTEU, *last.SeaRailTEU)
	}
	return g
}

// monthFigures reads the monthly roll-ups of a scope for months from..to
// (YYYY-MM, inclusive), keyed by month.
func (s *Store) monthFigures(ctx context.Context, scope, dir string, from, to models.Month) (map[string]rollupMonthlyRow, error) {
	var rows []rollupMonthlyRow
	err := s.db.WithContext(ctx).Where("scope = ? AND direction = ? AND month >= ? AND month <= ?", scope, dir, from.String(), to.String()).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[string]rollupMonthlyRow, len(rows))
	for _, r := range rows {
		out[r.Month] = r
	}
	return out, nil
}

// MonthlyTotals answers twelve months of figures for year, from the roll-ups.
func (s *Store) MonthlyTotals(ctx context.Context, year int, sc models.Scope) (models.MonthlyTotals, error) {
	return s.MonthlyTotalsBy(ctx, year, sc, nil)
}

// MonthlyTotalsBy is MonthlyTotals with a split: by "corridor" adds each
// month's figures per corridor.
func (s *Store) MonthlyTotalsBy(ctx context.Context, year int, sc models.Scope, by *string) (models.MonthlyTotals, error) {
	out := models.MonthlyTotals{Year: year, Scope: sc, By: by, Bases: models.CountingBases, Months: make([]models.MonthTotals, 0, 12)}
	scope, err := s.rollupScope(ctx, sc.Route, sc.Mode)
	if err != nil {
		return out, err
	}
	dir := ""
	if sc.Direction != nil {
		dir = *sc.Direction
	}
	y := models.Year(year)
	this, err := s.monthFigures(ctx, scope, dir, y.Month(1), y.Month(12))
	if err != nil {
		return out, fmt.Errorf("totals.monthly: %w", err)
	}
	last, err := s.monthFigures(ctx, scope, dir, (y - 1).Month(1), (y - 1).Month(12))
	if err != nil {
		return out, fmt.Errorf("totals.monthly: %w", err)
	}
	var sea map[string]rollupMonthlyRow
	if !sc.Any() {
		if sea, err = s.monthFigures(ctx, scopeSeaRail, "", y.Month(1), y.Month(12)); err != nil {
			return out, fmt.Errorf("totals.monthly: %w", err)
		}
	}
	byCorridor := map[string]map[string]rollupMonthlyRow{}
	if by != nil {
		for _, c := range models.Corridors {
			if byCorridor[c], err = s.monthFigures(ctx, scopeCorridor(c), dir, y.Month(1), y.Month(12)); err != nil {
				return out, fmt.Errorf("totals.monthly: %w", err)
			}
		}
	}
	var cum int64
	for _, m := range y.Months() {
		key := m.String()
		lkey := m.Add(-12).String()
		f := this[key]
		cum += f.Runs
		mt := models.MonthTotals{Month: key, Runs: f.Runs, Containers: f.Containers, EmptyContainers: f.EmptyContainers,
			LadenRatioPct: models.Pct(f.Containers-f.EmptyContainers, f.Containers), TEU: f.TEU,
			ArrivalsDepartures: f.ArrivalsDepartures, CumulativeRuns: cum,
			RunsLastYear: last[lkey].Runs, RunsYoYPct: models.YoY(f.Runs, last[lkey].Runs)}
		if by != nil {
			mt.ByCorridor = []models.CorridorFigures{}
			for _, c := range models.Corridors {
				mt.ByCorridor = append(mt.ByCorridor, models.CorridorFigures{Corridor: c, Figures: figuresOf(byCorridor[c][key])})
			}
		}
		if sea != nil {
			v := sea[key].TEU
			mt.SeaRailTEU = &v
		}
		out.Months = append(out.Months, mt)
	}
	return out, nil
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
func (s *Store) YearlyTotals(ctx context.Context, year, through int, sc models.Scope) (models.YearlyTotals, error) {
	return s.YearlyTotalsBy(ctx, year, through, sc, nil)
}

// YearlyTotalsBy is YearlyTotals with a split: by "corridor" adds the
// figures of each corridor, this year and last.
func (s *Store) YearlyTotalsBy(ctx context.Context, year, through int, sc models.Scope, by *string) (models.YearlyTotals, error) {
	out := models.YearlyTotals{Year: year, Through: models.Year(year).Month(through).String(), Scope: sc, By: by, Bases: models.CountingBases}
	scope, err := s.rollupScope(ctx, sc.Route, sc.Mode)
	if err != nil {
		return out, err
	}
	dir := ""
	if sc.Direction != nil {
		dir = *sc.Direction
	}
	sumOf := func(scope string, y models.Year, m1, m2 int) (models.Figures, error) {
		rows, err := s.monthFigures(ctx, scope, dir, y.Month(m1), y.Month(m2))
		if err != nil {
			return models.Figures{}, err
		}
		var t rollupMonthlyRow
		for _, r := range rows {
			t.Runs += r.Runs
			t.Containers += r.Containers
			t.EmptyContainers += r.EmptyContainers
			t.TEU += r.TEU
			t.ArrivalsDepartures += r.ArrivalsDepartures
		}
		return figuresOf(t), nil
	}
	sum := func(y models.Year, m1, m2 int) (models.Figures, error) {
		from, to := y.Month(m1), y.Month(m2)
		f, err := sumOf(scope, y, m1, m2)
		if err != nil {
			return models.Figures{}, err
		}
		if !sc.Any() {
			sea, err := s.monthFigures(ctx, scopeSeaRail, "", from, to)
			if err != nil {
				return models.Figures{}, err
			}
			var t int64
			for _, r := range sea {
				t += r.TEU
			}
			f.SeaRailTEU = &t
		}
		return f, nil
	}
	if out.Figures, err = sum(models.Year(year), 1, through); err == nil {
		if out.SamePeriodLastYear, err = sum(models.Year(year-1), 1, through); err == nil {
			out.LastYearFull, err = sum(models.Year(year-1), 1, 12)
		}
	}
	if err != nil {
		return out, fmt.Errorf("totals.yearly: %w", err)
	}
	out.YoYPct = growth(out.Figures, out.SamePeriodLastYear)
	if by != nil {
		out.ByCorridor = []models.CorridorFigures{}
		for _, c := range models.Corridors {
			this, err := sumOf(scopeCorridor(c), models.Year(year), 1, through)
			if err != nil {
				return out, fmt.Errorf("totals.yearly: %w", err)
			}
			last, err := sumOf(scopeCorridor(c), models.Year(year-1), 1, through)
			if err != nil {
				return out, fmt.Errorf("totals.yearly: %w", err)
			}
			g := growth(this, last)
			out.ByCorridor = append(out.ByCorridor, models.CorridorFigures{Corridor: c, Figures: this, SamePeriodLastYear: &last, YoYPct: &g})
		}
	}
	y := models.Year(year)
	if out.Transit, err = s.transitTimes(ctx, y.First(), y.Month(through).End(), sc); err != nil {
		return out, fmt.Errorf("totals.transit: %w", err)
	}
	return out, nil
}

// dayFigures sums the daily roll-ups of a scope from..to (dates, inclusive).
func (s *Store) dayFigures(ctx context.Context, scope string, from, to models.Day) (rollupDailyRow, error) {
	var r rollupDailyRow
	err := s.db.WithContext(ctx).Model(&rollupDailyRow{}).
		Select("COALESCE(SUM(runs), 0) AS runs, COALESCE(SUM(containers), 0) AS containers, COALESCE(SUM(teu), 0) AS teu, COALESCE(SUM(arrivals_departures), 0) AS arrivals_departures").
		Where("scope = ? AND direction = ? AND day >= ? AND day <= ?", scope, "", from.String(), to.String()).
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
	for _, ms := range months {
		m, err := models.ParseMonth(ms)
		if err != nil {
			return nil, "", fmt.Errorf("totals.years: stored month %q: %w", ms, err)
		}
		if y := int(m.Year); len(years) == 0 || years[len(years)-1] != y {
			years = append(years, y)
		}
	}
	var latest string
	err := s.db.WithContext(ctx).Model(&rollupMonthlyRow{}).Select("COALESCE(MAX(month), '')").
		Where("scope = ? AND direction = ? AND runs > 0", scopeAll, "").Scan(&latest).Error
	return years, latest, err
}

// figuresOf are the figures of a month's (or a sum's) roll-up row.
func figuresOf(r rollupMonthlyRow) models.Figures {
	f := models.Figures{Runs: r.Runs, Containers: r.Containers, EmptyContainers: r.EmptyContainers, TEU: r.TEU,
		ArrivalsDepartures: r.ArrivalsDepartures}
	f.Settle()
	return f
}
