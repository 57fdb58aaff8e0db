package store

import (
	"banlie/models"
	"context"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"strings"
	"time"
)

type targetRow struct {
	ID         int64 `gorm:"primaryKey"`
	Year       int
	Metric     string
	ScopeMode  *string
	ScopeRoute *string
	Value      int64
	Label      string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
}

func (targetRow) TableName() string { return "targets" }

func (r targetRow) toTarget(loc *time.Location) models.Target {
	return models.Target{ID: r.ID, Year: r.Year, Metric: r.Metric, Scope: models.TargetScope{Mode: r.ScopeMode, Route: r.ScopeRoute},
		Value: r.Value, Label: r.Label, CreatedAt: r.CreatedAt.In(loc)}
}

// CreateTarget validates and stores a target.
func (s *Store) CreateTarget(ctx context.Context, w Write, in models.TargetInput) (models.Target, error) {
	var out models.Target
	err := s.Tx(ctx, w, func(tx *Store) error {
		var p models.Problems
		if in.Year < 2000 || in.Year > 2100 {
			p.Add("year", models.CodeOutOfRange, models.Params{"min": 2000, "max": 2100}, "must be a year from 2000 to 2100")
		}
		if !models.OneOf(in.Metric, models.Metrics...) {
			p.NotOneOf("metric", models.Metrics)
		}
		sc := models.TargetScope{}
		if in.Scope != nil {
			sc = *in.Scope
		}
		switch {
		case sc.Mode != nil && sc.Route != nil:
			p.Add("scope", models.CodeExclusive, models.Params{"fields": []string{"mode", "route"}}, "takes mode or route, not both")
		case in.Metric == "sea_rail_teu" && (sc.Mode != nil || sc.Route != nil):
			p.Add("scope", models.CodeInvalidValue, models.Params{"allowed": []any{map[string]any{}}, "metric": in.Metric}, "a sea_rail_teu target takes only the empty scope {}")
		case sc.Mode != nil && !models.OneOf(*sc.Mode, models.Modes...):
			p.NotOneOf("scope.mode", models.Modes)
		case sc.Route != nil:
			if _, err := tx.routeRowByCode(*sc.Route); models.ErrorCode(err) == models.ENOTFOUND {
				p.Add("scope.route", models.CodeNotFound, models.Params{"resource": "route", "value": *sc.Route}, "no route with code %q", *sc.Route)
			} else if err != nil {
				return err
			}
		}
		if in.Value < 1 || in.Value > models.MaxTargetValue {
			p.Add("value", models.CodeOutOfRange, models.Params{"min": 1, "max": int64(models.MaxTargetValue)}, "must be a whole number from 1 to %d", int64(models.MaxTargetValue))
		}
		models.CheckLine(&p, "label", in.Label, false, 200)
		if err := p.Err(); err != nil {
			return err
		}
		row := targetRow{Year: in.Year, Metric: in.Metric, ScopeMode: sc.Mode, ScopeRoute: sc.Route, Value: in.Value,
			Label: in.Label, CreatedAt: tx.now()}
		if err := tx.db.Create(&row).Error; err != nil {
			return err
		}
		out = row.toTarget(s.Loc)
		if err := tx.audit(ctx, "targets.create", "target", idString(out.ID), nil, out); err != nil {
			return err
		}
		// Record the milestone at once if the target is already reached.
		_, err := tx.updateMilestones(ctx, tx.now(), func(q *gorm.DB) *gorm.DB { return q.Where("id = ?", row.ID) })
		return err
	})
	return out, storeErr("targets.create", err, "", "")
}

// GetTarget answers one target.
func (s *Store) GetTarget(ctx context.Context, id int64) (models.Target, error) {
	var row targetRow
	err := s.db.WithContext(ctx).Take(&row, id).Error
	return row.toTarget(s.Loc), storeErr("targets.get", err, fmt.Sprintf("no target with id %d", id), "")
}

// ListTargets answers every target, of one year when year is not nil.
func (s *Store) ListTargets(ctx context.Context, year *int) ([]models.Target, error) {
	var out []models.Target
	cursor := ""
	for {
		page, err := s.ListTargetsPage(ctx, year, MaxLimit, cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out, nil
		}
		cursor = *page.NextCursor
	}
}

// targetPager pages targets by year, then id.
var targetPager = pager[targetRow]{list: "targets",
	keys: []sortKey{{"y", "year", intKey}, {"i", "id", intKey}},
	of:   func(r targetRow) []any { return []any{int64(r.Year), r.ID} }}

// ListTargetsPage answers targets by year and id, a page at a time.
func (s *Store) ListTargetsPage(ctx context.Context, year *int, limit int, cursor string) (models.Page[models.Target], error) {
	q := s.db.WithContext(ctx).Model(&targetRow{})
	if year != nil {
		q = q.Where("year = ?", *year)
	}
	rows, next, err := targetPager.page(q, cursor, limit)
	if err != nil {
		return models.Page[models.Target]{}, storeErr("targets.list", err, "", "")
	}
	page := models.Page[models.Target]{Items: make([]models.Target, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, r.toTarget(s.Loc))
	}
	return page, nil
}

// DeleteTarget removes a target and its milestones.
func (s *Store) DeleteTarget(ctx context.Context, w Write, id int64) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		var row targetRow
		if err := tx.db.Take(&row, id).Error; err != nil {
			return storeErr("targets.get", err, fmt.Sprintf("no target with id %d", id), "")
		}
		if err := tx.db.Where("target_id = ?", id).Delete(&milestoneRow{}).Error; err != nil {
			return err
		}
		if err := tx.db.Delete(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "targets.delete", "target", idString(id), row.toTarget(s.Loc), nil)
	})
	return storeErr("targets.delete", err, "", "")
}

// targetScope resolves a target's roll-up scope; ok is false when its route
// no longer exists (then every figure is 0).
func (s *Store) targetScope(ctx context.Context, t models.Target) (scope string, routeID int64, ok bool, err error) {
	switch {
	case t.Metric == "sea_rail_teu":
		return scopeSeaRail, 0, true, nil
	case t.Scope.Route != nil:
		row, err := s.withCtx(ctx).routeRowByCode(*t.Scope.Route)
		if models.ErrorCode(err) == models.ENOTFOUND {
			return "", 0, false, nil
		}
		if err != nil {
			return "", 0, false, err
		}
		return scopeRoute(row.ID), row.ID, true, nil
	case t.Scope.Mode != nil:
		return scopeMode(*t.Scope.Mode), 0, true, nil
	}
	return scopeAll, 0, true, nil
}

func metricOf(r rollupDailyRow, metric string) int64 {
	switch metric {
	case "runs":
		return r.Runs
	case "containers":
		return r.Containers
	case "arrivals_departures":
		return r.ArrivalsDepartures
	}
	return r.TEU // teu, and sea_rail_teu (stored as TEU of scope sea_rail)
}

// ProgressAsOf computes a target's progress on a day (a date in the
// reporting zone) with the contract's formulas, from the daily roll-ups.
func (s *Store) ProgressAsOf(ctx context.Context, t models.Target, asOf models.Day) (models.Progress, error) {
	p := models.Progress{Target: t}
	year := models.Year(t.Year)
	jan1, dec31 := year.First(), year.End()
	if asOf.Before(jan1) {
		return p, &models.Error{Code: models.EINVALID, Message: "as_of is before the target's year",
			Fields: []models.FieldError{models.NewFieldError("as_of", models.CodeOrder, models.Params{"min": jan1.String()}, "must not be before %s", jan1)}}
	}
	if dec31.Before(asOf) {
		asOf = dec31
	}
	p.AsOf = asOf.String()
	scope, _, ok, err := s.targetScope(ctx, t)
	if err != nil {
		return p, err
	}
	sum := func(from, to models.Day) (int64, error) {
		if !ok {
			return 0, nil
		}
		r, err := s.dayFigures(ctx, scope, from, to)
		return metricOf(r, t.Metric), err
	}
	if p.Actual, err = sum(jan1, asOf); err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	p.Pct = *models.Pct(p.Actual, t.Value)
	p.Remaining = max(0, t.Value-p.Actual)

	lastJan1 := (year - 1).First()
	lastSame := models.Day{Year: year - 1, Month: asOf.Month, Day: asOf.Day}
	if asOf.Month == time.February && asOf.Day == 29 {
		lastSame.Day = 28
	}
	lYTD, err := sum(lastJan1, lastSame)
	if err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	lFull, err := sum(lastJan1, (year - 1).End())
	if err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	if lYTD > 0 && lFull > 0 {
		p.ProjectedYearEnd, p.ProjectionMethod = roundDiv(p.Actual*lFull, lYTD), "seasonal"
	} else {
		daysInYear := int64(dec31.DayNumber())
		p.ProjectedYearEnd, p.ProjectionMethod = roundDiv(p.Actual*daysInYear, int64(asOf.DayNumber())), "run_rate"
	}
	p.Reached = p.Actual >= t.Value
	p.OnTrack = p.Reached || p.ProjectedYearEnd >= t.Value
	if !p.Reached {
		last90, err := sum(asOf.Add(-89), asOf)
		if err != nil {
			return p, fmt.Errorf("progress: %w", err)
		}
		if last90 > 0 {
			// as_of + ceil(remaining / (last90 / 90)) days; beyond the year
			// 9999 there is no date to give.
			days := (p.Remaining*90 + last90 - 1) / last90
			if days < 3_000_000 {
				if reach := asOf.Add(int(days)); reach.Year <= 9999 {
					d := reach.String()
					p.ProjectedReachDate = &d
				}
			}
		}
		return p, nil
	}
	if err := s.reachedOn(ctx, &p, scope, jan1, asOf); err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	return p, nil
}

// roundDiv is num / den rounded half away from zero, for num ≥ 0, den > 0.
func roundDiv(num, den int64) int64 { return (2*num + den) / (2 * den) }

// reachedOn finds the first day the running sum reached the value and, for a
// runs target, the value-th counted run in order of (departed_at, id).
func (s *Store) reachedOn(ctx context.Context, p *models.Progress, scope string, from, to models.Day) error {
	var days []rollupDailyRow
	err := s.db.WithContext(ctx).Where("scope = ? AND direction = ? AND day >= ? AND day <= ?", scope, "", from.String(), to.String()).
		Order("day").Find(&days).Error
	if err != nil {
		return err
	}
	var cum int64
	for _, d := range days {
		v := metricOf(d, p.Target.Metric)
		if cum+v < p.Target.Value {
			cum += v
			continue
		}
		day := d.Day
		p.ReachedOn = &day
		if p.Target.Metric != "runs" {
			return nil
		}
		// The (value − cum)-th counted run of that day in scope, read in
		// order through runs_day_departed: the day's runs, an index range.
		// Written as a cross join with the scope's condition on routes, so
		// that SQLite, which takes a cross join's order as written, reads
		// the runs first and cannot pick an index that leads with the
		// route (every run of the route up to now); PostgreSQL plans it as
		// the inner join it is.
		q := s.db.WithContext(ctx).Table("runs").
			Select("runs.id, runs.number, routes.code AS route, runs.departed_at").
			Joins("CROSS JOIN routes").
			Where("routes.id = runs.route_id AND runs.departed_day = ?", day).Scopes(counted("runs", s.rolledUpTo(ctx)))
		switch {
		case strings.HasPrefix(scope, "route:"):
			// By code, not id: SQLite would carry routes.id = ? over to
			// runs.route_id and take the route's index again.
			q = q.Where("routes.code = ?", *p.Target.Scope.Route)
		case strings.HasPrefix(scope, "mode:"):
			q = q.Where("routes.mode = ?", strings.TrimPrefix(scope, "mode:"))
		}
		var rb models.ReachedBy
		err := q.Order("runs.departed_at, runs.id").Offset(int(p.Target.Value - cum - 1)).Limit(1).Take(&rb).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			// The roll-up is behind the runs table; the next roll-up settles it.
			return nil
		}
		if err != nil {
			return err
		}
		rb.DepartedAt = rb.DepartedAt.In(s.Loc)
		p.ReachedBy = &rb
		return nil
	}
	return nil
}
