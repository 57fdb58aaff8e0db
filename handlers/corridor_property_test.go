package handlers_test

import (
	"fmt"
	"testing"
	"time"

	"banlie/models"
	"banlie/store/storetest"

	"pgregory.net/rapid"
)

// corridorBorders are border stops a test route may cross, with the
// corridor each one means (by name in either language or by UN/LOCODE), or
// "" for a crossing that is none of the six exit ports.
var corridorBorders = []struct {
	stop     map[string]any
	corridor string
}{
	{map[string]any{"name": "Alashankou", "country": "CN", "role": "border"}, "west"},
	{map[string]any{"name": "霍尔果斯", "country": "CN", "role": "border"}, "west"},
	{map[string]any{"name": "Erenhot", "country": "CN", "locode": "CNERC", "role": "border"}, "central"},
	{map[string]any{"name": "Zabaikalsk", "country": "RU", "locode": "RUZBK", "role": "border"}, "east"},
	{map[string]any{"name": "Tongjiang", "country": "CN", "role": "border"}, "east"},
	{map[string]any{"name": "Brest", "country": "BY", "locode": "BYBQT", "role": "border"}, ""},
}

type corrRoute struct {
	code, mode, corridor string // corridor "" for none
}

type corrRun struct {
	route      *corrRoute
	dir        string
	status     string
	dep        time.Time
	arr        *time.Time
	containers int
	empty      int
}

// TestCorridorAndArrivalsProperty writes random routes (through one of the
// exit ports, through none, with a corridor set by hand, not rail) and runs
// in both directions, some arrived, some planned or cancelled, changes some
// routes' corridors and some runs afterwards, and checks /totals/yearly and
// /totals/monthly with by=corridor against an independent computation: 开行
// counts departures, 到发 outbound departures plus inbound arrivals (in the
// reporting zone's months), the laden ratio the laden share of containers,
// and each corridor only its own rail routes.
func TestCorridorAndArrivalsProperty(t *testing.T) {
	t.Parallel()
	storetest.SetRapidChecks(t, 15)
	rapid.Check(t, func(rt *rapid.T) {
		tb := propTB{TB: t, rt: rt}
		ts := newTestServer(tb)
		ts.now = time.Date(2025, 12, 31, 12, 0, 0, 0, shanghai)
		loc := ts.Store.Loc
		var routes []*corrRoute
		for i := range rapid.IntRange(1, 4).Draw(rt, "routes") {
			r := &corrRoute{code: fmt.Sprintf("CR-%d", i), mode: rapid.SampledFrom([]string{"rail", "rail", "rail", "road"}).Draw(rt, "mode")}
			b := routeBody(r.code)
			b["mode"] = r.mode
			border := corridorBorders[rapid.IntRange(0, len(corridorBorders)-1).Draw(rt, "border")]
			b["stops"] = []map[string]any{
				{"name": "Jiaozhou (SCO Zone)", "country": "CN", "locode": "CNJZH", "role": "origin"}, border.stop,
				{"name": "Moscow", "locode": "RUMOW", "country": "RU", "role": "destination"},
			}
			if r.mode == "rail" {
				r.corridor = border.corridor
				if rapid.IntRange(0, 3).Draw(rt, "set corridor") == 0 {
					c := rapid.SampledFrom(append([]string{""}, models.Corridors...)).Draw(rt, "corridor set")
					r.corridor = c
					if c == "" {
						b["corridor"] = nil
					} else {
						b["corridor"] = c
					}
				}
			}
			ts.mustDo(tb, 201, "POST", "/api/v1/routes", b)
			routes = append(routes, r)
		}
		instant := func(label string) time.Time {
			// 2024-01-01 to 2025-12-31 local, any minute: months and years turn.
			start := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
			return start.Add(time.Duration(rapid.IntRange(0, 730*24*60-1).Draw(rt, label)) * time.Minute)
		}
		var runs []*corrRun
		for i := range rapid.IntRange(0, 30).Draw(rt, "runs") {
			r := &corrRun{route: rapid.SampledFrom(routes).Draw(rt, "route"), dir: rapid.SampledFrom(models.Directions).Draw(rt, "direction"),
				status: rapid.SampledFrom([]string{"departed", "arrived", "arrived", "planned", "cancelled"}).Draw(rt, "status"),
				dep:    instant("departure")}
			r.containers = rapid.IntRange(0, 60).Draw(rt, "containers")
			r.empty = rapid.IntRange(0, r.containers).Draw(rt, "empty")
			body := map[string]any{"route": r.route.code, "number": fmt.Sprintf("X%d", i), "direction": r.dir,
				"departed_at": r.dep.Format(time.RFC3339), "status": r.status, "containers": r.containers,
				"empty_containers": r.empty, "teu": r.containers}
			if r.status == "arrived" {
				a := r.dep.Add(time.Duration(rapid.IntRange(1, 40*24).Draw(rt, "transit hours")) * time.Hour)
				if a.After(ts.now) {
					a = ts.now
				}
				r.arr = &a
				body["arrived_at"] = a.Format(time.RFC3339)
			}
			ts.mustDo(tb, 201, "POST", "/api/v1/runs", body)
			runs = append(runs, r)
		}
		ts.runJob(tb, "rollup")
		// Corrections after a roll-up: a route's corridor set by hand, a
		// run that arrives, a run's empty boxes.
		if len(routes) > 0 && rapid.Bool().Draw(rt, "move a route") {
			r := rapid.SampledFrom(routes).Draw(rt, "route to move")
			if r.mode == "rail" {
				c := rapid.SampledFrom(models.Corridors).Draw(rt, "new corridor")
				ts.mustDo(tb, 200, "PATCH", "/api/v1/routes/"+r.code, map[string]any{"corridor": c})
				r.corridor = c
			} else {
				ts.do(tb, "PATCH", "/api/v1/routes/"+r.code, map[string]any{"corridor": "west"}).problem(tb, 422)
			}
		}
		for i, r := range runs {
			if r.status == "departed" && rapid.IntRange(0, 2).Draw(rt, "arrive") == 0 {
				a := r.dep.Add(time.Duration(rapid.IntRange(1, 40*24).Draw(rt, "late transit hours")) * time.Hour)
				if a.After(ts.now) {
					a = ts.now
				}
				ts.mustDo(tb, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", i+1), map[string]any{"status": "arrived", "arrived_at": a.Format(time.RFC3339)})
				r.status, r.arr = "arrived", &a
			}
		}
		ts.runJob(tb, "rollup")

		// The independent computation, per (year, month) and corridor ("" all).
		type fig struct{ runs, ad, containers, empty int64 }
		want := map[string]*fig{}
		at := func(t time.Time, corridor string) *fig {
			k := t.In(loc).Format("2006-01") + "/" + corridor
			if want[k] == nil {
				want[k] = &fig{}
			}
			return want[k]
		}
		for _, r := range runs {
			if r.status != "departed" && r.status != "arrived" {
				continue
			}
			keys := []string{""}
			if r.route.mode == "rail" && r.route.corridor != "" {
				keys = append(keys, r.route.corridor)
			}
			for _, c := range keys {
				f := at(r.dep, c)
				f.runs++
				f.containers += int64(r.containers)
				f.empty += int64(r.empty)
				if r.dir == "outbound" {
					f.ad++
				}
				if r.dir == "inbound" && r.status == "arrived" {
					at(*r.arr, c).ad++
				}
			}
		}
		get := func(y, m int, c string) fig {
			if f := want[fmt.Sprintf("%04d-%02d/%s", y, m, c)]; f != nil {
				return *f
			}
			return fig{}
		}
		type figJSON struct {
			Corridor           string   `json:"corridor"`
			Runs               int64    `json:"runs"`
			Containers         int64    `json:"containers"`
			EmptyContainers    int64    `json:"empty_containers"`
			LadenRatioPct      *float64 `json:"laden_ratio_pct"`
			ArrivalsDepartures int64    `json:"arrivals_departures"`
		}
		check := func(what string, got figJSON, w fig) {
			rt.Helper()
			if got.Runs != w.runs || got.ArrivalsDepartures != w.ad || got.Containers != w.containers || got.EmptyContainers != w.empty {
				rt.Fatalf("%s: got runs %d, 到发 %d, containers %d (empty %d); want %d, %d, %d (%d)", what,
					got.Runs, got.ArrivalsDepartures, got.Containers, got.EmptyContainers, w.runs, w.ad, w.containers, w.empty)
			}
			wr := models.Pct(w.containers-w.empty, w.containers)
			if (wr == nil) != (got.LadenRatioPct == nil) || (wr != nil && *wr != *got.LadenRatioPct) {
				rt.Fatalf("%s: laden ratio %v, want %v", what, got.LadenRatioPct, wr)
			}
		}
		for _, y := range []int{2024, 2025} {
			var monthly struct {
				Months []struct {
					figJSON
					Month      string    `json:"month"`
					ByCorridor []figJSON `json:"by_corridor"`
				} `json:"months"`
			}
			ts.mustDo(tb, 200, "GET", fmt.Sprintf("/api/v1/totals/monthly?year=%d&by=corridor", y), nil).decode(tb, &monthly)
			var year [4]fig // all, west, central, east
			for i, m := range monthly.Months {
				check(m.Month, m.figJSON, get(y, i+1, ""))
				for j, c := range models.Corridors {
					if m.ByCorridor[j].Corridor != c {
						rt.Fatalf("%s: by_corridor[%d] is %q, want %q", m.Month, j, m.ByCorridor[j].Corridor, c)
					}
					check(m.Month+" "+c, m.ByCorridor[j], get(y, i+1, c))
				}
				for j, c := range append([]string{""}, models.Corridors...) {
					f := get(y, i+1, c)
					year[j].runs += f.runs
					year[j].ad += f.ad
					year[j].containers += f.containers
					year[j].empty += f.empty
				}
			}
			var yearly struct {
				figJSON
				ByCorridor []figJSON `json:"by_corridor"`
			}
			ts.mustDo(tb, 200, "GET", fmt.Sprintf("/api/v1/totals/yearly?year=%d&through=%d-12&by=corridor", y, y), nil).decode(tb, &yearly)
			check(fmt.Sprint(y), yearly.figJSON, year[0])
			for j, c := range models.Corridors {
				check(fmt.Sprint(y, " ", c), yearly.ByCorridor[j], year[j+1])
			}
		}
		// A full rebuild finds nothing wrong.
		var job struct {
			Stats struct {
				Drift int `json:"drift"`
			} `json:"stats"`
		}
		ts.runJob(tb, "rebuild").decode(tb, &job)
		if job.Stats.Drift != 0 {
			rt.Fatalf("the rebuild found %d wrong rows", job.Stats.Drift)
		}
	})
}
