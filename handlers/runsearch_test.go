package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// testRunsByNumber: ?number= selects the runs of one train number, on the
// list and the export, compared as the rule against a train logged twice
// compares numbers (normalized, ASCII letters in any case); the whole
// number, not a part.
func testRunsByNumber(t *testing.T, ts *testServer) {
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRoute(t, ts, "QD-MNL", nil)
	a := createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	// Logged in lower case, and full-width with blanks around it: stored
	// as written but normalized ("ｘ８０２４" is "x8024").
	b := createRun(t, ts, runBody("QD-MNL", "x8024", "2024-10-14T09:30:00+08:00"))
	c := createRun(t, ts, runBody("QD-MNL", " ｘ８０２４ ", "2024-10-15T09:30:00+08:00"))
	for _, n := range []string{"X80245", "X802", "Y8024", "8024"} {
		createRun(t, ts, runBody("SCO-TJ-MOW", n, "2024-10-13T09:30:00+08:00"))
	}
	if c.Number != "x8024" {
		t.Fatalf("a full-width number is stored as %q", c.Number)
	}
	ids := func(runs []runJSON) []int64 {
		out := []int64{}
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	all := []int64{c.ID, b.ID, a.ID} // newest departure first
	for _, number := range []string{"x8024", "X8024", " X8024 ", "ｘ８０２４", "\tX8024\n"} {
		q := "number=" + url.QueryEscape(number)
		if got := ids(allRuns(t, ts, q, 50)); !reflect.DeepEqual(got, all) {
			t.Errorf("?%s: runs %v, want %v", q, got, all)
		}
		// Paged one at a time, the cursor keeps to the number.
		if got := ids(allRuns(t, ts, q, 1)); !reflect.DeepEqual(got, all) {
			t.Errorf("?%s, a run a page: runs %v, want %v", q, got, all)
		}
	}
	// With the other filters.
	if got := ids(allRuns(t, ts, "number=x8024&route=SCO-TJ-MOW", 50)); !reflect.DeepEqual(got, []int64{a.ID}) {
		t.Errorf("?number=x8024&route=SCO-TJ-MOW: runs %v, want %v", got, []int64{a.ID})
	}
	if got := ids(allRuns(t, ts, "number=x8024&from=2024-10-14&to=2024-10-14", 50)); !reflect.DeepEqual(got, []int64{b.ID}) {
		t.Errorf("?number=x8024 on 2024-10-14: runs %v, want %v", got, []int64{b.ID})
	}
	// The whole number: no part of it, nor a number it is part of.
	for _, number := range []string{"X802", "8024", "X80245"} {
		got := allRuns(t, ts, "number="+number, 50)
		if len(got) != 1 || got[0].Number != number {
			t.Errorf("?number=%s: %+v, want the one run %s", number, got, number)
		}
	}
	for _, number := range []string{"X80", "X8024%25", "X_024", "", "%20"} {
		if got := allRuns(t, ts, "number="+number, 50); len(got) != 0 {
			t.Errorf("?number=%s: %d runs, want none", number, len(got))
		}
	}
	// At most 64 characters (not bytes).
	if got := allRuns(t, ts, "number="+url.QueryEscape(strings.Repeat("ж", 64)), 50); len(got) != 0 {
		t.Errorf("64 characters: %d runs", len(got))
	}
	p := ts.do(t, "GET", "/api/v1/runs?number="+strings.Repeat("X", 65), nil).problem(t, http.StatusBadRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "number" || p.Errors[0].Code != "too_long" || p.Errors[0].Params["max"] != float64(64) {
		t.Errorf("65 characters: errors %+v", p.Errors)
	}

	// The export selects what the list selects.
	_, rows := exportCSV(t, ts, "?number="+url.QueryEscape(" X8024 "))
	var got [][2]string
	for _, row := range rows {
		got = append(got, [2]string{row[1], row[2]})
	}
	if want := [][2]string{{"QD-MNL", "x8024"}, {"QD-MNL", "x8024"}, {"SCO-TJ-MOW", "X8024"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("export?number= X8024 : %v, want %v", got, want)
	}
	if _, rows := exportCSV(t, ts, "?number=x8024&route=SCO-TJ-MOW"); len(rows) != 1 || rows[0][2] != "X8024" {
		t.Errorf("export?number=x8024&route=SCO-TJ-MOW: %v", rows)
	}
	ts.do(t, "GET", "/api/v1/runs/export?number="+strings.Repeat("X", 65), nil).problem(t, http.StatusBadRequest)
	// HEAD of both with a number.
	ts.mustDo(t, http.StatusOK, "HEAD", "/api/v1/runs?number=X8024", nil)
	ts.mustDo(t, http.StatusOK, "HEAD", "/api/v1/runs/export?number=X8024", nil)

	// An edit that changes the number moves the run in or out of a search.
	ts.mustDo(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/runs/%d", b.ID), map[string]any{"number": "X8026"})
	if got := ids(allRuns(t, ts, "number=x8024", 50)); !reflect.DeepEqual(got, []int64{c.ID, a.ID}) {
		t.Errorf("after renumbering run %d: ?number=x8024 finds %v", b.ID, got)
	}
	if got := ids(allRuns(t, ts, "number=x8026", 50)); !reflect.DeepEqual(got, []int64{b.ID}) {
		t.Errorf("after renumbering run %d: ?number=x8026 finds %v", b.ID, got)
	}
}

func TestRunsByNumber(t *testing.T) {
	t.Parallel()
	testRunsByNumber(t, newTestServer(t))
}

func TestPostgresRunsByNumber(t *testing.T) {
	t.Parallel()
	testRunsByNumber(t, newTestServerPG(t))
}
