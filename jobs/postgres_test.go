package jobs_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"banlie/app"
	. "banlie/jobs"
)

// Three instances on one PostgreSQL database: each scheduled tick runs once.
func TestPostgresTickRunsOnceAcrossInstances(t *testing.T) {
	dsn, drop, err := app.CreateScratchDatabase(app.TestPostgresURL())
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
	job := Job{Name: "rollup", Spec: "@daily", Run: func(context.Context) error { runs.Add(1); return nil }}
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
