package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"banlie/models"
	"banlie/store/storetest"

	"pgregory.net/rapid"
)

// TestRollupIncrementalMatchesFull writes random runs and sea-rail counts
// (creates; updates that move runs across days, months, years, routes,
// directions and statuses; deletes; a route changing mode), moves the clock on
// so that planned departures pass, and rolls up incrementally after each
// batch. After every roll-up each figure MonthlyTotals and YearlyTotals answer
// for 2024–2026, in every scope and direction, must equal an independent count
// from the rows the test wrote. At the end a full rebuild must find nothing
// wrong (drift 0) and leave every answer as it was.
//
// The number of checks per backend defaults to 20 (-rapid.checks or
// RAPID_CHECKS override it); each check starts from empty tables.
func TestRollupIncrementalMatchesFull(t *testing.T) {
	storetest.SetRapidChecks(t, 20)
	t.Parallel()
	for _, b := range storetest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			e := openEnv(t, b)
			for _, r := range propRoutes {
				e.mustRoute(t, r.code, r.mode)
			}
			rapid.Check(t, func(rt *rapid.T) {
				p := newRollupProp(rt, e)
				for batch := range rapid.IntRange(1, 4).Draw(rt, "batches") {
					for range rapid.IntRange(1, 24).Draw(rt, "ops") {
						p.step()
					}
					p.clockOn()
					if _, err := e.st.Rollup(context.Background(), false); err != nil {
						rt.Fatal(err)
					}
					p.rolledAt = e.clock.Now()
					p.verify(fmt.Sprintf("after incremental roll-up %d", batch+1))
				}
				p.verifyRows()
				before := p.answers()
				st, err := e.st.Rollup(context.Background(), true)
				if err != nil {
					rt.Fatal(err)
				}
				if st.Drift != 0 || !st.Full {
					rt.Fatalf("full rebuild after incremental roll-ups: %+v, want drift 0", st)
				}
				if after := p.answers(); !reflect.DeepEqual(before, after) {
					rt.Fatalf("the full rebuild changed the answers:\nbefore %+v\nafter  %+v", before, after)
				}
			})
		})
	}
}

var propRoutes = []struct{ code, mode string }{{"P-RAIL-1", "rail"}, {"P-RAIL-2", "rail"}, {"P-SEA", "sea_rail"}}

// The model: what the test believes is stored.

type propRun struct {
	id, containers, teu int64
	route, number, dir  string
	status              string
	dep                 time.Time
}

type propSea struct {
	id              int64
	date, port, dir string
	teu             int64
}

type rollupProp struct {
	rt       *rapid.T
	e        *env
	mode     map[string]string // route code → mode
	runs     []*propRun
	sea      []*propSea
	n        int       // numbers given so far
	rolledAt time.Time // the last roll-up's now
}

func newRollupProp(rt *rapid.T, e *env) *rollupProp {
	db := e.st.DB()
	for _, table := range []string{"runs", "sea_rail_counts", "rollup_daily", "rollup_monthly", "rollup_dirty"} {
		if err := db.Exec("DELETE FROM " + table).Error; err != nil {
			rt.Fatal(err)
		}
	}
	// Every check starts at the same time, rolled up (over nothing): before
	// the departures drawn around the new year, which pass as the clock moves on.
	e.clock.Set(time.Date(2025, 12, 10, 12, 0, 0, 0, shanghai))
	if _, err := e.st.Rollup(context.Background(), true); err != nil {
		rt.Fatal(err)
	}
	p := &rollupProp{rt: rt, e: e, mode: map[string]string{}, rolledAt: e.clock.Now()}
	for _, r := range propRoutes {
		got, err := e.st.GetRoute(context.Background(), r.code)
		if err != nil {
			rt.Fatal(err)
		}
		p.mode[r.code] = got.Mode
	}
	return p
}

// instant draws a departure: half of them in the 40 days after the clock's
// start (to come, across the turn of 2025/2026, passing as the clock moves
// on), the others in 2024–2025, at any minute of the (UTC) day, so that many
// fall on another day, month or year in the reporting zone.
func (p *rollupProp) instant(label string) time.Time {
	base, days := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 731
	if rapid.Bool().Draw(p.rt, label+" near the clock") {
		base, days = time.Date(2025, 12, 10, 0, 0, 0, 0, time.UTC), 40
	}
	d := rapid.IntRange(0, days-1).Draw(p.rt, label+" day")
	m := rapid.IntRange(0, 24*60-1).Draw(p.rt, label+" minute")
	return base.AddDate(0, 0, d).Add(time.Duration(m) * time.Minute)
}

func (p *rollupProp) day(label string) string {
	return models.DayOf(p.instant(label), time.UTC).String()
}

func (p *rollupProp) load(label string) (int64, int64) {
	c := rapid.IntRange(0, 60).Draw(p.rt, label+" containers")
	return int64(c), int64(c + rapid.IntRange(0, c*3/2).Draw(p.rt, label+" teu extra"))
}

func arrival(dep time.Time) *string {
	s := dep.Add(48 * time.Hour).Format(time.RFC3339)
	return &s
}

func (p *rollupProp) step() {
	ctx := p.e.ctx
	st := p.e.st
	switch op := rapid.IntRange(0, 13).Draw(p.rt, "op"); {
	case op <= 2 || len(p.runs) == 0: // create a run
		p.n++
		r := &propRun{route: rapid.SampledFrom(routeCodes()).Draw(p.rt, "route"), number: fmt.Sprintf("T%d", p.n),
			dir:    rapid.SampledFrom(models.Directions).Draw(p.rt, "direction"),
			status: rapid.SampledFrom([]string{models.StatusDeparted, models.StatusDeparted, models.StatusArrived, models.StatusPlanned, models.StatusCancelled}).Draw(p.rt, "status"),
			dep:    p.instant("departure")}
		r.containers, r.teu = p.load("run")
		c, teu := int(r.containers), int(r.teu)
		in := models.RunInput{Route: r.route, Number: r.number, Direction: r.dir, DepartedAt: r.dep.Format(time.RFC3339), Status: r.status,
			Containers: &c, TEU: &teu}
		if r.status == models.StatusArrived {
			in.ArrivedAt = arrival(r.dep)
		}
		got, err := st.CreateRun(ctx, p.e.w, in)
		if p.refused(r) {
			if models.ErrorCode(err) != models.EINVALID {
				p.rt.Fatalf("create run %+v at %s: %v, want it refused (in the future)", in, p.e.clock.Now(), err)
			}
			return
		}
		if err != nil {
			p.rt.Fatalf("create run %+v: %v", in, err)
		}
		r.id = got.ID
		p.runs = append(p.runs, r)
	case op <= 5: // update a run: any of its values
		r := rapid.SampledFrom(p.runs).Draw(p.rt, "run")
		old := *r
		var patch models.RunPatch
		if rapid.Bool().Draw(p.rt, "move") {
			if rapid.Bool().Draw(p.rt, "move near") {
				r.dep = r.dep.Add(time.Duration(rapid.IntRange(-3*24*60, 3*24*60).Draw(p.rt, "minutes")) * time.Minute)
			} else {
				r.dep = p.instant("new departure")
			}
			patch.DepartedAt = ptr(r.dep.Format(time.RFC3339))
		}
		if rapid.Bool().Draw(p.rt, "change status") {
			r.status = rapid.SampledFrom(models.Statuses).Draw(p.rt, "new status")
			patch.Status = &r.status
		}
		if rapid.Bool().Draw(p.rt, "change load") {
			r.containers, r.teu = p.load("new")
			patch.Containers, patch.TEU = ptr(int(r.containers)), ptr(int(r.teu))
		}
		if rapid.Bool().Draw(p.rt, "change route") {
			r.route = rapid.SampledFrom(routeCodes()).Draw(p.rt, "new route")
			patch.Route = &r.route
		}
		if rapid.Bool().Draw(p.rt, "change direction") {
			r.dir = rapid.SampledFrom(models.Directions).Draw(p.rt, "new direction")
			patch.Direction = &r.dir
		}
		if r.status == models.StatusArrived {
			patch.ArrivedAt = models.Opt[string]{Set: true, Value: arrival(r.dep)}
		} else {
			patch.ArrivedAt = models.Opt[string]{Set: true}
		}
		_, err := st.UpdateRun(ctx, p.e.w, r.id, patch)
		if p.refused(r) {
			if models.ErrorCode(err) != models.EINVALID {
				p.rt.Fatalf("update run %d with %+v at %s: %v, want it refused (in the future)", r.id, patch, p.e.clock.Now(), err)
			}
			*r = old
			return
		}
		if err != nil {
			p.rt.Fatalf("update run %d with %+v: %v", r.id, patch, err)
		}
	case op <= 7: // delete a run
		i := rapid.IntRange(0, len(p.runs)-1).Draw(p.rt, "run index")
		if err := st.DeleteRun(ctx, p.e.w, p.runs[i].id); err != nil {
			p.rt.Fatal(err)
		}
		p.runs = slices.Delete(p.runs, i, i+1)
	case op <= 9: // change a route's mode: every day of its runs moves
		code := rapid.SampledFrom(routeCodes()).Draw(p.rt, "route to change")
		modes := slices.DeleteFunc([]string{"rail", "sea_rail", "road"}, func(m string) bool { return m == p.mode[code] })
		mode := rapid.SampledFrom(modes).Draw(p.rt, "new mode")
		if _, err := st.UpdateRoute(ctx, p.e.w, code, models.RoutePatch{Mode: &mode}); err != nil {
			p.rt.Fatal(err)
		}
		p.mode[code] = mode
	default: // sea-rail counts: create, update or delete
		p.seaStep()
	}
}

// refused mirrors the calendar guards (models.RunValues.CheckCalendar):
// a run that has departed or arrived did so by now give or take the clock
// skew, its arrival too, and nothing is logged more than a year ahead.
func (p *rollupProp) refused(r *propRun) bool {
	now := p.e.clock.Now()
	latest := now.Add(models.ClockSkew)
	switch {
	case r.dep.After(now.UTC().AddDate(models.MaxPlanYears, 0, 0)):
		return true
	case r.status == models.StatusDeparted && r.dep.After(latest):
		return true
	case r.status == models.StatusArrived && r.dep.Add(48*time.Hour).After(latest):
		return true
	}
	return false
}

// seaFuture reports whether a count's date is after today (reporting zone).
func (p *rollupProp) seaFuture(date string) bool {
	return date > models.DayOf(p.e.clock.Now(), p.e.st.Loc).String()
}

func routeCodes() []string {
	out := make([]string, len(propRoutes))
	for i, r := range propRoutes {
		out[i] = r.code
	}
	return out
}

// seaTaken reports whether another count (not skip) has this day, port and direction.
func (p *rollupProp) seaTaken(date, port, dir string, skip *propSea) bool {
	for _, s := range p.sea {
		if s != skip && s.date == date && s.port == port && s.dir == dir {
			return true
		}
	}
	return false
}

func (p *rollupProp) seaStep() {
	ctx := p.e.ctx
	st := p.e.st
	switch op := rapid.IntRange(0, 4).Draw(p.rt, "sea op"); {
	case op <= 1 || len(p.sea) == 0:
		s := &propSea{date: p.day("sea date"), port: rapid.SampledFrom([]string{"CNQIN", "CNRZH"}).Draw(p.rt, "port"),
			dir: rapid.SampledFrom(models.SeaRailDirections).Draw(p.rt, "sea direction"), teu: int64(rapid.IntRange(0, 5000).Draw(p.rt, "sea teu"))}
		got, err := st.CreateSeaRailCount(ctx, p.e.w, seaInput(s.date, s.port, s.dir, int(s.teu)))
		if p.seaFuture(s.date) {
			if models.ErrorCode(err) != models.EINVALID {
				p.rt.Fatalf("a count for %s at %s: %v, want it refused (after today)", s.date, p.e.clock.Now(), err)
			}
			return
		}
		if p.seaTaken(s.date, s.port, s.dir, nil) {
			if models.ErrorCode(err) != models.ECONFLICT {
				p.rt.Fatalf("a second count for %s %s %s: %v, want a conflict", s.date, s.port, s.dir, err)
			}
			return
		}
		if err != nil {
			p.rt.Fatal(err)
		}
		s.id = got.ID
		p.sea = append(p.sea, s)
	case op <= 3:
		s := rapid.SampledFrom(p.sea).Draw(p.rt, "count")
		date := s.date
		if rapid.Bool().Draw(p.rt, "move count") {
			date = p.day("new sea date")
		}
		teu := int64(rapid.IntRange(0, 5000).Draw(p.rt, "new sea teu"))
		_, err := st.UpdateSeaRailCount(ctx, p.e.w, s.id, models.SeaRailPatch{Date: &date, TEU: ptr(int(teu))})
		if p.seaFuture(date) {
			if models.ErrorCode(err) != models.EINVALID {
				p.rt.Fatalf("moving count %d to %s at %s: %v, want it refused (after today)", s.id, date, p.e.clock.Now(), err)
			}
			return
		}
		if p.seaTaken(date, s.port, s.dir, s) {
			if models.ErrorCode(err) != models.ECONFLICT {
				p.rt.Fatalf("moving count %d onto another's day: %v, want a conflict", s.id, err)
			}
			return
		}
		if err != nil {
			p.rt.Fatal(err)
		}
		s.date, s.teu = date, teu
	default:
		i := rapid.IntRange(0, len(p.sea)-1).Draw(p.rt, "count index")
		if err := st.DeleteSeaRailCount(ctx, p.e.w, p.sea[i].id); err != nil {
			p.rt.Fatal(err)
		}
		p.sea = slices.Delete(p.sea, i, i+1)
	}
}

// clockOn moves the clock on by up to a month, so that departures pass.
func (p *rollupProp) clockOn() {
	d := rapid.SampledFrom([]time.Duration{0, time.Hour, 6 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 10 * 24 * time.Hour, 30 * 24 * time.Hour}).Draw(p.rt, "clock step")
	p.e.clock.Advance(d + time.Duration(rapid.IntRange(0, 59).Draw(p.rt, "clock minutes"))*time.Minute)
}

// The independent count.

type propFig struct{ runs, containers, teu int64 }

func (p *rollupProp) inScope(r *propRun, sc models.Scope) bool {
	return (sc.Route == nil || *sc.Route == r.route) && (sc.Mode == nil || *sc.Mode == p.mode[r.route]) &&
		(sc.Direction == nil || *sc.Direction == r.dir)
}

// month answers the figures of a scope's month, counting the runs that had
// departed at the last roll-up.
func (p *rollupProp) month(sc models.Scope, m models.Month) propFig {
	var f propFig
	for _, r := range p.runs {
		counted := (r.status == models.StatusDeparted || r.status == models.StatusArrived) && !r.dep.After(p.rolledAt)
		if counted && p.inScope(r, sc) && models.MonthOf(r.dep, shanghai) == m {
			f.runs++
			f.containers += r.containers
			f.teu += r.teu
		}
	}
	return f
}

func (p *rollupProp) seaMonth(m models.Month) int64 {
	var t int64
	for _, s := range p.sea {
		if d, _ := models.ParseDay(s.date); d.Of() == m {
			t += s.teu
		}
	}
	return t
}

func propScopes() []models.Scope {
	var out []models.Scope
	dirs := []*string{nil, ptr(models.DirOutbound), ptr(models.DirInbound)}
	for _, d := range dirs {
		out = append(out, models.Scope{Direction: d})
		for _, m := range []string{"rail", "sea_rail", "road"} {
			out = append(out, models.Scope{Mode: ptr(m), Direction: d})
		}
		for _, c := range routeCodes() {
			out = append(out, models.Scope{Route: ptr(c), Direction: d})
		}
	}
	return out
}

func show(v *int64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatInt(*v, 10)
}

// propYears are the years the data falls in (2023 is their "last year").
var propYears = []int{2024, 2025, 2026}

func scopeString(sc models.Scope) string {
	s := ""
	for _, x := range []struct {
		k string
		v *string
	}{{"route", sc.Route}, {"mode", sc.Mode}, {"direction", sc.Direction}} {
		if x.v != nil {
			s += " " + x.k + "=" + *x.v
		}
	}
	if s == "" {
		return "{}"
	}
	return s
}

// verify compares every figure of MonthlyTotals and YearlyTotals with the
// independent count.
func (p *rollupProp) verify(when string) {
	ctx := context.Background()
	for _, sc := range propScopes() {
		for _, y := range propYears {
			mt, err := p.e.st.MonthlyTotals(ctx, y, sc)
			if err != nil {
				p.rt.Fatal(err)
			}
			if len(mt.Months) != 12 {
				p.rt.Fatalf("%s: %d months of %d", when, len(mt.Months), y)
			}
			var cum int64
			for i, got := range mt.Months {
				m := models.Year(y).Month(i + 1)
				want, last := p.month(sc, m), p.month(sc, models.Year(y-1).Month(i+1))
				cum += want.runs
				if got.Month != m.String() || got.Runs != want.runs || got.Containers != want.containers || got.TEU != want.teu ||
					got.CumulativeRuns != cum || got.RunsLastYear != last.runs || !reflect.DeepEqual(got.RunsYoYPct, models.YoY(want.runs, last.runs)) {
					p.rt.Fatalf("%s: scope %s month %s answers %d runs, %d containers, %d TEU, %d cumulative, %d last year; the runs give %+v, %d cumulative, %d last year",
						when, scopeString(sc), got.Month, got.Runs, got.Containers, got.TEU, got.CumulativeRuns, got.RunsLastYear, want, cum, last.runs)
				}
				if sc.Any() != (got.SeaRailTEU == nil) || (got.SeaRailTEU != nil && *got.SeaRailTEU != p.seaMonth(m)) {
					p.rt.Fatalf("%s: scope %s month %s sea-rail TEU %s, the counts give %d", when, scopeString(sc), m, show(got.SeaRailTEU), p.seaMonth(m))
				}
			}
			// A part of the year (September, October, November): the
			// whole year before is checked as LastYearFull.
			for _, through := range []int{9 + y - 2024} {
				yt, err := p.e.st.YearlyTotals(ctx, y, through, sc)
				if err != nil {
					p.rt.Fatal(err)
				}
				check := func(name string, got models.Figures, year, m2 int) {
					var want propFig
					var sea int64
					for m := 1; m <= m2; m++ {
						f := p.month(sc, models.Year(year).Month(m))
						want.runs += f.runs
						want.containers += f.containers
						want.teu += f.teu
						sea += p.seaMonth(models.Year(year).Month(m))
					}
					if got.Runs != want.runs || got.Containers != want.containers || got.TEU != want.teu ||
						sc.Any() != (got.SeaRailTEU == nil) || (got.SeaRailTEU != nil && *got.SeaRailTEU != sea) {
						p.rt.Fatalf("%s: scope %s yearly %d through %d, %s: %d runs, %d containers, %d TEU, sea-rail %s; the rows give %+v, sea-rail %d",
							when, scopeString(sc), y, through, name, got.Runs, got.Containers, got.TEU, show(got.SeaRailTEU), want, sea)
					}
				}
				check("figures", yt.Figures, y, through)
				check("same period last year", yt.SamePeriodLastYear, y-1, through)
				check("last year full", yt.LastYearFull, y-1, 12)
			}
		}
	}
}

// verifyRows checks that the store holds the runs the model holds.
func (p *rollupProp) verifyRows() {
	var got []string
	cursor := ""
	for {
		page, err := p.e.st.ListRuns(context.Background(), models.RunFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			p.rt.Fatal(err)
		}
		for _, r := range page.Items {
			got = append(got, fmt.Sprintf("%d %s %s %s %s %s %d %d", r.ID, r.Route, r.Number, r.Direction, r.Status, r.DepartedAt.UTC().Format(time.RFC3339), r.Containers, r.TEU))
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	var want []string
	for _, r := range p.runs {
		want = append(want, fmt.Sprintf("%d %s %s %s %s %s %d %d", r.id, r.route, r.number, r.dir, r.status, r.dep.UTC().Format(time.RFC3339), r.containers, r.teu))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		p.rt.Fatalf("stored runs\n%q\nwant\n%q", got, want)
	}
}

// answers collects every MonthlyTotals answer of the years and scopes.
func (p *rollupProp) answers() []models.MonthlyTotals {
	var out []models.MonthlyTotals
	for _, sc := range propScopes() {
		for _, y := range propYears {
			mt, err := p.e.st.MonthlyTotals(context.Background(), y, sc)
			if err != nil {
				p.rt.Fatal(err)
			}
			out = append(out, mt)
		}
	}
	return out
}
