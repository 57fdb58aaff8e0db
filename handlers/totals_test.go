package handlers_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// Hand-computed examples of totals, targets and milestones (API.md,
// "Conventions", "Totals", "Targets and milestones"). The property test in
// totals_property_test.go checks the same formulas on random data.

// The answers, as a client reads them. Unknown fields are ignored.

type totScopeJSON struct {
	Route     *string `json:"route"`
	Mode      *string `json:"mode"`
	Direction *string `json:"direction"`
}

type totMonthJSON struct {
	Month          string   `json:"month"`
	Runs           int64    `json:"runs"`
	Containers     int64    `json:"containers"`
	TEU            int64    `json:"teu"`
	CumulativeRuns int64    `json:"cumulative_runs"`
	RunsLastYear   int64    `json:"runs_last_year"`
	RunsYoYPct     *float64 `json:"runs_yoy_pct"`
	SeaRailTEU     *int64   `json:"sea_rail_teu"`
}

type totMonthlyJSON struct {
	Year   int            `json:"year"`
	Scope  totScopeJSON   `json:"scope"`
	Months []totMonthJSON `json:"months"`
}

type totFiguresJSON struct {
	Runs       int64  `json:"runs"`
	Containers int64  `json:"containers"`
	TEU        int64  `json:"teu"`
	SeaRailTEU *int64 `json:"sea_rail_teu"`
}

type totGrowthJSON struct {
	Runs       *float64 `json:"runs"`
	Containers *float64 `json:"containers"`
	TEU        *float64 `json:"teu"`
	SeaRailTEU *float64 `json:"sea_rail_teu"`
}

type totYearlyJSON struct {
	Year               int            `json:"year"`
	Through            string         `json:"through"`
	Scope              totScopeJSON   `json:"scope"`
	Runs               int64          `json:"runs"`
	Containers         int64          `json:"containers"`
	TEU                int64          `json:"teu"`
	SeaRailTEU         *int64         `json:"sea_rail_teu"`
	SamePeriodLastYear totFiguresJSON `json:"same_period_last_year"`
	YoYPct             totGrowthJSON  `json:"yoy_pct"`
	LastYearFull       totFiguresJSON `json:"last_year_full"`
}

type totTargetScopeJSON struct {
	Mode  *string `json:"mode"`
	Route *string `json:"route"`
}

type totTargetJSON struct {
	ID     int64              `json:"id"`
	Year   int                `json:"year"`
	Metric string             `json:"metric"`
	Scope  totTargetScopeJSON `json:"scope"`
	Value  int64              `json:"value"`
	Label  string             `json:"label"`
}

type totReachedByJSON struct {
	ID         int64  `json:"id"`
	Number     string `json:"number"`
	Route      string `json:"route"`
	DepartedAt string `json:"departed_at"`
}

type totProgressJSON struct {
	Target             totTargetJSON     `json:"target"`
	AsOf               string            `json:"as_of"`
	Actual             int64             `json:"actual"`
	Pct                float64           `json:"pct"`
	Remaining          int64             `json:"remaining"`
	ProjectedYearEnd   int64             `json:"projected_year_end"`
	ProjectionMethod   string            `json:"projection_method"`
	ProjectedReachDate *string           `json:"projected_reach_date"`
	OnTrack            bool              `json:"on_track"`
	Reached            bool              `json:"reached"`
	ReachedOn          *string           `json:"reached_on"`
	ReachedBy          *totReachedByJSON `json:"reached_by"`
}

type totMilestoneJSON struct {
	ID          int64             `json:"id"`
	TargetID    int64             `json:"target_id"`
	Label       string            `json:"label"`
	ReachedOn   string            `json:"reached_on"`
	ReachedBy   *totReachedByJSON `json:"reached_by"`
	RecordedAt  string            `json:"recorded_at"`
	WithdrawnAt *string           `json:"withdrawn_at"`
}

func totPtr[T any](v T) *T { return &v }

// totRun is a counted run (departed, 55 boxes, 110 TEU) unless changed.
func totRun(route, number, departed string, change func(map[string]any)) map[string]any {
	b := runBody(route, number, departed)
	b["container_numbers"] = nil
	if change != nil {
		change(b)
	}
	return b
}

// totLoad sets a run's containers and TEU.
func totLoad(containers, teu int) func(map[string]any) {
	return func(b map[string]any) { b["containers"], b["teu"] = containers, teu }
}

// totRollup runs the roll-up job once, as the scheduler would.
func totRollup(t testing.TB, ts *testServer) {
	t.Helper()
	if _, err := ts.Store.Rollup(context.Background(), false); err != nil {
		t.Fatalf("roll-up: %v", err)
	}
}

func totMonthly(t testing.TB, ts *testServer, query string) totMonthlyJSON {
	t.Helper()
	var out totMonthlyJSON
	ts.mustDo(t, 200, "GET", "/api/v1/totals/monthly?"+query, nil).decode(t, &out)
	if len(out.Months) != 12 {
		t.Fatalf("%s: %d months, want 12", query, len(out.Months))
	}
	return out
}

func totYearly(t testing.TB, ts *testServer, query string) totYearlyJSON {
	t.Helper()
	var out totYearlyJSON
	ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?"+query, nil).decode(t, &out)
	return out
}

func totCreateTarget(t testing.TB, ts *testServer, body map[string]any) int64 {
	t.Helper()
	var out totTargetJSON
	ts.mustDo(t, 201, "POST", "/api/v1/targets", body).decode(t, &out)
	return out.ID
}

func totProgress(t testing.TB, ts *testServer, id int64, asOf string) totProgressJSON {
	t.Helper()
	path := fmt.Sprintf("/api/v1/targets/%d/progress", id)
	if asOf != "" {
		path += "?as_of=" + asOf
	}
	var out totProgressJSON
	ts.mustDo(t, 200, "GET", path, nil).decode(t, &out)
	return out
}

func totMilestones(t testing.TB, ts *testServer) []totMilestoneJSON {
	t.Helper()
	var out struct {
		Items []totMilestoneJSON `json:"items"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/milestones", nil).decode(t, &out)
	return out.Items
}

func totFmtPct(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// (a) Months are taken in the reporting time zone: 2024-10-31T20:00:00Z is
// 04:00 on 1 November in Shanghai, but still October in UTC.
func TestTotalsMonthInReportingZone(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		zone  *time.Location
		month int // 1-based month the run belongs to
	}{{shanghai, 11}, {time.UTC, 10}} {
		t.Run(c.zone.String(), func(t *testing.T) {
			t.Parallel()
			ts := newTestServerIn(t, c.zone)
			ts.now = time.Date(2025, 3, 1, 12, 0, 0, 0, c.zone)
			createRoute(t, ts, "SCO-TJ-MOW", nil)
			createRun(t, ts, totRun("SCO-TJ-MOW", "X8024", "2024-10-31T20:00:00Z", nil))
			totRollup(t, ts)

			m := totMonthly(t, ts, "year=2024")
			for i, mt := range m.Months {
				want := totMonthJSON{Month: fmt.Sprintf("2024-%02d", i+1), SeaRailTEU: totPtr[int64](0)}
				if i+1 >= c.month {
					want.CumulativeRuns = 1
				}
				if i+1 == c.month {
					want.Runs, want.Containers, want.TEU = 1, 55, 110
				}
				if !reflect.DeepEqual(mt, want) {
					t.Errorf("month %d: got %+v, want %+v", i+1, mt, want)
				}
			}
			if y := totYearly(t, ts, "year=2024&through=2024-10"); y.Runs != int64(btoi(c.month == 10)) {
				t.Errorf("January–October: %d runs, want %d", y.Runs, btoi(c.month == 10))
			}
			if y := totYearly(t, ts, "year=2024&through=2024-11"); y.Runs != 1 || y.TEU != 110 {
				t.Errorf("January–November: %+v, want 1 run of 110 TEU", y)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// (b) Only departed and arrived runs whose departure is not in the future
// count; a future departure counts once the clock passes it and the roll-up
// has run.
func TestTotalsCountedRuns(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.now = time.Date(2024, 6, 15, 12, 0, 0, 0, shanghai)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	planned := createRun(t, ts, totRun("SCO-TJ-MOW", "P1", "2024-06-01T10:00:00+08:00", func(b map[string]any) { b["status"] = "planned" }))
	createRun(t, ts, totRun("SCO-TJ-MOW", "C1", "2024-06-02T10:00:00+08:00", func(b map[string]any) { b["status"] = "cancelled" }))
	createRun(t, ts, totRun("SCO-TJ-MOW", "D1", "2024-06-03T10:00:00+08:00", nil))
	createRun(t, ts, totRun("SCO-TJ-MOW", "A1", "2024-06-04T10:00:00+08:00", func(b map[string]any) {
		b["status"], b["arrived_at"] = "arrived", "2024-06-10T10:00:00+08:00"
	}))
	createRun(t, ts, totRun("SCO-TJ-MOW", "F1", "2024-06-15T12:03:00+08:00", nil)) // departs in three minutes
	// Five days ahead is no departure yet: it is refused, to be logged as planned.
	ts.do(t, "POST", "/api/v1/runs", totRun("SCO-TJ-MOW", "F2", "2024-06-20T10:00:00+08:00", nil)).problem(t, 422)
	totRollup(t, ts)

	june := func() int64 { return totMonthly(t, ts, "year=2024").Months[5].Runs }
	if got := june(); got != 2 {
		t.Fatalf("June: %d runs, want 2 (the departed and the arrived run)", got)
	}
	// The clock passes the future departure: it counts after the next roll-up.
	ts.now = time.Date(2024, 6, 15, 12, 3, 0, 0, shanghai) // the very instant of departure counts
	totRollup(t, ts)
	if got := june(); got != 3 {
		t.Fatalf("June after the future run departed: %d runs, want 3", got)
	}
	// Planned and cancelled runs never count, however old they get.
	ts.now = time.Date(2025, 1, 10, 0, 0, 0, 0, shanghai)
	totRollup(t, ts)
	if got := june(); got != 3 {
		t.Fatalf("June half a year later: %d runs, want 3", got)
	}
	// Until their status says they left.
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", planned.ID), map[string]any{"status": "departed"})
	totRollup(t, ts)
	if got := june(); got != 4 {
		t.Fatalf("June after the planned run was marked departed: %d runs, want 4", got)
	}
	if y := totYearly(t, ts, "year=2024&through=2024-06"); y.Runs != 4 || y.Containers != 4*55 || y.TEU != 4*110 {
		t.Fatalf("January–June: %+v", y)
	}
}

// (c) Growth is null when last year's figure is 0 and rounds half away from
// zero: 3 → 1 is −66.7 %; 16 → 15 containers is −6.25 % → −6.3; 32 → 34 TEU
// is +6.25 % → +6.3.
func TestTotalsYoY(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.now = time.Date(2024, 12, 1, 12, 0, 0, 0, shanghai)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	for i, load := range [][2]int{{5, 10}, {5, 10}, {6, 12}} { // March 2023: 3 runs, 16 boxes, 32 TEU
		createRun(t, ts, totRun("SCO-TJ-MOW", fmt.Sprintf("L%d", i), fmt.Sprintf("2023-03-%02dT10:00:00+08:00", 10+i), totLoad(load[0], load[1])))
	}
	createRun(t, ts, totRun("SCO-TJ-MOW", "M1", "2024-03-10T10:00:00+08:00", totLoad(7, 16))) // March 2024: 1 run
	createRun(t, ts, totRun("SCO-TJ-MOW", "A1", "2024-04-10T10:00:00+08:00", totLoad(8, 18))) // April 2024: 1 run, none in April 2023
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2023-03-10", "export", 1000))
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-03-10", "export", 1500))
	totRollup(t, ts)

	m := totMonthly(t, ts, "year=2024")
	mar, apr, may := m.Months[2], m.Months[3], m.Months[4]
	if mar.Runs != 1 || mar.RunsLastYear != 3 || totFmtPct(mar.RunsYoYPct) != "-66.7" {
		t.Errorf("March: %+v, yoy %s; want 1 run against 3, -66.7", mar, totFmtPct(mar.RunsYoYPct))
	}
	if apr.Runs != 1 || apr.RunsLastYear != 0 || apr.RunsYoYPct != nil {
		t.Errorf("April: %+v, yoy %s; want 1 run against 0, null", apr, totFmtPct(apr.RunsYoYPct))
	}
	if may.Runs != 0 || may.RunsYoYPct != nil {
		t.Errorf("May: %+v, yoy %s; want 0 against 0, null", may, totFmtPct(may.RunsYoYPct))
	}
	if apr.CumulativeRuns != 2 || m.Months[11].CumulativeRuns != 2 {
		t.Errorf("cumulative runs April %d, December %d; want 2", apr.CumulativeRuns, m.Months[11].CumulativeRuns)
	}

	y := totYearly(t, ts, "year=2024&through=2024-04")
	want := totYearlyJSON{Year: 2024, Through: "2024-04", Runs: 2, Containers: 15, TEU: 34, SeaRailTEU: totPtr[int64](1500),
		SamePeriodLastYear: totFiguresJSON{Runs: 3, Containers: 16, TEU: 32, SeaRailTEU: totPtr[int64](1000)},
		YoYPct:             totGrowthJSON{Runs: totPtr(-33.3), Containers: totPtr(-6.3), TEU: totPtr(6.3), SeaRailTEU: totPtr(50.0)},
		LastYearFull:       totFiguresJSON{Runs: 3, Containers: 16, TEU: 32, SeaRailTEU: totPtr[int64](1000)}}
	if !reflect.DeepEqual(y, want) {
		t.Errorf("yearly:\n got %+v\nwant %+v", y, want)
	}
	// 2023 against an empty 2022: every growth is null.
	y = totYearly(t, ts, "year=2023&through=2023-12")
	if g := y.YoYPct; g.Runs != nil || g.Containers != nil || g.TEU != nil || g.SeaRailTEU != nil {
		t.Errorf("2023 growth against nothing: %+v, want all null", g)
	}
}

// (d) sea_rail_teu is null as soon as route, mode or direction is given, and
// present (0 when nothing was logged) otherwise.
func TestTotalsSeaRailOnlyUnscoped(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.now = time.Date(2024, 12, 1, 12, 0, 0, 0, shanghai)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, totRun("SCO-TJ-MOW", "X1", "2024-10-12T09:30:00+08:00", nil))
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1520))
	rz := seaRailBody("2024-10-12", "import", 480)
	rz["port"] = "CNRZH"
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", rz)
	totRollup(t, ts)

	m := totMonthly(t, ts, "year=2024")
	for i, mt := range m.Months {
		want := int64(0)
		if i == 9 {
			want = 2000
		}
		if mt.SeaRailTEU == nil || *mt.SeaRailTEU != want {
			t.Errorf("unscoped %s: sea_rail_teu %v, want %d", mt.Month, mt.SeaRailTEU, want)
		}
	}
	y := totYearly(t, ts, "year=2024&through=2024-10")
	if y.SeaRailTEU == nil || *y.SeaRailTEU != 2000 || y.SamePeriodLastYear.SeaRailTEU == nil || *y.SamePeriodLastYear.SeaRailTEU != 0 ||
		y.LastYearFull.SeaRailTEU == nil || *y.LastYearFull.SeaRailTEU != 0 || y.YoYPct.SeaRailTEU != nil {
		t.Errorf("unscoped yearly: %+v", y)
	}

	for _, scope := range []string{"route=SCO-TJ-MOW", "mode=rail", "direction=outbound", "direction=inbound", "route=SCO-TJ-MOW&direction=outbound", "mode=sea"} {
		var raw struct {
			Months []map[string]any `json:"months"`
		}
		ts.mustDo(t, 200, "GET", "/api/v1/totals/monthly?year=2024&"+scope, nil).decode(t, &raw)
		for _, mt := range raw.Months {
			if v, ok := mt["sea_rail_teu"]; !ok || v != nil {
				t.Errorf("monthly %s %v: sea_rail_teu %v (present %v), want null", scope, mt["month"], v, ok)
			}
		}
		var yr map[string]any
		ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?year=2024&through=2024-10&"+scope, nil).decode(t, &yr)
		for _, obj := range []any{yr, yr["same_period_last_year"], yr["last_year_full"], yr["yoy_pct"]} {
			o, _ := obj.(map[string]any)
			if v, ok := o["sea_rail_teu"]; !ok || v != nil {
				t.Errorf("yearly %s: sea_rail_teu %v (present %v) in %v, want null", scope, v, ok, o)
			}
		}
	}
	// The scope is still applied to the run figures.
	if y := totYearly(t, ts, "year=2024&through=2024-10&direction=inbound"); y.Runs != 0 {
		t.Errorf("inbound: %d runs, want 0", y.Runs)
	}
	if y := totYearly(t, ts, "year=2024&through=2024-10&direction=outbound"); y.Runs != 1 {
		t.Errorf("outbound: %d runs, want 1", y.Runs)
	}
}

// (e) Query parameters that cannot be parsed answer 400 naming the
// parameter; an unknown route answers 404.
func TestTotalsQueryErrors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	for _, c := range []struct {
		query  string
		status int
		fields []string // any one of them
	}{
		{"monthly?year=abc", 400, []string{"year"}},
		{"yearly?year=abc", 400, []string{"year"}},
		{"monthly?year=2024.5", 400, []string{"year"}},
		{"yearly?year=2024&through=2024-13", 400, []string{"through"}},
		{"yearly?year=2024&through=2024-1", 400, []string{"through"}},
		{"yearly?through=October", 400, []string{"through"}},
		{"yearly?year=2024&through=2023-10", 400, []string{"through", "year"}},
		{"monthly?year=2024&route=SCO-TJ-MOW&mode=rail", 400, []string{"route", "mode"}},
		{"yearly?year=2024&through=2024-10&route=SCO-TJ-MOW&mode=rail", 400, []string{"route", "mode"}},
		{"monthly?year=2024&mode=ship", 400, []string{"mode"}},
		{"yearly?year=2024&direction=westbound", 400, []string{"direction"}},
		{"monthly?year=2024&route=NOPE", 404, nil},
		{"yearly?year=2024&through=2024-10&route=NOPE", 404, nil},
	} {
		p := ts.do(t, "GET", "/api/v1/totals/"+c.query, nil).problem(t, c.status)
		if c.fields != nil {
			got := fields(p)
			if len(got) != 1 || !slices.Contains(c.fields, got[0]) {
				t.Errorf("%s: fields %v, want one of %v", c.query, got, c.fields)
			}
		}
	}
	// The same queries with valid values answer.
	ts.mustDo(t, 200, "GET", "/api/v1/totals/monthly?year=2024&route=SCO-TJ-MOW&direction=inbound", nil)
	ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?year=2024&through=2024-12&mode=sea_rail", nil)
}

// (f) A runs target is reached by the value-th counted run in order of
// (departed_at, id); deleting an earlier run moves the milestone: the old
// one is withdrawn and a new one recorded.
func TestProgressReachedByAndMilestoneMoves(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.now = time.Date(2024, 7, 1, 12, 0, 0, 0, shanghai)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRoute(t, ts, "QD-MOW-TIR", func(b map[string]any) { b["mode"] = "road" })
	a := createRun(t, ts, totRun("SCO-TJ-MOW", "A", "2024-03-01T10:00:00+08:00", nil))
	// B and C leave at the same instant; B was logged first (lower id). Their
	// numbers sort the other way round, so only the id can break the tie.
	b := createRun(t, ts, totRun("SCO-TJ-MOW", "Z-B", "2024-04-01T10:00:00+08:00", nil))
	c := createRun(t, ts, totRun("QD-MOW-TIR", "A-C", "2024-04-01T02:00:00Z", nil))
	d := createRun(t, ts, totRun("SCO-TJ-MOW", "D", "2024-05-01T10:00:00+08:00", nil))
	if !(a.ID < b.ID && b.ID < c.ID && c.ID < d.ID) {
		t.Fatalf("ids not increasing: %d %d %d %d", a.ID, b.ID, c.ID, d.ID)
	}
	totRollup(t, ts)
	id := totCreateTarget(t, ts, map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{}, "value": 3, "label": "三列"})

	p := totProgress(t, ts, id, "2024-06-30")
	want := totProgressJSON{
		Target: totTargetJSON{ID: id, Year: 2024, Metric: "runs", Value: 3, Label: "三列"}, AsOf: "2024-06-30",
		Actual: 4, Pct: 133.3, Remaining: 0,
		// No runs in 2023: run rate, round(4 × 366 / 182) = round(8.04) = 8.
		ProjectedYearEnd: 8, ProjectionMethod: "run_rate", ProjectedReachDate: nil,
		OnTrack: true, Reached: true, ReachedOn: totPtr("2024-04-01"),
		ReachedBy: &totReachedByJSON{ID: c.ID, Number: "A-C", Route: "QD-MOW-TIR", DepartedAt: "2024-04-01T10:00:00+08:00"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("progress:\n got %+v\nwant %+v", p, want)
	}
	ms := totMilestones(t, ts)
	if len(ms) != 1 || ms[0].TargetID != id || ms[0].ReachedOn != "2024-04-01" || ms[0].WithdrawnAt != nil ||
		ms[0].ReachedBy == nil || *ms[0].ReachedBy != *want.ReachedBy || ms[0].Label != "三列" {
		t.Fatalf("milestones %+v, want one reached by run %d", ms, c.ID)
	}

	// Correction: run A is deleted. D is now the third.
	ts.mustDo(t, 204, "DELETE", fmt.Sprintf("/api/v1/runs/%d", a.ID), nil)
	totRollup(t, ts)
	p = totProgress(t, ts, id, "2024-06-30")
	if p.Actual != 3 || p.Pct != 100 || !p.Reached || p.ReachedOn == nil || *p.ReachedOn != "2024-05-01" ||
		p.ReachedBy == nil || p.ReachedBy.ID != d.ID || p.ReachedBy.DepartedAt != "2024-05-01T10:00:00+08:00" {
		t.Fatalf("progress after the deletion: %+v (reached_by %+v)", p, p.ReachedBy)
	}
	ms = totMilestones(t, ts)
	if len(ms) != 2 {
		t.Fatalf("milestones after the deletion: %+v, want the old one withdrawn and a new one", ms)
	}
	now, old := ms[0], ms[1] // newest first
	if now.WithdrawnAt != nil || now.ReachedBy == nil || now.ReachedBy.ID != d.ID || now.ReachedOn != "2024-05-01" {
		t.Errorf("new milestone %+v (reached_by %+v), want reached by run %d on 2024-05-01, not withdrawn", now, now.ReachedBy, d.ID)
	}
	if old.WithdrawnAt == nil || old.ReachedBy == nil || old.ReachedBy.ID != c.ID {
		t.Errorf("old milestone %+v, want reached by run %d and withdrawn", old, c.ID)
	}
	// A roll-up with nothing to do changes no milestone.
	totRollup(t, ts)
	if again := totMilestones(t, ts); !reflect.DeepEqual(again, ms) {
		t.Errorf("an idle roll-up changed the milestones:\n%+v\n%+v", ms, again)
	}
}

// (g) as_of before the target's year is invalid; after 31 December the
// answer is the one for 31 December.
func TestProgressAsOfBounds(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.now = time.Date(2025, 3, 10, 12, 0, 0, 0, shanghai)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, totRun("SCO-TJ-MOW", "Y1", "2024-12-31T23:30:00+08:00", nil))
	createRun(t, ts, totRun("SCO-TJ-MOW", "N1", "2025-01-01T00:00:00+08:00", nil)) // next year: never in 2024's figures
	totRollup(t, ts)
	id := totCreateTarget(t, ts, map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{"mode": "rail"}, "value": 10, "label": "ten"})

	p := ts.do(t, "GET", fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2023-12-31", id), nil).problem(t, 422)
	if !reflect.DeepEqual(fields(p), []string{"as_of"}) {
		t.Errorf("as_of before the year: fields %v, want [as_of]", fields(p))
	}
	ts.do(t, "GET", fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2024-02-30", id), nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/targets/999/progress?as_of=2024-02-01", nil).problem(t, 404)

	dec31 := totProgress(t, ts, id, "2024-12-31")
	if dec31.AsOf != "2024-12-31" || dec31.Actual != 1 || dec31.Pct != 10 || dec31.Remaining != 9 ||
		dec31.ProjectionMethod != "run_rate" || dec31.ProjectedYearEnd != 1 || dec31.OnTrack || dec31.Reached {
		t.Errorf("as of 31 December: %+v", dec31)
	}
	// r = 1/90 a day: 31 December + ceil(9 × 90) days.
	if want := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 810).Format(time.DateOnly); dec31.ProjectedReachDate == nil || *dec31.ProjectedReachDate != want {
		t.Errorf("projected reach date %v, want %s", dec31.ProjectedReachDate, want)
	}
	for _, asOf := range []string{"2025-01-01", "2025-03-10", "2030-06-30", ""} { // "" is today, 2025-03-10
		if got := totProgress(t, ts, id, asOf); !reflect.DeepEqual(got, dec31) {
			t.Errorf("as_of %q:\n got %+v\nwant %+v", asOf, got, dec31)
		}
	}
	// 1 January of the year itself is valid.
	if p := totProgress(t, ts, id, "2024-01-01"); p.AsOf != "2024-01-01" || p.Actual != 0 || p.ProjectedReachDate != nil {
		t.Errorf("as of 1 January: %+v", p)
	}
}

// The projection formulas with hand-computed numbers: seasonal with 29
// February mapping to 28 February, run rate without last year's figures,
// and the 90-day reach date.
func TestProgressProjection(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.now = time.Date(2025, 2, 1, 12, 0, 0, 0, shanghai)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRoute(t, ts, "NEW-2025", nil)
	for i, dep := range []string{"2023-01-10", "2023-02-10", "2023-03-01", "2023-08-10", "2023-11-10", "2024-01-05", "2024-02-05", "2024-02-29"} {
		createRun(t, ts, totRun("SCO-TJ-MOW", fmt.Sprintf("S%d", i), dep+"T12:00:00+08:00", nil))
	}
	createRun(t, ts, totRun("NEW-2025", "N1", "2025-01-10T12:00:00+08:00", nil))
	createRun(t, ts, totRun("NEW-2025", "N2", "2025-01-20T12:00:00+08:00", nil))
	totRollup(t, ts)

	// As of 2024-02-29: actual 3; last year to 2023-02-28 (not 1 March): 2,
	// last year in full: 5. Seasonal: round(3 × 5 / 2) = round(7.5) = 8.
	// Last 90 days (2023-12-02..2024-02-29): 3 runs, r = 3/90; remaining 7:
	// ceil(7 × 90 / 3) = 210 days → 2024-09-26.
	id := totCreateTarget(t, ts, map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{"route": "SCO-TJ-MOW"}, "value": 10, "label": "ten"})
	got := totProgress(t, ts, id, "2024-02-29")
	want := totProgressJSON{Target: totTargetJSON{ID: id, Year: 2024, Metric: "runs", Scope: totTargetScopeJSON{Route: totPtr("SCO-TJ-MOW")}, Value: 10, Label: "ten"},
		AsOf: "2024-02-29", Actual: 3, Pct: 30, Remaining: 7, ProjectedYearEnd: 8, ProjectionMethod: "seasonal",
		ProjectedReachDate: totPtr("2024-09-26")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("seasonal:\n got %+v\nwant %+v", got, want)
	}

	// A route with nothing last year: run rate, round(2 × 365 / 31) = 24.
	id = totCreateTarget(t, ts, map[string]any{"year": 2025, "metric": "teu", "scope": map[string]any{"route": "NEW-2025"}, "value": 500, "label": "500 TEU"})
	got = totProgress(t, ts, id, "2025-01-31")
	// TEU: 220 of 500; run rate round(220 × 365 / 31) = round(2590.3) = 2590;
	// last 90 days: 220, remaining 280: ceil(280 × 90 / 220) = ceil(114.5) = 115 → 2025-05-26.
	if got.Actual != 220 || got.Pct != 44 || got.ProjectionMethod != "run_rate" || got.ProjectedYearEnd != 2590 || !got.OnTrack ||
		got.ProjectedReachDate == nil || *got.ProjectedReachDate != "2025-05-26" {
		t.Errorf("run rate: %+v (reach %v)", got, got.ProjectedReachDate)
	}
}
