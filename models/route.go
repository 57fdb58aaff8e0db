package models

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Modes of transport a route can have.
var Modes = []string{"rail", "sea_rail", "sea", "road", "air"}

// Stop roles.
const (
	RoleOrigin      = "origin"
	RoleBorder      = "border"
	RoleTransit     = "transit"
	RoleDestination = "destination"
)

var routeCodeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,31}$`)

// Stop is one place on a route, in order.
type Stop struct {
	Name    string  `json:"name"`
	Locode  *string `json:"locode"`
	Country string  `json:"country"`
	Role    string  `json:"role"`
}

// Route is a regular service: a train line, a sea line, a TIR road line.
type Route struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	NameZh    *string   `json:"name_zh"`
	Mode      string    `json:"mode"`
	Stops     []Stop    `json:"stops"`
	OpenedOn  *string   `json:"opened_on"`
	Tags      []string  `json:"tags"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RouteInput is a route as a client sends it for a create.
type RouteInput struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	NameZh   *string  `json:"name_zh"`
	Mode     string   `json:"mode"`
	Stops    []Stop   `json:"stops"`
	OpenedOn *string  `json:"opened_on"`
	Tags     []string `json:"tags"`
	Active   *bool    `json:"active"`
}

// RoutePatch holds the fields a PATCH changes; nil (or unset) leaves a field as it is.
type RoutePatch struct {
	Code     *string
	Name     *string
	NameZh   Opt[string]
	Mode     *string
	Stops    *[]Stop
	OpenedOn Opt[string]
	Tags     *[]string
	Active   *bool
}

// Opt is a field of a partial update that can be left alone, set, or cleared.
type Opt[T any] struct {
	Set   bool // the field was given
	Value *T   // nil clears it
}

func (o Opt[T]) apply(cur *T) *T {
	if !o.Set {
		return cur
	}
	return o.Value
}

// RouteFilter selects routes for a list.
type RouteFilter struct {
	Mode   *string
	Active *bool
	Tag    *string
	Limit  int
	Cursor string
}

type routeRow struct {
	ID        int64 `gorm:"primaryKey"`
	Code      string
	Name      string
	NameZh    *string
	Mode      string
	OpenedOn  *string
	Active    bool
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
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

// validate checks every field and normalises tags and locodes in place.
func (in *RouteInput) validate(p *Problems) {
	if !routeCodeRe.MatchString(in.Code) {
		p.Add("code", "must match ^[A-Z0-9][A-Z0-9-]{1,31}$ (upper-case letters, digits and hyphens, 2 to 32 characters)")
	}
	checkLine(p, "name", in.Name, true, 200)
	if in.NameZh != nil {
		checkLine(p, "name_zh", *in.NameZh, false, 200)
	}
	if !oneOf(in.Mode, Modes...) {
		p.Add("mode", "must be one of %s", strings.Join(Modes, ", "))
	}
	validateStops(p, in.Stops)
	if in.OpenedOn != nil {
		if _, err := ParseDate(*in.OpenedOn); err != nil {
			p.Add("opened_on", "%s", err.Error())
		}
	}
	in.Tags = validateTags(p, in.Tags)
}

func validateStops(p *Problems, stops []Stop) {
	if len(stops) < 2 {
		p.Add("stops", "must list at least two stops: an origin and a destination")
	}
	if len(stops) > 50 {
		p.Add("stops", "must list at most 50 stops")
		return
	}
	for i := range stops {
		st := &stops[i]
		f := fmt.Sprintf("stops[%d]", i)
		checkLine(p, f+".name", st.Name, true, 100)
		if !IsCountryCode(st.Country) {
			p.Add(f+".country", "must be an ISO 3166-1 alpha-2 country code that exists, e.g. RU")
		}
		if st.Locode != nil {
			if *st.Locode == "" {
				st.Locode = nil
			} else if err := ValidLocode(*st.Locode, st.Country); err != nil {
				p.Add(f+".locode", "%s", err.Error())
			}
		}
		switch {
		case len(stops) < 2 && !oneOf(st.Role, RoleOrigin, RoleBorder, RoleTransit, RoleDestination):
			p.Add(f+".role", "must be origin, border, transit or destination")
		case len(stops) < 2:
		case i == 0 && st.Role != RoleOrigin:
			p.Add(f+".role", "the first stop must have role origin")
		case i == len(stops)-1 && st.Role != RoleDestination:
			p.Add(f+".role", "the last stop must have role destination")
		case i > 0 && i < len(stops)-1 && !oneOf(st.Role, RoleBorder, RoleTransit):
			p.Add(f+".role", "a stop between origin and destination must have role border or transit")
		}
	}
}

func validateTags(p *Problems, tags []string) []string {
	if len(tags) > 20 {
		p.Add("tags", "must hold at most 20 tags")
		return tags
	}
	seen := map[string]bool{}
	out := []string{}
	for i, t := range tags {
		checkLine(p, fmt.Sprintf("tags[%d]", i), t, true, 40)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// CreateRoute validates and stores a new route.
func (s *Store) CreateRoute(ctx context.Context, in RouteInput) (Route, error) {
	var p Problems
	in.validate(&p)
	if err := p.Err(); err != nil {
		return Route{}, err
	}
	var out Route
	err := s.Tx(ctx, func(tx *Store) error {
		now := s.now()
		row := routeRow{Code: in.Code, Name: in.Name, NameZh: in.NameZh, Mode: in.Mode, OpenedOn: in.OpenedOn,
			Active: in.Active == nil || *in.Active, CreatedAt: now, UpdatedAt: now}
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

func (s *Store) writeStopsAndTags(routeID int64, stops []Stop, tags []string) error {
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
func (s *Store) GetRoute(ctx context.Context, code string) (Route, error) {
	row, err := s.withCtx(ctx).routeRowByCode(code)
	if err != nil {
		return Route{}, err
	}
	return s.withCtx(ctx).loadRoute(row)
}

func (s *Store) withCtx(ctx context.Context) *Store {
	return &Store{db: s.db.WithContext(ctx), Loc: s.Loc, Now: s.Now, writeMu: s.writeMu, inTx: s.inTx}
}

func (s *Store) loadRoute(row routeRow) (Route, error) {
	rs, err := s.loadRoutes([]routeRow{row})
	if err != nil {
		return Route{}, err
	}
	return rs[0], nil
}

// loadRoutes attaches stops and tags to a page of route rows in two queries.
func (s *Store) loadRoutes(rows []routeRow) ([]Route, error) {
	out := make([]Route, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	idx := map[int64]int{}
	for i, r := range rows {
		ids[i] = r.ID
		idx[r.ID] = i
		out[i] = Route{Code: r.Code, Name: r.Name, NameZh: r.NameZh, Mode: r.Mode, OpenedOn: r.OpenedOn, Active: r.Active,
			Stops: []Stop{}, Tags: []string{}, CreatedAt: r.CreatedAt.In(s.Loc), UpdatedAt: r.UpdatedAt.In(s.Loc)}
	}
	var stops []stopRow
	if err := s.db.Where("route_id IN ?", ids).Order("route_id, seq").Find(&stops).Error; err != nil {
		return nil, err
	}
	for _, st := range stops {
		r := &out[idx[st.RouteID]]
		r.Stops = append(r.Stops, Stop{Name: st.Name, Locode: st.Locode, Country: st.Country, Role: st.Role})
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
func (s *Store) ListRoutes(ctx context.Context, f RouteFilter) (Page[Route], error) {
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
	if f.Cursor != "" {
		var c struct {
			C string `json:"c"`
		}
		if err := decodeCursor("routes", f.Cursor, &c); err != nil {
			return Page[Route]{}, err
		}
		if c.C == "" {
			return Page[Route]{}, errBadCursor
		}
		q = q.Where("code > ?", c.C)
	}
	limit := normLimit(f.Limit)
	var rows []routeRow
	if err := q.Order("code").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[Route]{}, fmt.Errorf("routes.list: %w", err)
	}
	var next *string
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeCursor("routes", struct {
			C string `json:"c"`
		}{rows[limit-1].Code})
	}
	items, err := s.withCtx(ctx).loadRoutes(rows)
	if err != nil {
		return Page[Route]{}, fmt.Errorf("routes.list: %w", err)
	}
	return Page[Route]{Items: items, NextCursor: next}, nil
}

// UpdateRoute applies a partial update; stops and tags, when given, replace the old ones.
func (s *Store) UpdateRoute(ctx context.Context, code string, patch RoutePatch) (Route, error) {
	var out Route
	err := s.Tx(ctx, func(tx *Store) error {
		var row routeRow
		if err := tx.forUpdate(tx.db, "routes").Where("code = ?", code).Take(&row).Error; err != nil {
			return storeErr("routes.get", err, fmt.Sprintf("no route with code %s", code), "")
		}
		cur, err := tx.loadRoute(row)
		if err != nil {
			return err
		}
		in := RouteInput{Code: cur.Code, Name: cur.Name, NameZh: patch.NameZh.apply(cur.NameZh), Mode: cur.Mode,
			Stops: cur.Stops, OpenedOn: patch.OpenedOn.apply(cur.OpenedOn), Tags: cur.Tags, Active: &cur.Active}
		var p Problems
		if patch.Code != nil && *patch.Code != cur.Code {
			p.Add("code", "cannot be changed; create a new route and deactivate this one")
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
		in.validate(&p)
		if err := p.Err(); err != nil {
			return err
		}
		modeChanged := row.Mode != in.Mode
		row.Name, row.NameZh, row.Mode, row.OpenedOn, row.Active = in.Name, in.NameZh, in.Mode, in.OpenedOn, *in.Active
		if sameRoute(cur, in) {
			out = cur
			return nil
		}
		row.UpdatedAt = s.now()
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
		if modeChanged {
			// Every day of its runs moves from one mode's figures to another's.
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
func (s *Store) DeleteRoute(ctx context.Context, code string) error {
	err := s.Tx(ctx, func(tx *Store) error {
		row, err := tx.routeRowByCode(code)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.db.Model(&runRow{}).Where("route_id = ?", row.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return Errorf(ECONFLICT, "route %s has %d runs and cannot be deleted; deactivate it instead (PATCH active=false)", code, n)
		}
		if err := tx.db.Model(&targetRow{}).Where("scope_route = ?", code).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return Errorf(ECONFLICT, "route %s is the scope of %d targets and cannot be deleted; delete those targets first, or deactivate the route", code, n)
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

// sameRoute reports whether an update would leave the route as it is.
func sameRoute(cur Route, in RouteInput) bool {
	eq := func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	if cur.Name != in.Name || !eq(cur.NameZh, in.NameZh) || cur.Mode != in.Mode || !eq(cur.OpenedOn, in.OpenedOn) ||
		cur.Active != *in.Active || len(cur.Stops) != len(in.Stops) || len(cur.Tags) != len(in.Tags) {
		return false
	}
	for i, st := range in.Stops {
		c := cur.Stops[i]
		if c.Name != st.Name || c.Country != st.Country || c.Role != st.Role || !eq(c.Locode, st.Locode) {
			return false
		}
	}
	for i, t := range in.Tags {
		if cur.Tags[i] != t {
			return false
		}
	}
	return true
}
