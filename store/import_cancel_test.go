package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"banlie/store"
)

// An import that committed answers what it wrote although its caller went
// away before the planner's statistics were refreshed: failing it there
// would have the caller (or the Idempotency-Key's middleware, which drops
// the key of a failed write) import it again.
func TestImportCommittedIsNotFailedByTheStatisticsRefresh(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "SCO-TJ-MOW", "rail")
		n := store.OptimizeAfterRows + 1 // the last progress is after the commit
		f, err := store.ReadRunsCSV(strings.NewReader(strings.Join(bulkCSV(n), "")), store.CharsetUTF8)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		var logged []error
		res, err := e.st.ImportRuns(ctx, e.w, f, store.ImportOptions{
			Progress: func(lines int, _ int64) {
				if lines == n {
					cancel() // committed: the caller goes away
				}
			},
			Log: func(err error) { logged = append(logged, err) },
		})
		if err != nil || res.Created != n {
			t.Fatalf("created %d, %v; want %d, no error (logged %v)", res.Created, err, n, logged)
		}
		if got := e.count(t, "SELECT COUNT(*) FROM runs"); got != n {
			t.Fatalf("%d runs stored, want %d", got, n)
		}
	})
}

// A cancelled import stops at its next batch with the context's error and
// leaves nothing written.
func TestImportCancelledLeavesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "SCO-TJ-MOW", "rail")
		f, err := store.ReadRunsCSV(strings.NewReader(strings.Join(bulkCSV(3000), "")), store.CharsetUTF8)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		_, err = e.st.ImportRuns(ctx, e.w, f, store.ImportOptions{
			Progress: func(lines int, _ int64) {
				if lines >= 1000 {
					cancel()
				}
			},
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%v, want context.Canceled", err)
		}
		for _, q := range []string{"SELECT COUNT(*) FROM runs", "SELECT COUNT(*) FROM audit_log WHERE entity = 'run'", "SELECT COUNT(*) FROM outbox", "SELECT COUNT(*) FROM rollup_dirty"} {
			if got := e.count(t, q); got != 0 {
				t.Fatalf("%s: %d, want 0", q, got)
			}
		}
	})
}
