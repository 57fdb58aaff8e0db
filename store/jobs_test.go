package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"banlie/models"
)

func TestJobRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := e.ctx
		tick := at("2026-11-26T03:30:00Z")
		r1, ok, err := e.st.ClaimJobRun(ctx, e.w, "rebuild", &tick, "inst-a")
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if r1.Status != models.JobRunning || r1.Name != "rebuild" || r1.Instance != "inst-a" || r1.ScheduledAt == nil ||
			!r1.ScheduledAt.Equal(tick) || !r1.StartedAt.Equal(e.clock.Now()) || r1.FinishedAt != nil {
			t.Fatalf("claimed %+v", r1)
		}
		// Another instance cannot claim the same tick.
		if _, ok, err := e.st.ClaimJobRun(ctx, e.w, "rebuild", &tick, "inst-b"); err != nil || ok {
			t.Fatalf("second claim of a tick: %v %v, want not claimed", ok, err)
		}
		e.clock.Advance(time.Minute)
		done, err := e.st.FinishJobRun(ctx, r1.ID, nil)
		if err != nil || done.Status != models.JobOK || done.FinishedAt == nil || !done.FinishedAt.Equal(e.clock.Now()) || done.Error != nil {
			t.Fatalf("finish: %+v %v", done, err)
		}
		// By hand (no tick): any number of runs, each audited.
		r2, ok, err := e.st.ClaimJobRun(ctx, e.w, "rebuild", nil, "inst-a")
		if err != nil || !ok {
			t.Fatalf("claim by hand: %v %v", ok, err)
		}
		failed, err := e.st.FinishJobRun(ctx, r2.ID, errors.New("disk full"))
		if err != nil || failed.Status != models.JobFailed || failed.Error == nil || *failed.Error != "disk full" {
			t.Fatalf("finish with an error: %+v %v", failed, err)
		}
		if _, err := e.st.FinishJobRun(ctx, r2.ID+100, nil); err == nil {
			t.Fatal("finishing an unknown run succeeded")
		}
		last, ok, err := e.st.LastJobRun(ctx, "rebuild")
		if err != nil || !ok || last.ID != r2.ID || last.Status != models.JobFailed {
			t.Fatalf("last run %+v %v", last, err)
		}
		if none, ok, err := e.st.LastJobRun(ctx, "rollup"); err != nil || ok {
			t.Fatalf("last run of a job never run: %+v %v", none, err)
		}
		if got := actions(e.audit(t, "job", "rebuild")); !slices.Equal(got, []string{"jobs.run"}) {
			t.Fatalf("audit actions %q, want one for the run by hand", got)
		}

		// Abandon: runs left running, but the caller's own and (with a
		// cut-off) those whose heartbeat is recent.
		var running []int64
		for i := range 3 {
			tk := tick.Add(time.Duration(i+1) * time.Hour)
			r, ok, err := e.st.ClaimJobRun(ctx, e.w, "rollup", &tk, "inst-"+idOf(int64(i)))
			if err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			running = append(running, r.ID)
		}
		// Heartbeats are taken by the wall clock.
		past := time.Now().Add(-time.Hour)
		if got, err := e.st.AbandonJobRuns(ctx, nil, &past); err != nil || len(got) != 0 {
			t.Fatalf("abandoned %+v (%v) with fresh heartbeats", got, err)
		}
		if err := e.st.HeartbeatJobRuns(ctx, running[:1]); err != nil {
			t.Fatal(err)
		}
		future := time.Now().Add(time.Hour)
		got, err := e.st.AbandonJobRuns(ctx, running[2:], &future)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != running[0] || got[1].ID != running[1] || got[0].Status != models.JobAbandoned ||
			got[0].Error == nil || *got[0].Error != "abandoned: instance inst-0 stopped before the run ended" || got[0].FinishedAt == nil {
			t.Fatalf("abandoned %+v", got)
		}
		got, err = e.st.AbandonJobRuns(ctx, nil, nil)
		if err != nil || len(got) != 1 || got[0].ID != running[2] {
			t.Fatalf("abandon all: %+v %v", got, err)
		}
		page, err := e.st.ListJobRuns(ctx, "rollup", 2, "")
		if err != nil || len(page.Items) != 2 || page.NextCursor == nil || page.Items[0].ID != running[2] {
			t.Fatalf("first page %+v %v", page, err)
		}
		next, err := e.st.ListJobRuns(ctx, "rollup", 2, *page.NextCursor)
		if err != nil || len(next.Items) != 1 || next.NextCursor != nil || next.Items[0].ID != running[0] || next.Items[0].Status != models.JobAbandoned {
			t.Fatalf("last page %+v %v", next, err)
		}
		// A cursor of another job's list is refused.
		_, err = e.st.ListJobRuns(ctx, "rebuild", 2, *page.NextCursor)
		wantFields(t, err, models.EBADREQUEST, "cursor")
	})
}
