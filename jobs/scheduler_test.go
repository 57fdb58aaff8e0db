package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "banlie/jobs"
	"banlie/models"
	"banlie/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openStore opens (and migrates) the SQLite file at path.
func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	db, err := store.Open(path, store.Options{Synchronous: "FULL"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(context.Background(), db, quiet); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return store.NewStore(db, loc, nil)
}

func newScheduler(t *testing.T) (*Scheduler, *store.Store) {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "banlie.db"))
	s := New(st, quiet)
	t.Cleanup(s.Stop)
	return s, st
}

func TestRunNowRecordsOutcome(t *testing.T) {
	s, st := newScheduler(t)
	calls := 0
	s.Add(Job{Name: "good", Spec: "@daily", Run: func(context.Context, store.Write) error { calls++; return nil }})
	s.Add(Job{Name: "bad", Spec: "@daily", Run: func(context.Context, store.Write) error {
		return errors.New("dial tcp 10.0.0.7:5432: secret internals")
	}})
	s.Add(Job{Name: "refused", Spec: "@daily", Run: func(context.Context, store.Write) error { return models.Errorf(models.EINVALID, "no figures for 1999") }})
	s.Add(Job{Name: "panicky", Spec: "@daily", Run: func(context.Context, store.Write) error { panic("boom") }})
	ctx := context.Background()

	r, err := s.RunNow(ctx, store.System, "good")
	if err != nil || r.Status != models.JobOK || r.FinishedAt == nil || r.Error != nil || r.ScheduledAt != nil || calls != 1 {
		t.Fatalf("good: %+v %v (calls %d)", r, err, calls)
	}
	r, _ = s.RunNow(ctx, store.System, "bad")
	// Internals stay in the log; the recorded error is one a client may read.
	if r.Status != models.JobFailed || r.Error == nil || strings.Contains(*r.Error, "10.0.0.7") || !strings.Contains(*r.Error, "server log") {
		t.Fatalf("bad: %+v", r)
	}
	r, _ = s.RunNow(ctx, store.System, "refused")
	if r.Status != models.JobFailed || r.Error == nil || *r.Error != "no figures for 1999" {
		t.Fatalf("a coded error keeps its message: %+v", r)
	}
	r, _ = s.RunNow(ctx, store.System, "panicky")
	if r.Status != models.JobFailed || r.Error == nil || !strings.Contains(*r.Error, "server log") {
		t.Fatalf("a panic must be recorded as an error: %+v", r)
	}
	if _, err := s.RunNow(ctx, store.System, "nope"); models.ErrorCode(err) != models.ENOTFOUND {
		t.Fatalf("unknown job: %v", err)
	}
	page, err := st.ListJobRuns(ctx, "bad", 10, "")
	if err != nil || len(page.Items) != 1 || page.Items[0].Status != models.JobFailed {
		t.Fatalf("recorded runs: %+v %v", page, err)
	}
}

// A tick that comes while the job still runs is skipped, not run alongside.
func TestNoOverlappingRuns(t *testing.T) {
	s, st := newScheduler(t)
	started, release := make(chan struct{}), make(chan struct{})
	var running, most, runs atomic.Int32
	s.Add(Job{Name: "slow", Spec: "@daily", Run: func(context.Context, store.Write) error {
		n := running.Add(1)
		if n > most.Load() {
			most.Store(n)
		}
		runs.Add(1)
		if runs.Load() == 1 {
			close(started)
			<-release
		}
		running.Add(-1)
		return nil
	}})
	tick := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	done := make(chan struct{})
	go func() { s.Tick("slow", tick); close(done) }()
	<-started
	s.Tick("slow", tick.Add(time.Minute)) // returns at once: skipped
	close(release)
	<-done
	if runs.Load() != 1 || most.Load() != 1 {
		t.Fatalf("runs %d, most at once %d; want 1 and 1", runs.Load(), most.Load())
	}
	page, _ := st.ListJobRuns(context.Background(), "slow", 10, "")
	if len(page.Items) != 1 || page.Items[0].ScheduledAt == nil || !page.Items[0].ScheduledAt.Equal(tick) {
		t.Fatalf("recorded runs: %+v", page.Items)
	}
}

// Two instances on one database: each scheduled tick runs once.
func TestTickRunsOnceAcrossInstances(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	var runs atomic.Int32
	job := Job{Name: "rollup", Spec: "@daily", Run: func(context.Context, store.Write) error { runs.Add(1); return nil }}
	var scheds []*Scheduler
	for i := 0; i < 3; i++ {
		s := New(openStore(t, path), quiet)
		s.SetInstance("instance-" + string(rune('a'+i)))
		s.Add(job)
		t.Cleanup(s.Stop)
		scheds = append(scheds, s)
	}
	tick := time.Date(2024, 12, 1, 0, 1, 0, 0, time.UTC)
	done := make(chan struct{})
	for _, s := range scheds {
		go func() { s.Tick("rollup", tick); done <- struct{}{} }()
	}
	for range scheds {
		<-done
	}
	if runs.Load() != 1 {
		t.Fatalf("tick ran %d times across 3 instances", runs.Load())
	}
	// The next tick runs once too.
	for _, s := range scheds {
		s.Tick("rollup", tick.Add(time.Minute))
	}
	if runs.Load() != 2 {
		t.Fatalf("second tick: %d runs in all, want 2", runs.Load())
	}
}

// The cron schedule really fires, in the reporting time zone.
func TestScheduleFiresInReportingZone(t *testing.T) {
	s, st := newScheduler(t)
	fired := make(chan struct{}, 10)
	if err := s.Add(Job{Name: "every-second", Spec: "* * * * * *", Run: func(context.Context, store.Write) error { fired <- struct{}{}; return nil }}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Job{Name: "midnight", Spec: "0 0 * * *", Run: func(context.Context, store.Write) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Job{Name: "broken", Spec: "61 * * * *"}); err == nil {
		t.Fatal("an invalid spec must be refused")
	}
	s.Start()
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("the every-second job did not fire")
	}
	infos, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.Name == "midnight" {
			if in.NextRunAt == nil {
				t.Fatal("no next run")
			}
			local := in.NextRunAt.In(st.Loc)
			if local.Hour() != 0 || local.Minute() != 0 {
				t.Fatalf("midnight job next at %v, want 00:00 in Asia/Shanghai", local)
			}
			if _, off := in.NextRunAt.Zone(); off != 8*3600 {
				t.Fatalf("next_run_at not in the reporting zone: %v", in.NextRunAt)
			}
		}
	}
}
