package handlers_test

import (
	"fmt"
	"testing"

	"banlie/models"
)

func TestCorridorsAndBases(t *testing.T) {
	t.Parallel()
	testCorridorsAndBases(t, newTestServer(t))
}

func TestCorridorsAndBasesPostgres(t *testing.T) {
	t.Parallel()
	testCorridorsAndBases(t, newTestServerPG(t))
}

func testCorridorsAndBases(t *testing.T, ts *testServer) {
	type routeJSON struct {
		Corridor       *string `json:"corridor"`
		CorridorSource string  `json:"corridor_source"`
	}
	route := func(code string) routeJSON {
		var r routeJSON
		ts.mustDo(t, 200, "GET", "/api/v1/routes/"+code, nil).decode(t, &r)
		return r
	}
	// Tongjiang is an exit port of the east corridor.
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	if r := route("SCO-TJ-MOW"); r.Corridor == nil || *r.Corridor != "east" || r.CorridorSource != "border" {
		t.Fatalf("SCO-TJ-MOW: %+v, want east from its border", r)
	}
	// Alashankou by its UN/LOCODE: west.
	createRoute(t, ts, "SCO-AKL-DUI", func(b map[string]any) {
		b["stops"] = []map[string]any{
			{"name": "Jiaozhou", "country": "CN", "locode": "CNJZH", "role": "origin"},
			{"name": "阿拉山口站", "country": "CN", "locode": "CNAKL", "role": "border"},
			{"name": "Duisburg", "country": "DE", "locode": "DEDUI", "role": "destination"},
		}
	})
	if r := route("SCO-AKL-DUI"); r.Corridor == nil || *r.Corridor != "west" {
		t.Fatalf("SCO-AKL-DUI: %+v, want west", r)
	}
	// Set by hand, and back; a road route has none and cannot be given one.
	ts.mustDo(t, 200, "PATCH", "/api/v1/routes/SCO-AKL-DUI", map[string]any{"corridor": "central"})
	if r := route("SCO-AKL-DUI"); r.Corridor == nil || *r.Corridor != "central" || r.CorridorSource != "set" {
		t.Fatalf("after PATCH: %+v", r)
	}
	ts.mustDo(t, 200, "PATCH", "/api/v1/routes/SCO-AKL-DUI", map[string]any{"corridor_source": "border"})
	if r := route("SCO-AKL-DUI"); r.Corridor == nil || *r.Corridor != "west" || r.CorridorSource != "border" {
		t.Fatalf("back to the border's corridor: %+v", r)
	}
	ts.do(t, "PATCH", "/api/v1/routes/SCO-AKL-DUI", map[string]any{"corridor_source": "set"}).problem(t, 422)
	ts.do(t, "PATCH", "/api/v1/routes/SCO-AKL-DUI", map[string]any{"corridor_source": "border", "corridor": "east"}).problem(t, 422)
	ts.mustDo(t, 200, "PATCH", "/api/v1/routes/SCO-AKL-DUI", map[string]any{"corridor": "central"})
	createRoute(t, ts, "TIR-1", func(b map[string]any) { b["mode"] = "road" })
	if r := route("TIR-1"); r.Corridor != nil {
		t.Fatalf("a road route has a corridor: %+v", r)
	}
	p := ts.do(t, "PATCH", "/api/v1/routes/TIR-1", map[string]any{"corridor": "west"}).problem(t, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "corridor" || p.Errors[0].Code != models.CodeInvalidValue {
		t.Fatalf("corridor on a road route: %+v", p.Errors)
	}
	p = ts.do(t, "PATCH", "/api/v1/routes/SCO-TJ-MOW", map[string]any{"corridor": "north"}).problem(t, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "corridor" {
		t.Fatalf("corridor north: %+v", p.Errors)
	}

	// Empty boxes: at most the containers.
	b := runBody("SCO-TJ-MOW", "X1", "2024-10-12T09:30:00+08:00")
	b["empty_containers"] = 56
	p = ts.do(t, "POST", "/api/v1/runs", b).problem(t, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "empty_containers" || p.Errors[0].Code != models.CodeOutOfRange {
		t.Fatalf("56 empty of 55: %+v", p.Errors)
	}
	// Outbound east: 55 boxes, none empty. Inbound central, departed in
	// September, arrived in October: 40 boxes, 10 empty.
	createRun(t, ts, runBody("SCO-TJ-MOW", "X1", "2024-10-12T09:30:00+08:00"))
	b = runBody("SCO-AKL-DUI", "X2", "2024-09-20T09:30:00+08:00")
	b["direction"], b["status"], b["arrived_at"] = "inbound", "arrived", "2024-10-08T10:00:00+08:00"
	b["containers"], b["teu"], b["empty_containers"] = 40, 80, 10
	inbound := createRun(t, ts, b)
	// A PATCH corrects the empty boxes, within the containers.
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", inbound.ID), map[string]any{"empty_containers": 9})
	ts.do(t, "PATCH", fmt.Sprintf("/api/v1/runs/%d", inbound.ID), map[string]any{"empty_containers": 41}).problem(t, 422)
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", inbound.ID), map[string]any{"empty_containers": 10})
	ts.runJob(t, "rollup")

	type figs struct {
		Runs               int64    `json:"runs"`
		ArrivalsDepartures int64    `json:"arrivals_departures"`
		Containers         int64    `json:"containers"`
		EmptyContainers    int64    `json:"empty_containers"`
		LadenRatioPct      *float64 `json:"laden_ratio_pct"`
		Corridor           string   `json:"corridor"`
	}
	var y struct {
		figs
		Bases      map[string]string `json:"bases"`
		ByCorridor []figs            `json:"by_corridor"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?year=2024&through=2024-10&by=corridor", nil).decode(t, &y)
	// 开行 2 (both departed in the period), 到发 2 (one departure out, one
	// arrival in), laden (95 − 10) / 95 = 89.5%.
	if y.Runs != 2 || y.ArrivalsDepartures != 2 || y.Containers != 95 || y.EmptyContainers != 10 || y.LadenRatioPct == nil || *y.LadenRatioPct != 89.5 {
		t.Fatalf("yearly: %+v", y.figs)
	}
	if y.Bases["arrivals_departures"] == "" || y.Bases["runs"] == "" {
		t.Fatalf("bases: %v", y.Bases)
	}
	want := []figs{{Corridor: "west"}, {Corridor: "central", Runs: 1, ArrivalsDepartures: 1, Containers: 40, EmptyContainers: 10}, {Corridor: "east", Runs: 1, ArrivalsDepartures: 1, Containers: 55}}
	for i, w := range want {
		g := y.ByCorridor[i]
		g.LadenRatioPct = nil
		if g != w {
			t.Errorf("by_corridor[%d] = %+v, want %+v", i, g, w)
		}
	}
	// In September the inbound run departed (开行) but did not arrive (到发 0).
	var m struct {
		Months []figs `json:"months"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/totals/monthly?year=2024", nil).decode(t, &m)
	if sep, oct := m.Months[8], m.Months[9]; sep.Runs != 1 || sep.ArrivalsDepartures != 0 || oct.Runs != 1 || oct.ArrivalsDepartures != 2 {
		t.Fatalf("September %+v, October %+v", sep, oct)
	}
	// Moving a route to another corridor moves its figures at the next roll-up.
	ts.mustDo(t, 200, "PATCH", "/api/v1/routes/SCO-AKL-DUI", map[string]any{"corridor": "west"})
	ts.runJob(t, "rollup")
	ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?year=2024&through=2024-10&by=corridor", nil).decode(t, &y)
	if y.ByCorridor[0].Runs != 1 || y.ByCorridor[1].Runs != 0 {
		t.Fatalf("after moving the route to west: %+v", y.ByCorridor)
	}
	// A split of one route, or of road runs, is refused.
	ts.do(t, "GET", "/api/v1/totals/yearly?year=2024&route=SCO-TJ-MOW&by=corridor", nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/totals/monthly?year=2024&mode=road&by=corridor", nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/totals/monthly?year=2024&by=port", nil).problem(t, 400)

	// A target on the 到发 basis is reached by arrivals too.
	id := totCreateTarget(t, ts, map[string]any{"year": 2024, "metric": "arrivals_departures", "value": 2, "label": "到发 2"})
	var prog struct {
		Actual  int64 `json:"actual"`
		Reached bool  `json:"reached"`
	}
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2024-10-31", id), nil).decode(t, &prog)
	if prog.Actual != 2 || !prog.Reached {
		t.Fatalf("到发 target: %+v", prog)
	}
}
