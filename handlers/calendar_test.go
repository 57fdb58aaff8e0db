package handlers_test

import (
	"fmt"
	"testing"
	"time"

	"banlie/models"
)

// TestCalendarGuards: what has happened is not in the future, a plan is at
// most a year ahead, a sea-rail count is for a day that has begun, and a
// run still planned a day after its departure is listed as overdue. The
// test server's clock says 2026-11-26 12:00 in Shanghai.
func TestCalendarGuards(t *testing.T) {
	t.Parallel()
	testCalendarGuards(t, newTestServer(t))
}

func TestCalendarGuardsPostgres(t *testing.T) {
	t.Parallel()
	testCalendarGuards(t, newTestServerPG(t))
}

func testCalendarGuards(t *testing.T, ts *testServer) {
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	now := ts.now.UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	refused := func(name string, body map[string]any, field string, wantParams map[string]any) {
		t.Helper()
		r := ts.do(t, "POST", "/api/v1/runs", body)
		p := r.problem(t, 422)
		var got *models.FieldError
		for i := range p.Errors {
			if p.Errors[i].Field == field {
				got = &p.Errors[i]
			}
		}
		if got == nil || got.Code != models.CodeOutOfRange {
			t.Fatalf("%s: errors %+v, want out_of_range on %s", name, p.Errors, field)
		}
		for k, v := range wantParams {
			if fmt.Sprint(got.Params[k]) != fmt.Sprint(v) {
				t.Errorf("%s: param %s = %v, want %v (%+v)", name, k, got.Params[k], v, got.Params)
			}
		}
	}
	// A departure in 2099, or next week, is not "departed".
	b := runBody("SCO-TJ-MOW", "X2099", "2099-01-01T00:00:00Z")
	refused("departed in 2099", b, "departed_at", map[string]any{"relative_to": "now"})
	b = runBody("SCO-TJ-MOW", "X9001", at(7*24*time.Hour))
	refused("departed next week", b, "departed_at", map[string]any{"max": at(models.ClockSkew), "relative_to": "now", "equals": "departed"})
	// Within the clock skew it is (and counts once its time has come).
	createRun(t, ts, runBody("SCO-TJ-MOW", "X9002", at(4*time.Minute)))
	createRun(t, ts, runBody("SCO-TJ-MOW", "X9008", at(-time.Hour)))
	// Planned: up to a year ahead, and not counted.
	b = runBody("SCO-TJ-MOW", "X9003", at(300*24*time.Hour))
	b["status"] = "planned"
	planned := createRun(t, ts, b)
	b = runBody("SCO-TJ-MOW", "X9004", now.AddDate(1, 0, 1).Format(time.RFC3339))
	b["status"] = "planned"
	refused("planned beyond a year", b, "departed_at", map[string]any{"max": now.AddDate(1, 0, 0).Format(time.RFC3339), "unit": "year"})
	// An arrival 18 days in the future, or before the departure.
	b = runBody("SCO-TJ-MOW", "X9005", at(-3*24*time.Hour))
	b["status"], b["arrived_at"] = "arrived", at(18*24*time.Hour)
	refused("arrival in 18 days", b, "arrived_at", map[string]any{"relative_to": "now"})
	b["arrived_at"] = at(-4 * 24 * time.Hour)
	r := ts.do(t, "POST", "/api/v1/runs", b)
	if p := r.problem(t, 422); len(p.Errors) != 1 || p.Errors[0].Field != "arrived_at" || p.Errors[0].Code != models.CodeOrder {
		t.Fatalf("arrival before departure: %+v", p.Errors)
	}
	// A PATCH is checked as a whole: moving the planned run's status to
	// departed while its departure is months ahead is refused.
	r = ts.do(t, "PATCH", fmt.Sprintf("/api/v1/runs/%d", planned.ID), map[string]any{"status": "departed"})
	if p := r.problem(t, 422); len(p.Errors) != 1 || p.Errors[0].Field != "departed_at" {
		t.Fatalf("patch to departed: %+v", p.Errors)
	}
	// Nothing refused was stored; the planned run is not counted.
	var counted runPage
	ts.mustDo(t, 200, "GET", "/api/v1/runs?counted=true", nil).decode(t, &counted)
	if len(counted.Items) != 1 || counted.Items[0].Number != "X9008" {
		t.Fatalf("counted runs: %+v", counted.Items)
	}
	if all := allRuns(t, ts, "", 50); len(all) != 3 {
		t.Fatalf("stored runs: %+v", all)
	}

	// Sea-rail: today (in Shanghai) counts; tomorrow is refused, and so
	// is a PATCH moving a count there.
	today := models.DayOf(ts.now, ts.Store.Loc)
	r = ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody(today.String(), "export", 800))
	var cnt seaRailJSON
	r.decode(t, &cnt)
	p := ts.do(t, "POST", "/api/v1/sea-rail-counts", seaRailBody(today.Add(1).String(), "export", 800)).problem(t, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "date" || p.Errors[0].Code != models.CodeOutOfRange || p.Errors[0].Params["max"] != today.String() || p.Errors[0].Params["relative_to"] != "today" {
		t.Fatalf("sea-rail tomorrow: %+v", p.Errors)
	}
	p = ts.do(t, "PATCH", fmt.Sprintf("/api/v1/sea-rail-counts/%d", cnt.ID), map[string]any{"date": "2027-05-01"}).problem(t, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "date" {
		t.Fatalf("sea-rail patch to next May: %+v", p.Errors)
	}

	// Overdue: a planned run whose departure passed by more than a day.
	b = runBody("SCO-TJ-MOW", "X9006", at(-25*time.Hour))
	b["status"] = "planned"
	late := createRun(t, ts, b)
	b = runBody("SCO-TJ-MOW", "X9007", at(-23*time.Hour))
	b["status"] = "planned"
	createRun(t, ts, b)
	var overdue runPage
	ts.mustDo(t, 200, "GET", "/api/v1/runs?overdue=true", nil).decode(t, &overdue)
	if len(overdue.Items) != 1 || overdue.Items[0].ID != late.ID {
		t.Fatalf("overdue: %+v", overdue.Items)
	}
	var others runPage
	ts.mustDo(t, 200, "GET", "/api/v1/runs?overdue=false", nil).decode(t, &others)
	if len(others.Items) != 4 {
		t.Fatalf("not overdue: %+v", others.Items)
	}
	// The answer follows the clock, not only the data: two hours later the
	// second planned run is overdue too, with no write in between.
	ts.now = ts.now.Add(2 * time.Hour)
	ts.mustDo(t, 200, "GET", "/api/v1/runs?overdue=true", nil).decode(t, &overdue)
	if len(overdue.Items) != 2 {
		t.Fatalf("overdue two hours later: %+v", overdue.Items)
	}
	ts.do(t, "GET", "/api/v1/runs?overdue=maybe", nil).problem(t, 400)

	// The rules hold for what a write changes. A plan that is now more
	// than a year ahead (the clock went back, as for a run stored before
	// the rule) can still be corrected, cancelled or planned again; moving
	// it is checked.
	ts.now = ts.now.Add(-200 * 24 * time.Hour)
	path := fmt.Sprintf("/api/v1/runs/%d", planned.ID)
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"cargo": "timber"})
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"status": "cancelled"})
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"status": "planned"})
	p = ts.do(t, "PATCH", path, map[string]any{"departed_at": now.Add(301 * 24 * time.Hour).Format(time.RFC3339)}).problem(t, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "departed_at" {
		t.Fatalf("moving a plan beyond a year: %+v", p.Errors)
	}
	// So can a sea-rail count's TEU, on a day that is after today again.
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/sea-rail-counts/%d", cnt.ID), map[string]any{"teu": 801})
}
