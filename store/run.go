package store

import (
	"banlie/models"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"slices"
	"time"
)

type runRow struct {
	ID          int64 `gorm:"primaryKey"`
	RouteID     int64
	Number      string
	NumberKey   string
	Direction   string
	DepartedAt  time.Time
	DepartedDay string
	ArrivedAt   *time.Time
	Status      string
	Containers  int
	TEU         int `gorm:"column:teu"`
	// EmptyContainers are the empty boxes among Containers.
	EmptyContainers int
	// ArrivedDay is ArrivedAt's day in the reporting time zone (fill).
	ArrivedDay *string
	Cargo      *string
	// ContainerNumbers are rows of run_containers (withContainers,
	// writeContainers), not a column.
	ContainerNumbers []string  `gorm:"-"`
	CreatedAt        time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt        time.Time `gorm:"autoUpdateTime:false"`
}

func (runRow) TableName() string { return "runs" }

// CreateRun validates and stores a new run.
func (s *Store) CreateRun(ctx context.Context, w Write, in models.RunInput) (models.Run, error) {
	var out models.Run
	err := s.Tx(ctx, w, func(tx *Store) error {
		var p models.Problems
		v := in.Validate(&p)
		v.CheckCalendar(&p, tx.now())
		route, rerr := tx.routeForRun(&p, v.Route)
		if err := p.Err(); err != nil {
			return err
		}
		if rerr != nil {
			return rerr
		}
		now := tx.now()
		row := runRow{RouteID: route.ID, CreatedAt: now, UpdatedAt: now}
		fill(&row, v, s.Loc)
		// A plain INSERT: GORM's Create costs more than the statement
		// here, and every logged run comes this way.
		id, err := tx.insert(ctx, `INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day,
			arrived_at, arrived_day, status, containers, empty_containers, teu, cargo, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			row.RouteID, row.Number, row.NumberKey, row.Direction, row.DepartedAt, row.DepartedDay, row.ArrivedAt, row.ArrivedDay,
			row.Status, row.Containers, row.EmptyContainers, row.TEU, row.Cargo, row.CreatedAt, row.UpdatedAt)
		row.ID = id
		if err != nil {
			return tx.runConflict(tx.translate(err), route.Code, row)
		}
		// After the insert: the same train logged twice is told as such,
		// before its containers are found taken (by itself).
		if err := tx.checkHolds(ctx, row); err != nil {
			return err
		}
		if err := tx.writeContainers(row.ID, row.ContainerNumbers, false); err != nil {
			return err
		}
		out = row.toRun(route.Code, route.Mode, s.Loc)
		if err := tx.audit(ctx, "runs.create", "run", idString(out.ID), nil, out); err != nil {
			return err
		}
		return tx.markDirty(row.days()...)
	})
	return out, storeErr("runs.create", err, "", "")
}

// routeForRun looks up the run's route (its id, code and mode: all a run
// needs of it) and reports an unknown code as a field error.
func (s *Store) routeForRun(p *models.Problems, code string) (routeRow, error) {
	if p.Has("route") {
		return routeRow{}, nil
	}
	var row routeRow
	err := s.queryRow(s.db.Statement.Context, `SELECT id, code, mode FROM routes WHERE code = ?`, code).Scan(&row.ID, &row.Code, &row.Mode)
	if errors.Is(err, sql.ErrNoRows) {
		p.Add("route", models.CodeNotFound, models.Params{"resource": "route", "value": code}, "no route with code %q", code)
		return row, nil
	}
	if err != nil {
		return row, fmt.Errorf("runs.route: %w", err)
	}
	return row, nil
}

func (s *Store) runConflict(err error, code string, row runRow) error {
	err = storeErr("runs.write", err, "", fmt.Sprintf("run %s on route %s already departs on %s (reporting time zone %s)", row.Number, code, row.DepartedDay, s.Loc))
	var e *models.Error
	if errors.As(err, &e) && e.Code == models.ECONFLICT {
		e.Fields = []models.FieldError{models.NewFieldError("number", models.CodeConflict,
			models.Params{"resource": "run", "route": code, "number": row.Number, "date": row.DepartedDay},
			"train %s already departs on %s on route %s", row.Number, row.DepartedDay, code)}
	}
	return err
}

// fill writes validated values into a row; the departure's day is taken in
// the reporting time zone loc.
func fill(row *runRow, v models.RunValues, loc *time.Location) {
	row.Number = v.Number
	row.NumberKey = upperASCII(v.Number)
	row.Direction = v.Direction
	// Instants are stored in UTC: SQLite compares them as text.
	row.DepartedAt = v.DepartedAt.UTC()
	row.DepartedDay = models.DayOf(v.DepartedAt, loc).String()
	row.ArrivedAt, row.ArrivedDay = nil, nil
	if v.ArrivedAt != nil {
		a := v.ArrivedAt.UTC()
		d := models.DayOf(a, loc).String()
		row.ArrivedAt, row.ArrivedDay = &a, &d
	}
	row.EmptyContainers = v.EmptyContainers
	row.Status = v.Status
	row.Containers = v.Containers
	row.TEU = v.TEU
	row.Cargo = v.Cargo
	row.ContainerNumbers = v.ContainerNumbers
	if row.ContainerNumbers == nil {
		row.ContainerNumbers = []string{}
	}
}

func (r runRow) toRun(code, mode string, loc *time.Location) models.Run {
	out := models.Run{ID: r.ID, Route: code, Mode: mode, Number: r.Number, Direction: r.Direction,
		DepartedAt: r.DepartedAt.In(loc), Status: r.Status, Containers: r.Containers, EmptyContainers: r.EmptyContainers, TEU: r.TEU, Cargo: r.Cargo,
		ContainerNumbers: r.ContainerNumbers, CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc)}
	if out.ContainerNumbers == nil {
		out.ContainerNumbers = []string{}
	}
	if r.ArrivedAt != nil {
		t := r.ArrivedAt.In(loc)
		out.ArrivedAt = &t
	}
	return out
}

// runWithRoute is a run row joined with its route's code and mode.
type runWithRoute struct {
	Row       runRow `gorm:"embedded"`
	RouteCode string
	RouteMode string
}

func (s *Store) runsJoined() *gorm.DB {
	return s.db.Table("runs").
		Select("runs.*, routes.code AS route_code, routes.mode AS route_mode").
		Joins("JOIN routes ON routes.id = runs.route_id")
}

// GetRun answers one run.
func (s *Store) GetRun(ctx context.Context, id int64) (models.Run, error) {
	var r runWithRoute
	err := s.withCtx(ctx).runsJoined().Where("runs.id = ?", id).Take(&r).Error
	if err != nil {
		return models.Run{}, storeErr("runs.get", err, fmt.Sprintf("no run with id %d", id), "")
	}
	if err := s.withContainers(ctx, &r.Row); err != nil {
		return models.Run{}, err
	}
	return r.Row.toRun(r.RouteCode, r.RouteMode, s.Loc), nil
}

// runPager pages runs newest departure first; the order (departed_at, id)
// is total.
var runPager = pager[runWithRoute]{list: "runs", desc: true,
	keys: []sortKey{{"d", "runs.departed_at", timeKey}, {"i", "runs.id", intKey}},
	of:   func(r runWithRoute) []any { return []any{r.Row.DepartedAt, r.Row.ID} }}

// ListRuns answers runs, newest departure first, a page at a time. The order
// (departed_at, id) is total, so a cursor never repeats or skips a run.
func (s *Store) ListRuns(ctx context.Context, f models.RunFilter) (models.Page[models.Run], error) {
	rows, next, err := runPager.page(s.runsFiltered(s.withCtx(ctx).runsJoined(), f), f.Cursor, f.Limit)
	if err != nil {
		return models.Page[models.Run]{}, storeErr("runs.list", err, "", "")
	}
	if err := s.joinedContainers(ctx, rows); err != nil {
		return models.Page[models.Run]{}, err
	}
	page := models.Page[models.Run]{Items: make([]models.Run, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, r.Row.toRun(r.RouteCode, r.RouteMode, s.Loc))
	}
	return page, nil
}

// runsFiltered is q (runs joined with their routes) with the list's
// filters, for the list (after f.Cursor) and the export alike.
func (s *Store) runsFiltered(q *gorm.DB, f models.RunFilter) *gorm.DB {
	// below says whether the cursor already keeps the page's departures
	// before t (or at it, orAt): such a bound is left out, so that the
	// cursor is the upper end of the index range. SQLite takes one upper
	// bound for a range, and a bound above the cursor (now, a filter's
	// last day) would have it read every run in between, page after page.
	var after time.Time
	if f.Cursor != "" {
		if vals, err := runPager.decode(f.Cursor); err == nil {
			after = vals[0].(time.Time)
		} // a bad cursor is refused by the pager
	}
	below := func(t time.Time, orAt bool) bool {
		return !after.IsZero() && (after.Before(t) || orAt && after.Equal(t))
	}
	// Each filter leaves the list's order to an index: a page is a range
	// of runs_departed or of the index of the one column filtered
	// (runs_route_departed, runs_status_departed, …), read newest first,
	// and costs the same at any depth (store/plan_reads_test.go).
	if f.Route != nil {
		// The route's id, not a join's column: PostgreSQL reads the order
		// from runs_route_departed only for an id it knows before the join.
		q = q.Where("runs.route_id = (SELECT id FROM routes WHERE code = ?)", *f.Route)
	}
	if f.Number != nil {
		q = q.Where("runs.number_key = ?", numberKey(*f.Number))
	}
	if f.Container != nil {
		q = q.Where("runs.id IN (SELECT run_id FROM run_containers WHERE number = ?)", models.NormalizeContainerNumber(*f.Container))
	}
	if f.Mode != nil {
		// Not through routes_mode, which would have SQLite read the runs
		// route by route and sort them.
		q = q.Where(s.filterOnly("routes.mode")+" = ?", *f.Mode)
	}
	if f.Direction != nil {
		q = q.Where("runs.direction = ?", *f.Direction)
	}
	if f.Status != nil {
		q = q.Where("runs.status = ?", *f.Status)
	}
	if f.Counted != nil {
		// countedCond's, with the status a filter only: runs_status_departed
		// would give SQLite a range per status, to be sorted.
		now := s.now()
		cond, args := s.filterOnly("runs.status")+" IN ? AND runs.departed_at <= ?", []any{models.CountedStatuses, now}
		if *f.Counted && below(now, true) {
			q = q.Where(s.filterOnly("runs.status")+" IN ?", models.CountedStatuses)
		} else if *f.Counted {
			q = q.Where(cond, args...)
		} else {
			q = q.Where("NOT ("+cond+")", args...)
		}
	}
	if f.Overdue != nil {
		late := s.now().Add(-models.OverdueAfter)
		cond, args := "runs.status = ? AND runs.departed_at < ?", []any{models.StatusPlanned, late}
		if *f.Overdue && below(late, false) {
			q = q.Where("runs.status = ?", models.StatusPlanned)
		} else if *f.Overdue {
			q = q.Where(cond, args...)
		} else {
			q = q.Where("NOT ("+cond+")", args...)
		}
	}
	if f.From != nil {
		q = q.Where("runs.departed_at >= ?", f.From.Start(s.Loc).UTC())
	}
	if end := f.To; end != nil && !below(end.Add(1).Start(s.Loc), false) {
		q = q.Where("runs.departed_at < ?", end.Add(1).Start(s.Loc).UTC())
	}
	return q
}

// UpdateRun applies a partial update and validates the run as a whole.
func (s *Store) UpdateRun(ctx context.Context, w Write, id int64, patch models.RunPatch) (models.Run, error) {
	out, _, err := s.updateRun(ctx, w, id, patch)
	return out, err
}

// updateRun is UpdateRun that also says whether the run changed (a patch
// that changes nothing writes nothing).
func (s *Store) updateRun(ctx context.Context, w Write, id int64, patch models.RunPatch) (models.Run, bool, error) {
	var out models.Run
	changed := false
	err := s.Tx(ctx, w, func(tx *Store) error {
		var cur runWithRoute
		if err := tx.forUpdate(tx.runsJoined(), "runs").Where("runs.id = ?", id).Take(&cur).Error; err != nil {
			return storeErr("runs.get", err, fmt.Sprintf("no run with id %d", id), "")
		}
		if err := tx.withContainers(ctx, &cur.Row); err != nil {
			return err
		}
		var p models.Problems
		old := cur.Row.toRun(cur.RouteCode, cur.RouteMode, s.Loc).Values()
		v := patch.Apply(old, &p)
		// The clock's rules hold for what changes: a run stored before them
		// (a plan further ahead than a year) can still be corrected,
		// cancelled or planned, and an unchanged re-import stays unchanged.
		if calendarChanges(old, v) {
			v.CheckCalendar(&p, tx.now())
		}
		route, rerr := tx.routeForRun(&p, v.Route)
		if err := tx.journeyGuard(ctx, id, cur, v, &p); err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		if rerr != nil {
			return rerr
		}
		row := cur.Row
		row.RouteID = route.ID
		fill(&row, v, s.Loc)
		if sameRunRow(row, cur.Row) {
			// Nothing changes: no write, no audit entry, updated_at and the
			// data version stay.
			tx.leavesServedDataAlone()
			out = row.toRun(route.Code, route.Mode, s.Loc)
			return nil
		}
		changed = true
		row.UpdatedAt = tx.now()
		if err := tx.db.Save(&row).Error; err != nil {
			return tx.runConflict(err, route.Code, row)
		}
		if widensHold(cur.Row, row) {
			if err := tx.checkHolds(ctx, row); err != nil {
				return err
			}
		}
		if !slices.Equal(row.ContainerNumbers, cur.Row.ContainerNumbers) {
			if err := tx.writeContainers(id, row.ContainerNumbers, true); err != nil {
				return err
			}
		}
		out = row.toRun(route.Code, route.Mode, s.Loc)
		if err := tx.audit(ctx, "runs.update", "run", idString(id), cur.Row.toRun(cur.RouteCode, cur.RouteMode, s.Loc), out); err != nil {
			return err
		}
		return tx.markDirty(append(cur.Row.days(), row.days()...)...)
	})
	return out, changed, storeErr("runs.update", err, "", "")
}

// DeleteRun removes a run.
func (s *Store) DeleteRun(ctx context.Context, w Write, id int64) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		var cur runWithRoute
		if err := tx.runsJoined().Where("runs.id = ?", id).Take(&cur).Error; err != nil {
			return storeErr("runs.get", err, fmt.Sprintf("no run with id %d", id), "")
		}
		if err := tx.withContainers(ctx, &cur.Row); err != nil {
			return err
		}
		// Its run_containers rows go with it (ON DELETE CASCADE).
		if err := tx.db.Delete(&runRow{}, id).Error; err != nil {
			return err
		}
		if err := tx.audit(ctx, "runs.delete", "run", idString(id), cur.Row.toRun(cur.RouteCode, cur.RouteMode, s.Loc), nil); err != nil {
			return err
		}
		return tx.markDirty(cur.Row.days()...)
	})
	return storeErr("runs.delete", err, "", "")
}

// sameRunRow reports whether two rows hold the same values (instants
// compared as instants, whatever their location).
func sameRunRow(a, b runRow) bool {
	ta, tb := a.ArrivedAt, b.ArrivedAt
	sameArrival := (ta == nil) == (tb == nil) && (ta == nil || ta.Equal(*tb))
	sameCargo := (a.Cargo == nil) == (b.Cargo == nil) && (a.Cargo == nil || *a.Cargo == *b.Cargo)
	return a.ID == b.ID && a.RouteID == b.RouteID && a.Number == b.Number && a.NumberKey == b.NumberKey && a.Direction == b.Direction &&
		a.DepartedAt.Equal(b.DepartedAt) && a.DepartedDay == b.DepartedDay && sameArrival && a.Status == b.Status &&
		a.Containers == b.Containers && a.EmptyContainers == b.EmptyContainers && a.TEU == b.TEU && sameCargo &&
		slices.Equal(a.ContainerNumbers, b.ContainerNumbers)
}

// days are the days whose figures the run is part of: its departure's and
// its arrival's (到发 counts inbound runs on the day they arrive).
func (r runRow) days() []string {
	if r.ArrivedDay != nil {
		return []string{r.DepartedDay, *r.ArrivedDay}
	}
	return []string{r.DepartedDay}
}

// numberKey is the key a train number is stored under (runs.number_key):
// the number as writes normalize it, its ASCII letters upper-cased. (A
// write's number is normalized by validation already; fill takes its
// upperASCII.)
func numberKey(number string) string { return upperASCII(models.NormalizeText(number)) }

// upperASCII upper-cases ASCII letters only, as SQLite's UPPER does, so that
// keys written here and by the migration agree.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// calendarChanges reports whether an update moves the run in time: its
// departure or arrival, or its status to departed or arrived.
func calendarChanges(old, v models.RunValues) bool {
	sameArrival := (old.ArrivedAt == nil) == (v.ArrivedAt == nil) && (old.ArrivedAt == nil || old.ArrivedAt.Equal(*v.ArrivedAt))
	counted := v.Status == models.StatusDeparted || v.Status == models.StatusArrived
	return !old.DepartedAt.Equal(v.DepartedAt) || !sameArrival || (v.Status != old.Status && counted)
}
