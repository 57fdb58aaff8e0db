package models

import (
	"bytes"
	"encoding/json"
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
	PlannedTransitDays *float64 `json:"planned_transit_days"`
	// Corridor is the rail route's corridor (west, central, east) or null;
	// CorridorSource says where it comes from: "border" (its border
	// crossing, DefaultCorridor) or "set" (an admin's choice).
	Corridor       *string   `json:"corridor"`
	CorridorSource string    `json:"corridor_source"`
	Tags           []string  `json:"tags"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
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
	// Corridor: see Route; not given, it comes from the border crossing.
	Corridor Opt[string] `json:"corridor"`
	Tags     []string    `json:"tags"`
	Active   *bool       `json:"active"`
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
	Corridor           Opt[string]
	// CorridorSource "border" returns the corridor to the one of the
	// route's border crossing (DefaultCorridor).
	CorridorSource *string
	Tags           *[]string
	Active         *bool
}

// Opt is a field of a partial update that can be left alone, set, or cleared.
type Opt[T any] struct {
	Set   bool // the field was given
	Value *T   // nil clears it
}

// UnmarshalJSON makes a member of a JSON body an Opt: given (Set), and
// null (Value nil) or a value.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set, o.Value = true, nil
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
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
	if c := in.Corridor.Value; in.Corridor.Set && c != nil {
		switch {
		case !OneOf(*c, Corridors...):
			p.NotOneOf("corridor", Corridors)
		case in.Mode != "rail" && !p.Has("mode"):
			p.Add("corridor", CodeInvalidValue, Params{"allowed": Corridors, "if": "mode", "equals": "rail"},
				"only a rail route has a corridor")
		}
	}
}

// Corridors of the China–Europe Railway Express, by the exit port.
const (
	CorridorWest    = "west"
	CorridorCentral = "central"
	CorridorEast    = "east"
)

// Corridors lists them in the order the releases name them (西、中、东).
var Corridors = []string{CorridorWest, CorridorCentral, CorridorEast}

// Where a route's corridor comes from.
const (
	CorridorFromBorder = "border"
	CorridorFromSet    = "set"
)

// corridorOfCrossing maps the border crossings of the six exit ports (both
// sides, by UN/LOCODE and by name in either language) to their corridor.
var corridorOfCrossing = map[string]string{
	"CNAKL": CorridorWest, "alashankou": CorridorWest, "alatawshankou": CorridorWest, "阿拉山口": CorridorWest,
	"dostyk": CorridorWest, "druzhba": CorridorWest, "多斯特克": CorridorWest,
	"CNHRS": CorridorWest, "KZHOR": CorridorWest, "khorgos": CorridorWest, "horgos": CorridorWest, "霍尔果斯": CorridorWest,
	"altynkol": CorridorWest,
	"CNRLC":    CorridorCentral, "CNERC": CorridorCentral, "MNZUU": CorridorCentral, "erenhot": CorridorCentral,
	"erlian": CorridorCentral, "二连浩特": CorridorCentral, "二连": CorridorCentral, "zamyn-üüd": CorridorCentral, "zamyn-uud": CorridorCentral, "扎门乌德": CorridorCentral,
	"CNMLX": CorridorEast, "RUZBK": CorridorEast, "manzhouli": CorridorEast, "满洲里": CorridorEast,
	"zabaikalsk": CorridorEast, "zabaykalsk": CorridorEast, "zabaykal'sk": CorridorEast, "后贝加尔斯克": CorridorEast,
	"CNSFH": CorridorEast, "RUGRK": CorridorEast, "suifenhe": CorridorEast, "绥芬河": CorridorEast, "grodekovo": CorridorEast, "格罗捷科沃": CorridorEast,
	"CNTOJ": CorridorEast, "tongjiang": CorridorEast, "同江": CorridorEast, "同江北": CorridorEast, "nizhneleninskoye": CorridorEast,
}

// DefaultCorridor is the corridor of a rail route by its first border
// stop that is one of the six exit ports (or their counterparts), matched
// by UN/LOCODE, else by name; nil for other modes and for routes through
// none of them.
func DefaultCorridor(mode string, stops []Stop) *string {
	if mode != "rail" {
		return nil
	}
	for _, st := range stops {
		if st.Role != RoleBorder {
			continue
		}
		if st.Locode != nil {
			if c, ok := corridorOfCrossing[*st.Locode]; ok {
				return &c
			}
		}
		name := strings.ToLower(strings.TrimSpace(st.Name))
		for _, n := range []string{name, strings.TrimSuffix(name, "站"), strings.TrimSuffix(name, "口岸")} {
			if c, ok := corridorOfCrossing[n]; ok {
				return &c
			}
		}
		for _, w := range strings.FieldsFunc(name, func(r rune) bool {
			return r == ' ' || r == '(' || r == ')' || r == '/' || r == ',' || r == '–' || r == '-'
		}) {
			if c, ok := corridorOfCrossing[w]; ok {
				return &c
			}
		}
	}
	return nil
}

// EffectiveCorridor is a route's corridor: the admin's choice when set,
// else DefaultCorridor; and where it comes from.
func EffectiveCorridor(mode string, stops []Stop, set bool, corridor *string) (*string, string) {
	if set {
		if mode != "rail" {
			return nil, CorridorFromSet
		}
		return corridor, CorridorFromSet
	}
	return DefaultCorridor(mode, stops), CorridorFromBorder
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
