package app

import (
	"math/rand/v2"
	"time"

	"banlie/models"
)

// The demo's journeys: events at each stop of its rail runs, generated
// from their own random stream (so the runs, and every figure drawn from
// them, are the same with or without journeys). A train stops a few hours
// at a transit stop; at a border it waits for customs and, where the
// gauge breaks (1,435 ↔ 1,520 mm), for the containers' transshipment or
// the wheelset change — a day or two, up to four at Małaszewicze, longer in
// winter. Trains still on their way at the data set's end have the events
// until then and an operator's estimate of the arrival.

// demoJourneySeed seeds the journeys' stream.
const demoJourneySeed = 0x6a6f75726e6579

// demoJourney is the events of run i of the demo data.
type demoJourney struct {
	run    int
	events []models.EventInput
}

func (g *demoGen) journeys(routes []models.RouteInput, runs []models.RunInput) []demoJourney {
	rng := rand.New(rand.NewPCG(demoJourneySeed, demoSeedB))
	stops := map[string][]models.Stop{}
	days := map[string][2]int{}
	for _, r := range routes {
		if r.Mode == "rail" {
			stops[r.Code] = r.Stops
		}
	}
	for _, r := range demoRailRoutes {
		days[r.code] = r.days
	}
	var out []demoJourney
	for i, in := range runs {
		st, ok := stops[in.Route]
		if !ok || (in.Status != models.StatusDeparted && in.Status != models.StatusArrived) {
			continue
		}
		dep, err := time.Parse(time.RFC3339, in.DepartedAt)
		if err != nil {
			continue
		}
		var total time.Duration
		if in.ArrivedAt != nil {
			arr, err := time.Parse(time.RFC3339, *in.ArrivedAt)
			if err != nil {
				continue
			}
			total = arr.Sub(dep)
		} else {
			d := days[in.Route]
			total = time.Duration(d[0]*24+rng.IntN((d[1]-d[0]+1)*24)) * time.Hour
		}
		evs := g.journeyEvents(rng, st, in.Direction, dep, total, in.ArrivedAt == nil)
		if len(evs) > 0 {
			out = append(out, demoJourney{run: i, events: evs})
		}
	}
	return out
}

// journeyEvents lays a journey of total duration over the stops (in the
// run's direction); open journeys stop at the data set's end.
func (g *demoGen) journeyEvents(rng *rand.Rand, stops []models.Stop, dir string, dep time.Time, total time.Duration, open bool) []models.EventInput {
	n := len(stops)
	order := make([]int, n)
	for k := range order {
		order[k] = k
		if dir == models.DirInbound {
			order[k] = n - 1 - k
		}
	}
	winter := dep.Month() == time.December || dep.Month() <= time.February
	type stay struct {
		gauge, border bool
		dwell         time.Duration
		held          string
	}
	stays := make([]stay, n) // by journey position; the ends have none
	var dwellSum time.Duration
	for k := 1; k < n-1; k++ {
		s := stops[order[k]]
		st := stay{border: s.Role == models.RoleBorder}
		st.gauge = st.border && models.Gauge(s.Country) != models.Gauge(stops[order[k-1]].Country)
		hours := 2 + rng.IntN(5) // a transit stop: crew and locomotive change
		switch {
		case st.gauge && s.Name == "Małaszewicze":
			hours = 24 + rng.IntN(73)
		case st.gauge:
			hours = 12 + rng.IntN(37)
		case st.border:
			hours = 4 + rng.IntN(13)
		}
		if winter && st.border {
			hours = hours * 7 / 5
		}
		if st.border && rng.IntN(100) < 6 {
			st.held = demoHoldReasons[rng.IntN(len(demoHoldReasons))]
			hours += 12 + rng.IntN(25)
		}
		st.dwell = time.Duration(hours)*time.Hour + time.Duration(rng.IntN(60))*time.Minute // whole minutes
		stays[k] = st
		dwellSum += st.dwell
	}
	if dwellSum > total*6/10 { // a short journey keeps most of its time moving
		scaled := time.Duration(0)
		for k := 1; k < n-1; k++ {
			stays[k].dwell = max(time.Hour, (stays[k].dwell * (total * 6 / 10) / dwellSum).Truncate(time.Minute))
			scaled += stays[k].dwell
		}
		dwellSum = scaled
	}
	// What is left is moving time, shared by the legs with some jitter.
	legs := n - 1
	w := make([]int, legs)
	sum := 0
	for k := range w {
		w[k] = 8 + rng.IntN(5)
		sum += w[k]
	}
	moving := total - dwellSum - time.Duration(n-2)*30*time.Minute
	var out []models.EventInput
	t := dep
	add := func(typ string, at time.Time, k int, reason string) bool {
		if open && at.After(g.asOf) {
			return false
		}
		stop := order[k]
		e := models.EventInput{Type: typ, At: g.format(at), Stop: &stop}
		if reason != "" {
			e.Reason = &reason
		}
		out = append(out, e)
		return true
	}
	for k := 1; k < n; k++ {
		t = t.Add(moving * time.Duration(w[k-1]) / time.Duration(sum)).Truncate(time.Minute)
		if k == n-1 {
			break // the final arrival is the run's own
		}
		st := stays[k]
		if !add(models.EventArrived, t, k, "") {
			break
		}
		done := t.Add(st.dwell)
		if st.held != "" && !add(models.EventHeld, t.Add(st.dwell/4).Truncate(time.Minute), k, st.held) {
			break
		}
		if st.gauge && !add(models.EventGaugeChanged, t.Add(st.dwell*4/5).Truncate(time.Minute), k, "") {
			break
		}
		if st.border && !add(models.EventBorderCrossed, done, k, "") {
			break
		}
		if !add(models.EventDeparted, done.Add(30*time.Minute), k, "") {
			break
		}
		t = done.Add(30 * time.Minute)
	}
	if open {
		eta := g.format(dep.Add(total))
		at := dep.Add(total / 3)
		if at.After(g.asOf) {
			at = g.asOf
		}
		out = append(out, models.EventInput{Type: models.EventEstimatedArrival, At: g.format(at), ETA: &eta})
	}
	return out
}

// demoHoldReasons are why a demo train waits longer at a border.
var demoHoldReasons = []string{
	"wagon shortage at the transfer yard",
	"customs inspection of the consignment",
	"snow on the line",
	"congestion at the transshipment terminal",
	"waiting for a locomotive",
}
