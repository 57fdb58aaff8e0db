package handlers_test

import (
	"banlie/store"
	"context"
	"errors"
	"strings"
	"testing"

	"banlie/handlers"
	"banlie/jobs"
)

func TestJobsAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+08:00"))

	// Before any roll-up the totals are empty: they come from roll-up tables.
	var y struct{ Runs int }
	ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?year=2024", nil).decode(t, &y)
	if y.Runs != 0 {
		t.Fatalf("totals before a roll-up: %d runs", y.Runs)
	}
	var run struct {
		Name, Status, StartedAt string
		FinishedAt              *string `json:"finished_at"`
		Error                   *string
	}
	ts.mustDo(t, 200, "POST", "/api/v1/jobs/rollup/run", nil).decode(t, &run)
	if run.Name != "rollup" || run.Status != "ok" || run.FinishedAt == nil || run.Error != nil {
		t.Fatalf("run answer %+v", run)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?year=2024", nil).decode(t, &y)
	if y.Runs != 1 {
		t.Fatalf("totals after the roll-up: %d runs, want 1", y.Runs)
	}

	var list []struct {
		Name, Schedule string
		LastRun        *struct{ Status string } `json:"last_run"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/jobs", nil).decode(t, &list)
	if len(list) != 2 || list[1].Name != "rollup" || list[1].LastRun == nil || list[1].LastRun.Status != "ok" || list[0].LastRun != nil {
		t.Fatalf("jobs %+v", list)
	}
	var runs struct {
		Items []struct {
			ID          int64
			ScheduledAt *string `json:"scheduled_at"`
			Status      string
			Instance    string
		}
	}
	ts.mustDo(t, 200, "GET", "/api/v1/jobs/rollup/runs", nil).decode(t, &runs)
	if len(runs.Items) != 1 || runs.Items[0].ScheduledAt != nil || runs.Items[0].Instance == "" {
		t.Fatalf("recorded runs %+v", runs.Items)
	}
	ts.do(t, "POST", "/api/v1/jobs/nope/run", nil).problem(t, 404)
	ts.do(t, "GET", "/api/v1/jobs/nope/runs", nil).problem(t, 404)
}

// A manual run under an Idempotency-Key whose job fails is recorded as an
// error, not left running, and its retry replays the same answer.
func TestFailingJobRunWithIdempotencyKey(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) {
		s := jobs.New(c.Store, c.Log)
		s.Add(jobs.Job{Name: "boom", Spec: "@daily", Run: func(context.Context, store.Write) error { return errors.New("disk on fire") }})
		t.Cleanup(s.Stop)
		c.Jobs = s
	})
	first := ts.mustDo(t, 200, "POST", "/api/v1/jobs/boom/run", nil, "Idempotency-Key", "boom-1")
	var run struct {
		Status     string
		FinishedAt *string `json:"finished_at"`
		Error      *string
	}
	first.decode(t, &run)
	if run.Status != "failed" || run.FinishedAt == nil || run.Error == nil || strings.Contains(*run.Error, "fire") {
		t.Fatalf("run %+v", run)
	}
	again := ts.mustDo(t, 200, "POST", "/api/v1/jobs/boom/run", nil, "Idempotency-Key", "boom-1")
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry answered %s", again.Body)
	}
}
