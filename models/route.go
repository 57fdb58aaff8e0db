package models

import (
	"fmt"
	"regexp"
	"sort"
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

// roles are the stop roles, in route order.
var roles = []string{RoleOrigin, RoleBorder, RoleTransit, RoleDestination}

// Bounds of a route's lists.
const (
	maxStops = 50
	maxTags  = 20
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
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	NameZh   *string `json:"name_zh"`
	Mode     string  `json:"mode"`
	Stops    []Stop  `json:"stops"`
	OpenedOn *string `json:"opened_on"`
	// PlannedTransitDays is how long the journey is planned to take, in
	// days, or null.
	PlannedTransitDays *float64  `json:"planned_transit_days"`
	Tags               []string  `json:"tags"`
	Active             bool      `json:"active"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// RouteInput is a route as a client sends it for a create.
type RouteInput struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	NameZh   *string `json:"name_zh"`
	Mode     string  `json:"mode"`
	Stops    []Stop  `json:"stops"`
	OpenedOn *string `json:"opened_on"`
	// PlannedTransitDays: see Route.
	PlannedTransitDays *float64 `json:"planned_transit_days"`
	Tags               []string `json:"tags"`
	Active             *bool    `json:"active"`
}

// RoutePatch holds the fields a PATCH changes; nil (or unset) leaves a field as it is.
type RoutePatch struct {
	Code     *string
	Name     *string
	NameZh   Opt[string]
	Mode     *string
	Stops    *[]Stop
	OpenedOn Opt[string]
	// PlannedTransitDays: see Route.
	PlannedTransitDays Opt[float64]
	Tags               *[]string
	Active             *bool
}

// Opt is a field of a partial update that can be left alone, set, or cleared.
type Opt[T any] struct {
	Set   bool // the field was given
	Value *T   // nil clears it
}

func (o Opt[T]) Apply(cur *T) *T {
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

// validate checks every field and normalises tags and locodes in place.
func (in *RouteInput) Validate(p *Problems) {
	if !routeCodeRe.MatchString(in.Code) {
		p.Add("code", CodeInvalidFormat, Params{"format": "route_code", "pattern": routeCodeRe.String()},
			"must match %s (upper-case letters, digits and hyphens, 2 to 32 characters)", routeCodeRe)
	}
	CheckLine(p, "name", in.Name, true, 200)
	if in.NameZh != nil {
		CheckLine(p, "name_zh", *in.NameZh, false, 200)
	}
	if !OneOf(in.Mode, Modes...) {
		p.NotOneOf("mode", Modes)
	}
	validateStops(p, in.Stops)
	if in.OpenedOn != nil {
		if _, err := ParseDay(*in.OpenedOn); err != nil {
			p.AddErr("opened_on", err)
		}
	}
	if d := in.PlannedTransitDays; d != nil && (*d < minPlannedDays || *d > maxPlannedDays) {
		p.Add("planned_transit_days", CodeOutOfRange, Params{"min": minPlannedDays, "max": maxPlannedDays},
			"must be from %g to %g days", minPlannedDays, maxPlannedDays)
	}
	in.Tags = validateTags(p, in.Tags)
}

// Bounds of a route's planned transit time, in days.
const (
	minPlannedDays = 0.1
	maxPlannedDays = 365.0
)

func validateStops(p *Problems, stops []Stop) {
	if len(stops) < 2 {
		p.Add("stops", CodeTooFew, Params{"min": 2}, "must list at least two stops: an origin and a destination")
	}
	if len(stops) > maxStops {
		p.Add("stops", CodeTooMany, Params{"max": maxStops, "count": len(stops)}, "must list at most %d stops", maxStops)
		return
	}
	for i := range stops {
		st := &stops[i]
		f := fmt.Sprintf("stops[%d]", i)
		CheckLine(p, f+".name", st.Name, true, 100)
		if !IsCountryCode(st.Country) {
			p.Add(f+".country", CodeInvalidFormat, Params{"format": "country_code"}, "must be an ISO 3166-1 alpha-2 country code that exists, e.g. RU")
		}
		if st.Locode != nil {
			if *st.Locode == "" {
				st.Locode = nil
			} else if err := ValidLocode(*st.Locode, st.Country); err != nil {
				p.AddErr(f+".locode", err)
			}
		}
		switch {
		case len(stops) < 2 && !OneOf(st.Role, roles...):
			p.Add(f+".role", CodeInvalidValue, Params{"allowed": roles}, "must be origin, border, transit or destination")
		case len(stops) < 2:
		case i == 0 && st.Role != RoleOrigin:
			p.Add(f+".role", CodeInvalidValue, Params{"allowed": []string{RoleOrigin}, "stop": "first"}, "the first stop must have role origin")
		case i == len(stops)-1 && st.Role != RoleDestination:
			p.Add(f+".role", CodeInvalidValue, Params{"allowed": []string{RoleDestination}, "stop": "last"}, "the last stop must have role destination")
		case i > 0 && i < len(stops)-1 && !OneOf(st.Role, RoleBorder, RoleTransit):
			p.Add(f+".role", CodeInvalidValue, Params{"allowed": []string{RoleBorder, RoleTransit}, "stop": "between"},
				"a stop between origin and destination must have role border or transit")
		}
	}
}

func validateTags(p *Problems, tags []string) []string {
	if len(tags) > maxTags {
		p.Add("tags", CodeTooMany, Params{"max": maxTags, "count": len(tags)}, "must hold at most %d tags", maxTags)
		return tags
	}
	seen := map[string]bool{}
	out := []string{}
	for i, t := range tags {
		CheckLine(p, fmt.Sprintf("tags[%d]", i), t, true, 40)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}
