package handlers_test

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"banlie/models"
)

func runBody(route, number, departed string) map[string]any {
	return map[string]any{
		"route":             route,
		"number":            number,
		"direction":         "outbound",
		"departed_at":       departed,
		"arrived_at":        nil,
		"status":            "departed",
		"containers":        55,
		"teu":               110,
		"cargo":             "auto parts, household appliances",
		"container_numbers": []string{boxOf(route, number, departed)},
	}
}

// boxOf is the container a test run of route, train number and departure
// carries: a box is on one train at a time, so every run of the tests
// carries its own, the same one whenever the same run is sent again.
func boxOf(route, number, departed string) string {
	h := fnv.New64a()
	h.Write([]byte(route + "\x00" + number + "\x00" + departed))
	v := h.Sum64()
	owner := []byte{'A' + byte(v%26), 'A' + byte(v/26%26), 'A' + byte(v/676%26)}
	return models.ContainerNumber(string(owner), 'U', int(v/17576%1000000))
}

type runJSON struct {
	ID               int64    `json:"id"`
	Route            string   `json:"route"`
	Number           string   `json:"number"`
	Direction        string   `json:"direction"`
	DepartedAt       string   `json:"departed_at"`
	ArrivedAt        *string  `json:"arrived_at"`
	Status           string   `json:"status"`
	Containers       int      `json:"containers"`
	TEU              int      `json:"teu"`
	Cargo            *string  `json:"cargo"`
	ContainerNumbers []string `json:"container_numbers"`
}

type runPage struct {
	Items      []runJSON `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

func createRun(t testing.TB, ts *testServer, body map[string]any) runJSON {
	t.Helper()
	var r runJSON
	ts.mustDo(t, 201, "POST", "/api/v1/runs", body).decode(t, &r)
	return r
}

// allRuns pages through a list with the given query and page size.
func allRuns(t testing.TB, ts *testServer, query string, limit int) []runJSON {
	t.Helper()
	var out []runJSON
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		var p runPage
		ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/runs?limit=%d&cursor=%s&%s", limit, cursor, query), nil).decode(t, &p)
		out = append(out, p.Items...)
		if p.NextCursor == nil {
			return out
		}
		cursor = *p.NextCursor
	}
}

func TestCreateRun(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	body := runBody("SCO-TJ-MOW", "X8024", "2024-10-12T01:30:00Z")
	body["container_numbers"] = []string{"csqu 305438 3"}
	r := ts.do(t, "POST", "/api/v1/runs", body)
	if r.Status != 201 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var got runJSON
	r.decode(t, &got)
	if r.Header.Get("Location") != fmt.Sprintf("/api/v1/runs/%d", got.ID) {
		t.Fatalf("Location %q for id %d", r.Header.Get("Location"), got.ID)
	}
	want := runJSON{ID: got.ID, Route: "SCO-TJ-MOW", Number: "X8024", Direction: "outbound",
		DepartedAt: "2024-10-12T09:30:00+08:00", Status: "departed", Containers: 55, TEU: 110,
		Cargo: got.Cargo, ContainerNumbers: []string{"CSQU3054383"}}
	if !reflect.DeepEqual(got, want) || *got.Cargo != "auto parts, household appliances" {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	var raw map[string]any
	ts.mustDo(t, 200, "GET", r.Header.Get("Location"), nil).decode(t, &raw)
	for _, k := range []string{"id", "route", "number", "direction", "departed_at", "arrived_at", "status", "containers", "teu", "cargo", "container_numbers", "created_at", "updated_at"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("field %s missing from the answer", k)
		}
	}
}

func TestCreateRunValidation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	const dep = "2024-10-12T09:30:00+08:00"
	cases := []struct {
		name   string
		change func(map[string]any)
		fields []string
	}{
		{"unknown route", func(b map[string]any) { b["route"] = "NOPE" }, []string{"route"}},
		{"missing route", func(b map[string]any) { delete(b, "route") }, []string{"route"}},
		{"empty number", func(b map[string]any) { b["number"] = "" }, []string{"number"}},
		{"number of 33 characters", func(b map[string]any) { b["number"] = strings.Repeat("X", 33) }, []string{"number"}},
		{"number on two lines", func(b map[string]any) { b["number"] = "X8024\nX8025" }, []string{"number"}},
		{"number with a tab", func(b map[string]any) { b["number"] = "X8024\tB" }, []string{"number"}},
		{"bad direction", func(b map[string]any) { b["direction"] = "westbound" }, []string{"direction"}},
		{"bad status", func(b map[string]any) { b["status"] = "lost" }, []string{"status"}},
		{"departure without offset", func(b map[string]any) { b["departed_at"] = "2024-10-12T09:30:00" }, []string{"departed_at"}},
		{"departure as a date", func(b map[string]any) { b["departed_at"] = "2024-10-12" }, []string{"departed_at"}},
		{"missing departure", func(b map[string]any) { delete(b, "departed_at") }, []string{"departed_at"}},
		{"arrived without arrived_at", func(b map[string]any) { b["status"] = "arrived" }, []string{"arrived_at"}},
		{"arrival before departure", func(b map[string]any) { b["arrived_at"] = "2024-10-12T01:29:59Z" }, []string{"arrived_at"}},
		{"negative containers", func(b map[string]any) { b["containers"] = -1; b["container_numbers"] = []string{} }, []string{"containers"}},
		{"501 containers", func(b map[string]any) { b["containers"] = 501 }, []string{"containers"}},
		{"1251 TEU", func(b map[string]any) { b["teu"] = 1251 }, []string{"teu"}},
		{"TEU under containers", func(b map[string]any) { b["teu"] = 54 }, []string{"teu"}},
		{"TEU over 2.5 × containers", func(b map[string]any) { b["containers"] = 10; b["teu"] = 26 }, []string{"teu"}},
		{"wrong check digit", func(b map[string]any) { b["container_numbers"] = []string{"CSQU3054384"} }, []string{"container_numbers[0]"}},
		{"wrong category", func(b map[string]any) { b["container_numbers"] = []string{"CSQA3054383"} }, []string{"container_numbers[0]"}},
		{"more numbers than containers", func(b map[string]any) {
			b["containers"] = 1
			b["teu"] = 2
			b["container_numbers"] = []string{"CSQU3054383", "MSKU9070323"}
		}, []string{"container_numbers"}},
		{"the same container twice", func(b map[string]any) { b["container_numbers"] = []string{"CSQU3054383", "CSQU3054383"} }, []string{"container_numbers[1]"}},
		{"every error at once", func(b map[string]any) {
			b["route"] = "NOPE"
			b["direction"] = "x"
			b["containers"] = 600
			b["container_numbers"] = []string{"bad"}
		}, []string{"direction", "containers", "container_numbers[0]", "route"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := runBody("SCO-TJ-MOW", "X8024", dep)
			c.change(b)
			p := ts.do(t, "POST", "/api/v1/runs", b).problem(t, 422)
			if got := fields(p); !reflect.DeepEqual(got, c.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, c.fields, p.Errors)
			}
		})
	}
	if got := allRuns(t, ts, "", 50); len(got) != 0 {
		t.Fatalf("invalid runs were stored: %v", got)
	}
	// The bounds themselves are valid.
	b := runBody("SCO-TJ-MOW", "EDGE", dep)
	b["containers"], b["teu"], b["container_numbers"] = 500, 1250, []string{}
	createRun(t, ts, b)
	b = runBody("SCO-TJ-MOW", "EMPTY", dep)
	b["containers"], b["teu"], b["container_numbers"] = 0, 0, nil
	createRun(t, ts, b)
	b = runBody("SCO-TJ-MOW", "ARR", dep)
	b["status"], b["arrived_at"] = "arrived", dep // arriving at the very instant of departure is allowed
	createRun(t, ts, b)
}

func TestCreateRunMalformedBodies(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	cases := []struct {
		name, body, field string
	}{
		{"not JSON", `{"route": "SCO-TJ-MOW",`, ""},
		{"garbage", `route=SCO`, ""},
		{"empty", ``, ""},
		{"an array", `[{"route": "SCO-TJ-MOW"}]`, ""},
		{"a string", `"SCO-TJ-MOW"`, ""},
		{"two objects", `{"number":"A"} {"number":"B"}`, ""},
		{"containers as a string", `{"route":"SCO-TJ-MOW","containers":"55"}`, "containers"},
		{"teu as a fraction", `{"route":"SCO-TJ-MOW","teu":110.5}`, "teu"},
		{"number as a number", `{"number":8024}`, "number"},
		{"unknown field", `{"route":"SCO-TJ-MOW","wagons":55}`, "wagons"},
		{"read-only id", `{"id":7,"route":"SCO-TJ-MOW"}`, "id"},
		{"container numbers as a string", `{"container_numbers":"CSQU3054383"}`, "container_numbers"},
		{"a key twice", `{"route":"SCO-TJ-MOW","number":"X1","number":"X2"}`, "number"},
		{"a key twice, escaped", `{"route":"SCO-TJ-MOW","number":"X1","\u006eumber":"X2"}`, "number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ts.do(t, "POST", "/api/v1/runs", c.body).problem(t, 400)
			if c.field != "" && !reflect.DeepEqual(fields(p), []string{c.field}) {
				t.Fatalf("fields %v, want [%s]", fields(p), c.field)
			}
			if strings.Contains(p.Detail, "models.") || strings.Contains(p.Detail, "Go struct") {
				t.Fatalf("detail leaks internals: %q", p.Detail)
			}
		})
	}
	big := `{"cargo":"` + strings.Repeat("x", 1<<20) + `"}`
	ts.do(t, "POST", "/api/v1/runs", big).problem(t, http.StatusRequestEntityTooLarge)
	// The limit is 1 MiB: a body of exactly 1,048,576 bytes is read (and
	// refused for its values), one byte more is not.
	atLimit := `{"cargo":"` + strings.Repeat("x", 1<<20-len(`{"cargo":""}`)) + `"}`
	if len(atLimit) != 1<<20 {
		t.Fatalf("body of %d bytes", len(atLimit))
	}
	ts.do(t, "POST", "/api/v1/runs", atLimit).problem(t, 422)
	ts.do(t, "POST", "/api/v1/runs", atLimit+" ").problem(t, http.StatusRequestEntityTooLarge)
	if got := allRuns(t, ts, "", 50); len(got) != 0 {
		t.Fatalf("malformed bodies stored runs: %v", got)
	}
}

func TestRunDuplicateRuleUsesReportingDay(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRoute(t, ts, "OTHER", nil)
	// 2024-10-31T20:00:00Z is 04:00 on 1 November in Shanghai.
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-31T20:00:00Z"))
	p := ts.do(t, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8024", "2024-11-01T23:59:59+08:00")).problem(t, 409)
	if !strings.Contains(p.Detail, "2024-11-01") || !reflect.DeepEqual(fields(p), []string{"number"}) {
		t.Fatalf("conflict should name the day and the field: %q %v", p.Detail, p.Errors)
	}
	// 23:59 on 31 October in Shanghai is another day: fine.
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-31T15:59:59Z"))
	// Another route or another number the same day: fine.
	createRun(t, ts, runBody("OTHER", "X8024", "2024-11-01T10:00:00+08:00"))
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8025", "2024-11-01T10:00:00+08:00"))

	// In another reporting zone the same instants fall on other days.
	moscow := newTestServerIn(t, mustLoc("Europe/Moscow"))
	createRoute(t, moscow, "SCO-TJ-MOW", nil)
	createRun(t, moscow, runBody("SCO-TJ-MOW", "X8024", "2024-10-31T20:00:00Z")) // 23:00 31 Oct in Moscow
	createRun(t, moscow, runBody("SCO-TJ-MOW", "X8024", "2024-11-01T05:00:00+08:00"))
	moscow.do(t, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8024", "2024-10-31T00:00:00+03:00")).problem(t, 409)
}

func TestListRunsFiltersInReportingZone(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "R-RAIL", nil)
	createRoute(t, ts, "R-ROAD", func(b map[string]any) { b["mode"] = "road" })
	mk := func(route, number, dep, dir, status string) int64 {
		b := runBody(route, number, dep)
		b["direction"], b["status"] = dir, status
		if status == "arrived" {
			b["arrived_at"] = "2024-12-31T00:00:00Z"
		}
		return createRun(t, ts, b).ID
	}
	a := mk("R-RAIL", "A", "2024-10-31T15:59:59Z", "outbound", "departed") // 31 Oct 23:59:59 Shanghai
	b := mk("R-RAIL", "B", "2024-10-31T16:00:00Z", "inbound", "arrived")   // 1 Nov 00:00 Shanghai
	c := mk("R-ROAD", "C", "2024-11-30T15:59:59Z", "outbound", "planned")  // 30 Nov 23:59:59
	d := mk("R-ROAD", "D", "2024-11-30T16:00:00Z", "inbound", "cancelled") // 1 Dec
	ids := func(q string) []int64 {
		out := []int64{}
		for _, r := range allRuns(t, ts, q, 2) {
			out = append(out, r.ID)
		}
		return out
	}
	check := func(q string, want ...int64) {
		t.Helper()
		if want == nil {
			want = []int64{}
		}
		if got := ids(q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	check("", d, c, b, a)
	check("from=2024-11-01", d, c, b)
	check("to=2024-10-31", a)
	check("from=2024-11-01&to=2024-11-30", c, b)
	check("from=2024-12-01&to=2024-12-01", d)
	check("route=R-ROAD", d, c)
	check("route=NOPE")
	check("mode=rail", b, a)
	check("direction=inbound", d, b)
	check("status=planned", c)
	check("mode=road&direction=outbound&from=2024-11-01", c)
	for _, q := range []string{"from=2024-13-01", "to=yesterday", "from=2024-11-02&to=2024-11-01", "status=lost", "direction=up", "mode=boat", "limit=x", "limit=-1", "cursor=abc"} {
		ts.do(t, "GET", "/api/v1/runs?"+q, nil).problem(t, 400)
	}
	var p runPage
	ts.mustDo(t, 200, "GET", "/api/v1/runs?limit=100000", nil).decode(t, &p)
	if len(p.Items) != 4 {
		t.Fatalf("a limit over 500 is capped, not refused: %d items", len(p.Items))
	}
}

func TestPagingWhileWriting(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	base := time.Date(2024, 1, 1, 8, 0, 0, 0, shanghai)
	existing := map[int64]bool{}
	for i := 0; i < 40; i++ {
		// Several runs share a departure instant, so the id must break ties.
		dep := base.Add(time.Duration(i/3) * 24 * time.Hour)
		existing[createRun(t, ts, runBody("RA", fmt.Sprintf("N%d", i), dep.Format(time.RFC3339))).ID] = true
	}
	seen := map[int64]int{}
	cursor := ""
	for page := 0; ; page++ {
		var p runPage
		ts.mustDo(t, 200, "GET", "/api/v1/runs?limit=7&cursor="+cursor, nil).decode(t, &p)
		for _, r := range p.Items {
			seen[r.ID]++
		}
		// Between pages, operators log runs newer, older and equal to those already listed.
		for j, dep := range []time.Time{base.AddDate(1, 0, 0), base.AddDate(-1, 0, 0), base.Add(24 * time.Hour)} {
			createRun(t, ts, runBody("RA", fmt.Sprintf("P%d-%d", page, j), dep.Format(time.RFC3339)))
		}
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	for id := range existing {
		if seen[id] != 1 {
			t.Errorf("run %d listed %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("run %d listed %d times", id, n)
		}
	}
}

func TestPatchAndDeleteRun(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	createRoute(t, ts, "R2", nil)
	run := createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+08:00"))
	createRun(t, ts, runBody("RA", "X2", "2024-10-12T10:30:00+08:00"))
	path := fmt.Sprintf("/api/v1/runs/%d", run.ID)

	var got runJSON
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"status": "arrived", "arrived_at": "2024-10-27T10:00:00+03:00"}).decode(t, &got)
	if got.Status != "arrived" || got.ArrivedAt == nil || *got.ArrivedAt != "2024-10-27T15:00:00+08:00" || got.Number != "X1" || got.TEU != 110 {
		t.Fatalf("patched run %+v", got)
	}
	// Clearing arrived_at of an arrived run breaks the status rule.
	p := ts.do(t, "PATCH", path, map[string]any{"arrived_at": nil}).problem(t, 422)
	if !reflect.DeepEqual(fields(p), []string{"arrived_at"}) {
		t.Fatalf("fields %v", fields(p))
	}
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"arrived_at": nil, "status": "departed", "cargo": nil}).decode(t, &got)
	if got.ArrivedAt != nil || got.Cargo != nil || got.Status != "departed" {
		t.Fatalf("null did not clear: %+v", got)
	}
	// Fewer containers than listed numbers.
	ts.do(t, "PATCH", path, map[string]any{"containers": 0, "teu": 0}).problem(t, 422)
	// Renumbering onto another run of the same day: conflict.
	ts.do(t, "PATCH", path, map[string]any{"number": "X2"}).problem(t, 409)
	// Moving to an unknown route.
	p = ts.do(t, "PATCH", path, map[string]any{"route": "NOPE"}).problem(t, 422)
	if !reflect.DeepEqual(fields(p), []string{"route"}) {
		t.Fatalf("fields %v", fields(p))
	}
	ts.do(t, "PATCH", path, map[string]any{"teu": "many"}).problem(t, 400)
	ts.do(t, "PATCH", path, map[string]any{"created_at": "2024-01-01T00:00:00Z"}).problem(t, 400)
	ts.do(t, "PATCH", path, `[]`).problem(t, 400)
	var after runJSON
	ts.mustDo(t, 200, "GET", path, nil).decode(t, &after)
	if !reflect.DeepEqual(after, got) {
		t.Fatalf("refused patches changed the run:\n%+v\n%+v", got, after)
	}
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"route": "R2", "number": "X2"}).decode(t, &got)
	if got.Route != "R2" {
		t.Fatalf("route not moved: %+v", got)
	}

	ts.mustDo(t, 204, "DELETE", path, nil)
	ts.do(t, "GET", path, nil).problem(t, 404)
	ts.do(t, "DELETE", path, nil).problem(t, 404)
	ts.do(t, "PATCH", path, map[string]any{"number": "X9"}).problem(t, 404)
	ts.do(t, "GET", "/api/v1/runs/abc", nil).problem(t, 404)
}

func TestPatchRefusesNullForRequiredFields(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	run := createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+08:00"))
	for _, f := range []string{"number", "teu", "status", "route"} {
		p := ts.do(t, "PATCH", fmt.Sprintf("/api/v1/runs/%d", run.ID), map[string]any{f: nil}).problem(t, 400)
		if !reflect.DeepEqual(fields(p), []string{f}) {
			t.Errorf("%s: fields %v", f, fields(p))
		}
	}
}

func TestEmptyPatchChangesNothing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	b := runBody("RA", "X1", "2024-10-12T09:30:00+08:00")
	b["status"], b["arrived_at"] = "arrived", "2024-10-27T10:00:00+03:00"
	run := createRun(t, ts, b)
	path := fmt.Sprintf("/api/v1/runs/%d", run.ID)
	var before, after map[string]any
	ts.mustDo(t, 200, "GET", path, nil).decode(t, &before)
	ts.now = ts.now.Add(time.Hour)
	ts.mustDo(t, 200, "PATCH", path, map[string]any{}).decode(t, &after)
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"number": "X1", "teu": 110}).decode(t, &after)
	for _, k := range []string{"position", "eta", "eta_basis", "transit_days"} {
		delete(before, k) // a GET adds where the run is; a PATCH answers the run
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("a patch that changes nothing changed the run:\n%v\n%v", before, after)
	}
	var audit struct{ Items []any }
	ts.mustDo(t, 200, "GET", "/api/v1/audit?action=runs.update", nil).decode(t, &audit)
	if len(audit.Items) != 0 {
		t.Fatalf("%d audit entries for patches that changed nothing", len(audit.Items))
	}
}

// Every undecodable field of a body is named at once, not one per attempt,
// and a key given twice is refused (which of the two would count is not
// something a client should have to guess), at any depth.
func TestMalformedFieldsListedAtOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	run := createRun(t, ts, map[string]any{"route": "SCO-TJ-MOW", "number": "X1", "direction": "outbound",
		"departed_at": "2024-10-12T09:30:00+08:00", "status": "departed", "containers": 10, "teu": 20})
	cases := []struct {
		name, method, path, body string
		fields                   []string
	}{
		{"create: three wrong types and an unknown field", "POST", "/api/v1/runs",
			`{"route":"SCO-TJ-MOW","number":8024,"containers":"55","teu":2.5,"wagons":3}`,
			[]string{"containers", "number", "teu", "wagons"}},
		{"create route: a nested unknown field and a wrong type", "POST", "/api/v1/routes",
			`{"code":"AB-1","name":7,"mode":"rail","stops":[{"name":"A","country":"CN","role":"origin","x":1},{"name":"B","country":"RU","role":"destination"}]}`,
			[]string{"name", "stops[0].x"}},
		{"create route: a nested key twice", "POST", "/api/v1/routes",
			`{"code":"AB-1","name":"A–B","mode":"rail","stops":[{"name":"A","country":"CN","role":"origin"},{"name":"B","country":"RU","country":"BY","role":"destination"}]}`,
			[]string{"stops[1].country"}},
		{"create: names in another case are not the fields", "POST", "/api/v1/runs",
			`{"ROUTE":"SCO-TJ-MOW","Number":"X9","direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00","ſtatus":"planned"}`,
			[]string{"Number", "ROUTE", "ſtatus"}},
		{"create route: a nested name in another case", "POST", "/api/v1/routes",
			`{"code":"AB-1","name":"A–B","mode":"rail","stops":[{"name":"A","country":"CN","role":"origin"},{"NAME":"B","country":"RU","role":"destination"}]}`,
			[]string{"stops[1].NAME"}},
		{"patch: two wrong types and an unknown field", "PATCH", fmt.Sprintf("/api/v1/runs/%d", run.ID),
			`{"teu":"x","containers":"y","wagons":1}`,
			[]string{"containers", "teu", "wagons"}},
		{"patch: a key twice", "PATCH", fmt.Sprintf("/api/v1/runs/%d", run.ID),
			`{"teu":30,"teu":40}`, []string{"teu"}},
	}
	for _, c := range cases {
		p := ts.do(t, c.method, c.path, c.body).problem(t, 400)
		if !reflect.DeepEqual(fields(p), c.fields) {
			t.Errorf("%s: fields %v, want %v (%s)", c.name, fields(p), c.fields, p.Detail)
		}
	}
	if got := allRuns(t, ts, "", 50); len(got) != 1 || got[0].TEU != 20 {
		t.Fatalf("refused bodies changed the runs: %+v", got)
	}
}

// A body labelled as something other than JSON is refused with 415 naming
// Content-Type; JSON labels, none at all and curl's default form label are
// read as JSON.
func TestContentTypes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	body := func(n string) string {
		return `{"route":"SCO-TJ-MOW","number":"` + n + `","direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00"}`
	}
	for i, ct := range []string{"text/xml", "text/plain; charset=utf-8", "multipart/form-data; boundary=x", "application/xml", "nonsense", "application/json; charset=latin1"} {
		r := ts.do(t, "POST", "/api/v1/runs", body(fmt.Sprintf("B%d", i)), "Content-Type", ct)
		p := r.problem(t, http.StatusUnsupportedMediaType)
		if !reflect.DeepEqual(fields(p), []string{"Content-Type"}) {
			t.Errorf("%s: fields %v", ct, fields(p))
		}
	}
	for i, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		ts.mustDo(t, 201, "POST", "/api/v1/runs", body(fmt.Sprintf("G%d", i)), "Content-Type", ct)
	}
	// The lenient labels, which the OpenAPI document describes in words
	// only (its request validator would refuse them): sent directly.
	for i, ct := range []string{"application/merge-patch+json", "application/x-www-form-urlencoded", ""} {
		req, err := http.NewRequest("POST", ts.URL+"/api/v1/runs", strings.NewReader(body(fmt.Sprintf("L%d", i))))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.Operator)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Errorf("Content-Type %q: status %d, want 201", ct, res.StatusCode)
		}
	}
	if got := allRuns(t, ts, "", 50); len(got) != 5 {
		t.Fatalf("%d runs stored, want the 5 JSON ones", len(got))
	}
}
