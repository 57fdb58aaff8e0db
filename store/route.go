package store

import (
	"banlie/models"
	"context"
	"fmt"
	"time"
)

// routePager pages routes by code.
var routePager = pager[routeRow]{list: "routes", keys: []sortKey{{"c", "code", stringKey}},
	of: func(r routeRow) []any { return []any{r.Code} }}

type routeRow struct {
	ID       int64 `gorm:"primaryKey"`
	Code     string
	Name     string
	NameZh   *string
	Mode     string
	OpenedOn *string
	// PlannedTransitDays: see models.Route.
	PlannedTransitDays *float64
	// Corridor is the admin's choice when CorridorSet; see models.EffectiveCorridor.
	Corridor    *string
	CorridorSet bool
	Active      bool
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"`
}

func (routeRow) TableName() string { return "routes" }

type stopRow struct {
	ID      int64 `gorm:"primaryKey"`
	RouteID int64
	Seq     int
	Name    string
	Country string
	Locode  *string
	Role    string
}

func (stopRow) TableName() string { return "route_stops" }

type routeTagRow struct {
	RouteID int64  `gorm:"primaryKey;autoIncrement:false"`
	Tag     string `gorm:"primaryKey"`
}

func (routeTagRow) TableName() string { return "route_tags" }

// CreateRoute validates and stores a new route.
func (s *Store) CreateRoute(ctx context.Context, w Write, in models.RouteInput) (models.Route, error) {
	var p models.Problems
	in.Validate(&p)
	if err := p.Err(); err != nil {
		return models.Route{}, err
	}
	var out models.Route
	err := s.Tx(ctx, w, func(tx *Store) error {
		now := tx.now()
		row := routeRow{Code: in.Code, Name: in.Name, NameZh: in.NameZh, Mode: in.Mode, OpenedOn: in.OpenedOn,
			PlannedTransitDays: in.PlannedTransitDays, Active: in.Active == nil || *in.Active, CreatedAt: now, UpdatedAt: now,
			Corridor: in.Corridor.Value, CorridorSet: in.Corridor.Set}
		if err := tx.db.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.writeStopsAndTags(row.ID, in.Stops, in.Tags); err != nil {
			return err
		}
		var err error
		if out, err = tx.loadRoute(row); err != nil {
			return err
		}
		return tx.audit(ctx, "routes.create", "route", out.Code, nil, out)
	})
	return out, storeErr("routes.create", err, "", fmt.Sprintf("a route with code %s already exists", in.Code))
}

func (s *Store) writeStopsAndTags(routeID int64, stops []models.Stop, tags []string) error {
	rows := make([]stopRow, len(stops))
	for i, st := range stops {
		rows[i] = stopRow{RouteID: routeID, Seq: i, Name: st.Name, Country: st.Country, Locode: st.Locode, Role: st.Role}
	}
	if err := s.db.Create(&rows).Error; err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	trows := make([]routeTagRow, len(tags))
	for i, t := range tags {
		trows[i] = routeTagRow{RouteID: routeID, Tag: t}
	}
	return s.db.Create(&trows).Error
}

func (s *Store) routeRowByCode(code string) (routeRow, error) {
	var row routeRow
	err := s.db.Where("code = ?", code).Take(&row).Error
	if err != nil {
		return row, storeErr("routes.get", err, fmt.Sprintf("no route with code %s", code), "")
	}
	return row, nil
}

// GetRoute answers the route with this code.
func (s *Store) GetRoute(ctx context.Context, code string) (models.Route, error) {
	row, err := s.withCtx(ctx).routeRowByCode(code)
	if err != nil {
		return models.Route{}, err
	}
	return s.withCtx(ctx).loadRoute(row)
}

func (s *Store) withCtx(ctx context.Context) *Store {
	return &Store{db: s.db.WithContext(ctx), Loc: s.Loc, Now: s.Now, writeMu: s.writeMu, inTx: s.inTx, w: s.w, pending: s.pending, bus: s.bus, depth: s.depth, group: s.group, ver: s.ver, transit: s.transit, staleTransit: s.staleTransit}
}

func (s *Store) loadRoute(row routeRow) (models.Route, error) {
	rs, err := s.loadRoutes([]routeRow{row})
	if err != nil {
		return models.Route{}, err
	}
	return rs[0], nil
}

// loadRoutes attaches stops and tags to a page of route rows in two queries.
func (s *Store) loadRoutes(rows []routeRow) ([]models.Route, error) {
	out := make([]models.Route, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	idx := map[int64]int{}
	for i, r := range rows {
		ids[i] = r.ID
		idx[r.ID] = i
		out[i] = models.Route{Code: r.Code, Name: r.Name, NameZh: r.NameZh, Mode: r.Mode, OpenedOn: r.OpenedOn,
			PlannedTransitDays: r.PlannedTransitDays, Active: r.Active,
			Stops: []models.Stop{}, Tags: []string{}, CreatedAt: r.CreatedAt.In(s.Loc), UpdatedAt: r.UpdatedAt.In(s.Loc)}
	}
	defer func() {
		for i, r := range rows {
			out[i].Corridor, out[i].CorridorSource = models.EffectiveCorridor(r.Mode, out[i].Stops, r.CorridorSet, r.Corridor)
		}
	}()
	var stops []stopRow
	if err := s.db.Where("route_id IN ?", ids).Order("route_id, seq").Find(&stops).Error; err != nil {
		return nil, err
	}
	for _, st := range stops {
		r := &out[idx[st.RouteID]]
		r.Stops = append(r.Stops, models.Stop{Name: st.Name, Locode: st.Locode, Country: st.Country, Role: st.Role})
	}
	var tags []routeTagRow
	if err := s.db.Where("route_id IN ?", ids).Order("route_id, tag").Find(&tags).Error; err != nil {
		return nil, err
	}
	for _, t := range tags {
		r := &out[idx[t.RouteID]]
		r.Tags = append(r.Tags, t.Tag)
	}
	return out, nil
}

// ListRoutes answers routes in code order, a page at a time.
func (s *Store) ListRoutes(ctx context.Context, f models.RouteFilter) (models.Page[models.Route], error) {
	q := s.db.WithContext(ctx).Model(&routeRow{})
	if f.Mode != nil {
		q = q.Where("mode = ?", *f.Mode)
	}
	if f.Active != nil {
		q = q.Where("active = ?", *f.Active)
	}
	if f.Tag != nil {
		q = q.Where("id IN (?)", s.db.Model(&routeTagRow{}).Select("route_id").Where("tag = ?", *f.Tag))
	}
	rows, next, err := routePager.page(q, f.Cursor, f.Limit)
	if err != nil {
		return models.Page[models.Route]{}, storeErr("routes.list", err, "", "")
	}
	items, err := s.withCtx(ctx).loadRoutes(rows)
	if err != nil {
		return models.Page[models.Route]{}, fmt.Errorf("routes.list: %w", err)
	}
	return models.Page[models.Route]{Items: items, NextCursor: next}, nil
}

// UpdateRoute applies a partial update; stops and tags, when given, replace the old ones.
func (s *Store) UpdateRoute(ctx context.Context, w Write, code string, patch models.RoutePatch) (models.Route, error) {
	var out models.Route
	err := s.Tx(ctx, w, func(tx *Store) error {
		var row routeRow
		if err := tx.forUpdate(tx.db, "routes").Where("code = ?", code).Take(&row).Error; err != nil {
			return storeErr("routes.get", err, fmt.Sprintf("no route with code %s", code), "")
		}
		cur, err := tx.loadRoute(row)
		if err != nil {
			return err
		}
		in := models.RouteInput{Code: cur.Code, Name: cur.Name, NameZh: patch.NameZh.Apply(cur.NameZh), Mode: cur.Mode,
			Stops: cur.Stops, OpenedOn: patch.OpenedOn.Apply(cur.OpenedOn),
			PlannedTransitDays: patch.PlannedTransitDays.Apply(cur.PlannedTransitDays), Tags: cur.Tags, Active: &cur.Active,
			Corridor: models.Opt[string]{Set: row.CorridorSet, Value: row.Corridor}}
		if patch.Corridor.Set {
			in.Corridor = patch.Corridor
		}
		if patch.Mode != nil && *patch.Mode != "rail" && !patch.Corridor.Set {
			// The admin's corridor goes with the rail mode it was set for.
			in.Corridor = models.Opt[string]{}
		}
		var p models.Problems
		if cs := patch.CorridorSource; cs != nil {
			switch {
			case *cs != models.CorridorFromBorder:
				p.Add("corridor_source", models.CodeInvalidValue, models.Params{"allowed": []string{models.CorridorFromBorder}},
					"only border can be given (the corridor of the border crossing); to set one, give corridor")
			case patch.Corridor.Set:
				p.Add("corridor_source", models.CodeExclusive, models.Params{"fields": []string{"corridor", "corridor_source"}},
					"give corridor or corridor_source, not both")
			default:
				in.Corridor = models.Opt[string]{}
			}
		}
		if patch.Code != nil && *patch.Code != cur.Code {
			p.Add("code", models.CodeReadOnly, nil, "cannot be changed; create a new route and deactivate this one")
		}
		if patch.Name != nil {
			in.Name = *patch.Name
		}
		if patch.Mode != nil {
			in.Mode = *patch.Mode
		}
		if patch.Stops != nil {
			in.Stops = *patch.Stops
		}
		if patch.Tags != nil {
			in.Tags = *patch.Tags
		}
		if patch.Active != nil {
			in.Active = patch.Active
		}
		in.Validate(&p)
		if patch.Stops != nil && !sameStops(cur.Stops, in.Stops) && !p.Has("stops") {
			has, err := tx.routeHasEvents(row.ID)
			if err != nil {
				return err
			}
			if has {
				p.Add("stops", models.CodeConflict, models.Params{"resource": "run_event"},
					"cannot change while runs on the route have journey events, which name its stops by index")
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		corridor, _ := models.EffectiveCorridor(in.Mode, in.Stops, in.Corridor.Set, in.Corridor.Value)
		// A change of mode or corridor moves every day of its runs from
		// one scope's figures to another's.
		moved := row.Mode != in.Mode || !sameString(cur.Corridor, corridor)
		sameCorridor := row.CorridorSet == in.Corridor.Set && sameString(row.Corridor, in.Corridor.Value)
		row.Name, row.NameZh, row.Mode, row.OpenedOn, row.Active = in.Name, in.NameZh, in.Mode, in.OpenedOn, *in.Active
		row.PlannedTransitDays = in.PlannedTransitDays
		row.Corridor, row.CorridorSet = in.Corridor.Value, in.Corridor.Set
		if sameRoute(cur, in) && sameCorridor {
			out = cur
			tx.leavesServedDataAlone()
			return nil
		}
		row.UpdatedAt = tx.now()
		if err := tx.db.Save(&row).Error; err != nil {
			return err
		}
		if patch.Stops != nil || patch.Tags != nil {
			if err := tx.db.Where("route_id = ?", row.ID).Delete(&stopRow{}).Error; err != nil {
				return err
			}
			if err := tx.db.Where("route_id = ?", row.ID).Delete(&routeTagRow{}).Error; err != nil {
				return err
			}
			if err := tx.writeStopsAndTags(row.ID, in.Stops, in.Tags); err != nil {
				return err
			}
		}
		if moved {
			if err := tx.markRouteDirty(row.ID); err != nil {
				return err
			}
		}
		if out, err = tx.loadRoute(row); err != nil {
			return err
		}
		return tx.audit(ctx, "routes.update", "route", out.Code, cur, out)
	})
	return out, storeErr("routes.update", err, "", "")
}

// DeleteRoute removes a route that no run refers to.
func (s *Store) DeleteRoute(ctx context.Context, w Write, code string) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		row, err := tx.routeRowByCode(code)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.db.Model(&runRow{}).Where("route_id = ?", row.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return models.Errorf(models.ECONFLICT, "route %s has %d runs and cannot be deleted; deactivate it instead (PATCH active=false)", code, n)
		}
		if err := tx.db.Model(&targetRow{}).Where("scope_route = ?", code).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return models.Errorf(models.ECONFLICT, "route %s is the scope of %d targets and cannot be deleted; delete those targets first, or deactivate the route", code, n)
		}
		before, err := tx.loadRoute(row)
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, "routes.delete", "route", code, before, nil); err != nil {
			return err
		}
		for _, m := range []any{&stopRow{}, &routeTagRow{}} {
			if err := tx.db.Where("route_id = ?", row.ID).Delete(m).Error; err != nil {
				return err
			}
		}
		return tx.db.Delete(&row).Error
	})
	return storeErr("routes.delete", err, "", "")
}

// sameStops reports whether two lists of stops are the same.
func sameStops(a, b []models.Stop) bool {
	eq := func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	if len(a) != len(b) {
		return false
	}
	for i, st := range b {
		c := a[i]
		if c.Name != st.Name || c.Country != st.Country || c.Role != st.Role || !eq(c.Locode, st.Locode) {
			return false
		}
	}
	return true
}

// sameRoute reports whether an update would leave the route as it is.
func sameRoute(cur models.Route, in models.RouteInput) bool {
	eq := func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	eqf := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	if !eqf(cur.PlannedTransitDays, in.PlannedTransitDays) {
		return false
	}
	if cur.Name != in.Name || !eq(cur.NameZh, in.NameZh) || cur.Mode != in.Mode || !eq(cur.OpenedOn, in.OpenedOn) ||
		cur.Active != *in.Active || len(cur.Stops) != len(in.Stops) || len(cur.Tags) != len(in.Tags) {
		return false
	}
	if !sameStops(cur.Stops, in.Stops) {
		return false
	}
	for i, t := range in.Tags {
		if cur.Tags[i] != t {
			return false
		}
	}
	return true
}

func sameString(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// routeCorridors answers the corridor of every rail route that has one, by
// route id.
func (s *Store) routeCorridors() (map[int64]string, error) {
	var rows []routeRow
	if err := s.db.Where("mode = ?", "rail").Find(&rows).Error; err != nil {
		return nil, err
	}
	routes, err := s.loadRoutes(rows)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for i, r := range routes {
		if r.Corridor != nil {
			out[rows[i].ID] = *r.Corridor
		}
	}
	return out, nil
}
