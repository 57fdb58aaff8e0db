package models

import (
	"fmt"
	"strings"
	"time"
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

// CountedStatuses are the statuses of runs that count toward totals, once
// their departure has passed (the store says it in one condition, which
// the roll-ups, progress and the runs list's counted filter share).
var CountedStatuses = []string{StatusDeparted, StatusArrived}

// MaxPlanYears is how far ahead a run may be logged (planned): a year.
const MaxPlanYears = 1

// OverdueAfter is how long past its departure a run may still be planned
// before it is listed as overdue.
const OverdueAfter = 24 * time.Hour

// Overdue reports whether a run is planned and its departure passed more
// than OverdueAfter before now.
func (r Run) Overdue(now time.Time) bool {
	return r.Status == StatusPlanned && r.DepartedAt.Before(now.Add(-OverdueAfter))
}

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
	EmptyContainers  int        `json:"empty_containers"`
	TEU              int        `json:"teu"`
	Cargo            *string    `json:"cargo"`
	ContainerNumbers []string   `json:"container_numbers"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
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
	EmptyContainers  *int     `json:"empty_containers"`
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
	EmptyContainers  *int
	TEU              *int
	Cargo            Opt[string]
	ContainerNumbers Opt[[]string]
}

// RunFilter selects runs for a list. From and To are dates (inclusive) in the
// reporting time zone.
type RunFilter struct {
	Route *string
	// Number keeps the runs of this train number, compared as the rule
	// against a train logged twice compares numbers: normalized as writes
	// normalize them (NormalizeText) and without regard to the case of
	// ASCII letters.
	Number *string
	// Container keeps the runs that list this container number, given in
	// any spelling ParseContainerNumber reads ("csqu 305438-3").
	Container *string
	Mode      *string
	Direction *string
	Status    *string
	// Counted keeps the runs that count toward totals (true) or those that
	// do not (false): status departed or arrived and departed_at not in the future.
	Counted *bool
	// Overdue keeps the runs still planned more than OverdueAfter past
	// their departure (true), or all others (false).
	Overdue *bool
	From    *Day
	To      *Day
	Limit   int
	Cursor  string
}

// RunValues are a run's writable values, parsed and normalized: what
// validation answers and what storage keeps.
type RunValues struct {
	Route            string
	Number           string
	Direction        string
	DepartedAt       time.Time
	ArrivedAt        *time.Time
	Status           string
	Containers       int
	EmptyContainers  int
	TEU              int
	Cargo            *string
	ContainerNumbers []string
}

// Values are the run's writable values, as stored.
func (r Run) Values() RunValues {
	return RunValues{Route: r.Route, Number: r.Number, Direction: r.Direction, DepartedAt: r.DepartedAt,
		ArrivedAt: r.ArrivedAt, Status: r.Status, Containers: r.Containers, EmptyContainers: r.EmptyContainers, TEU: r.TEU, Cargo: r.Cargo,
		ContainerNumbers: r.ContainerNumbers}
}

// Validate parses a create's input into values and checks them, adding every
// problem to p.
func (in RunInput) Validate(p *Problems) RunValues {
	defer p.orderFrom(len(p.list), runFields...)
	v := RunValues{Route: in.Route, Number: in.Number, Direction: in.Direction, Status: in.Status,
		Cargo: in.Cargo, ContainerNumbers: in.ContainerNumbers}
	if in.Status == "" {
		v.Status = StatusDeparted
	}
	if in.DepartedAt == "" {
		p.Required("departed_at")
	} else if t, err := ParseInstant(in.DepartedAt); err != nil {
		p.AddErr("departed_at", err)
	} else {
		v.DepartedAt = t
	}
	if in.ArrivedAt != nil {
		if t, err := ParseInstant(*in.ArrivedAt); err != nil {
			p.AddErr("arrived_at", err)
		} else {
			v.ArrivedAt = &t
		}
	}
	if in.Containers != nil {
		v.Containers = *in.Containers
	}
	if in.EmptyContainers != nil {
		v.EmptyContainers = *in.EmptyContainers
	}
	if in.TEU != nil {
		v.TEU = *in.TEU
	}
	return v.check(p)
}

// Apply patches the stored values cur and checks the result as a whole.
func (patch RunPatch) Apply(cur RunValues, p *Problems) RunValues {
	defer p.orderFrom(len(p.list), runFields...)
	v := cur
	set(&v.Route, patch.Route)
	set(&v.Number, patch.Number)
	set(&v.Direction, patch.Direction)
	if patch.Status != nil {
		if *patch.Status == "" {
			p.NotOneOf("status", Statuses)
		}
		v.Status = *patch.Status
	}
	if patch.DepartedAt != nil {
		if t, err := ParseInstant(*patch.DepartedAt); err != nil {
			p.AddErr("departed_at", err)
		} else {
			v.DepartedAt = t
		}
	}
	if patch.ArrivedAt.Set {
		v.ArrivedAt = nil
		if patch.ArrivedAt.Value != nil {
			if t, err := ParseInstant(*patch.ArrivedAt.Value); err != nil {
				p.AddErr("arrived_at", err)
				v.ArrivedAt = cur.ArrivedAt
			} else {
				v.ArrivedAt = &t
			}
		}
	}
	if patch.Containers != nil {
		v.Containers = *patch.Containers
	}
	if patch.EmptyContainers != nil {
		v.EmptyContainers = *patch.EmptyContainers
	}
	if patch.TEU != nil {
		v.TEU = *patch.TEU
	}
	v.Cargo = patch.Cargo.Apply(v.Cargo)
	if patch.ContainerNumbers.Set {
		v.ContainerNumbers = nil
		if patch.ContainerNumbers.Value != nil {
			v.ContainerNumbers = *patch.ContainerNumbers.Value
		}
	}
	return v.check(p)
}

// CheckCalendar adds the rules that depend on the clock: a run is logged at
// most MaxPlanYears ahead; a run that has departed (or arrived) did so by
// now, give or take ClockSkew, and so did its arrival. A run in the future
// is planned. Fields that already have a problem are not checked again.
func (v RunValues) CheckCalendar(p *Problems, now time.Time) {
	defer p.orderFrom(len(p.list), runFields...)
	latest := now.Add(ClockSkew)
	if !p.Has("departed_at") && !v.DepartedAt.IsZero() {
		// A year ahead on the UTC calendar, so that the bound is the same
		// whatever zone the clock's instant is written in (29 February
		// and month ends roll over alike).
		ahead := now.UTC().AddDate(MaxPlanYears, 0, 0)
		switch {
		case v.DepartedAt.After(latest) && (v.Status == StatusDeparted || v.Status == StatusArrived):
			p.Add("departed_at", CodeOutOfRange, Params{"max": latest.UTC().Format(time.RFC3339), "relative_to": "now", "if": "status", "equals": v.Status},
				"must not be in the future for a run that is %s (the server's clock says %s); a run that has not left yet is planned", v.Status, now.UTC().Format(time.RFC3339))
		case v.DepartedAt.After(ahead):
			p.Add("departed_at", CodeOutOfRange, Params{"max": ahead.UTC().Format(time.RFC3339), "relative_to": "now", "unit": "year", "factor": MaxPlanYears},
				"must be at most a year ahead (until %s)", ahead.UTC().Format(time.RFC3339))
		}
	}
	if !p.Has("arrived_at") && v.ArrivedAt != nil && v.ArrivedAt.After(latest) {
		p.Add("arrived_at", CodeOutOfRange, Params{"max": latest.UTC().Format(time.RFC3339), "relative_to": "now"},
			"must not be in the future (the server's clock says %s)", now.UTC().Format(time.RFC3339))
	}
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// runFields is the order of a run's fields, in which its problems are listed.
var runFields = []string{"route", "number", "direction", "status", "departed_at", "arrived_at", "containers", "empty_containers", "teu", "cargo", "container_numbers"}

// check normalizes the values and adds every rule they break to p. Fields
// that failed to parse are already in p and are not checked again.
func (v RunValues) check(p *Problems) RunValues {
	v.Number = NormalizeText(v.Number)
	// Cargo is free text kept as written, but without blank space around
	// it; a blank cargo is no cargo. (A CSV cell, which import trims, then
	// always reads back as the stored value.)
	if v.Cargo != nil {
		if c := strings.TrimSpace(*v.Cargo); c == "" {
			v.Cargo = nil
		} else {
			v.Cargo = &c
		}
	}
	if strings.TrimSpace(v.Route) == "" {
		p.Required("route")
	}
	CheckLine(p, "number", v.Number, true, 32)
	if !OneOf(v.Direction, Directions...) {
		p.Add("direction", CodeInvalidValue, Params{"allowed": Directions}, "must be outbound (leaving China) or inbound")
	}
	if !p.Has("status") && !OneOf(v.Status, Statuses...) {
		p.NotOneOf("status", Statuses)
	}
	if v.ArrivedAt != nil {
		if !p.Has("departed_at") && !p.Has("arrived_at") && v.ArrivedAt.Before(v.DepartedAt) {
			p.Add("arrived_at", CodeOrder, Params{"other": "departed_at"}, "must not be before departed_at")
		}
	} else if !p.Has("arrived_at") && v.Status == StatusArrived {
		p.Add("arrived_at", CodeRequired, Params{"if": "status", "equals": StatusArrived}, "is required when status is arrived")
	}
	if v.Containers < 0 || v.Containers > MaxContainers {
		p.OutOfRange("containers", 0, MaxContainers)
	}
	if !p.Has("containers") && (v.EmptyContainers < 0 || v.EmptyContainers > v.Containers) {
		p.Add("empty_containers", CodeOutOfRange, Params{"min": 0, "max": v.Containers, "relative_to": "containers"},
			"must be between 0 and containers (%d)", v.Containers)
	}
	if v.TEU < 0 || v.TEU > MaxTEU {
		p.OutOfRange("teu", 0, MaxTEU)
	} else if !p.Has("containers") && v.Containers > 0 && (v.TEU < v.Containers || 2*v.TEU > 5*v.Containers) {
		max := 2.5 * float64(v.Containers)
		p.Add("teu", CodeOutOfRange, Params{"min": v.Containers, "max": max, "relative_to": "containers", "factor": 2.5},
			"must be between containers (%d) and 2.5 × containers (%g)", v.Containers, max)
	}
	if v.Cargo != nil {
		checkText(p, "cargo", *v.Cargo, false, 500)
	}
	numbers := []string{}
	seen := map[string]bool{}
	for i, n := range v.ContainerNumbers {
		n = NormalizeContainerNumber(n)
		f := fmt.Sprintf("container_numbers[%d]", i)
		if err := ValidContainerNumber(n); err != nil {
			p.AddErr(f, err)
		} else if seen[n] {
			p.Add(f, CodeDuplicate, Params{"value": n}, "%s is listed twice", n)
		}
		seen[n] = true
		numbers = append(numbers, n)
	}
	if !p.Has("containers") && len(v.ContainerNumbers) > v.Containers {
		p.Add("container_numbers", CodeTooMany, Params{"max": v.Containers, "count": len(v.ContainerNumbers)},
			"lists %d containers but containers is %d", len(v.ContainerNumbers), v.Containers)
	}
	v.ContainerNumbers = numbers
	return v
}
