package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Run statuses and directions.
const (
	StatusPlanned   = "planned"
	StatusDeparted  = "departed"
	StatusArrived   = "arrived"
	StatusCancelled = "cancelled"

	DirOutbound = "outbound"
	DirInbound  = "inbound"
)

// Statuses and Directions list the allowed values, in a stable order.
var (
	Statuses   = []string{StatusPlanned, StatusDeparted, StatusArrived, StatusCancelled}
	Directions = []string{DirOutbound, DirInbound}
)

// Bounds of a run's load.
const (
	MaxContainers = 500
	MaxTEU        = 1250
)

// Run is one departure on a route: a train, a voyage, a truck trip.
type Run struct {
	ID               int64      `json:"id"`
	Route            string     `json:"route"`
	Mode             string     `json:"mode"`
	Number           string     `json:"number"`
	Direction        string     `json:"direction"`
	DepartedAt       time.Time  `json:"departed_at"`
	ArrivedAt        *time.Time `json:"arrived_at"`
	Status           string     `json:"status"`
	Containers       int        `json:"containers"`
	TEU              int        `json:"teu"`
	Cargo            *string    `json:"cargo"`
	ContainerNumbers []string   `json:"container_numbers"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Counted reports whether the run counts toward totals at instant now.
func (r Run) Counted(now time.Time) bool {
	return (r.Status == StatusDeparted || r.Status == StatusArrived) && !r.DepartedAt.After(now)
}

// RunInput is a run as a client sends it for a create. Instants are strings so
// that a malformed one is reported as an invalid field, not a broken body.
type RunInput struct {
	Route            string   `json:"route"`
	Number           string   `json:"number"`
	Direction        string   `json:"direction"`
	DepartedAt       string   `json:"departed_at"`
	ArrivedAt        *string  `json:"arrived_at"`
	Status           string   `json:"status"`
	Containers       *int     `json:"containers"`
	TEU              *int     `json:"teu"`
	Cargo            *string  `json:"cargo"`
	ContainerNumbers []string `json:"container_numbers"`
}

// RunPatch holds the fields a PATCH changes.
type RunPatch struct {
	Route            *string
	Number           *string
	Direction        *string
	DepartedAt       *string
	ArrivedAt        Opt[string]
	Status           *string
	Containers       *int
	TEU              *int
	Cargo            Opt[string]
	ContainerNumbers Opt[[]string]
}

// RunFilter selects runs for a list. From and To are dates (inclusive) in the
// reporting time zone.
type RunFilter struct {
	Route     *string
	Mode      *string
	Direction *string
	Status    *string
	// Counted keeps the runs that count toward totals (true) or those that
	// do not (false): status departed or arrived and departed_at not in the future.
	Counted *bool
	From    *time.Time
	To      *time.Time
	Limit   int
	Cursor  string
}

type runRow struct {
	ID               int64 `gorm:"primaryKey"`
	RouteID          int64
	Number           string
	NumberKey        string
	Direction        string
	DepartedAt       time.Time
	DepartedDay      string
	ArrivedAt        *time.Time
	Status           string
	Containers       int
	TEU              int `gorm:"column:teu"`
	Cargo            *string
	ContainerNumbers string
	CreatedAt        time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt        time.Time `gorm:"autoUpdateTime:false"`
}

func (runRow) TableName() string { return "runs" }

// validRun is a run input that passed validation, with parsed values.
type validRun struct {
	in         RunInput
	departedAt time.Time
	arrivedAt  *time.Time
	containers int
	teu        int
	numbers    []string
}

func (in RunInput) validate(p *Problems) validRun {
	in.Number = normalizeText(in.Number)
	// Cargo is free text kept as written, but without blank space around
	// it; a blank cargo is no cargo. (A CSV cell, which import trims, then
	// always reads back as the stored value.)
	if in.Cargo != nil {
		if c := strings.TrimSpace(*in.Cargo); c == "" {
			in.Cargo = nil
		} else {
			in.Cargo = &c
		}
	}
	v := validRun{in: in}
	if strings.TrimSpace(in.Route) == "" {
		p.Add("route", "is required")
	}
	checkLine(p, "number", in.Number, true, 32)
	if !oneOf(in.Direction, Directions...) {
		p.Add("direction", "must be outbound (leaving China) or inbound")
	}
	if in.Status == "" {
		v.in.Status = StatusDeparted
	} else if !oneOf(in.Status, Statuses...) {
		p.Add("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	if in.DepartedAt == "" {
		p.Add("departed_at", "is required")
	} else if t, err := ParseInstant(in.DepartedAt); err != nil {
		p.Add("departed_at", "%s", err.Error())
	} else {
		v.departedAt = t
	}
	if in.ArrivedAt != nil {
		if t, err := ParseInstant(*in.ArrivedAt); err != nil {
			p.Add("arrived_at", "%s", err.Error())
		} else {
			v.arrivedAt = &t
			if !p.Has("departed_at") && t.Before(v.departedAt) {
				p.Add("arrived_at", "must not be before departed_at")
			}
		}
	} else if v.in.Status == StatusArrived {
		p.Add("arrived_at", "is required when status is arrived")
	}
	if in.Containers != nil {
		v.containers = *in.Containers
	}
	if in.TEU != nil {
		v.teu = *in.TEU
	}
	if v.containers < 0 || v.containers > MaxContainers {
		p.Add("containers", "must be between 0 and %d", MaxContainers)
	}
	if v.teu < 0 || v.teu > MaxTEU {
		p.Add("teu", "must be between 0 and %d", MaxTEU)
	} else if !p.Has("containers") && v.containers > 0 && (v.teu < v.containers || 2*v.teu > 5*v.containers) {
		p.Add("teu", "must be between containers (%d) and 2.5 × containers (%g)", v.containers, 2.5*float64(v.containers))
	}
	if in.Cargo != nil {
		checkText(p, "cargo", *in.Cargo, false, 500)
	}
	v.numbers = []string{}
	seen := map[string]bool{}
	for i, n := range in.ContainerNumbers {
		n = NormalizeContainerNumber(n)
		f := fmt.Sprintf("container_numbers[%d]", i)
		if err := ValidContainerNumber(n); err != nil {
			p.Add(f, "%s", err.Error())
		} else if seen[n] {
			p.Add(f, "%s is listed twice", n)
		}
		seen[n] = true
		v.numbers = append(v.numbers, n)
	}
	if !p.Has("containers") && len(in.ContainerNumbers) > v.containers {
		p.Add("container_numbers", "lists %d containers but containers is %d", len(in.ContainerNumbers), v.containers)
	}
	return v
}

// CreateRun validates and stores a new run.
func (s *Store) CreateRun(ctx context.Context, in RunInput) (Run, error) {
	var out Run
	err := s.Tx(ctx, func(tx *Store) error {
		var p Problems
		v := in.validate(&p)
		route, rerr := tx.routeForRun(&p, in.Route)
		if err := p.Err(); err != nil {
			return err
		}
		if rerr != nil {
			return rerr
		}
		now := s.now()
		row := runRow{RouteID: route.ID, CreatedAt: now, UpdatedAt: now}
		v.fill(&row, s.Loc)
		// A plain INSERT … RETURNING: GORM's Create costs more than the
		// statement here, and every logged run comes this way.
		err := tx.queryRow(ctx, `INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day,
			arrived_at, status, containers, teu, cargo, container_numbers, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			row.RouteID, row.Number, row.NumberKey, row.Direction, row.DepartedAt, row.DepartedDay, row.ArrivedAt,
			row.Status, row.Containers, row.TEU, row.Cargo, row.ContainerNumbers, row.CreatedAt, row.UpdatedAt).Scan(&row.ID)
		if err != nil {
			return tx.runConflict(tx.translate(err), route.Code, row)
		}
		out = row.toRun(route.Code, route.Mode, s.Loc)
		if err := tx.audit(ctx, "runs.create", "run", idString(out.ID), nil, out); err != nil {
			return err
		}
		return tx.markDirty(row.DepartedDay)
	})
	return out, storeErr("runs.create", err, "", "")
}

// routeForRun looks up the run's route (its id, code and mode: all a run
// needs of it) and reports an unknown code as a field error.
func (s *Store) routeForRun(p *Problems, code string) (routeRow, error) {
	if p.Has("route") {
		return routeRow{}, nil
	}
	var row routeRow
	err := s.queryRow(s.db.Statement.Context, `SELECT id, code, mode FROM routes WHERE code = ?`, code).Scan(&row.ID, &row.Code, &row.Mode)
	if errors.Is(err, sql.ErrNoRows) {
		p.Add("route", "no route with code %q", code)
		return row, nil
	}
	if err != nil {
		return row, fmt.Errorf("runs.route: %w", err)
	}
	return row, nil
}

func (s *Store) runConflict(err error, code string, row runRow) error {
	err = storeErr("runs.write", err, "", fmt.Sprintf("run %s on route %s already departs on %s (reporting time zone %s)", row.Number, code, row.DepartedDay, s.Loc))
	var e *Error
	if errors.As(err, &e) && e.Code == ECONFLICT {
		e.Fields = []FieldError{{Field: "number", Message: fmt.Sprintf("train %s already departs on %s on route %s", row.Number, row.DepartedDay, code)}}
	}
	return err
}

func (v validRun) fill(row *runRow, loc *time.Location) {
	row.Number = v.in.Number
	row.NumberKey = upperASCII(v.in.Number)
	row.Direction = v.in.Direction
	row.DepartedAt = v.departedAt
	row.DepartedDay = Day(v.departedAt, loc)
	row.ArrivedAt = v.arrivedAt
	row.Status = v.in.Status
	row.Containers = v.containers
	row.TEU = v.teu
	row.Cargo = v.in.Cargo
	b, _ := json.Marshal(v.numbers)
	row.ContainerNumbers = string(b)
}

func (r runRow) toRun(code, mode string, loc *time.Location) Run {
	out := Run{ID: r.ID, Route: code, Mode: mode, Number: r.Number, Direction: r.Direction,
		DepartedAt: r.DepartedAt.In(loc), Status: r.Status, Containers: r.Containers, TEU: r.TEU, Cargo: r.Cargo,
		ContainerNumbers: []string{}, CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc)}
	if r.ArrivedAt != nil {
		t := r.ArrivedAt.In(loc)
		out.ArrivedAt = &t
	}
	if r.ContainerNumbers != "" {
		_ = json.Unmarshal([]byte(r.ContainerNumbers), &out.ContainerNumbers)
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
func (s *Store) GetRun(ctx context.Context, id int64) (Run, error) {
	var r runWithRoute
	err := s.withCtx(ctx).runsJoined().Where("runs.id = ?", id).Take(&r).Error
	if err != nil {
		return Run{}, storeErr("runs.get", err, fmt.Sprintf("no run with id %d", id), "")
	}
	return r.Row.toRun(r.RouteCode, r.RouteMode, s.Loc), nil
}

type runCursor struct {
	D time.Time `json:"d"`
	I int64     `json:"i"`
}

// ListRuns answers runs, newest departure first, a page at a time. The order
// (departed_at, id) is total, so a cursor never repeats or skips a run.
func (s *Store) ListRuns(ctx context.Context, f RunFilter) (Page[Run], error) {
	q := s.withCtx(ctx).runsJoined()
	if f.Route != nil {
		q = q.Where("routes.code = ?", *f.Route)
	}
	if f.Mode != nil {
		q = q.Where("routes.mode = ?", *f.Mode)
	}
	if f.Direction != nil {
		q = q.Where("runs.direction = ?", *f.Direction)
	}
	if f.Status != nil {
		q = q.Where("runs.status = ?", *f.Status)
	}
	if f.Counted != nil {
		now := s.now()
		if *f.Counted {
			q = q.Where("runs.status IN ? AND runs.departed_at <= ?", countedStatuses, now)
		} else {
			q = q.Where("(runs.status NOT IN ? OR runs.departed_at > ?)", countedStatuses, now)
		}
	}
	if f.From != nil {
		q = q.Where("runs.departed_at >= ?", DayStart(*f.From, s.Loc).UTC())
	}
	if f.To != nil {
		q = q.Where("runs.departed_at < ?", DayStart(f.To.AddDate(0, 0, 1), s.Loc).UTC())
	}
	if f.Cursor != "" {
		var c runCursor
		if err := decodeCursor("runs", f.Cursor, &c); err != nil {
			return Page[Run]{}, err
		}
		if c.D.IsZero() || c.I <= 0 {
			return Page[Run]{}, errBadCursor
		}
		d := c.D.UTC()
		q = q.Where("runs.departed_at < ? OR (runs.departed_at = ? AND runs.id < ?)", d, d, c.I)
	}
	limit := normLimit(f.Limit)
	var rows []runWithRoute
	if err := q.Order("runs.departed_at DESC, runs.id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[Run]{}, fmt.Errorf("runs.list: %w", err)
	}
	page := Page[Run]{Items: make([]Run, 0, len(rows))}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		page.NextCursor = encodeCursor("runs", runCursor{D: last.Row.DepartedAt.UTC(), I: last.Row.ID})
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.Row.toRun(r.RouteCode, r.RouteMode, s.Loc))
	}
	return page, nil
}

// UpdateRun applies a partial update and validates the run as a whole.
func (s *Store) UpdateRun(ctx context.Context, id int64, patch RunPatch) (Run, error) {
	var out Run
	err := s.Tx(ctx, func(tx *Store) error {
		var cur runWithRoute
		if err := tx.forUpdate(tx.runsJoined(), "runs").Where("runs.id = ?", id).Take(&cur).Error; err != nil {
			return storeErr("runs.get", err, fmt.Sprintf("no run with id %d", id), "")
		}
		old := cur.Row.toRun(cur.RouteCode, cur.RouteMode, time.UTC)
		in := RunInput{Route: old.Route, Number: old.Number, Direction: old.Direction,
			DepartedAt: old.DepartedAt.Format(time.RFC3339Nano), Status: old.Status,
			Containers: &old.Containers, TEU: &old.TEU, Cargo: patch.Cargo.apply(old.Cargo), ContainerNumbers: old.ContainerNumbers}
		if old.ArrivedAt != nil {
			a := old.ArrivedAt.Format(time.RFC3339Nano)
			in.ArrivedAt = &a
		}
		in.ArrivedAt = patch.ArrivedAt.apply(in.ArrivedAt)
		set(&in.Route, patch.Route)
		set(&in.Number, patch.Number)
		set(&in.Direction, patch.Direction)
		set(&in.DepartedAt, patch.DepartedAt)
		set(&in.Status, patch.Status)
		if patch.Containers != nil {
			in.Containers = patch.Containers
		}
		if patch.TEU != nil {
			in.TEU = patch.TEU
		}
		if patch.ContainerNumbers.Set {
			in.ContainerNumbers = nil
			if patch.ContainerNumbers.Value != nil {
				in.ContainerNumbers = *patch.ContainerNumbers.Value
			}
		}
		var p Problems
		if patch.Status != nil && *patch.Status == "" {
			p.Add("status", "must be one of %s", strings.Join(Statuses, ", "))
		}
		v := in.validate(&p)
		route, rerr := tx.routeForRun(&p, in.Route)
		if err := p.Err(); err != nil {
			return err
		}
		if rerr != nil {
			return rerr
		}
		row := cur.Row
		row.RouteID = route.ID
		v.fill(&row, s.Loc)
		if sameRunRow(row, cur.Row) {
			// Nothing changes: no write, no audit entry, updated_at stays.
			out = row.toRun(route.Code, route.Mode, s.Loc)
			return nil
		}
		row.UpdatedAt = s.now()
		if err := tx.db.Save(&row).Error; err != nil {
			return tx.runConflict(err, route.Code, row)
		}
		out = row.toRun(route.Code, route.Mode, s.Loc)
		if err := tx.audit(ctx, "runs.update", "run", idString(id), cur.Row.toRun(cur.RouteCode, cur.RouteMode, s.Loc), out); err != nil {
			return err
		}
		return tx.markDirty(cur.Row.DepartedDay, row.DepartedDay)
	})
	return out, storeErr("runs.update", err, "", "")
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// DeleteRun removes a run.
func (s *Store) DeleteRun(ctx context.Context, id int64) error {
	err := s.Tx(ctx, func(tx *Store) error {
		var cur runWithRoute
		if err := tx.runsJoined().Where("runs.id = ?", id).Take(&cur).Error; err != nil {
			return storeErr("runs.get", err, fmt.Sprintf("no run with id %d", id), "")
		}
		if err := tx.db.Delete(&runRow{}, id).Error; err != nil {
			return err
		}
		if err := tx.audit(ctx, "runs.delete", "run", idString(id), cur.Row.toRun(cur.RouteCode, cur.RouteMode, s.Loc), nil); err != nil {
			return err
		}
		return tx.markDirty(cur.Row.DepartedDay)
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
		a.Containers == b.Containers && a.TEU == b.TEU && sameCargo && a.ContainerNumbers == b.ContainerNumbers
}

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
