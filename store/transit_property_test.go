package store_test

import (
	"fmt"
	"math/big"
	"sort"
	"testing"
	"time"

	"banlie/models"
	"banlie/store/storetest"

	"pgregory.net/rapid"
)

// transitStops: Qingdao, the border pair Manzhouli (CN) / Zabaikalsk (RU),
// Chita and Moscow.
var transitStops = []models.Stop{
	{Name: "Qingdao", Country: "CN", Role: models.RoleOrigin},
	{Name: "Manzhouli", Country: "CN", Role: models.RoleBorder},
	{Name: "Zabaikalsk", Country: "RU", Role: models.RoleBorder},
	{Name: "Chita", Country: "RU", Role: models.RoleTransit},
	{Name: "Moscow", Country: "RU", Role: models.RoleDestination},
}

// propJourney is one generated run: its departure, its transit time and
// dwells in minutes, and whether it arrived.
type propJourney struct {
	dir     string
	dep     time.Time
	transit int         // minutes
	dwell   map[int]int // border stop → minutes from arrival to its last crossing
	arrived bool
}

// TestTransitMatchesIndependentComputation: on random journeys, the transit
// figures of a route equal the ones computed here from the generated
// journeys alone, with exact arithmetic (quantiles as R's type 7, the
// median as the middle value or the mean of the middle two).
func TestTransitMatchesIndependentComputation(t *testing.T) {
	storetest.SetRapidChecks(t, 15)
	t.Parallel()
	for _, b := range storetest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			e := openEnv(t, b)
			n := 0
			rapid.Check(t, func(rt *rapid.T) {
				n++
				code := fmt.Sprintf("P-%d", n)
				tenths := rapid.IntRange(50, 250).Draw(rt, "planned tenths of days")
				planned := float64(tenths) / 10
				in := models.RouteInput{Code: code, Name: code, Mode: "rail", Stops: transitStops, PlannedTransitDays: &planned}
				if _, err := e.st.CreateRoute(e.ctx, e.w, in); err != nil {
					rt.Fatal(err)
				}
				var js []propJourney
				for i := range rapid.IntRange(0, 14).Draw(rt, "runs") {
					js = append(js, e.propJourney(rt, code, i))
				}
				var dir *string
				if d := rapid.SampledFrom([]string{"", models.DirOutbound, models.DirInbound}).Draw(rt, "direction"); d != "" {
					dir = &d
				}
				var from, to *models.Day
				if rapid.Bool().Draw(rt, "from") {
					d := models.DayOf(storetest.DefaultNow, shanghai).Add(-rapid.IntRange(0, 60).Draw(rt, "from days ago"))
					from = &d
				}
				if rapid.Bool().Draw(rt, "to") {
					d := models.DayOf(storetest.DefaultNow, shanghai).Add(-rapid.IntRange(0, 60).Draw(rt, "to days ago"))
					to = &d
				}
				got, err := e.st.RouteTransit(e.ctx, code, dir, from, to)
				if err != nil {
					rt.Fatal(err)
				}
				checkTransit(rt, got, js, dir, from, to, tenths)
			})
		})
	}
}

// propJourney logs run i of route code: departed some 10–60 days before the
// store's clock, with arrivals and crossings at the border stops, and
// arrived unless its arrival would lie ahead of the clock.
func (e *env) propJourney(rt *rapid.T, code string, i int) propJourney {
	j := propJourney{dir: rapid.SampledFrom(models.Directions).Draw(rt, "direction"), dwell: map[int]int{}}
	j.dep = storetest.DefaultNow.Add(-time.Duration(rapid.IntRange(10*1440, 60*1440).Draw(rt, "departure minutes ago")) * time.Minute)
	j.transit = rapid.IntRange(2*1440, 30*1440).Draw(rt, "transit minutes")
	run, err := e.st.CreateRun(e.ctx, e.w, models.RunInput{Route: code, Number: fmt.Sprintf("T%d", i), Direction: j.dir,
		DepartedAt: j.dep.Format(time.RFC3339), Status: models.StatusDeparted, Containers: ptr(10), TEU: ptr(20)})
	if err != nil {
		rt.Fatal(err)
	}
	// The border stops in journey order.
	borders := []int{1, 2}
	if j.dir == models.DirInbound {
		borders = []int{2, 1}
	}
	t := j.dep
	step := j.transit / 6
	for _, stop := range borders {
		t = t.Add(time.Duration(rapid.IntRange(1, step).Draw(rt, "leg minutes")) * time.Minute)
		if !rapid.Bool().Draw(rt, "arrival logged") || t.After(storetest.DefaultNow) {
			continue
		}
		arr := t
		evs := []models.EventInput{{Type: models.EventArrived, At: arr.Format(time.RFC3339), Stop: ptr(stop)}}
		last := 0
		for _, typ := range []string{models.EventBorderCrossed, models.EventGaugeChanged} {
			if !rapid.Bool().Draw(rt, typ) {
				continue
			}
			m := rapid.IntRange(0, step).Draw(rt, "minutes to "+typ)
			if arr.Add(time.Duration(m) * time.Minute).After(storetest.DefaultNow) {
				continue
			}
			evs = append(evs, models.EventInput{Type: typ, At: arr.Add(time.Duration(m) * time.Minute).Format(time.RFC3339), Stop: ptr(stop)})
			if len(evs) == 2 || m > last {
				last = m
			}
			t = maxTime(t, arr.Add(time.Duration(m)*time.Minute))
		}
		// Events at one stop go in the order they happened.
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].At < evs[b].At })
		if _, err := e.st.CreateEvents(e.ctx, e.w, run.ID, evs); err != nil {
			rt.Fatalf("journey of %s: %v", run.Number, err)
		}
		if len(evs) > 1 {
			j.dwell[stop] = last
		}
	}
	arr := j.dep.Add(time.Duration(j.transit) * time.Minute)
	if !arr.After(storetest.DefaultNow) && !arr.Before(t) {
		j.arrived = true
		if _, err := e.st.UpdateRun(e.ctx, e.w, run.ID, models.RunPatch{Status: ptr(models.StatusArrived),
			ArrivedAt: models.Opt[string]{Set: true, Value: ptr(arr.Format(time.RFC3339))}}); err != nil {
			rt.Fatalf("arrival of %s: %v", run.Number, err)
		}
	}
	return j
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func checkTransit(rt *rapid.T, got models.Transit, js []propJourney, dir *string, from, to *models.Day, plannedTenths int) {
	var minutes []int
	dwell := map[int][]int{}
	within := 0
	for _, j := range js {
		if !j.arrived || dir != nil && j.dir != *dir {
			continue
		}
		day := models.DayOf(j.dep.Add(time.Duration(j.transit)*time.Minute), shanghai)
		if from != nil && day.Before(*from) || to != nil && to.Before(day) {
			continue
		}
		minutes = append(minutes, j.transit)
		if j.transit*10 <= plannedTenths*1440 {
			within++
		}
		for stop, m := range j.dwell {
			dwell[stop] = append(dwell[stop], m)
		}
	}
	if got.Runs != len(minutes) {
		rt.Fatalf("runs %d, want %d", got.Runs, len(minutes))
	}
	if len(minutes) == 0 {
		if got.MedianDays != nil || got.P10Days != nil || got.P90Days != nil || got.WithinPlan != nil {
			rt.Fatalf("figures without runs: %+v", got)
		}
		return
	}
	sort.Ints(minutes)
	days := big.NewRat(1, 1440)
	wantRounded(rt, "median_days", got.MedianDays, new(big.Rat).Mul(middle(minutes), days), 10)
	wantRounded(rt, "p10_days", got.P10Days, new(big.Rat).Mul(type7(minutes, big.NewRat(1, 10)), days), 10)
	wantRounded(rt, "p90_days", got.P90Days, new(big.Rat).Mul(type7(minutes, big.NewRat(9, 10)), days), 10)
	wantRounded(rt, "within_plan", got.WithinPlan, big.NewRat(int64(within), int64(len(minutes))), 1000)
	var stops []int
	for s := range dwell {
		stops = append(stops, s)
	}
	sort.Ints(stops)
	if len(got.Borders) != len(stops) {
		rt.Fatalf("borders %+v, want dwell at stops %v", got.Borders, stops)
	}
	for i, s := range stops {
		b := got.Borders[i]
		sort.Ints(dwell[s])
		if b.Stop.Index != s || b.Runs != len(dwell[s]) {
			rt.Fatalf("border %d: %+v, want stop %d with %d runs", i, b, s, len(dwell[s]))
		}
		h := b.MedianDwellHours
		wantRounded(rt, fmt.Sprintf("dwell hours at stop %d", s), &h, new(big.Rat).Mul(middle(dwell[s]), big.NewRat(1, 60)), 10)
	}
}

// middle is the median by its definition: the middle value, or the mean
// of the middle two.
func middle(sorted []int) *big.Rat {
	n := len(sorted)
	if n%2 == 1 {
		return big.NewRat(int64(sorted[n/2]), 1)
	}
	return big.NewRat(int64(sorted[n/2-1]+sorted[n/2]), 2)
}

// type7 is the q-quantile interpolated between the ranks around 1+(n−1)q.
func type7(sorted []int, q *big.Rat) *big.Rat {
	h := new(big.Rat).Mul(q, big.NewRat(int64(len(sorted)-1), 1))
	lo := new(big.Int).Quo(h.Num(), h.Denom()).Int64()
	if int(lo) >= len(sorted)-1 {
		return big.NewRat(int64(sorted[len(sorted)-1]), 1)
	}
	frac := new(big.Rat).Sub(h, big.NewRat(lo, 1))
	diff := big.NewRat(int64(sorted[lo+1]-sorted[lo]), 1)
	return new(big.Rat).Add(big.NewRat(int64(sorted[lo]), 1), frac.Mul(frac, diff))
}

// wantRounded checks got against exact rounded to 1/scale, half away from
// zero; on an exact half, floating point may round either way.
func wantRounded(rt *rapid.T, what string, got *float64, exact *big.Rat, scale int64) {
	if got == nil {
		rt.Fatalf("%s is null, want %s", what, exact.FloatString(4))
	}
	x := new(big.Rat).Mul(exact, big.NewRat(scale, 1))
	floor := new(big.Int).Quo(x.Num(), x.Denom())
	frac := new(big.Rat).Sub(x, new(big.Rat).SetInt(floor))
	lo, _ := new(big.Rat).SetFrac(floor, big.NewInt(scale)).Float64()
	hi, _ := new(big.Rat).SetFrac(new(big.Int).Add(floor, big.NewInt(1)), big.NewInt(scale)).Float64()
	half := big.NewRat(1, 2)
	ok := false
	switch c := frac.Cmp(half); {
	case c < 0:
		ok = *got == lo
	case c > 0:
		ok = *got == hi
	default:
		ok = *got == lo || *got == hi
	}
	if !ok {
		rt.Fatalf("%s = %v, want %s rounded to 1/%d", what, *got, exact.FloatString(6), scale)
	}
}
