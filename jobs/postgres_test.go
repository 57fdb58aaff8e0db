package jobs_test

import (
	"banlie/store"
	"banlie/store/storetest"
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "banlie/jobs"
	"banlie/models"
)

// Three instances on one PostgreSQL database: each scheduled tick runs once.
func TestPostgresTickRunsOnceAcrossInstances(t *testing.T) {
	dsn, drop, err := storetest.CreateScratchDatabase(storetest.TestPostgresURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	var runs atomic.Int32
	job := Job{Name: "rollup", Spec: "@daily", Run: func(context.Context, store.Write) error { runs.Add(1); return nil }}
	var scheds []*Scheduler
	for i := 0; i < 3; i++ {
		s := New(openStore(t, dsn), quiet)
		s.SetInstance("pg-instance-" + string(rune('a'+i)))
		s.Add(job)
		t.Cleanup(s.Stop)
		scheds = append(scheds, s)
	}
	for k := 0; k < 5; k++ {
		tick := time.Date(2024, 12, 1, 0, k, 0, 0, time.UTC)
		done := make(chan struct{})
		for _, s := range scheds {
			go func() { s.Tick("rollup", tick); done <- struct{}{} }()
		}
		for range scheds {
			<-done
		}
	}
	if runs.Load() != 5 {
		t.Fatalf("5 ticks ran %d times across 3 instances", runs.Load())
	}
}

// Two live instances on one PostgreSQL database: a long run whose instance
// renews its heartbeat is not abandoned by the other, however long it runs
// past the lease; once its instance stops renewing it (its pool is gone, as
// when the process dies), the other marks it abandoned.
func TestPostgresLiveRunKeepsItsLease(t *testing.T) {
	dsn, drop, err := storetest.CreateScratchDatabase(storetest.TestPostgresURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	const beat, lease = 50 * time.Millisecond, 400 * time.Millisecond
	stA, stB := openStore(t, dsn), openStore(t, dsn)
	release := make(chan struct{})
	started := make(chan struct{})
	a := New(stA, quiet)
	a.SetInstance("pg-a")
	a.Heartbeat, a.Lease = beat, lease
	a.Add(Job{Name: "long", Spec: "@daily", Run: func(context.Context, store.Write) error {
		close(started)
		<-release
		return nil
	}})
	a.Start()
	b := New(stB, quiet)
	b.SetInstance("pg-b")
	b.Heartbeat, b.Lease = beat, lease
	b.Start()
	t.Cleanup(b.Stop)

	runc := make(chan error, 1)
	go func() {
		_, err := a.RunNow(context.Background(), store.System, "long")
		runc <- err
	}()
	<-started
	// Three leases long, with heartbeats: still running.
	for end := time.Now().Add(3 * lease); time.Now().Before(end); time.Sleep(beat) {
		last, _, err := stB.LastJobRun(context.Background(), "long")
		if err != nil {
			t.Fatal(err)
		}
		if last.Status != models.JobRunning {
			t.Fatalf("live run taken for abandoned: %+v", last)
		}
	}
	// A dies: its pool closes, so no heartbeat renews the run.
	sqlA, _ := stA.DB().DB()
	sqlA.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(beat) {
		if time.Now().After(deadline) {
			t.Fatal("the run of the instance that died was never abandoned")
		}
		last, _, err := stB.LastJobRun(context.Background(), "long")
		if err != nil {
			t.Fatal(err)
		}
		if last.Status == models.JobAbandoned {
			if last.Error == nil || !strings.Contains(*last.Error, "pg-a") {
				t.Fatalf("abandoned run %+v", last)
			}
			break
		}
	}
	close(release)
	if err := <-runc; err == nil {
		t.Fatal("A's run ended without its end being recorded, yet RunNow answered no error")
	}
	a.Stop()
}
