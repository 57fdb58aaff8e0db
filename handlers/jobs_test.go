package handlers_test

import (
	"banlie/store"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

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
	ts.runJob(t, "rollup").decode(t, &run)
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
// error, not left running, and its retry replays the same answer: the run
// it started, not another.
func TestFailingJobRunWithIdempotencyKey(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) {
		s := jobs.New(c.Store, c.Log)
		s.Add(jobs.Job{Name: "boom", Spec: "@daily", Run: func(context.Context, store.Write) error { return errors.New("disk on fire") }})
		t.Cleanup(s.Stop)
		c.Jobs = s
	})
	first := ts.mustDo(t, 202, "POST", "/api/v1/jobs/boom/run", nil, "Idempotency-Key", "boom-1")
	var run struct {
		ID         int64
		Status     string
		FinishedAt *string `json:"finished_at"`
		Error      *string
	}
	ts.awaitRun(t, "boom", first).decode(t, &run)
	if run.Status != "failed" || run.FinishedAt == nil || run.Error == nil || strings.Contains(*run.Error, "fire") {
		t.Fatalf("run %+v", run)
	}
	again := ts.mustDo(t, 202, "POST", "/api/v1/jobs/boom/run", nil, "Idempotency-Key", "boom-1")
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("retry answered %s %v", again.Body, again.Header)
	}
	var runs struct{ Items []struct{ ID int64 } }
	ts.mustDo(t, 200, "GET", "/api/v1/jobs/boom/runs", nil).decode(t, &runs)
	if len(runs.Items) != 1 || runs.Items[0].ID != run.ID {
		t.Fatalf("runs after the retry %+v, want only run %d", runs.Items, run.ID)
	}
}

// A long job asked for by hand answers 202 at once, while it runs; its
// run reads running until it ends, then ok; a second request while it runs
// starts a run that waits for the first, and a third, while that one
// waits, answers it again. A run of another job, or an id
// that is no run, is not found.
func TestJobRunAnswersAtOnce(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) {
		s := jobs.New(c.Store, c.Log)
		s.Add(jobs.Job{Name: "slow", Spec: "@daily", Run: func(ctx context.Context, _ store.Write) error {
			started <- struct{}{}
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
		s.Add(jobs.Job{Name: "other", Spec: "@daily", Run: func(context.Context, store.Write) error { return nil }})
		t.Cleanup(s.Stop)
		c.Jobs = s
	})
	first := ts.mustDo(t, 202, "POST", "/api/v1/jobs/slow/run", nil)
	var a struct {
		ID         int64
		Status     string
		FinishedAt *string `json:"finished_at"`
	}
	first.decode(t, &a)
	if a.Status != "running" || a.FinishedAt != nil || first.Header.Get("Location") != fmt.Sprintf("/api/v1/jobs/slow/runs/%d", a.ID) {
		t.Fatalf("202 answered %s, Location %q", first.Body, first.Header.Get("Location"))
	}
	<-started
	var r struct{ Status, Instance string }
	ts.mustDo(t, 200, "GET", first.Header.Get("Location"), nil).decode(t, &r)
	if r.Status != "running" || r.Instance == "" {
		t.Fatalf("the run while it runs: %+v", r)
	}
	if h := ts.mustDo(t, 200, "HEAD", first.Header.Get("Location"), nil); len(h.Body) != 0 {
		t.Fatalf("HEAD answered a body")
	}
	second := ts.mustDo(t, 202, "POST", "/api/v1/jobs/slow/run", nil)
	var b struct{ ID int64 }
	second.decode(t, &b)
	if b.ID == a.ID {
		t.Fatalf("the second request answered the first run")
	}
	// A third while the second waits: the waiting run again, not a third
	// run queued behind it.
	var c struct{ ID int64 }
	third := ts.mustDo(t, 202, "POST", "/api/v1/jobs/slow/run", nil)
	third.decode(t, &c)
	if c.ID != b.ID || third.Header.Get("Location") != second.Header.Get("Location") {
		t.Fatalf("the third request answered run %d at %q, want the waiting run %d", c.ID, third.Header.Get("Location"), b.ID)
	}
	select {
	case <-started:
		t.Fatal("the second run started while the first ran")
	default:
	}
	close(release)
	ts.awaitRun(t, "slow", first).decode(t, &r)
	if r.Status != "ok" {
		t.Fatalf("the first run ended %+v", r)
	}
	ts.awaitRun(t, "slow", second).decode(t, &r)
	if r.Status != "ok" {
		t.Fatalf("the second run ended %+v", r)
	}
	ts.do(t, "GET", fmt.Sprintf("/api/v1/jobs/other/runs/%d", a.ID), nil).problem(t, 404)
	ts.do(t, "GET", "/api/v1/jobs/slow/runs/999999", nil).problem(t, 404)
	ts.do(t, "GET", "/api/v1/jobs/slow/runs/x", nil).problem(t, 404)
	ts.do(t, "GET", "/api/v1/jobs/nope/runs/1", nil).problem(t, 404)
}

// runJob asks for a run of a job as a client does (POST, 202) and answers
// its address's answer once the run has ended.
func (ts *testServer) runJob(t testing.TB, name string, header ...string) response {
	t.Helper()
	return ts.awaitRun(t, name, ts.mustDo(t, 202, "POST", "/api/v1/jobs/"+name+"/run", nil, header...))
}

// awaitRun waits for the run a 202 answer started to end (the scheduler
// says when) and answers GET of its Location, which must no longer say
// running.
func (ts *testServer) awaitRun(t testing.TB, name string, started response) response {
	t.Helper()
	var a struct {
		ID     int64
		Status string
	}
	started.decode(t, &a)
	loc := started.Header.Get("Location")
	if want := fmt.Sprintf("/api/v1/jobs/%s/runs/%d", name, a.ID); loc != want || a.Status != "running" {
		t.Fatalf("202 answered %s with Location %q, want status running at %s", started.Body, loc, want)
	}
	s, ok := ts.jobs.(*jobs.Scheduler)
	if !ok {
		t.Fatalf("the server's jobs are a %T, not a scheduler", ts.jobs)
	}
	select {
	case <-s.Ended(a.ID):
	case <-time.After(2 * time.Minute):
		t.Fatalf("run %d of %s has not ended", a.ID, name)
	}
	r := ts.mustDo(t, 200, "GET", loc, nil)
	var got struct{ Status string }
	r.decode(t, &got)
	if got.Status == "running" {
		t.Fatalf("run %d of %s ended but reads %s", a.ID, name, r.Body)
	}
	return r
}
