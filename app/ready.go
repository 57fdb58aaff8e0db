package app

import (
	"context"
	"fmt"
	"time"

	"banlie/handlers"
	"banlie/jobs"
	"banlie/models"
	"banlie/store"
)

// Readiness answers what /readyz checks, from the present: the database
// answers a query now, its schema is this binary's, and the last roll-up
// attempt (at start-up, scheduled or by hand, on this instance or, as
// recorded in the database, on another sharing it) succeeded. A failed
// roll-up makes it not ready until the next one succeeds.
func Readiness(st *store.Store, sched *jobs.Scheduler) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		db := st.DB()
		v, err := store.CurrentVersion(db.WithContext(ctx))
		if err != nil {
			reason := "the database does not answer"
			if why, ok := store.Unavailable(err); ok {
				reason += ": " + why
			}
			return &handlers.NotReadyError{Reason: reason, Err: err}
		}
		if v != store.SchemaVersion() {
			return &handlers.NotReadyError{Reason: fmt.Sprintf("the database is at schema version %d, this binary needs %d: run banlie migrate", v, store.SchemaVersion())}
		}
		a, ok := sched.LastAttempt(jobs.NameRollup)
		last, ran, err := st.LastJobRun(ctx, jobs.NameRollup)
		if err != nil {
			return &handlers.NotReadyError{Reason: "the database does not answer", Err: err}
		}
		// A run another instance finished after this one's last attempt.
		if ran && last.FinishedAt != nil && last.Status != models.JobAbandoned && (!ok || last.FinishedAt.After(a.At)) {
			if last.Status == models.JobFailed {
				return &handlers.NotReadyError{Reason: fmt.Sprintf("the last roll-up failed at %s: %s", last.FinishedAt.UTC().Format(time.RFC3339), deref(last.Error))}
			}
			return nil
		}
		switch {
		case !ok:
			return &handlers.NotReadyError{Reason: "the start-up roll-up has not finished"}
		case a.Err != nil:
			return &handlers.NotReadyError{Reason: fmt.Sprintf("the last roll-up failed at %s: %s", a.At.UTC().Format(time.RFC3339), a.Err)}
		}
		return nil
	}
}

func deref(s *string) string {
	if s == nil {
		return "no cause recorded"
	}
	return *s
}
