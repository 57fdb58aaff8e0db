package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"banlie/models"
	"banlie/store"
)

type containerRunJSON struct {
	ID         int64      `json:"id"`
	Route      string     `json:"route"`
	Number     string     `json:"number"`
	Direction  string     `json:"direction"`
	DepartedAt string     `json:"departed_at"`
	ArrivedAt  *string    `json:"arrived_at"`
	Status     string     `json:"status"`
	LastEvent  *eventJSON `json:"last_event"`
}

type containerRunsJSON struct {
	Number     string             `json:"number"`
	Runs       []containerRunJSON `json:"runs"`
	NextCursor *string            `json:"next_cursor"`
}

func TestContainersSQLite(t *testing.T) {
	t.Parallel()
	testContainers(t, newTestServer(t))
}

func TestContainersPostgres(t *testing.T) {
	t.Parallel()
	testContainers(t, newTestServerPG(t))
}

// heldBy fails unless r is a 409 whose errors are, in order, the
// containers boxes each on the run with id holders[i].
func heldBy(t *testing.T, r response, boxes []string, holders ...runJSON) {
	t.Helper()
	p := r.problem(t, http.StatusConflict)
	if len(p.Errors) != len(boxes) {
		t.Fatalf("errors %+v, want one per container taken: %q", p.Errors, boxes)
	}
	for i, fe := range p.Errors {
		h := holders[i]
		if fe.Field != "container_numbers" || fe.Code != models.CodeConflict || fe.Params["resource"] != "run" ||
			fe.Params["container"] != boxes[i] || fe.Params["id"] != float64(h.ID) || fe.Params["route"] != h.Route ||
			fe.Params["number"] != h.Number || !strings.Contains(fe.Message, boxes[i]) || !strings.Contains(fe.Message, h.Number) {
			t.Errorf("error %d: %+v, want %s on run %d (%s on %s)", i, fe, boxes[i], h.ID, h.Number, h.Route)
		}
	}
}

// testContainers follows one box, CSQU3054383, over the trains that carry
// it: looked up in any spelling, refused on two trains at once, freed when
// a train arrives or is cancelled, and listed by ?container=.
func testContainers(t *testing.T, ts *testServer) {
	ts.mustDo(t, 201, "POST", "/api/v1/routes", journeyRoute("QD-MZL-MOW"))
	const box = "CSQU3054383"
	other := models.ContainerNumber("MSK", 'U', 907032)
	run := func(number, departed string, change func(map[string]any)) map[string]any {
		b := runBody("QD-MZL-MOW", number, departed)
		b["container_numbers"] = []string{box}
		if change != nil {
			change(b)
		}
		return b
	}
	patch := func(r runJSON, body map[string]any) response {
		return ts.do(t, "PATCH", fmt.Sprintf("/api/v1/runs/%d", r.ID), body)
	}
	lookup := func(number string) containerRunsJSON {
		t.Helper()
		var out containerRunsJSON
		ts.mustDo(t, 200, "GET", "/api/v1/containers/"+number, nil).decode(t, &out)
		return out
	}
	ids := func(rs []containerRunJSON) []int64 {
		out := []int64{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}

	// A arrives in Moscow on 2026-10-18 at 15:00 (+08:00) with the box.
	a := createRun(t, ts, run("X8201", "2026-10-01T08:00:00+08:00", func(b map[string]any) {
		b["status"], b["arrived_at"] = "arrived", "2026-10-18T10:00:00+03:00"
		b["container_numbers"] = []string{"csqu 305438-3", strings.ToLower(other)}
	}))
	if !slices.Equal(a.ContainerNumbers, []string{box, other}) {
		t.Fatalf("container numbers as stored: %q", a.ContainerNumbers)
	}

	// Not before it arrives: the box is still on A.
	heldBy(t, ts.do(t, "POST", "/api/v1/runs", run("X8202", "2026-10-18T14:59:59+08:00", nil)), []string{box}, a)
	// Both boxes, in the order listed, each naming the run that has it.
	heldBy(t, ts.do(t, "POST", "/api/v1/runs", run("X8203", "2026-10-05T08:00:00+08:00", func(b map[string]any) {
		b["container_numbers"] = []string{other, box}
	})), []string{other, box}, a, a)
	// From its arrival on, the box is free: B takes it at that instant.
	b := createRun(t, ts, run("X8202", "2026-10-18T15:00:00+08:00", nil))

	// A change that makes A hold the box longer, or B hold it earlier, is
	// refused too; one that holds nothing longer is not.
	heldBy(t, patch(a, map[string]any{"arrived_at": "2026-10-19T10:00:00+03:00"}), []string{box}, b)
	heldBy(t, patch(a, map[string]any{"status": "departed", "arrived_at": nil}), []string{box}, b)
	heldBy(t, patch(b, map[string]any{"departed_at": "2026-10-18T12:00:00+08:00"}), []string{box}, a)
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", b.ID), map[string]any{"cargo": "timber"})
	// A run is never in its own way: A departing a day earlier takes the
	// box from no other run.
	var moved runJSON
	patch(a, map[string]any{"departed_at": "2026-09-30T08:00:00+08:00"}).decode(t, &moved)
	if moved.DepartedAt != "2026-09-30T08:00:00+08:00" {
		t.Fatalf("A moved a day earlier: %+v", moved)
	}

	ts.mustDo(t, 201, "POST", fmt.Sprintf("/api/v1/runs/%d/events", b.ID), map[string]any{"type": "arrived", "at": "2026-10-25T10:00:00+08:00", "stop": 2},
		"Authorization", "Bearer "+ts.Operator)

	// A cancelled run holds no box: C is logged while B has it, and may not
	// run while B does.
	c := createRun(t, ts, run("X8204", "2026-11-01T08:00:00+08:00", func(b map[string]any) { b["status"] = "cancelled" }))
	heldBy(t, patch(c, map[string]any{"status": "departed"}), []string{box}, b)
	heldBy(t, patch(c, map[string]any{"status": "planned"}), []string{box}, b)
	// B's arrival holds the box for less time: never refused. It frees the
	// box for E; E cancelled frees it for F; E running again is in F's way.
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", b.ID), map[string]any{"status": "arrived", "arrived_at": "2026-10-30T12:00:00+03:00"})
	e := createRun(t, ts, run("X8205", "2026-11-02T08:00:00+08:00", nil))
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", e.ID), map[string]any{"status": "cancelled"})
	f := createRun(t, ts, run("X8206", "2026-11-05T08:00:00+08:00", nil))
	heldBy(t, patch(e, map[string]any{"status": "departed"}), []string{box}, f)
	ts.mustDo(t, 201, "POST", fmt.Sprintf("/api/v1/runs/%d/events", f.ID), map[string]any{"type": "arrived", "at": "2026-11-06T10:00:00+08:00", "stop": 1},
		"Authorization", "Bearer "+ts.Operator)
	// The same rule for a CSV line, listed with its line.
	csvLine := "QD-MZL-MOW,X8207,outbound,2026-11-03T08:00:00+08:00,,departed,5,10,,csqu305438-3\n"
	p := ts.do(t, "POST", "/api/v1/runs/import", csvHead+csvLine, "Content-Type", "text/csv").problem(t, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "line 2: container_numbers" || p.Errors[0].Code != models.CodeConflict ||
		p.Errors[0].Params["id"] != float64(f.ID) {
		t.Errorf("a CSV line with a box on another train: %+v", p.Errors)
	}

	// The lookup, in any spelling: newest departure first, with each
	// train's last actual event.
	want := []int64{f.ID, e.ID, c.ID, b.ID, a.ID}
	var first containerRunsJSON
	for i, spelling := range []string{box, "csqu3054383", url.PathEscape("csqu 305438-3"), "CSQU-305438-3"} {
		got := lookup(spelling)
		if got.Number != box || !slices.Equal(ids(got.Runs), want) || got.NextCursor != nil {
			t.Fatalf("GET /api/v1/containers/%s: %s %v (next %v), want %s %v", spelling, got.Number, ids(got.Runs), got.NextCursor, box, want)
		}
		if i == 0 {
			first = got
		}
	}
	last := map[int64]string{}
	for _, r := range first.Runs {
		desc := "none"
		if ev := r.LastEvent; ev != nil {
			desc = ev.Type + "@" + ev.Place.Name + "/" + ev.Source
		}
		last[r.ID] = r.Number + " " + r.Status + " " + desc
	}
	wantLast := map[int64]string{
		f.ID: "X8206 departed arrived@Zhengzhou/event",
		e.ID: "X8205 cancelled none",
		c.ID: "X8204 cancelled none",
		b.ID: "X8202 arrived arrived@Moscow/run",
		a.ID: "X8201 arrived arrived@Moscow/run",
	}
	for id, w := range wantLast {
		if last[id] != w {
			t.Errorf("run %d: %q, want %q", id, last[id], w)
		}
	}
	if r := first.Runs[4]; r.Route != "QD-MZL-MOW" || r.Direction != "outbound" || r.DepartedAt != "2026-09-30T08:00:00+08:00" ||
		r.ArrivedAt == nil || *r.ArrivedAt != "2026-10-18T15:00:00+08:00" {
		t.Errorf("run A as the lookup answers it: %+v", r)
	}
	if got := lookup(other); !slices.Equal(ids(got.Runs), []int64{a.ID}) {
		t.Errorf("runs of %s: %v", other, ids(got.Runs))
	}
	if h := ts.mustDo(t, 200, "HEAD", "/api/v1/containers/csqu3054383", nil); len(h.Body) != 0 {
		t.Errorf("HEAD answered a body: %s", h.Body)
	}

	// Page by page, every run once.
	var paged []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatal("paging does not end")
		}
		var page containerRunsJSON
		ts.mustDo(t, 200, "GET", "/api/v1/containers/"+box+"?limit=1&cursor="+cursor, nil).decode(t, &page)
		paged = append(paged, ids(page.Runs)...)
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged: %v, want %v", paged, want)
	}

	// Never seen; not a container number at all.
	ts.do(t, "GET", "/api/v1/containers/"+models.ContainerNumber("ZZZ", 'U', 1), nil).problem(t, http.StatusNotFound)
	for _, c := range []struct{ number, code string }{
		{"CSQU3054384", models.CodeCheckDigit},
		{"CSQU305438", models.CodeInvalidFormat},
		{"C5QU3054383", models.CodeInvalidFormat},
		{strings.Repeat("A", 65), models.CodeTooLong},
	} {
		p := ts.do(t, "GET", "/api/v1/containers/"+c.number, nil).problem(t, http.StatusBadRequest)
		if got := problemFields(t, ts.do(t, "GET", "/api/v1/containers/"+c.number, nil), 400); len(got) != 1 || got[0] != (fieldErr{"number", c.code}) {
			t.Errorf("GET /api/v1/containers/%s: errors %v, want number %s (%s)", c.number, got, c.code, p.Detail)
		}
	}

	// ?container= on the list and the export, in any spelling.
	if got := allRuns(t, ts, "container="+url.QueryEscape("csqu 305438-3"), 2); len(got) != len(want) {
		t.Errorf("?container=: %d runs, want %d", len(got), len(want))
	} else {
		for i, r := range got {
			if r.ID != want[i] || !slices.Contains(r.ContainerNumbers, box) {
				t.Errorf("?container= item %d: %+v, want run %d", i, r, want[i])
			}
		}
	}
	if got := allRuns(t, ts, "container="+other+"&status=arrived", 50); len(got) != 1 || got[0].ID != a.ID || !slices.Equal(got[0].ContainerNumbers, []string{box, other}) {
		t.Errorf("?container=%s&status=arrived: %+v", other, got)
	}
	_, rows := exportCSV(t, ts, "?container=csqu3054383")
	if len(rows) != len(want) {
		t.Errorf("export of ?container=: %d runs, want %d", len(rows), len(want))
	}
	boxes := slices.Index(store.RunCSVHeader, "container_numbers")
	for _, r := range rows {
		if !strings.Contains(r[boxes], box) {
			t.Errorf("exported line without the box: %q", r)
		}
	}
	if got := problemFields(t, ts.do(t, "GET", "/api/v1/runs?container=CSQU3054384", nil), 400); len(got) != 1 || got[0] != (fieldErr{"container", models.CodeCheckDigit}) {
		t.Errorf("?container= with a wrong check digit: %v", got)
	}

	// A deleted run lists the box no more.
	ts.mustDo(t, 204, "DELETE", fmt.Sprintf("/api/v1/runs/%d", f.ID), nil)
	if got := lookup(box); !slices.Equal(ids(got.Runs), []int64{e.ID, c.ID, b.ID, a.ID}) {
		t.Errorf("after F's deletion: %v", ids(got.Runs))
	}
}

// TestContainerConcurrentWritesPostgres: two writes that put one box on
// two trains at the same time, sent at once to a server on PostgreSQL,
// where nothing else makes them take turns: exactly one is kept, and the
// other answers 409 naming it.
func TestContainerConcurrentWritesPostgres(t *testing.T) {
	t.Parallel()
	ts := newTestServerPG(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	const rounds = 8
	for round := range rounds {
		box := models.ContainerNumber("CCR", 'U', round)
		var n atomic.Int32
		answers := atOnce(2, func() response {
			i := n.Add(1)
			b := runBody("SCO-TJ-MOW", fmt.Sprintf("C%d-%d", round, i), fmt.Sprintf("2026-10-%02dT08:00:00+08:00", 1+round))
			b["container_numbers"] = []string{box}
			return ts.do(t, "POST", "/api/v1/runs", b)
		})
		winner := oneOfTwo(t, answers, 201)
		var lookedUp containerRunsJSON
		ts.mustDo(t, 200, "GET", "/api/v1/containers/"+box, nil).decode(t, &lookedUp)
		if len(lookedUp.Runs) != 1 || lookedUp.Runs[0].ID != winner.ID {
			t.Fatalf("round %d: %s is on %v, want only run %d", round, box, lookedUp.Runs, winner.ID)
		}
	}
	// The same for two updates that each add the box to a train.
	for round := range rounds {
		box := models.ContainerNumber("CCP", 'U', round)
		var runs [2]runJSON
		for i := range runs {
			b := runBody("SCO-TJ-MOW", fmt.Sprintf("P%d-%d", round, i), fmt.Sprintf("2026-11-%02dT08:00:00+08:00", 1+round))
			b["container_numbers"] = []string{}
			runs[i] = createRun(t, ts, b)
		}
		var n atomic.Int32
		answers := atOnce(2, func() response {
			r := runs[n.Add(1)-1]
			return ts.do(t, "PATCH", fmt.Sprintf("/api/v1/runs/%d", r.ID), map[string]any{"container_numbers": []string{box}})
		})
		oneOfTwo(t, answers, 200)
	}
}

// oneOfTwo fails unless one of two answers has status ok and the other is
// a 409 naming the first's run on container_numbers; it answers the run
// kept.
func oneOfTwo(t *testing.T, answers []response, ok int) runJSON {
	t.Helper()
	slices.SortFunc(answers, func(a, b response) int { return a.Status - b.Status })
	if answers[0].Status != ok || answers[1].Status != http.StatusConflict {
		t.Fatalf("statuses %d and %d, want %d and 409: %s / %s", answers[0].Status, answers[1].Status, ok, answers[0].Body, answers[1].Body)
	}
	var kept runJSON
	answers[0].decode(t, &kept)
	p := answers[1].problem(t, http.StatusConflict)
	if len(p.Errors) != 1 || p.Errors[0].Field != "container_numbers" || p.Errors[0].Params["id"] != float64(kept.ID) {
		t.Fatalf("the refused write's errors %+v, want container_numbers naming run %d", p.Errors, kept.ID)
	}
	return kept
}
