package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// MaxTargetValue bounds a target: far above any year's figures, and small
// enough that no projection overflows.
const MaxTargetValue = 1_000_000_000_000

// Target metrics.
var Metrics = []string{"runs", "containers", "teu", "sea_rail_teu"}

// TargetScope is {} (everything), {"mode": ...} or {"route": ...}.
type TargetScope struct {
	Mode  *string `json:"mode"`
	Route *string `json:"route"`
}

// Target is a figure to reach in a year, such as 1,000 rail runs.
type Target struct {
	ID        int64       `json:"id"`
	Year      int         `json:"year"`
	Metric    string      `json:"metric"`
	Scope     TargetScope `json:"scope"`
	Value     int64       `json:"value"`
	Label     string      `json:"label"`
	CreatedAt time.Time   `json:"created_at"`
}

// TargetInput is a target as a client sends it.
type TargetInput struct {
	Year   int          `json:"year"`
	Metric string       `json:"metric"`
	Scope  *TargetScope `json:"scope"`
	Value  int64        `json:"value"`
	Label  string       `json:"label"`
}

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

func (r targetRow) toTarget(loc *time.Location) Target {
	return Target{ID: r.ID, Year: r.Year, Metric: r.Metric, Scope: TargetScope{Mode: r.ScopeMode, Route: r.ScopeRoute},
		Value: r.Value, Label: r.Label, CreatedAt: r.CreatedAt.In(loc)}
}

// CreateTarget validates and stores a target.
func (s *Store) CreateTarget(ctx context.Context, in TargetInput) (Target, error) {
	var out Target
	err := s.Tx(ctx, func(tx *Store) error {
		var p Problems
		if in.Year < 2000 || in.Year > 2100 {
			p.Add("year", "must be a year from 2000 to 2100")
		}
		if !oneOf(in.Metric, Metrics...) {
			p.Add("metric", "must be one of %s", strings.Join(Metrics, ", "))
		}
		sc := TargetScope{}
		if in.Scope != nil {
			sc = *in.Scope
		}
		switch {
		case sc.Mode != nil && sc.Route != nil:
			p.Add("scope", "takes mode or route, not both")
		case in.Metric == "sea_rail_teu" && (sc.Mode != nil || sc.Route != nil):
			p.Add("scope", "a sea_rail_teu target takes only the empty scope {}")
		case sc.Mode != nil && !oneOf(*sc.Mode, Modes...):
			p.Add("scope.mode", "must be one of %s", strings.Join(Modes, ", "))
		case sc.Route != nil:
			if _, err := tx.routeRowByCode(*sc.Route); ErrorCode(err) == ENOTFOUND {
				p.Add("scope.route", "no route with code %q", *sc.Route)
			} else if err != nil {
				return err
			}
		}
		if in.Value < 1 || in.Value > MaxTargetValue {
			p.Add("value", "must be a whole number from 1 to %d", int64(MaxTargetValue))
		}
		checkLine(&p, "label", in.Label, false, 200)
		if err := p.Err(); err != nil {
			return err
		}
		row := targetRow{Year: in.Year, Metric: in.Metric, ScopeMode: sc.Mode, ScopeRoute: sc.Route, Value: in.Value,
			Label: in.Label, CreatedAt: s.now()}
		if err := tx.db.Create(&row).Error; err != nil {
			return err
		}
		out = row.toTarget(s.Loc)
		if err := tx.audit(ctx, "targets.create", "target", idString(out.ID), nil, out); err != nil {
			return err
		}
		// Record the milestone at once if the target is already reached.
		_, err := tx.updateMilestones(ctx, s.now())
		return err
	})
	return out, storeErr("targets.create", err, "", "")
}

// GetTarget answers one target.
func (s *Store) GetTarget(ctx context.Context, id int64) (Target, error) {
	var row targetRow
	err := s.db.WithContext(ctx).Take(&row, id).Error
	return row.toTarget(s.Loc), storeErr("targets.get", err, fmt.Sprintf("no target with id %d", id), "")
}

// ListTargets answers every target, of one year when year is not nil.
func (s *Store) ListTargets(ctx context.Context, year *int) ([]Target, error) {
	var out []Target
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

type targetCursor struct {
	Y int   `json:"y"`
	I int64 `json:"i"`
}

// ListTargetsPage answers targets by year and id, a page at a time.
func (s *Store) ListTargetsPage(ctx context.Context, year *int, limit int, cursor string) (Page[Target], error) {
	q := s.db.WithContext(ctx).Order("year, id")
	if year != nil {
		q = q.Where("year = ?", *year)
	}
	if cursor != "" {
		var c targetCursor
		if err := decodeCursor("targets", cursor, &c); err != nil || c.I <= 0 {
			return Page[Target]{}, errBadCursor
		}
		q = q.Where("year > ? OR (year = ? AND id > ?)", c.Y, c.Y, c.I)
	}
	limit = normLimit(limit)
	var rows []targetRow
	if err := q.Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[Target]{}, fmt.Errorf("targets.list: %w", err)
	}
	page := Page[Target]{Items: make([]Target, 0, len(rows))}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = encodeCursor("targets", targetCursor{Y: rows[limit-1].Year, I: rows[limit-1].ID})
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.toTarget(s.Loc))
	}
	return page, nil
}

// DeleteTarget removes a target and its milestones.
func (s *Store) DeleteTarget(ctx context.Context, id int64) error {
	err := s.Tx(ctx, func(tx *Store) error {
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

// ReachedBy names the run that reached a runs target.
type ReachedBy struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"`
	Route      string    `json:"route"`
	DepartedAt time.Time `json:"departed_at"`
}

// Progress is the answer of /targets/{id}/progress.
type Progress struct {
	Target             Target     `json:"target"`
	AsOf               string     `json:"as_of"`
	Actual             int64      `json:"actual"`
	Pct                float64    `json:"pct"`
	Remaining          int64      `json:"remaining"`
	ProjectedYearEnd   int64      `json:"projected_year_end"`
	ProjectionMethod   string     `json:"projection_method"`
	ProjectedReachDate *string    `json:"projected_reach_date"`
	OnTrack            bool       `json:"on_track"`
	Reached            bool       `json:"reached"`
	ReachedOn          *string    `json:"reached_on"`
	ReachedBy          *ReachedBy `json:"reached_by"`
}

// targetScope resolves a target's roll-up scope; ok is false when its route
// no longer exists (then every figure is 0).
func (s *Store) targetScope(ctx context.Context, t Target) (scope string, routeID int64, ok bool, err error) {
	switch {
	case t.Metric == "sea_rail_teu":
		return scopeSeaRail, 0, true, nil
	case t.Scope.Route != nil:
		row, err := s.withCtx(ctx).routeRowByCode(*t.Scope.Route)
		if ErrorCode(err) == ENOTFOUND {
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
	}
	return r.TEU // teu, and sea_rail_teu (stored as TEU of scope sea_rail)
}

// ProgressAsOf computes a target's progress on a day (a date in the
// reporting zone) with the contract's formulas, from the daily roll-ups.
func (s *Store) ProgressAsOf(ctx context.Context, t Target, asOf time.Time) (Progress, error) {
	p := Progress{Target: t}
	jan1 := time.Date(t.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	dec31 := time.Date(t.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	asOf = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	if asOf.Before(jan1) {
		return p, &Error{Code: EINVALID, Message: "as_of is before the target's year",
			Fields: []FieldError{{Field: "as_of", Message: fmt.Sprintf("must not be before %d-01-01", t.Year)}}}
	}
	if asOf.After(dec31) {
		asOf = dec31
	}
	p.AsOf = asOf.Format(dayLayout)
	scope, routeID, ok, err := s.targetScope(ctx, t)
	if err != nil {
		return p, err
	}
	sum := func(from, to time.Time) (int64, error) {
		if !ok {
			return 0, nil
		}
		r, err := s.dayFigures(ctx, scope, from, to)
		return metricOf(r, t.Metric), err
	}
	if p.Actual, err = sum(jan1, asOf); err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	p.Pct = *Pct(p.Actual, t.Value)
	p.Remaining = max(0, t.Value-p.Actual)

	lastJan1 := jan1.AddDate(-1, 0, 0)
	lastSame := time.Date(t.Year-1, asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	if asOf.Month() == time.February && asOf.Day() == 29 {
		lastSame = time.Date(t.Year-1, 2, 28, 0, 0, 0, 0, time.UTC)
	}
	lYTD, err := sum(lastJan1, lastSame)
	if err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	lFull, err := sum(lastJan1, jan1.AddDate(0, 0, -1))
	if err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	if lYTD > 0 && lFull > 0 {
		p.ProjectedYearEnd, p.ProjectionMethod = roundDiv(p.Actual*lFull, lYTD), "seasonal"
	} else {
		daysInYear := int64(dec31.YearDay())
		p.ProjectedYearEnd, p.ProjectionMethod = roundDiv(p.Actual*daysInYear, int64(asOf.YearDay())), "run_rate"
	}
	p.Reached = p.Actual >= t.Value
	p.OnTrack = p.Reached || p.ProjectedYearEnd >= t.Value
	if !p.Reached {
		last90, err := sum(asOf.AddDate(0, 0, -89), asOf)
		if err != nil {
			return p, fmt.Errorf("progress: %w", err)
		}
		if last90 > 0 {
			// as_of + ceil(remaining / (last90 / 90)) days; beyond the year
			// 9999 there is no date to give.
			days := (p.Remaining*90 + last90 - 1) / last90
			if days < 3_000_000 {
				if reach := asOf.AddDate(0, 0, int(days)); reach.Year() <= 9999 {
					d := reach.Format(dayLayout)
					p.ProjectedReachDate = &d
				}
			}
		}
		return p, nil
	}
	if err := s.reachedOn(ctx, &p, scope, routeID, jan1, asOf); err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	return p, nil
}

// roundDiv is num / den rounded half away from zero, for num ≥ 0, den > 0.
func roundDiv(num, den int64) int64 { return (2*num + den) / (2 * den) }

// reachedOn finds the first day the running sum reached the value and, for a
// runs target, the value-th counted run in order of (departed_at, id).
func (s *Store) reachedOn(ctx context.Context, p *Progress, scope string, routeID int64, from, to time.Time) error {
	var days []rollupDailyRow
	err := s.db.WithContext(ctx).Where("scope = ? AND direction = ? AND day >= ? AND day <= ?", scope, "", from.Format(dayLayout), to.Format(dayLayout)).
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
		// The (value − cum)-th counted run of that day in scope.
		q := s.db.WithContext(ctx).Table("runs").
			Select("runs.id, runs.number, routes.code AS route, runs.departed_at").
			Joins("JOIN routes ON routes.id = runs.route_id").
			Where("runs.departed_day = ? AND runs.status IN ? AND runs.departed_at <= ?", day, countedStatuses, s.rolledUpTo(ctx))
		switch {
		case strings.HasPrefix(scope, "route:"):
			q = q.Where("runs.route_id = ?", routeID)
		case strings.HasPrefix(scope, "mode:"):
			q = q.Where("routes.mode = ?", strings.TrimPrefix(scope, "mode:"))
		}
		var rb ReachedBy
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
