package models

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Journey event types.
const (
	EventDeparted         = "departed"
	EventArrived          = "arrived"
	EventBorderCrossed    = "border_crossed"
	EventGaugeChanged     = "gauge_changed"
	EventHeld             = "held"
	EventEstimatedArrival = "estimated_arrival"
)

// EventTypes are the journey event types, in a stable order.
var EventTypes = []string{EventDeparted, EventArrived, EventBorderCrossed, EventGaugeChanged, EventHeld, EventEstimatedArrival}

// Event sources: a stored event, or the run's own departure or arrival
// (its departed_at and arrived_at), which open and close every journey.
const (
	SourceEvent = "event"
	SourceRun   = "run"
)

// ClockSkew is how far in the future an actual event (or a departure) may
// lie, for clocks that disagree a little.
const ClockSkew = 5 * time.Minute

// Bounds of an event's texts.
const (
	maxReason = 200
	maxNote   = 500
)

// EventInput is a journey event as an operator sends it.
type EventInput struct {
	Type   string  `json:"type"`
	At     string  `json:"at"`
	Stop   *int    `json:"stop"`
	Reason *string `json:"reason"`
	ETA    *string `json:"eta"`
	Note   *string `json:"note"`
}

// Event is one step of a run's journey: an actual event at a stop, or an
// operator's estimate of the arrival at the final stop.
type Event struct {
	// ID is null for the run's own departure and arrival (Source "run").
	ID     *int64     `json:"id"`
	RunID  int64      `json:"run_id"`
	Type   string     `json:"type"`
	At     time.Time  `json:"at"`
	Stop   *int       `json:"stop"`
	Place  *StopRef   `json:"place"`
	Reason *string    `json:"reason"`
	ETA    *time.Time `json:"eta"`
	Note   *string    `json:"note"`
	Source string     `json:"source"`
	// CreatedAt is when the event was recorded; null for Source "run".
	CreatedAt *time.Time `json:"created_at"`
}

// StopRef names one stop of a route by its index.
type StopRef struct {
	Index   int     `json:"index"`
	Name    string  `json:"name"`
	Locode  *string `json:"locode"`
	Country string  `json:"country"`
	Role    string  `json:"role"`
}

// EventValues are an event's values, parsed and checked.
type EventValues struct {
	Type   string
	At     time.Time
	Stop   *int
	Reason *string
	ETA    *time.Time
	Note   *string
}

// Position is where a run is: the stop of its latest actual event, that
// event, and the stop it heads for next (null once it has arrived).
type Position struct {
	LastStop  *StopRef `json:"last_stop"`
	LastEvent *Event   `json:"last_event"`
	NextStop  *StopRef `json:"next_stop"`
}

// ETA bases.
const (
	ETAOperator     = "operator"
	ETARouteHistory = "route_history"
)

// ETAHistoryRuns is how many of the route's latest arrivals (same route
// and direction) the route-history estimate takes the median of.
const ETAHistoryRuns = 20

// Journey is what the rules of a run's events need: its route's stops,
// its direction, departure, arrival and status, and its stored events.
type Journey struct {
	RunID      int64
	Stops      []Stop
	Direction  string
	Status     string
	DepartedAt time.Time
	ArrivedAt  *time.Time
	// Events are the stored events, in any order.
	Events []Event
}

// Pos is a stop's place in the journey: inbound runs visit the route's
// stops in reverse.
func (j Journey) Pos(stop int) int {
	if j.Direction == DirInbound {
		return len(j.Stops) - 1 - stop
	}
	return stop
}

// stopAt is the stop at journey position pos.
func (j Journey) stopAt(pos int) int {
	if j.Direction == DirInbound {
		return len(j.Stops) - 1 - pos
	}
	return pos
}

// FirstStop and LastStop are the indexes of the journey's first and final
// stops.
func (j Journey) FirstStop() int { return j.stopAt(0) }
func (j Journey) LastStop() int  { return j.stopAt(len(j.Stops) - 1) }

// Ref describes stop i.
func (j Journey) Ref(i int) *StopRef {
	if i < 0 || i >= len(j.Stops) {
		return nil
	}
	s := j.Stops[i]
	return &StopRef{Index: i, Name: s.Name, Locode: s.Locode, Country: s.Country, Role: s.Role}
}

// departed reports whether the run has set off (so that its journey has a
// first event).
func (j Journey) departed() bool { return j.Status == StatusDeparted || j.Status == StatusArrived }

// Timeline is the journey in order: the run's departure, the stored
// events, and the run's arrival unless a stored event already is it.
// Estimates sit among them by the instant they were given.
func (j Journey) Timeline() []Event {
	out := make([]Event, 0, len(j.Events)+2)
	if j.departed() && len(j.Stops) > 0 {
		first := j.FirstStop()
		out = append(out, Event{RunID: j.RunID, Type: EventDeparted, At: j.DepartedAt, Stop: &first,
			Place: j.Ref(first), Source: SourceRun})
	}
	out = append(out, j.Events...)
	if j.ArrivedAt != nil && len(j.Stops) > 0 {
		last := j.LastStop()
		out = append(out, Event{RunID: j.RunID, Type: EventArrived, At: *j.ArrivedAt, Stop: &last,
			Place: j.Ref(last), Source: SourceRun})
	}
	sort.SliceStable(out, func(a, b int) bool { return j.before(out[a], out[b]) })
	return out
}

// before orders events by instant, then by their place in the journey,
// then as recorded.
func (j Journey) before(a, b Event) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	ra, rb := j.rank(a), j.rank(b)
	if ra != rb {
		return ra < rb
	}
	return idOrZero(a.ID) < idOrZero(b.ID)
}

func idOrZero(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}

// phase orders the events at one stop: a train arrives, is held, crosses
// or changes gauge, then departs.
func phase(typ string) int {
	switch typ {
	case EventArrived:
		return 0
	case EventDeparted:
		return 2
	}
	return 1
}

// rank is an actual event's place in the journey's order of stops and
// phases; estimates have none (-1).
func (j Journey) rank(e Event) int {
	if e.Type == EventEstimatedArrival || e.Stop == nil {
		return -1
	}
	return 3*j.Pos(*e.Stop) + phase(e.Type)
}

// actual are the timeline's actual events (estimates left out).
func actual(tl []Event) []Event {
	out := make([]Event, 0, len(tl))
	for _, e := range tl {
		if e.Type != EventEstimatedArrival {
			out = append(out, e)
		}
	}
	return out
}

// Position answers where the run is now.
func (j Journey) Position() Position {
	var p Position
	if len(j.Stops) == 0 {
		return p
	}
	acts := actual(j.Timeline())
	if len(acts) == 0 {
		p.NextStop = j.Ref(j.FirstStop())
		return p
	}
	last := acts[len(acts)-1]
	p.LastEvent = &last
	p.LastStop = j.Ref(*last.Stop)
	if j.ArrivedAt == nil {
		if pos := j.Pos(*last.Stop); pos+1 < len(j.Stops) {
			p.NextStop = j.Ref(j.stopAt(pos + 1))
		}
	}
	return p
}

// OperatorETA is the latest operator estimate of the arrival (the one
// given last), or nil.
func (j Journey) OperatorETA() *time.Time {
	var best *Event
	for i := range j.Events {
		e := &j.Events[i]
		if e.Type != EventEstimatedArrival || e.ETA == nil {
			continue
		}
		if best == nil || j.before(*best, *e) {
			best = e
		}
	}
	if best == nil {
		return nil
	}
	return best.ETA
}

// Check parses an event for this journey and adds every rule it breaks to
// p; now is the server's clock. A rule about the run as a whole (it has
// not departed) is answered as the returned error instead.
func (j Journey) Check(in EventInput, now time.Time, p *Problems) (EventValues, error) {
	defer p.orderFrom(len(p.list), "type", "at", "stop", "reason", "eta", "note")
	v := EventValues{Type: in.Type, Stop: in.Stop}
	if in.Type == "" {
		p.Required("type")
	} else if !OneOf(in.Type, EventTypes...) {
		p.NotOneOf("type", EventTypes)
	}
	if in.At == "" {
		p.Required("at")
	} else if t, err := ParseInstant(in.At); err != nil {
		p.AddErr("at", err)
	} else {
		v.At = t
	}
	estimate := in.Type == EventEstimatedArrival
	n := len(j.Stops)
	switch {
	case in.Stop == nil && !estimate && !p.Has("type"):
		p.Add("stop", CodeRequired, Params{"if": "type", "not_equals": EventEstimatedArrival},
			"is required: the index of the route's stop (0 to %d)", n-1)
	case in.Stop != nil && (*in.Stop < 0 || *in.Stop >= n):
		p.OutOfRange("stop", 0, int64(n-1))
	case in.Stop != nil && estimate && *in.Stop != j.LastStop():
		p.Add("stop", CodeInvalidValue, Params{"allowed": []int{j.LastStop()}},
			"an estimated arrival is for the journey's final stop (%d); leave stop out", j.LastStop())
	}
	if estimate && in.Stop == nil {
		last := j.LastStop()
		v.Stop = &last
	}
	if in.Type == EventHeld {
		if in.Reason == nil || strings.TrimSpace(*in.Reason) == "" {
			p.Add("reason", CodeRequired, Params{"if": "type", "equals": EventHeld}, "is required when type is held")
		}
	} else if in.Reason != nil && !p.Has("type") {
		p.Add("reason", CodeInvalidValue, Params{"allowed": []string{}, "if": "type", "equals": EventHeld}, "is given only with type held")
	}
	// Free text is kept as written (full-width punctuation and all), without
	// blank space around it, as a run's cargo is.
	if in.Reason != nil {
		r := strings.TrimSpace(*in.Reason)
		if r != "" {
			CheckLine(p, "reason", r, false, maxReason)
			v.Reason = &r
		}
	}
	if estimate {
		if in.ETA == nil {
			p.Add("eta", CodeRequired, Params{"if": "type", "equals": EventEstimatedArrival}, "is required when type is estimated_arrival")
		} else if t, err := ParseInstant(*in.ETA); err != nil {
			p.AddErr("eta", err)
		} else if t.Before(j.DepartedAt) {
			p.Add("eta", CodeOrder, Params{"other": "departed_at"}, "must not be before the run's departure (%s)", j.DepartedAt.Format(time.RFC3339))
		} else {
			v.ETA = &t
		}
	} else if in.ETA != nil && !p.Has("type") {
		p.Add("eta", CodeInvalidValue, Params{"allowed": []string{}, "if": "type", "equals": EventEstimatedArrival}, "is given only with type estimated_arrival")
	}
	if in.Note != nil {
		if s := strings.TrimSpace(*in.Note); s != "" {
			checkText(p, "note", s, false, maxNote)
			v.Note = &s
		}
	}
	if !j.departed() {
		return v, Errorf(ECONFLICT, "run %d has not departed (status %s): its journey starts when it does", j.RunID, j.Status)
	}
	if p.Has("type") || p.Has("at") || p.Has("stop") {
		return v, nil
	}
	j.checkPlace(v, now, p)
	return v, nil
}

// checkPlace checks an event's instant and stop against the journey.
func (j Journey) checkPlace(v EventValues, now time.Time, p *Problems) {
	switch {
	case v.At.After(now.Add(ClockSkew)):
		p.Add("at", CodeOutOfRange, Params{"max": now.Add(ClockSkew).Format(time.RFC3339), "relative_to": "now"},
			"must not be in the future (the server's clock says %s)", now.Format(time.RFC3339))
		return
	case v.At.Before(j.DepartedAt):
		p.Add("at", CodeOrder, Params{"other": "departed_at"}, "must not be before the run's departure (%s)", j.DepartedAt.Format(time.RFC3339))
		return
	case j.ArrivedAt != nil && (v.At.After(*j.ArrivedAt) || v.Type == EventEstimatedArrival || v.Type == EventArrived && *v.Stop == j.LastStop()):
		p.Add("at", CodeOrder, Params{"other": "arrived_at"}, "the run arrived at %s: its journey is over", j.ArrivedAt.Format(time.RFC3339))
		return
	}
	if v.Type == EventEstimatedArrival {
		return
	}
	stop := *v.Stop
	role := j.Stops[stop].Role
	switch {
	case v.Type == EventDeparted && stop == j.FirstStop():
		p.Add("stop", CodeInvalidValue, Params{"allowed": j.stopsWhere(j.between), "other": "departed_at"},
			"the departure from the first stop is the run's departed_at: change the run to change it")
		return
	case v.Type == EventDeparted && stop == j.LastStop():
		p.Add("stop", CodeInvalidValue, Params{"allowed": j.stopsWhere(j.between)}, "a run does not depart from its final stop")
		return
	case v.Type == EventBorderCrossed && role != RoleBorder:
		p.Add("stop", CodeInvalidValue, Params{"allowed": j.stopsWhere(j.isBorder), "role": role},
			"stop %d (%s) is a %s stop: a border is crossed only at a border stop", stop, j.Stops[stop].Name, role)
		return
	case v.Type == EventGaugeChanged && !j.BreakOfGauge(stop):
		p.Add("stop", CodeInvalidValue, Params{"allowed": j.stopsWhere(j.BreakOfGauge), "gauges_mm": j.gaugesAround(stop)},
			"stop %d (%s) is no break of gauge: the track on both sides is %d mm", stop, j.Stops[stop].Name, Gauge(j.Stops[stop].Country))
		return
	}
	e := Event{Type: v.Type, At: v.At, Stop: v.Stop}
	r := j.rank(e)
	for _, o := range actual(j.Timeline()) {
		if (v.Type == EventArrived || v.Type == EventDeparted) && o.Type == v.Type && *o.Stop == stop {
			p.Add("type", CodeDuplicate, Params{"value": v.Type, "stop": stop},
				"the run already %s stop %d (%s) at %s", pastTense(v.Type), stop, j.Stops[stop].Name, o.At.Format(time.RFC3339))
			return
		}
		or := j.rank(o)
		// At the same instant the journey's order decides (as Timeline sorts).
		if o.At.After(v.At) && or < r || o.At.Before(v.At) && or > r {
			params := Params{"other_stop": *o.Stop, "other_type": o.Type, "other_at": o.At.Format(time.RFC3339)}
			if o.ID != nil {
				params["other_event"] = *o.ID
			}
			p.Add("stop", CodeOrder, params,
				"out of the journey's order: the run was %s at stop %d (%s) at %s (stops are visited in the route's order%s)",
				o.Type, *o.Stop, j.stopName(*o.Stop), o.At.Format(time.RFC3339), reverseNote(j.Direction))
			return
		}
	}
}

// stopsWhere are the indexes of the stops that meet ok.
func (j Journey) stopsWhere(ok func(int) bool) []int {
	out := []int{}
	for i := range j.Stops {
		if ok(i) {
			out = append(out, i)
		}
	}
	return out
}

func (j Journey) between(i int) bool { return i != j.FirstStop() && i != j.LastStop() }

// stopName is stop i's name, or its index when the route has no such stop.
func (j Journey) stopName(i int) string {
	if i < 0 || i >= len(j.Stops) {
		return "#" + strconv.Itoa(i)
	}
	return j.Stops[i].Name
}
func (j Journey) isBorder(i int) bool { return j.Stops[i].Role == RoleBorder }

func pastTense(typ string) string {
	if typ == EventArrived {
		return "arrived at"
	}
	return "departed from"
}

func reverseNote(dir string) string {
	if dir == DirInbound {
		return ", in reverse for inbound runs"
	}
	return ""
}

// Gauge is the usual track gauge of a country's main lines, in mm: the
// 1,520 mm of the former Soviet railways and Mongolia (Finland's 1,524 mm
// runs through with it), Iberia's 1,668 mm, standard 1,435 mm elsewhere.
func Gauge(country string) int {
	switch country {
	case "RU", "KZ", "BY", "MN", "UA", "MD", "UZ", "KG", "TJ", "TM", "AZ", "GE", "AM", "LT", "LV", "EE", "FI":
		return 1520
	case "ES", "PT":
		return 1668
	}
	return 1435
}

// gaugesAround are the gauges at stop i and its neighbours on the route.
func (j Journey) gaugesAround(i int) []int {
	var out []int
	for k := max(0, i-1); k <= min(len(j.Stops)-1, i+1); k++ {
		out = append(out, Gauge(j.Stops[k].Country))
	}
	return out
}

// BreakOfGauge reports whether the track's gauge changes at stop i: it
// differs between the stop and one of its neighbours on the route.
func (j Journey) BreakOfGauge(i int) bool {
	gs := j.gaugesAround(i)
	return slices.Min(gs) != slices.Max(gs)
}

// Days is a duration in days to one decimal, as transit times are given.
func Days(d time.Duration) float64 { return math.Round(d.Hours()/24*10) / 10 }

// Hours is a duration in hours to one decimal.
func Hours(d time.Duration) float64 { return math.Round(d.Hours()*10) / 10 }

// Quantile is the q-quantile (0 ≤ q ≤ 1) of sorted values, interpolated
// linearly between the closest ranks (the method of R's type 7 and
// NumPy's default). It answers 0 for no values.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	h := q * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// MedianDuration is the median of durations (nil for none).
func MedianDuration(ds []time.Duration) *time.Duration {
	if len(ds) == 0 {
		return nil
	}
	vs := make([]float64, len(ds))
	for i, d := range ds {
		vs[i] = float64(d)
	}
	sort.Float64s(vs)
	m := time.Duration(math.Round(Quantile(vs, 0.5)))
	return &m
}

// RunDetail is a run with where it is and when it will arrive.
type RunDetail struct {
	Run
	Position Position `json:"position"`
	// ETA is the expected arrival at the final stop while the run is
	// planned or on its way, null once it has arrived or when nothing
	// supports an estimate; ETABasis says where it comes from.
	ETA      *time.Time `json:"eta"`
	ETABasis *string    `json:"eta_basis"`
	// TransitDays is the journey's time once arrived, in days to one
	// decimal.
	TransitDays *float64 `json:"transit_days"`
}

// Detail completes a run with its journey's position and ETA; history are
// the transit times of the latest arrivals on its route and direction
// (ETAHistoryRuns at most).
func (j Journey) Detail(r Run, history []time.Duration) RunDetail {
	d := RunDetail{Run: r, Position: j.Position()}
	switch {
	case r.Status == StatusArrived && r.ArrivedAt != nil:
		t := Days(r.ArrivedAt.Sub(r.DepartedAt))
		d.TransitDays = &t
	case r.Status == StatusCancelled:
	case j.OperatorETA() != nil && r.Status == StatusDeparted:
		d.ETA, d.ETABasis = inLoc(j.OperatorETA(), r.DepartedAt.Location()), ptr(ETAOperator)
	default:
		if m := MedianDuration(history); m != nil {
			t := r.DepartedAt.Add(*m)
			d.ETA, d.ETABasis = &t, ptr(ETARouteHistory)
		}
	}
	return d
}

func ptr[T any](v T) *T { return &v }

func inLoc(t *time.Time, loc *time.Location) *time.Time {
	u := t.In(loc)
	return &u
}

// CheckRunChange adds to p what a change of the run (to v) would break in
// its stored journey: the route, the direction and a departed or arrived
// status are fixed while it has events, its departure must stay before
// them and its arrival after them.
func (j Journey) CheckRunChange(v RunValues, route string, curRoute string, p *Problems) {
	var first, last *Event
	var lateETA *Event // the estimate with the earliest ETA
	for i := range j.Events {
		e := &j.Events[i]
		// Every event, estimates too, was given after the departure.
		if first == nil || e.At.Before(first.At) {
			first = e
		}
		if e.Type == EventEstimatedArrival {
			if e.ETA != nil && (lateETA == nil || e.ETA.Before(*lateETA.ETA)) {
				lateETA = e
			}
			continue
		}
		if last == nil || e.At.After(last.At) {
			last = e
		}
	}
	if len(j.Events) == 0 {
		return
	}
	n := len(j.Events)
	if route != curRoute {
		p.Add("route", CodeConflict, Params{"resource": "run_event", "count": n},
			"cannot change while the run has %d journey events: they name the route's stops; delete them first", n)
	}
	if v.Direction != j.Direction {
		p.Add("direction", CodeConflict, Params{"resource": "run_event", "count": n},
			"cannot change while the run has %d journey events; delete them first", n)
	}
	if v.Status == StatusPlanned || v.Status == StatusCancelled {
		p.Add("status", CodeConflict, Params{"resource": "run_event", "count": n},
			"cannot be %s while the run has %d journey events; delete them first", v.Status, n)
	}
	switch {
	case first != nil && v.DepartedAt.After(first.At):
		p.Add("departed_at", CodeOrder, Params{"before": first.At.Format(time.RFC3339), "other_event": *first.ID},
			"must not be after the journey's first event (%s at stop %d, %s)", first.Type, *first.Stop, first.At.Format(time.RFC3339))
	case lateETA != nil && v.DepartedAt.After(*lateETA.ETA):
		p.Add("departed_at", CodeOrder, Params{"before": lateETA.ETA.Format(time.RFC3339), "other_event": *lateETA.ID},
			"must not be after the arrival an operator estimated (%s)", lateETA.ETA.Format(time.RFC3339))
	}
	if last != nil && v.ArrivedAt != nil && v.ArrivedAt.Before(last.At) {
		p.Add("arrived_at", CodeOrder, Params{"min": last.At.Format(time.RFC3339), "other_event": *last.ID},
			"must not be before the journey's latest event (%s at stop %d, %s)", last.Type, *last.Stop, last.At.Format(time.RFC3339))
	}
}

// Dwell is how long a run stood at each border stop: from its arrival
// there to the last crossing or gauge change there, by stop index.
func (j Journey) Dwell() map[int]time.Duration {
	arrived := map[int]time.Time{}
	done := map[int]time.Time{}
	for _, e := range j.Events {
		if e.Stop == nil || *e.Stop < 0 || *e.Stop >= len(j.Stops) || j.Stops[*e.Stop].Role != RoleBorder {
			continue
		}
		switch e.Type {
		case EventArrived:
			arrived[*e.Stop] = e.At
		case EventBorderCrossed, EventGaugeChanged:
			if t, ok := done[*e.Stop]; !ok || e.At.After(t) {
				done[*e.Stop] = e.At
			}
		}
	}
	out := map[int]time.Duration{}
	for s, a := range arrived {
		if d, ok := done[s]; ok && !d.Before(a) {
			out[s] = d.Sub(a)
		}
	}
	return out
}

// Transit is what a route's arrived runs took, over a period.
type Transit struct {
	Route     string  `json:"route"`
	Direction *string `json:"direction"`
	// From and To are the arrival days (reporting time zone) it covers,
	// null where the query left them open.
	From *string `json:"from"`
	To   *string `json:"to"`
	// Runs is how many arrived runs it covers; the figures are null when
	// it is 0.
	Runs               int      `json:"runs"`
	MedianDays         *float64 `json:"median_days"`
	P10Days            *float64 `json:"p10_days"`
	P90Days            *float64 `json:"p90_days"`
	PlannedTransitDays *float64 `json:"planned_transit_days"`
	// WithinPlan is the share (0–1, three decimals) of the runs whose
	// transit was at most the planned days; null without a plan or runs.
	WithinPlan *float64      `json:"within_plan"`
	Borders    []BorderDwell `json:"borders"`
}

// BorderDwell is the median dwell at one border stop, over the runs seen
// arriving and crossing there.
type BorderDwell struct {
	Stop             StopRef `json:"stop"`
	Runs             int     `json:"runs"`
	MedianDwellHours float64 `json:"median_dwell_hours"`
}

// TransitOf computes the figures of transit times (each arrived run's,
// in any order) and dwells (per border stop, one per run seen there).
func TransitOf(t Transit, stops []Stop, times []time.Duration, dwell map[int][]time.Duration) Transit {
	t.Runs = len(times)
	t.Borders = []BorderDwell{}
	if len(times) > 0 {
		days := make([]float64, len(times))
		within := 0
		var plan time.Duration
		if t.PlannedTransitDays != nil {
			// In whole seconds: 10.1 days is 872,640 s, not a float a hair above.
			plan = time.Duration(math.Round(*t.PlannedTransitDays*86400)) * time.Second
		}
		for i, d := range times {
			days[i] = d.Hours() / 24
			if t.PlannedTransitDays != nil && d <= plan {
				within++
			}
		}
		sort.Float64s(days)
		r1 := func(v float64) *float64 { v = math.Round(v*10) / 10; return &v }
		t.MedianDays, t.P10Days, t.P90Days = r1(Quantile(days, 0.5)), r1(Quantile(days, 0.1)), r1(Quantile(days, 0.9))
		if t.PlannedTransitDays != nil {
			s := math.Round(float64(within)/float64(len(times))*1000) / 1000
			t.WithinPlan = &s
		}
	}
	for i, st := range stops {
		ds := dwell[i]
		if st.Role != RoleBorder || len(ds) == 0 {
			continue
		}
		t.Borders = append(t.Borders, BorderDwell{
			Stop:             StopRef{Index: i, Name: st.Name, Locode: st.Locode, Country: st.Country, Role: st.Role},
			Runs:             len(ds),
			MedianDwellHours: Hours(*MedianDuration(ds)),
		})
	}
	return t
}

// TransitTimes are the median transit times of the runs that arrived in a
// period: by direction, and by route and direction.
type TransitTimes struct {
	Outbound *DirectionTransit `json:"outbound"`
	Inbound  *DirectionTransit `json:"inbound"`
	// Routes are in order of arrivals, most first, then by code and
	// direction.
	Routes []RouteTransit `json:"routes"`
}

// DirectionTransit is the median transit time of one direction's arrivals.
type DirectionTransit struct {
	Runs       int     `json:"runs"`
	MedianDays float64 `json:"median_days"`
}

// RouteTransit is the median transit time of a route's arrivals in one
// direction.
type RouteTransit struct {
	Route      string  `json:"route"`
	Name       string  `json:"name"`
	NameZh     *string `json:"name_zh"`
	Direction  string  `json:"direction"`
	Runs       int     `json:"runs"`
	MedianDays float64 `json:"median_days"`
}

// ArrivedRun is what transit times need of an arrived run.
type ArrivedRun struct {
	Route, Name string
	NameZh      *string
	Direction   string
	Transit     time.Duration
}

// TransitTimesOf computes the medians of arrived runs.
func TransitTimesOf(runs []ArrivedRun) TransitTimes {
	out := TransitTimes{Routes: []RouteTransit{}}
	byDir := map[string][]time.Duration{}
	type key struct{ route, dir string }
	byRoute := map[key][]time.Duration{}
	names := map[string]ArrivedRun{}
	for _, r := range runs {
		byDir[r.Direction] = append(byDir[r.Direction], r.Transit)
		byRoute[key{r.Route, r.Direction}] = append(byRoute[key{r.Route, r.Direction}], r.Transit)
		names[r.Route] = r
	}
	median := func(ds []time.Duration) float64 { return Days(*MedianDuration(ds)) }
	if ds := byDir[DirOutbound]; len(ds) > 0 {
		out.Outbound = &DirectionTransit{Runs: len(ds), MedianDays: median(ds)}
	}
	if ds := byDir[DirInbound]; len(ds) > 0 {
		out.Inbound = &DirectionTransit{Runs: len(ds), MedianDays: median(ds)}
	}
	for k, ds := range byRoute {
		n := names[k.route]
		out.Routes = append(out.Routes, RouteTransit{Route: k.route, Name: n.Name, NameZh: n.NameZh, Direction: k.dir,
			Runs: len(ds), MedianDays: median(ds)})
	}
	SortRouteTransit(out.Routes)
	return out
}

// SortRouteTransit orders routes' medians as the totals give them: most
// runs first, then by route code, outbound first.
func SortRouteTransit(routes []RouteTransit) {
	sort.Slice(routes, func(i, j int) bool {
		a, b := routes[i], routes[j]
		if a.Runs != b.Runs {
			return a.Runs > b.Runs
		}
		if a.Route != b.Route {
			return a.Route < b.Route
		}
		return a.Direction > b.Direction // outbound first
	})
}
