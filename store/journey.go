package store

import (
	"banlie/models"
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// eventRow is one stored journey event. Stop is the route_stops.seq of
// its stop (null for an estimate of the arrival).
type eventRow struct {
	ID        int64 `gorm:"primaryKey"`
	RunID     int64
	Type      string
	At        time.Time
	Stop      *int
	Reason    *string
	ETA       *time.Time `gorm:"column:eta"`
	Note      *string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (eventRow) TableName() string { return "run_events" }

func (r eventRow) toEvent(j models.Journey, loc *time.Location) models.Event {
	id := r.ID
	c := r.CreatedAt.In(loc)
	e := models.Event{ID: &id, RunID: r.RunID, Type: r.Type, At: r.At.In(loc), Stop: r.Stop, Reason: r.Reason,
		Note: r.Note, Source: models.SourceEvent, CreatedAt: &c}
	if r.Stop != nil {
		e.Place = j.Ref(*r.Stop)
	}
	if r.ETA != nil {
		t := r.ETA.In(loc)
		e.ETA = &t
	}
	return e
}

// journeyOf is a run with its route's stops and its stored events.
type journeyOf struct {
	run runWithRoute
	models.Journey
}

// loadJourney reads run id, its route's stops and its events; lock takes
// the run's row for update (PostgreSQL) so that two writes to one journey
// are applied one after the other.
func (s *Store) loadJourney(ctx context.Context, id int64, lock bool) (journeyOf, error) {
	var out journeyOf
	q := s.withCtx(ctx).runsJoined()
	if lock {
		q = s.forUpdate(q, "runs")
	}
	if err := q.Where("runs.id = ?", id).Take(&out.run).Error; err != nil {
		return out, storeErr("runs.get", err, fmt.Sprintf("no run with id %d", id), "")
	}
	if lock && s.db.Dialector.Name() == "postgres" {
		// A route's stops change under FOR UPDATE of its row (UpdateRoute):
		// holding it FOR SHARE until the event commits keeps the stops the
		// event was checked against.
		var one int
		if err := s.queryRow(ctx, `SELECT 1 FROM routes WHERE id = ? FOR SHARE`, out.run.Row.RouteID).Scan(&one); err != nil {
			return out, fmt.Errorf("runs.route_lock: %w", err)
		}
	}
	if err := s.withContainers(ctx, &out.run.Row); err != nil {
		return out, err
	}
	stops, err := s.withCtx(ctx).routeStops([]int64{out.run.Row.RouteID})
	if err != nil {
		return out, err
	}
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("run_id = ?", id).Order("at, id").Find(&rows).Error; err != nil {
		return out, fmt.Errorf("runs.events: %w", err)
	}
	out.Journey = journeyFor(out.run.Row, stops[out.run.Row.RouteID], s.Loc)
	out.Events = make([]models.Event, len(rows))
	for i, r := range rows {
		out.Events[i] = r.toEvent(out.Journey, s.Loc)
	}
	return out, nil
}

func journeyFor(r runRow, stops []models.Stop, loc *time.Location) models.Journey {
	j := models.Journey{RunID: r.ID, Stops: stops, Direction: r.Direction, Status: r.Status, DepartedAt: r.DepartedAt.In(loc)}
	// The status says whether the journey is over: an arrived_at on a run
	// still departed (a PATCH may leave one) does not end it.
	if r.ArrivedAt != nil && r.Status == models.StatusArrived {
		t := r.ArrivedAt.In(loc)
		j.ArrivedAt = &t
	}
	return j
}

// routeStops answers the stops of routes, by route id, in order.
func (s *Store) routeStops(ids []int64) (map[int64][]models.Stop, error) {
	var rows []stopRow
	if err := s.db.Where("route_id IN ?", ids).Order("route_id, seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("routes.stops: %w", err)
	}
	out := map[int64][]models.Stop{}
	for _, st := range rows {
		out[st.RouteID] = append(out[st.RouteID], models.Stop{Name: st.Name, Locode: st.Locode, Country: st.Country, Role: st.Role})
	}
	return out, nil
}

// CreateEvent records a journey event of run id. An arrival at the
// journey's final stop is the run's arrival: it sets the run's arrived_at
// and status arrived in the same transaction and is answered as the run's
// own event (no stored row: a change of the run changes it).
func (s *Store) CreateEvent(ctx context.Context, w Write, id int64, in models.EventInput) (models.Event, error) {
	out, err := s.CreateEvents(ctx, w, id, []models.EventInput{in})
	if err != nil {
		return models.Event{}, err
	}
	return out[0], nil
}

// CreateEvents records events of run id in one transaction, one after the
// other under the same rules as CreateEvent (each checked against the
// journey with the ones before it): all are kept, or none.
func (s *Store) CreateEvents(ctx context.Context, w Write, id int64, ins []models.EventInput) ([]models.Event, error) {
	out := make([]models.Event, 0, len(ins))
	err := s.Tx(ctx, w, func(tx *Store) error {
		j, err := tx.loadJourney(ctx, id, true)
		if err != nil {
			return err
		}
		stored := false
		for _, in := range ins {
			var p models.Problems
			v, cerr := j.Check(in, tx.now(), &p)
			if err := p.Err(); err != nil {
				return err
			}
			if cerr != nil {
				return cerr
			}
			if v.Type == models.EventArrived && *v.Stop == j.LastStop() {
				var e models.Event
				if err := tx.arriveByEvent(ctx, &j, v.At, &e); err != nil {
					return err
				}
				out = append(out, e)
				continue
			}
			row := eventRow{RunID: id, Type: v.Type, At: v.At.UTC(), Stop: v.Stop, Reason: v.Reason, Note: v.Note, CreatedAt: tx.now()}
			if v.ETA != nil {
				t := v.ETA.UTC()
				row.ETA = &t
			}
			row.ID, err = tx.insert(ctx, `INSERT INTO run_events (run_id, type, at, stop, reason, eta, note, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				row.RunID, row.Type, row.At, row.Stop, row.Reason, row.ETA, row.Note, row.CreatedAt)
			if err != nil {
				return fmt.Errorf("runs.events.insert: %w", err)
			}
			e := row.toEvent(j.Journey, s.Loc)
			j.Events = append(j.Events, e)
			out = append(out, e)
			stored = true
			if err := tx.audit(ctx, "runs.events.create", "run_event", idString(row.ID), nil, e); err != nil {
				return err
			}
		}
		if !stored {
			return nil
		}
		return tx.keepDwell(ctx, j.Journey)
	})
	if err != nil {
		return nil, storeErr("runs.events.create", err, "", "")
	}
	return out, nil
}

// arriveByEvent sets the run's arrival at t (the event's instant) and
// answers the arrival as the run's own event.
func (s *Store) arriveByEvent(ctx context.Context, j *journeyOf, t time.Time, out *models.Event) error {
	before := j.run.Row.toRun(j.run.RouteCode, j.run.RouteMode, s.Loc)
	row := j.run.Row
	a := t.UTC()
	day := models.DayOf(a, s.Loc).String()
	old := row.days()
	row.ArrivedAt, row.ArrivedDay, row.Status, row.UpdatedAt = &a, &day, models.StatusArrived, s.now()
	if err := s.exec(`UPDATE runs SET arrived_at = ?, arrived_day = ?, status = ?, updated_at = ? WHERE id = ?`,
		row.ArrivedAt, row.ArrivedDay, row.Status, row.UpdatedAt, row.ID); err != nil {
		return fmt.Errorf("runs.arrive: %w", err)
	}
	after := row.toRun(j.run.RouteCode, j.run.RouteMode, s.Loc)
	if err := s.audit(ctx, "runs.update", "run", idString(row.ID), before, after); err != nil {
		return err
	}
	j.ArrivedAt, j.Status = after.ArrivedAt, after.Status
	j.run.Row = row
	for _, e := range j.Timeline() {
		if e.Source == models.SourceRun && e.Type == models.EventArrived {
			*out = e
		}
	}
	return s.markDirty(append(old, day)...)
}

// DeleteEvent retracts a stored journey event of run id (the audit log
// keeps it).
func (s *Store) DeleteEvent(ctx context.Context, w Write, id, eventID int64) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		j, err := tx.loadJourney(ctx, id, true)
		if err != nil {
			return err
		}
		k := -1
		for i, e := range j.Events {
			if *e.ID == eventID {
				k = i
			}
		}
		if k < 0 {
			return &models.Error{Code: models.ENOTFOUND, Message: fmt.Sprintf("run %d has no event with id %d", id, eventID)}
		}
		gone := j.Events[k]
		if err := tx.exec(`DELETE FROM run_events WHERE id = ?`, eventID); err != nil {
			return fmt.Errorf("runs.events.delete: %w", err)
		}
		j.Events = append(j.Events[:k], j.Events[k+1:]...)
		if err := tx.audit(ctx, "runs.events.delete", "run_event", idString(eventID), gone, nil); err != nil {
			return err
		}
		return tx.keepDwell(ctx, j.Journey)
	})
	return storeErr("runs.events.delete", err, "", "")
}

// keepDwell rewrites the run's border dwells from its journey.
func (s *Store) keepDwell(ctx context.Context, j models.Journey) error {
	if err := s.exec(`DELETE FROM dwell_facts WHERE run_id = ?`, j.RunID); err != nil {
		return fmt.Errorf("runs.dwell: %w", err)
	}
	d := j.Dwell()
	stops := make([]int, 0, len(d))
	for st := range d {
		stops = append(stops, st)
	}
	sort.Ints(stops)
	for _, st := range stops {
		if err := s.exec(`INSERT INTO dwell_facts (run_id, stop, seconds) VALUES (?, ?, ?)`,
			j.RunID, st, int64(d[st]/time.Second)); err != nil {
			return fmt.Errorf("runs.dwell: %w", err)
		}
	}
	return nil
}

// ListEvents answers run id's journey in order: its departure, its stored
// events and its arrival.
func (s *Store) ListEvents(ctx context.Context, id int64) (models.Journey, []models.Event, error) {
	j, err := s.loadJourney(ctx, id, false)
	if err != nil {
		return models.Journey{}, nil, err
	}
	return j.Journey, j.Timeline(), nil
}

// RunDetail answers run id with its position, ETA and transit time.
func (s *Store) RunDetail(ctx context.Context, id int64) (models.RunDetail, error) {
	j, err := s.loadJourney(ctx, id, false)
	if err != nil {
		return models.RunDetail{}, err
	}
	run := j.run.Row.toRun(j.run.RouteCode, j.run.RouteMode, s.Loc)
	var hist []time.Duration
	if run.Status == models.StatusPlanned || run.Status == models.StatusDeparted {
		h, err := s.transitHistory(ctx, j.run.Row.RouteID, run.Direction)
		if err != nil {
			return models.RunDetail{}, err
		}
		hist = h
	}
	return j.Detail(run, hist), nil
}

// transitHistory answers the transit times of the latest ETAHistoryRuns
// arrivals on a route in a direction (runs_route_arrived).
func (s *Store) transitHistory(ctx context.Context, routeID int64, dir string) ([]time.Duration, error) {
	rows, err := s.db.WithContext(ctx).Raw(`SELECT departed_at, arrived_at FROM runs
		WHERE route_id = ? AND direction = ? AND arrived_at IS NOT NULL AND status = ?
		ORDER BY arrived_at DESC LIMIT ?`, routeID, dir, models.StatusArrived, models.ETAHistoryRuns).Rows()
	if err != nil {
		return nil, fmt.Errorf("runs.history: %w", err)
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var d, a time.Time
		if err := rows.Scan(&d, &a); err != nil {
			return nil, fmt.Errorf("runs.history: %w", err)
		}
		out = append(out, a.Sub(d))
	}
	return out, rows.Err()
}

// inTransitPager pages the runs on their way, oldest departure first.
var inTransitPager = pager[runWithRoute]{list: "in-transit",
	keys: []sortKey{{"d", "runs.departed_at", timeKey}, {"i", "runs.id", intKey}},
	of:   func(r runWithRoute) []any { return []any{r.Row.DepartedAt, r.Row.ID} }}

// InTransit answers the runs on their way now (status departed, departure
// passed), oldest departure first, each with position and ETA.
func (s *Store) InTransit(ctx context.Context, route *string, limit int, cursor string) (models.Page[models.RunDetail], error) {
	q := s.withCtx(ctx).runsJoined().Where("runs.status = ? AND runs.departed_at <= ?", models.StatusDeparted, s.now())
	if route != nil {
		q = q.Where("routes.code = ?", *route)
	}
	rows, next, err := inTransitPager.page(q, cursor, limit)
	if err != nil {
		return models.Page[models.RunDetail]{}, storeErr("runs.in_transit", err, "", "")
	}
	out := models.Page[models.RunDetail]{Items: make([]models.RunDetail, 0, len(rows)), NextCursor: next}
	if len(rows) == 0 {
		return out, nil
	}
	if err := s.joinedContainers(ctx, rows); err != nil {
		return out, err
	}
	journeys, err := s.journeysOf(ctx, rows)
	if err != nil {
		return out, err
	}
	type key struct {
		route int64
		dir   string
	}
	hist := map[key][]time.Duration{}
	for i, r := range rows {
		k := key{r.Row.RouteID, r.Row.Direction}
		if _, ok := hist[k]; !ok {
			if hist[k], err = s.transitHistory(ctx, k.route, k.dir); err != nil {
				return out, err
			}
		}
		out.Items = append(out.Items, journeys[i].Detail(r.Row.toRun(r.RouteCode, r.RouteMode, s.Loc), hist[k]))
	}
	return out, nil
}

// journeysOf answers the journeys of a page of runs (in its order) in two
// queries: their routes' stops and their events.
func (s *Store) journeysOf(ctx context.Context, rows []runWithRoute) ([]models.Journey, error) {
	routeIDs, runIDs := []int64{}, make([]int64, len(rows))
	seen := map[int64]bool{}
	for i, r := range rows {
		runIDs[i] = r.Row.ID
		if !seen[r.Row.RouteID] {
			seen[r.Row.RouteID] = true
			routeIDs = append(routeIDs, r.Row.RouteID)
		}
	}
	stops, err := s.withCtx(ctx).routeStops(routeIDs)
	if err != nil {
		return nil, err
	}
	var evs []eventRow
	if err := s.db.WithContext(ctx).Where("run_id IN ?", runIDs).Order("run_id, at, id").Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("runs.events: %w", err)
	}
	byRun := map[int64][]eventRow{}
	for _, e := range evs {
		byRun[e.RunID] = append(byRun[e.RunID], e)
	}
	out := make([]models.Journey, len(rows))
	for i, r := range rows {
		j := journeyFor(r.Row, stops[r.Row.RouteID], s.Loc)
		for _, e := range byRun[r.Row.ID] {
			j.Events = append(j.Events, e.toEvent(j, s.Loc))
		}
		out[i] = j
	}
	return out, nil
}

// RouteTransit answers the transit figures of a route's runs that arrived
// from from to to (days in the reporting time zone, inclusive; nil leaves
// an end open), in one direction or both.
func (s *Store) RouteTransit(ctx context.Context, code string, dir *string, from, to *models.Day) (models.Transit, error) {
	rr, err := s.withCtx(ctx).routeRowByCode(code)
	if err != nil {
		return models.Transit{}, err
	}
	route, err := s.withCtx(ctx).loadRoute(rr)
	if err != nil {
		return models.Transit{}, err
	}
	id := rr.ID
	cond, args := "runs.route_id = ? AND runs.arrived_at IS NOT NULL AND runs.status = ?", []any{id, models.StatusArrived}
	if dir != nil {
		cond += " AND runs.direction = ?"
		args = append(args, *dir)
	}
	if from != nil {
		cond += " AND runs.arrived_at >= ?"
		args = append(args, from.Start(s.Loc).UTC())
	}
	if to != nil {
		cond += " AND runs.arrived_at < ?"
		args = append(args, to.Add(1).Start(s.Loc).UTC())
	}
	rows, err := s.db.WithContext(ctx).Raw(`SELECT runs.departed_at, runs.arrived_at FROM runs WHERE `+cond, args...).Rows()
	if err != nil {
		return models.Transit{}, fmt.Errorf("routes.transit: %w", err)
	}
	var times []time.Duration
	for rows.Next() {
		var d, a time.Time
		if err := rows.Scan(&d, &a); err != nil {
			rows.Close()
			return models.Transit{}, fmt.Errorf("routes.transit: %w", err)
		}
		times = append(times, a.Sub(d))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return models.Transit{}, fmt.Errorf("routes.transit: %w", err)
	}
	drows, err := s.db.WithContext(ctx).Raw(`SELECT dwell_facts.stop, dwell_facts.seconds FROM dwell_facts
		JOIN runs ON runs.id = dwell_facts.run_id WHERE `+cond, args...).Rows()
	if err != nil {
		return models.Transit{}, fmt.Errorf("routes.transit: %w", err)
	}
	defer drows.Close()
	dwell := map[int][]time.Duration{}
	for drows.Next() {
		var st int
		var sec sql.NullInt64
		if err := drows.Scan(&st, &sec); err != nil {
			return models.Transit{}, fmt.Errorf("routes.transit: %w", err)
		}
		dwell[st] = append(dwell[st], time.Duration(sec.Int64)*time.Second)
	}
	if err := drows.Err(); err != nil {
		return models.Transit{}, fmt.Errorf("routes.transit: %w", err)
	}
	t := models.Transit{Route: code, Direction: dir, PlannedTransitDays: route.PlannedTransitDays}
	if from != nil {
		s := from.String()
		t.From = &s
	}
	if to != nil {
		s := to.String()
		t.To = &s
	}
	return models.TransitOf(t, route.Stops, times, dwell), nil
}

// journeyGuard checks a change of run (to v, on route) against its stored
// journey events.
func (s *Store) journeyGuard(ctx context.Context, id int64, cur runWithRoute, v models.RunValues, p *models.Problems) error {
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("run_id = ?", id).Order("at, id").Find(&rows).Error; err != nil {
		return fmt.Errorf("runs.events: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	j := journeyFor(cur.Row, nil, s.Loc)
	for _, r := range rows {
		j.Events = append(j.Events, r.toEvent(j, s.Loc))
	}
	j.CheckRunChange(v, v.Route, cur.RouteCode, p)
	return nil
}

// routeHasEvents reports whether a run on the route has journey events
// (which name its stops by index).
func (s *Store) routeHasEvents(routeID int64) (bool, error) {
	var n int64
	err := s.queryRow(s.db.Statement.Context, `SELECT COUNT(*) FROM run_events
		WHERE run_id IN (SELECT id FROM runs WHERE route_id = ?)`, routeID).Scan(&n)
	return n > 0, err
}
