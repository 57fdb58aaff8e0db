package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"banlie/models"
	"banlie/store/storetest"

	"pgregory.net/rapid"
)

// TestTotalsProperty writes random runs and sea-rail counts through the API,
// corrects and deletes some of them, runs roll-ups at random points while the
// clock moves on, and then checks every figure of /totals/monthly,
// /totals/yearly, /targets/{id}/progress and /milestones against an
// independent computation from the rows it wrote (API.md: counted run,
// reporting time zone, percentages, the progress formulas). It then rebuilds
// the roll-ups in full and checks that nothing was wrong (drift 0) and that
// the answers did not change.
//
// Each check starts a fresh server; the number of checks defaults to 30
// (-rapid.checks or RAPID_CHECKS override it).
func TestTotalsProperty(t *testing.T) {
	t.Parallel()
	storetest.SetRapidChecks(t, 30)
	rapid.Check(t, func(rt *rapid.T) {
		tb := propTB{TB: t, rt: rt}
		p := newPropCase(tb, rt)
		p.run()
		p.verify()
	})
}

// propTB lets the harness (which wants a testing.TB) report to rapid, so that
// a failure inside a request is a falsified property that rapid shrinks.
// TempDir comes from the enclosing test; Cleanup runs at the end of a check.
type propTB struct {
	testing.TB
	rt *rapid.T
}

func (p propTB) Helper()                   { p.rt.Helper() }
func (p propTB) Cleanup(f func())          { p.rt.Cleanup(f) }
func (p propTB) Log(a ...any)              { p.rt.Log(a...) }
func (p propTB) Logf(f string, a ...any)   { p.rt.Logf(f, a...) }
func (p propTB) Error(a ...any)            { p.rt.Error(a...) }
func (p propTB) Errorf(f string, a ...any) { p.rt.Errorf(f, a...) }
func (p propTB) Fatal(a ...any)            { p.rt.Fatal(a...) }
func (p propTB) Fatalf(f string, a ...any) { p.rt.Fatalf(f, a...) }
func (p propTB) Fail()                     { p.rt.Fail() }
func (p propTB) FailNow()                  { p.rt.FailNow() }
func (p propTB) Failed() bool              { return p.rt.Failed() }

// The model: what the test wrote, as it believes the server holds it.

type propRoute struct{ Code, Mode string }

type propRun struct {
	ID                 int64
	Route, Number, Dir string
	Status             string
	Dep                time.Time
	Arr                *time.Time
	Containers, TEU    int64
}

type propSea struct {
	ID              int64
	Date, Port, Dir string
	TEU             int64
}

type propTarget struct {
	ID          int64
	Year        int
	Metric      string
	Mode, Route *string
	Value       int64
	Label       string
}

type propScope struct{ Route, Mode, Dir *string }

func (s propScope) query() string {
	var q []string
	if s.Route != nil {
		q = append(q, "route="+*s.Route)
	}
	if s.Mode != nil {
		q = append(q, "mode="+*s.Mode)
	}
	if s.Dir != nil {
		q = append(q, "direction="+*s.Dir)
	}
	if len(q) == 0 {
		return ""
	}
	return "&" + strings.Join(q, "&")
}

func (s propScope) empty() bool { return s.Route == nil && s.Mode == nil && s.Dir == nil }

type propCase struct {
	tb      propTB
	rt      *rapid.T
	ts      *testServer
	loc     *time.Location
	routes  []*propRoute
	runs    []*propRun // by id
	sea     []*propSea
	targets []*propTarget
	numbers int
	trail   []string // every step, to reproduce a failure
}

var propZones = []string{"Asia/Shanghai", "Europe/Moscow", "UTC", "America/New_York"}

func newPropCase(tb propTB, rt *rapid.T) *propCase {
	loc := mustLoc(rapid.SampledFrom(propZones).Draw(rt, "zone"))
	p := &propCase{tb: tb, rt: rt, loc: loc}
	p.ts = newTestServerIn(tb, loc)
	if rapid.Bool().Draw(rt, "now mid-2025") {
		p.ts.now = time.Date(2025, 7, 1, 12, 0, 0, 0, loc)
	} else {
		p.ts.now = p.instant("now")
	}
	p.note("zone %s, now %s", loc, p.fmtNow())
	modes := []string{"rail", "road", "sea"}
	for i := range rapid.IntRange(2, 4).Draw(rt, "routes") {
		r := &propRoute{Code: fmt.Sprintf("R%d", i+1), Mode: rapid.SampledFrom(modes).Draw(rt, "mode")}
		createRoute(tb, p.ts, r.Code, func(b map[string]any) { b["mode"] = r.Mode })
		p.note("route %s mode %s", r.Code, r.Mode)
		p.routes = append(p.routes, r)
	}
	return p
}

func (p *propCase) note(format string, args ...any) {
	p.trail = append(p.trail, fmt.Sprintf(format, args...))
}

func (p *propCase) fmtNow() string { return p.ts.now.In(p.loc).Format(time.RFC3339Nano) }

// dataset renders what a failing check wrote, to reproduce it by hand.
func (p *propCase) dataset() string {
	var b strings.Builder
	fmt.Fprintf(&b, "reporting zone %s; now %s (%s UTC)\nsteps:\n", p.loc, p.fmtNow(), p.ts.now.UTC().Format(time.RFC3339Nano))
	for i, s := range p.trail {
		fmt.Fprintf(&b, "  %3d. %s\n", i+1, s)
	}
	b.WriteString("final rows:\n")
	for _, r := range p.routes {
		fmt.Fprintf(&b, "  route %s mode %s\n", r.Code, r.Mode)
	}
	for _, r := range p.runs {
		arr := "null"
		if r.Arr != nil {
			arr = r.Arr.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "  run id=%d route=%s number=%s %s %s departed_at=%s (local %s) arrived_at=%s containers=%d teu=%d counted=%v\n",
			r.ID, r.Route, r.Number, r.Dir, r.Status, r.Dep.UTC().Format(time.RFC3339Nano), r.Dep.In(p.loc).Format(time.RFC3339Nano),
			arr, r.Containers, r.TEU, p.counted(r))
	}
	for _, s := range p.sea {
		fmt.Fprintf(&b, "  sea-rail id=%d %s %s %s teu=%d\n", s.ID, s.Date, s.Port, s.Dir, s.TEU)
	}
	for _, t := range p.targets {
		fmt.Fprintf(&b, "  target id=%d year=%d metric=%s mode=%v route=%v value=%d\n", t.ID, t.Year, t.Metric, propStr(t.Mode), propStr(t.Route), t.Value)
	}
	return b.String()
}

func propStr(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// send sends a request and checks the status the model predicts.
func (p *propCase) send(want int, method, path string, body any) response {
	p.tb.Helper()
	raw, _ := json.Marshal(body)
	r := p.ts.do(p.tb, method, path, body)
	p.note("%s %s %s → %d", method, path, propClip(raw), r.Status)
	if r.Status != want {
		p.rt.Fatalf("%s %s: status %d, want %d: %s\n%s", method, path, r.Status, want, r.Body, p.dataset())
	}
	return r
}

func propClip(b []byte) string {
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

// Generators. Instants cluster around the turns of months and years and
// around local midnight, in the reporting zone, 2023–2025.

func propDaysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

func (p *propCase) instant(label string) time.Time {
	rt, loc := p.rt, p.loc
	y := rapid.IntRange(2023, 2025).Draw(rt, label+".year")
	mo := time.Month(rapid.IntRange(1, 12).Draw(rt, label+".month"))
	minutes := func(lo, hi int) time.Duration {
		return time.Duration(rapid.IntRange(lo, hi).Draw(rt, label+".minutes")) * time.Minute
	}
	var t time.Time
	switch rapid.IntRange(0, 4).Draw(rt, label+".kind") {
	case 0: // the last hours of a month (0: the next month's first instant)
		t = time.Date(y, mo+1, 1, 0, 0, 0, 0, loc).Add(-minutes(0, 180))
	case 1: // the first hours of a month
		t = time.Date(y, mo, 1, 0, 0, 0, 0, loc).Add(minutes(0, 180))
	case 2: // within an hour of local midnight, any day
		d := rapid.IntRange(1, propDaysIn(y, mo)).Draw(rt, label+".day")
		t = time.Date(y, mo, d, 0, 0, 0, 0, loc).Add(minutes(-60, 60))
	case 3: // the turn of the year
		t = time.Date(y, 1, 1, 0, 0, 0, 0, loc).Add(minutes(-180, 180))
	default: // 28 February to 1 March
		t = time.Date(y, 2, 28, 0, 0, 0, 0, loc).Add(minutes(-60, 49*60))
	}
	s := rapid.IntRange(0, 59).Draw(rt, label+".second")
	ms := rapid.SampledFrom([]int{0, 0, 0, 1, 500, 999}).Draw(rt, label+".ms")
	return t.Add(time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond)
}

// date is a calendar date near the turn of a month, 2023–2025.
func (p *propCase) date(label string) string {
	rt := p.rt
	y := rapid.IntRange(2023, 2025).Draw(rt, label+".year")
	mo := time.Month(rapid.IntRange(1, 12).Draw(rt, label+".month"))
	var d time.Time
	switch rapid.IntRange(0, 3).Draw(rt, label+".kind") {
	case 0:
		d = time.Date(y, mo, propDaysIn(y, mo), 0, 0, 0, 0, time.UTC)
	case 1:
		d = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
	case 2:
		d = time.Date(y, 2, 28, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rapid.IntRange(0, 2).Draw(rt, label+".feb"))
	default:
		d = time.Date(y, mo, rapid.IntRange(1, propDaysIn(y, mo)).Draw(rt, label+".day"), 0, 0, 0, 0, time.UTC)
	}
	return d.Format(time.DateOnly)
}

// wire renders an instant as a client might send it: in UTC, in the
// reporting zone, or at some other offset.
func (p *propCase) wire(t time.Time, label string) string {
	zones := []*time.Location{time.UTC, p.loc, time.FixedZone("", 8*3600), time.FixedZone("", -5*3600), time.FixedZone("", 5*3600+45*60)}
	return t.In(rapid.SampledFrom(zones).Draw(p.rt, label+".offset")).Format(time.RFC3339Nano)
}

func (p *propCase) load() (int64, int64) {
	c := rapid.IntRange(0, 500).Draw(p.rt, "containers")
	if c == 0 {
		return 0, int64(rapid.IntRange(0, 1250).Draw(p.rt, "teu"))
	}
	return int64(c), int64(rapid.IntRange(c, min(1250, c*5/2)).Draw(p.rt, "teu"))
}

func (p *propCase) day(t time.Time) string { return t.In(p.loc).Format(time.DateOnly) }

// conflict reports whether another run has the same route, number and
// departure day (reporting zone).
func (p *propCase) conflict(self *propRun, route, number string, dep time.Time) bool {
	for _, r := range p.runs {
		if r != self && r.Route == route && r.Number == number && p.day(r.Dep) == p.day(dep) {
			return true
		}
	}
	return false
}

func (p *propCase) seaConflict(self *propSea, date, port, dir string) bool {
	for _, s := range p.sea {
		if s != self && s.Date == date && s.Port == port && s.Dir == dir {
			return true
		}
	}
	return false
}

// Steps.

func (p *propCase) run() {
	rt := p.rt
	steps := rapid.IntRange(5, 70).Draw(rt, "steps")
	for range steps {
		switch op := rapid.IntRange(0, 99).Draw(rt, "op"); {
		case op < 35:
			p.createRun(false)
		case op < 40:
			p.createRun(true)
		case op < 55:
			p.patchRun()
		case op < 60:
			p.deleteRun()
		case op < 70:
			p.createSea()
		case op < 74:
			p.patchSea()
		case op < 76:
			p.deleteSea()
		case op < 88:
			p.rollup()
		case op < 95:
			p.advance()
		case op < 97:
			p.changeMode()
		default:
			p.createTarget()
		}
	}
	for len(p.targets) < 2 || (len(p.targets) < 5 && rapid.Bool().Draw(rt, "another target")) {
		p.createTarget()
	}
	if rapid.Bool().Draw(rt, "advance at the end") {
		p.advance()
	}
}

// createRun logs a run; a duplicate takes the route and number of a logged
// run and departs within two hours of it, which is a conflict when that is
// the same day in the reporting zone.
func (p *propCase) createRun(duplicate bool) {
	if len(p.runs) >= 40 {
		p.patchRun()
		return
	}
	rt := p.rt
	r := &propRun{
		Route:  rapid.SampledFrom(p.routes).Draw(rt, "route").Code,
		Dir:    rapid.SampledFrom([]string{"outbound", "inbound"}).Draw(rt, "direction"),
		Status: rapid.SampledFrom([]string{"departed", "arrived", "departed", "arrived", "planned", "cancelled"}).Draw(rt, "status"),
	}
	if duplicate && len(p.runs) > 0 {
		o := rapid.SampledFrom(p.runs).Draw(rt, "duplicate of")
		r.Route, r.Number = o.Route, o.Number
		r.Dep = o.Dep.Add(time.Duration(rapid.IntRange(-120, 120).Draw(rt, "minutes from it")) * time.Minute)
	} else {
		p.numbers++
		r.Number = fmt.Sprintf("X%d", p.numbers)
		r.Dep = p.instant("departed_at")
	}
	// An operator logs a train still to leave as planned, mostly; the
	// others try it as departed or arrived and are refused.
	if (r.Status == "departed" || r.Status == "arrived") && r.Dep.After(p.ts.now.Add(models.ClockSkew)) && rapid.IntRange(0, 3).Draw(rt, "future as planned") > 0 {
		r.Status = "planned"
	}
	r.Containers, r.TEU = p.load()
	body := map[string]any{"route": r.Route, "number": r.Number, "direction": r.Dir, "departed_at": p.wire(r.Dep, "departed_at"),
		"status": r.Status, "containers": r.Containers, "teu": r.TEU}
	if r.Status == "arrived" || rapid.IntRange(0, 4).Draw(rt, "arrived_at given") == 0 {
		a := r.Dep.Add(time.Duration(rapid.IntRange(0, 30*24).Draw(rt, "transit hours")) * time.Hour)
		r.Arr = &a
		body["arrived_at"] = p.wire(a, "arrived_at")
	}
	want := 201
	if p.refused(r) {
		want = 422
	} else if p.conflict(nil, r.Route, r.Number, r.Dep) {
		want = 409
	}
	res := p.send(want, "POST", "/api/v1/runs", body)
	if want != 201 {
		return
	}
	var got runJSON
	res.decode(p.tb, &got)
	r.ID = got.ID
	p.runs = append(p.runs, r)
	p.trail[len(p.trail)-1] += fmt.Sprintf(" id=%d", r.ID)
}

func (p *propCase) patchRun() {
	if len(p.runs) == 0 {
		p.createRun(false)
		return
	}
	rt := p.rt
	r := rapid.SampledFrom(p.runs).Draw(rt, "run")
	next := *r
	body := map[string]any{}
	if rapid.Bool().Draw(rt, "move departure") {
		switch rapid.IntRange(0, 2).Draw(rt, "move how") {
		case 0: // anywhere
			next.Dep = p.instant("new departed_at")
		case 1: // across the turn of its month
			next.Dep = time.Date(r.Dep.In(p.loc).Year(), r.Dep.In(p.loc).Month()+1, 1, 0, 0, 0, 0, p.loc).
				Add(time.Duration(rapid.IntRange(-90, 90).Draw(rt, "around month end minutes")) * time.Minute)
		default: // by a few hours, perhaps across local midnight
			next.Dep = r.Dep.Add(time.Duration(rapid.IntRange(-180, 180).Draw(rt, "shift minutes")) * time.Minute)
		}
		body["departed_at"] = p.wire(next.Dep, "new departed_at")
	}
	if rapid.IntRange(0, 3).Draw(rt, "change route") == 0 {
		next.Route = rapid.SampledFrom(p.routes).Draw(rt, "new route").Code
		body["route"] = next.Route
	}
	if rapid.Bool().Draw(rt, "change status") {
		next.Status = rapid.SampledFrom([]string{"planned", "departed", "arrived", "cancelled"}).Draw(rt, "new status")
		body["status"] = next.Status
	}
	if rapid.IntRange(0, 3).Draw(rt, "change direction") == 0 {
		next.Dir = rapid.SampledFrom([]string{"outbound", "inbound"}).Draw(rt, "new direction")
		body["direction"] = next.Dir
	}
	if rapid.IntRange(0, 3).Draw(rt, "change load") == 0 {
		next.Containers, next.TEU = p.load()
		body["containers"], body["teu"] = next.Containers, next.TEU
	}
	// Keep arrived_at valid: present for arrived, never before departure.
	if (next.Status == "arrived" && next.Arr == nil) || (next.Arr != nil && next.Arr.Before(next.Dep)) {
		if next.Status == "arrived" || rapid.Bool().Draw(rt, "fix arrival") {
			a := next.Dep.Add(time.Duration(rapid.IntRange(0, 30*24).Draw(rt, "new transit hours")) * time.Hour)
			next.Arr = &a
			body["arrived_at"] = p.wire(a, "new arrived_at")
		} else {
			next.Arr = nil
			body["arrived_at"] = nil
		}
	}
	if len(body) == 0 {
		body["cargo"] = "corrected"
	}
	want := 200
	if p.refused(&next) {
		want = 422
	} else if p.conflict(r, next.Route, next.Number, next.Dep) {
		want = 409
	}
	p.send(want, "PATCH", fmt.Sprintf("/api/v1/runs/%d", r.ID), body)
	if want == 200 {
		*r = next
	}
}

func (p *propCase) deleteRun() {
	if len(p.runs) == 0 {
		return
	}
	i := rapid.IntRange(0, len(p.runs)-1).Draw(p.rt, "delete run")
	p.send(204, "DELETE", fmt.Sprintf("/api/v1/runs/%d", p.runs[i].ID), nil)
	p.runs = slices.Delete(p.runs, i, i+1)
}

func (p *propCase) createSea() {
	rt := p.rt
	s := &propSea{Date: p.date("sea date"), Port: rapid.SampledFrom([]string{"CNQIN", "CNRZH"}).Draw(rt, "port"),
		Dir: rapid.SampledFrom([]string{"import", "export"}).Draw(rt, "sea direction"), TEU: int64(rapid.IntRange(0, 3000).Draw(rt, "sea teu"))}
	want := 201
	if p.seaFuture(s.Date) {
		want = 422
	} else if p.seaConflict(nil, s.Date, s.Port, s.Dir) {
		want = 409
	}
	res := p.send(want, "POST", "/api/v1/sea-rail-counts", map[string]any{"date": s.Date, "port": s.Port, "direction": s.Dir, "teu": s.TEU, "note": ""})
	if want != 201 {
		return
	}
	var got seaRailJSON
	res.decode(p.tb, &got)
	s.ID = got.ID
	p.sea = append(p.sea, s)
	p.trail[len(p.trail)-1] += fmt.Sprintf(" id=%d", s.ID)
}

func (p *propCase) patchSea() {
	if len(p.sea) == 0 {
		p.createSea()
		return
	}
	rt := p.rt
	s := rapid.SampledFrom(p.sea).Draw(rt, "sea count")
	next := *s
	body := map[string]any{}
	if rapid.Bool().Draw(rt, "move sea date") {
		next.Date = p.date("new sea date")
		body["date"] = next.Date
	}
	if len(body) == 0 || rapid.Bool().Draw(rt, "change sea teu") {
		next.TEU = int64(rapid.IntRange(0, 3000).Draw(rt, "new sea teu"))
		body["teu"] = next.TEU
	}
	want := 200
	if p.seaFuture(next.Date) {
		want = 422
	} else if p.seaConflict(s, next.Date, next.Port, next.Dir) {
		want = 409
	}
	p.send(want, "PATCH", fmt.Sprintf("/api/v1/sea-rail-counts/%d", s.ID), body)
	if want == 200 {
		*s = next
	}
}

// refused mirrors the calendar guards (models.RunValues.CheckCalendar) at
// the test server's now: nothing logged more than a year ahead, a departed
// or arrived run not departing beyond the clock skew, no arrival beyond it.
func (p *propCase) refused(r *propRun) bool {
	now := p.ts.now
	latest := now.Add(models.ClockSkew)
	return r.Dep.After(now.UTC().AddDate(models.MaxPlanYears, 0, 0)) ||
		((r.Status == "departed" || r.Status == "arrived") && r.Dep.After(latest)) ||
		(r.Arr != nil && r.Arr.After(latest))
}

// seaFuture reports whether a sea-rail date is after today in the reporting zone.
func (p *propCase) seaFuture(date string) bool {
	return date > p.ts.now.In(p.loc).Format("2006-01-02")
}

func (p *propCase) deleteSea() {
	if len(p.sea) == 0 {
		return
	}
	i := rapid.IntRange(0, len(p.sea)-1).Draw(p.rt, "delete sea count")
	p.send(204, "DELETE", fmt.Sprintf("/api/v1/sea-rail-counts/%d", p.sea[i].ID), nil)
	p.sea = slices.Delete(p.sea, i, i+1)
}

func (p *propCase) rollup() {
	st, err := p.ts.Store.Rollup(context.Background(), false)
	p.note("roll-up at %s: %+v", p.fmtNow(), st)
	if err != nil {
		p.rt.Fatalf("roll-up: %v\n%s", err, p.dataset())
	}
}

// advance moves the clock forward, sometimes exactly onto a departure.
func (p *propCase) advance() {
	rt := p.rt
	now := p.ts.now
	switch rapid.IntRange(0, 3).Draw(rt, "advance how") {
	case 0:
		now = now.Add(time.Duration(rapid.IntRange(1, 72).Draw(rt, "advance hours")) * time.Hour)
	case 1:
		now = now.AddDate(0, 0, rapid.IntRange(1, 200).Draw(rt, "advance days"))
	case 2:
		var later []time.Time
		for _, r := range p.runs {
			if r.Dep.After(now) {
				later = append(later, r.Dep)
			}
		}
		if len(later) > 0 {
			now = rapid.SampledFrom(later).Draw(rt, "advance to departure")
		} else {
			now = now.Add(time.Hour)
		}
	default:
		if t := p.instant("advance to"); t.After(now) {
			now = t
		} else {
			now = now.Add(time.Minute)
		}
	}
	p.ts.now = now.In(p.loc)
	p.note("now := %s", p.fmtNow())
}

func (p *propCase) changeMode() {
	rt := p.rt
	r := rapid.SampledFrom(p.routes).Draw(rt, "route of new mode")
	m := rapid.SampledFrom([]string{"rail", "road", "sea"}).Draw(rt, "new mode")
	p.send(200, "PATCH", "/api/v1/routes/"+r.Code, map[string]any{"mode": m})
	r.Mode = m
}

func (p *propCase) createTarget() {
	if len(p.targets) >= 5 {
		return
	}
	rt := p.rt
	t := &propTarget{Year: rapid.SampledFrom([]int{2023, 2024, 2024, 2025, 2025, 2026}).Draw(rt, "target year"),
		Metric: rapid.SampledFrom([]string{"runs", "runs", "containers", "teu", "sea_rail_teu"}).Draw(rt, "metric")}
	scope := map[string]any{}
	if t.Metric != "sea_rail_teu" {
		switch rapid.IntRange(0, 2).Draw(rt, "target scope") {
		case 1:
			m := rapid.SampledFrom([]string{"rail", "road", "sea"}).Draw(rt, "target mode")
			t.Mode, scope["mode"] = &m, m
		case 2:
			c := rapid.SampledFrom(p.routes).Draw(rt, "target route").Code
			t.Route, scope["route"] = &c, c
		}
	}
	// A value near the year's figure so far, so that some targets are reached.
	now := p.ts.now
	p.ts.now = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	total := p.sum(t, time.Date(t.Year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(t.Year, 12, 31, 0, 0, 0, 0, time.UTC))
	p.ts.now = now
	t.Value = int64(rapid.IntRange(1, int(max(3, total+total/2))).Draw(rt, "target value"))
	t.Label = fmt.Sprintf("target %d", len(p.targets)+1)
	res := p.send(201, "POST", "/api/v1/targets", map[string]any{"year": t.Year, "metric": t.Metric, "scope": scope, "value": t.Value, "label": t.Label})
	var got totTargetJSON
	res.decode(p.tb, &got)
	t.ID = got.ID
	p.targets = append(p.targets, t)
	p.trail[len(p.trail)-1] += fmt.Sprintf(" id=%d", t.ID)
}

// The independent computation, from the model's rows.

func (p *propCase) counted(r *propRun) bool {
	return (r.Status == "departed" || r.Status == "arrived") && !r.Dep.After(p.ts.now)
}

func (p *propCase) modeOf(code string) string {
	for _, r := range p.routes {
		if r.Code == code {
			return r.Mode
		}
	}
	panic("no route " + code)
}

func (p *propCase) inScope(r *propRun, route, mode, dir *string) bool {
	return (route == nil || r.Route == *route) && (mode == nil || p.modeOf(r.Route) == *mode) && (dir == nil || r.Dir == *dir)
}

// propRound is x rounded half away from zero.
func propRound(x *big.Rat) int64 {
	n, d := new(big.Int).Abs(x.Num()), x.Denom()
	q, rem := new(big.Int).QuoRem(n, d, new(big.Int))
	if rem.Mul(rem, big.NewInt(2)).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if x.Sign() < 0 {
		q.Neg(q)
	}
	return q.Int64()
}

// propPct is 100 × num / den to one decimal, half away from zero, as the
// decimal a client reads; nil when den is 0.
func propPct(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	tenths := propRound(new(big.Rat).SetFrac(big.NewInt(num*1000), big.NewInt(den)))
	sign := ""
	if tenths < 0 {
		sign, tenths = "-", -tenths
	}
	v, err := strconv.ParseFloat(fmt.Sprintf("%s%d.%d", sign, tenths/10, tenths%10), 64)
	if err != nil {
		panic(err)
	}
	return &v
}

func propYoY(this, last int64) *float64 { return propPct(this-last, last) }

// figures sums counted runs in scope whose local month is in [from, to]
// (YYYY-MM), and sea-rail TEU when unscoped.
func (p *propCase) figures(sc propScope, from, to string) totFiguresJSON {
	var f totFiguresJSON
	for _, r := range p.runs {
		if m := p.day(r.Dep)[:7]; p.counted(r) && p.inScope(r, sc.Route, sc.Mode, sc.Dir) && m >= from && m <= to {
			f.Runs++
			f.Containers += r.Containers
			f.TEU += r.TEU
		}
	}
	if sc.empty() {
		var t int64
		for _, s := range p.sea {
			if m := s.Date[:7]; m >= from && m <= to {
				t += s.TEU
			}
		}
		f.SeaRailTEU = &t
	}
	return f
}

func (p *propCase) wantMonthly(year int, sc propScope) totMonthlyJSON {
	out := totMonthlyJSON{Year: year, Scope: totScopeJSON{Route: sc.Route, Mode: sc.Mode, Direction: sc.Dir}}
	var cum int64
	for m := 1; m <= 12; m++ {
		key, lkey := fmt.Sprintf("%04d-%02d", year, m), fmt.Sprintf("%04d-%02d", year-1, m)
		f, l := p.figures(sc, key, key), p.figures(sc, lkey, lkey)
		cum += f.Runs
		out.Months = append(out.Months, totMonthJSON{Month: key, Runs: f.Runs, Containers: f.Containers, TEU: f.TEU,
			CumulativeRuns: cum, RunsLastYear: l.Runs, RunsYoYPct: propYoY(f.Runs, l.Runs), SeaRailTEU: f.SeaRailTEU})
	}
	return out
}

func (p *propCase) wantYearly(year, through int, sc propScope) totYearlyJSON {
	this := p.figures(sc, fmt.Sprintf("%04d-01", year), fmt.Sprintf("%04d-%02d", year, through))
	same := p.figures(sc, fmt.Sprintf("%04d-01", year-1), fmt.Sprintf("%04d-%02d", year-1, through))
	full := p.figures(sc, fmt.Sprintf("%04d-01", year-1), fmt.Sprintf("%04d-12", year-1))
	g := totGrowthJSON{Runs: propYoY(this.Runs, same.Runs), Containers: propYoY(this.Containers, same.Containers), TEU: propYoY(this.TEU, same.TEU)}
	if sc.empty() {
		g.SeaRailTEU = propYoY(*this.SeaRailTEU, *same.SeaRailTEU)
	}
	return totYearlyJSON{Year: year, Through: fmt.Sprintf("%04d-%02d", year, through), Scope: totScopeJSON{Route: sc.Route, Mode: sc.Mode, Direction: sc.Dir},
		Runs: this.Runs, Containers: this.Containers, TEU: this.TEU, SeaRailTEU: this.SeaRailTEU,
		SamePeriodLastYear: same, YoYPct: g, LastYearFull: full}
}

// metricRuns lists the counted runs in a target's scope whose local day is
// in [from, to] (dates), in order of (departed_at, id).
func (p *propCase) metricRuns(t *propTarget, from, to string) []*propRun {
	var out []*propRun
	for _, r := range p.runs {
		if d := p.day(r.Dep); p.counted(r) && p.inScope(r, t.Route, t.Mode, nil) && d >= from && d <= to {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Dep.Equal(out[j].Dep) {
			return out[i].Dep.Before(out[j].Dep)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// daily is a target's metric per day in [from, to].
func (p *propCase) daily(t *propTarget, from, to string) map[string]int64 {
	out := map[string]int64{}
	if t.Metric == "sea_rail_teu" {
		for _, s := range p.sea {
			if s.Date >= from && s.Date <= to {
				out[s.Date] += s.TEU
			}
		}
		return out
	}
	for _, r := range p.metricRuns(t, from, to) {
		v := map[string]int64{"runs": 1, "containers": r.Containers, "teu": r.TEU}[t.Metric]
		out[p.day(r.Dep)] += v
	}
	return out
}

func (p *propCase) sum(t *propTarget, from, to time.Time) int64 {
	var n int64
	for _, v := range p.daily(t, from.Format(time.DateOnly), to.Format(time.DateOnly)) {
		n += v
	}
	return n
}

// wantProgress is the progress of a target as of a date (a UTC midnight),
// or ok=false when as_of is before the target's year (422).
func (p *propCase) wantProgress(t *propTarget, asOf time.Time) (totProgressJSON, bool) {
	jan1 := time.Date(t.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	dec31 := time.Date(t.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	if asOf.Before(jan1) {
		return totProgressJSON{}, false
	}
	if asOf.After(dec31) {
		asOf = dec31
	}
	out := totProgressJSON{Target: totTargetJSON{ID: t.ID, Year: t.Year, Metric: t.Metric, Scope: totTargetScopeJSON{Mode: t.Mode, Route: t.Route},
		Value: t.Value, Label: t.Label}, AsOf: asOf.Format(time.DateOnly)}
	out.Actual = p.sum(t, jan1, asOf)
	out.Pct = *propPct(out.Actual, t.Value)
	out.Remaining = max(0, t.Value-out.Actual)
	m, d := asOf.Month(), asOf.Day()
	if m == time.February && d == 29 {
		d = 28
	}
	lJan1 := time.Date(t.Year-1, 1, 1, 0, 0, 0, 0, time.UTC)
	lYTD := p.sum(t, lJan1, time.Date(t.Year-1, m, d, 0, 0, 0, 0, time.UTC))
	lFull := p.sum(t, lJan1, time.Date(t.Year-1, 12, 31, 0, 0, 0, 0, time.UTC))
	if lYTD > 0 && lFull > 0 {
		out.ProjectedYearEnd = propRound(new(big.Rat).SetFrac(big.NewInt(out.Actual*lFull), big.NewInt(lYTD)))
		out.ProjectionMethod = "seasonal"
	} else {
		out.ProjectedYearEnd = propRound(new(big.Rat).SetFrac(big.NewInt(out.Actual*int64(dec31.YearDay())), big.NewInt(int64(asOf.YearDay()))))
		out.ProjectionMethod = "run_rate"
	}
	out.Reached = out.Actual >= t.Value
	out.OnTrack = out.Reached || out.ProjectedYearEnd >= t.Value
	if !out.Reached {
		if last90 := p.sum(t, asOf.AddDate(0, 0, -89), asOf); last90 > 0 {
			// ceil(remaining / (last90 / 90))
			x := new(big.Rat).SetFrac(big.NewInt(out.Remaining*90), big.NewInt(last90))
			days := new(big.Int).Quo(x.Num(), x.Denom())
			if !x.IsInt() {
				days.Add(days, big.NewInt(1))
			}
			out.ProjectedReachDate = totPtr(asOf.AddDate(0, 0, int(days.Int64())).Format(time.DateOnly))
		}
		return out, true
	}
	from, to := jan1.Format(time.DateOnly), asOf.Format(time.DateOnly)
	if t.Metric == "runs" {
		r := p.metricRuns(t, from, to)[t.Value-1]
		out.ReachedOn = totPtr(p.day(r.Dep))
		out.ReachedBy = &totReachedByJSON{ID: r.ID, Number: r.Number, Route: r.Route, DepartedAt: r.Dep.In(p.loc).Format(time.RFC3339Nano)}
		return out, true
	}
	daily := p.daily(t, from, to)
	days := make([]string, 0, len(daily))
	for d := range daily {
		days = append(days, d)
	}
	sort.Strings(days)
	var cum int64
	for _, d := range days {
		if cum += daily[d]; cum >= t.Value {
			out.ReachedOn = totPtr(d)
			break
		}
	}
	return out, true
}

// Verification.

type propMismatch struct{ path, got, want string }

var propNegZero = regexp.MustCompile(`-0[,}\]]`)

// propDiff lists the JSON paths at which got and want differ, as
// "path: got X, want Y".
func propDiff(got, want any) []string {
	flat := func(v any) map[string]string {
		b, _ := json.Marshal(v)
		var x any
		_ = json.Unmarshal(b, &x)
		out := map[string]string{}
		var walk func(string, any)
		walk = func(path string, x any) {
			switch x := x.(type) {
			case map[string]any:
				for k, v := range x {
					walk(path+"."+k, v)
				}
			case []any:
				for i, v := range x {
					walk(fmt.Sprintf("%s[%d]", path, i), v)
				}
			default:
				b, _ := json.Marshal(x)
				out[path] = string(b)
			}
		}
		walk("", x)
		return out
	}
	g, w := flat(got), flat(want)
	var out []string
	for k, wv := range w {
		if gv, ok := g[k]; !ok || gv != wv {
			out = append(out, fmt.Sprintf("%s: got %s, want %s", k, gv, wv))
		}
	}
	for k, gv := range g {
		if _, ok := w[k]; !ok {
			out = append(out, fmt.Sprintf("%s: got %s, want nothing", k, gv))
		}
	}
	sort.Strings(out)
	return out
}

func (p *propCase) verify() {
	ctx := context.Background()
	st, err := p.ts.Store.Rollup(ctx, false)
	p.note("final roll-up at %s: %+v", p.fmtNow(), st)
	if err != nil {
		p.rt.Fatalf("roll-up: %v\n%s", err, p.dataset())
	}
	first := p.compare("after the roll-up", true)
	p.compareMilestones()

	st, err = p.ts.Store.Rollup(ctx, true)
	p.note("full rebuild: %+v", st)
	if err != nil {
		p.rt.Fatalf("full roll-up: %v\n%s", err, p.dataset())
	}
	if st.Drift != 0 {
		p.rt.Fatalf("a full rebuild right after a roll-up found %d wrong roll-up rows: a write did not mark its days, or a roll-up missed them\n%s", st.Drift, p.dataset())
	}
	if st.Milestones != 0 {
		p.rt.Fatalf("a full rebuild right after a roll-up changed %d milestones\n%s", st.Milestones, p.dataset())
	}
	second := p.compare("after the full rebuild", false)
	for path, body := range first {
		if second[path] != body {
			p.rt.Fatalf("%s changed with the full rebuild:\nbefore %s\nafter  %s\n%s", path, body, second[path], p.dataset())
		}
	}
}

// get answers a GET's status and body; with validate, through the harness
// (OpenAPI validation), else with a plain client.
func (p *propCase) get(path string, validate bool) (int, []byte) {
	if validate {
		r := p.ts.do(p.tb, "GET", path, nil)
		return r.Status, r.Body
	}
	res, err := http.Get(p.ts.URL + path)
	if err != nil {
		p.rt.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		p.rt.Fatal(err)
	}
	return res.StatusCode, b
}

// compare checks every figure against the model; it answers the bodies of
// the 200 answers by path.
func (p *propCase) compare(when string, validate bool) map[string]string {
	rt := p.rt
	bodies := map[string]string{}
	var bad []propMismatch
	check := func(path string, got, want any, body []byte) {
		if !reflect.DeepEqual(got, want) {
			bad = append(bad, propMismatch{path, strings.Join(propDiff(got, want), "\n           "), string(body)})
		} else if propNegZero.Match(body) {
			bad = append(bad, propMismatch{path, "a percentage of -0", string(body)})
		}
	}
	fetch := func(path string, want int, dst any) []byte {
		status, body := p.get(path, validate)
		if status != want {
			bad = append(bad, propMismatch{path, fmt.Sprintf("status %d, want %d", status, want), string(body)})
			return nil
		}
		if status == 200 {
			bodies[path] = string(body)
			if err := json.Unmarshal(body, dst); err != nil {
				rt.Fatalf("%s: %v: %s", path, err, body)
			}
		}
		return body
	}

	modes := []string{"rail", "road", "sea"}
	dirs := []string{"outbound", "inbound"}
	scopes := []propScope{{}}
	for i := range modes {
		scopes = append(scopes, propScope{Mode: &modes[i]})
	}
	for _, r := range p.routes {
		scopes = append(scopes, propScope{Route: &r.Code})
	}
	for i := range dirs {
		scopes = append(scopes, propScope{Dir: &dirs[i]})
	}
	scopes = append(scopes,
		propScope{Route: &p.routes[0].Code, Dir: &dirs[0]},
		propScope{Route: &p.routes[len(p.routes)-1].Code, Dir: &dirs[1]},
		propScope{Mode: &modes[0], Dir: &dirs[1]})

	for year := 2023; year <= 2025; year++ {
		throughs := []int{12, 2, 1 + (year*7+len(p.runs))%12}
		for _, sc := range scopes {
			path := fmt.Sprintf("/api/v1/totals/monthly?year=%d%s", year, sc.query())
			var got totMonthlyJSON
			if body := fetch(path, 200, &got); body != nil {
				check(path, got, p.wantMonthly(year, sc), body)
			}
			for _, th := range throughs {
				path := fmt.Sprintf("/api/v1/totals/yearly?year=%d&through=%04d-%02d%s", year, year, th, sc.query())
				var got totYearlyJSON
				if body := fetch(path, 200, &got); body != nil {
					check(path, got, p.wantYearly(year, th, sc), body)
				}
			}
		}
		// through defaults to the current month in the current year, else December.
		th := 12
		if n := p.ts.now.In(p.loc); n.Year() == year {
			th = int(n.Month())
		}
		path := fmt.Sprintf("/api/v1/totals/yearly?year=%d", year)
		var got totYearlyJSON
		if body := fetch(path, 200, &got); body != nil {
			check(path, got, p.wantYearly(year, th, propScope{}), body)
		}
	}

	// year defaults to the current one; with through alone, to through's year.
	{
		path := "/api/v1/totals/monthly"
		var got totMonthlyJSON
		if body := fetch(path, 200, &got); body != nil {
			check(path, got, p.wantMonthly(p.ts.now.In(p.loc).Year(), propScope{}), body)
		}
		path = "/api/v1/totals/yearly?through=2024-05&direction=inbound"
		var gotY totYearlyJSON
		if body := fetch(path, 200, &gotY); body != nil {
			check(path, gotY, p.wantYearly(2024, 5, propScope{Dir: &dirs[1]}), body)
		}
	}

	today := p.ts.now.In(p.loc)
	todayDate := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	for _, t := range p.targets {
		y := t.Year
		dates := []time.Time{
			time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(y, 1, 31, 0, 0, 0, 0, time.UTC),
			time.Date(y, 2, 28, 0, 0, 0, 0, time.UTC),
			time.Date(y, 3, 1, 0, 0, 0, 0, time.UTC),
			time.Date(y, 6, 30, 0, 0, 0, 0, time.UTC),
			time.Date(y, 12, 1, 0, 0, 0, 0, time.UTC),
			time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC),
			time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(y+1, 3, 15, 0, 0, 0, 0, time.UTC),
			time.Date(y-1, 12, 31, 0, 0, 0, 0, time.UTC),
		}
		if y%4 == 0 {
			dates = append(dates, time.Date(y, 2, 29, 0, 0, 0, 0, time.UTC))
		} else {
			path := fmt.Sprintf("/api/v1/targets/%d/progress?as_of=%d-02-29", t.ID, y)
			fetch(path, 400, nil)
		}
		for _, d := range append(dates, time.Time{}) {
			path := fmt.Sprintf("/api/v1/targets/%d/progress", t.ID)
			if d.IsZero() {
				d = todayDate // as_of defaults to today
			} else {
				path += "?as_of=" + d.Format(time.DateOnly)
			}
			want, ok := p.wantProgress(t, d)
			if !ok {
				var prob struct {
					Errors []struct {
						Field string `json:"field"`
					} `json:"errors"`
				}
				status, body := p.get(path, validate)
				if _ = json.Unmarshal(body, &prob); status != 422 || len(prob.Errors) != 1 || prob.Errors[0].Field != "as_of" {
					bad = append(bad, propMismatch{path, fmt.Sprintf("status %d, want 422 naming as_of", status), string(body)})
				}
				continue
			}
			var got totProgressJSON
			if body := fetch(path, 200, &got); body != nil {
				check(path, got, want, body)
			}
		}
	}

	if len(bad) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "%d answers differ from the independent computation %s:\n", len(bad), when)
		for i, m := range bad {
			if i == 8 {
				fmt.Fprintf(&b, "  … and %d more\n", len(bad)-i)
				break
			}
			fmt.Fprintf(&b, "  GET %s\n      differs: %s\n      answer:  %s\n", m.path, m.got, m.want)
		}
		rt.Fatalf("%s\n%s", b.String(), p.dataset())
	}
	return bodies
}

// compareMilestones checks that each target has exactly the milestone its
// progress as of today (or its year's end) calls for, and no other active one.
func (p *propCase) compareMilestones() {
	var list struct {
		Items []totMilestoneJSON `json:"items"`
	}
	status, body := p.get("/api/v1/milestones", true)
	if status != 200 {
		p.rt.Fatalf("milestones: status %d: %s", status, body)
	}
	if err := json.Unmarshal(body, &list); err != nil {
		p.rt.Fatal(err)
	}
	today := p.ts.now.In(p.loc)
	asOf := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	for _, t := range p.targets {
		var active []totMilestoneJSON
		for _, m := range list.Items {
			if m.TargetID == t.ID && m.WithdrawnAt == nil {
				active = append(active, m)
			}
		}
		var want []totMilestoneJSON
		if t.Year <= today.Year() {
			if pr, _ := p.wantProgress(t, asOf); pr.Reached {
				want = append(want, totMilestoneJSON{TargetID: t.ID, Label: t.Label, ReachedOn: *pr.ReachedOn, ReachedBy: pr.ReachedBy})
			}
		}
		for i := range active {
			active[i].ID, active[i].RecordedAt = 0, ""
		}
		if !reflect.DeepEqual(active, want) {
			g, _ := json.Marshal(active)
			w, _ := json.Marshal(want)
			p.rt.Fatalf("active milestones of target %d:\n got  %s\n want %s\n raw  %s\n%s", t.ID, g, w, body, p.dataset())
		}
	}
}
