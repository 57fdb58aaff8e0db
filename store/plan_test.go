package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"banlie/models"
	"banlie/store/storetest"
)

// TestRunsByNumberUseAnIndex: the list's search by train number is served
// by an index on number_key (with the list's order), not by reading every
// run. The statement ListRuns sends is taken as it is sent and explained
// by the database itself; PostgreSQL is told to avoid table scans, which a
// table this small would otherwise choose whatever the indexes.
func TestRunsByNumberUseAnIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		e.mustRoute(t, "R-B", "rail")
		for i := range 40 {
			e.mustRun(t, runInput([]string{"R-A", "R-B"}[i%2], fmt.Sprintf("X%d", 8000+i%7), at("2026-08-01T08:00:00+08:00").Add(time.Duration(i)*24*time.Hour), 10))
		}

		var mu sync.Mutex
		var query string
		var vars []any
		db := e.st.DB()
		if err := db.Callback().Query().After("gorm:query").Register("plan_test:capture", func(tx *gorm.DB) {
			if sql := tx.Statement.SQL.String(); strings.Contains(sql, "number_key") {
				mu.Lock()
				defer mu.Unlock()
				query, vars = sql, append([]any(nil), tx.Statement.Vars...)
			}
		}); err != nil {
			t.Fatal(err)
		}
		page, err := e.st.ListRuns(e.ctx, models.RunFilter{Number: ptr(" x8003 "), Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 2 || page.Items[0].Number != "X8003" || page.NextCursor == nil {
			t.Fatalf("a page of X8003: %+v", page)
		}
		// The next page too: the cursor's range is on the same index.
		if _, err := e.st.ListRuns(e.ctx, models.RunFilter{Number: ptr("X8003"), Limit: 2, Cursor: *page.NextCursor}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		q, args := query, vars
		mu.Unlock()
		if q == "" {
			t.Fatal("no statement with number_key was sent")
		}
		text := planOf(t, db, q, args)
		if !strings.Contains(text, "runs_number_key_departed") {
			t.Errorf("the search by number is not served by runs_number_key_departed:\n%s\nplan:\n%s", q, text)
		}
		if strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "Sort") {
			t.Errorf("the search by number sorts its rows instead of reading them in order:\n%s", text)
		}
	})
}

// planOf answers the plan the database chooses for query with args, as
// its own EXPLAIN says it (the detail of each line). PostgreSQL is told to
// avoid table scans, which a table as small as a test's would otherwise
// choose whatever the indexes.
func planOf(t *testing.T, db *gorm.DB, query string, args []any) string {
	t.Helper()
	return planAvoiding(t, db, query, args, "enable_seqscan")
}

// planAvoiding is planOf with the PostgreSQL planner's methods named by
// off (enable_seqscan, enable_sort, …) turned off.
func planAvoiding(t *testing.T, db *gorm.DB, query string, args []any, off ...string) string {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	explain := "EXPLAIN QUERY PLAN "
	if db.Dialector.Name() == storetest.Postgres {
		explain = "EXPLAIN "
		for _, set := range off {
			if _, err := tx.ExecContext(ctx, "SET LOCAL "+set+" = off"); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := tx.QueryContext(ctx, explain+query, args...)
	if err != nil {
		t.Fatalf("%s%s: %v", explain, query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		cells := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(cells[len(cells)-1]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// TestContainerLookupUsesAnIndex: the runs of a container, looked up
// (ContainerRuns) or listed (?container=), are found through
// run_containers_number, not by reading every run.
func TestContainerLookupUsesAnIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		const box = "CSQU3054383"
		start := at("2026-01-01T08:00:00+08:00")
		for i := range 60 {
			dep := start.Add(time.Duration(i) * 24 * time.Hour)
			in := runInput("R-A", fmt.Sprintf("X%d", 8000+i), dep, 10)
			in.Status, in.ArrivedAt = models.StatusArrived, ptr(dep.Add(12*time.Hour).Format(time.RFC3339))
			in.ContainerNumbers = []string{models.ContainerNumber("TGH", 'U', i)}
			if i%6 == 0 {
				in.ContainerNumbers = append(in.ContainerNumbers, box)
			}
			e.mustRun(t, in)
		}

		var mu sync.Mutex
		sent := map[string][]any{}
		db := e.st.DB()
		if err := db.Callback().Query().After("gorm:query").Register("plan_test:capture", func(tx *gorm.DB) {
			if sql := tx.Statement.SQL.String(); strings.Contains(sql, "run_containers") {
				mu.Lock()
				defer mu.Unlock()
				sent[sql] = append([]any(nil), tx.Statement.Vars...)
			}
		}); err != nil {
			t.Fatal(err)
		}
		found, err := e.st.ContainerRuns(e.ctx, "csqu 305438 3", 2, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(found.Runs) != 2 || found.Runs[0].Number != "X8054" || found.NextCursor == nil {
			t.Fatalf("a page of %s's runs: %+v", box, found)
		}
		if _, err := e.st.ContainerRuns(e.ctx, box, 2, *found.NextCursor); err != nil {
			t.Fatal(err)
		}
		page, err := e.st.ListRuns(e.ctx, models.RunFilter{Container: ptr(box), Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 2 || page.Items[0].Number != "X8054" {
			t.Fatalf("a page of runs listing %s: %+v", box, page)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(sent) != 3 {
			t.Fatalf("%d statements on run_containers were sent, want 3 (two pages of the lookup, one of the list): %q", len(sent), slices.Collect(maps.Keys(sent)))
		}
		for q, args := range sent {
			text := planOf(t, db, q, args)
			if !strings.Contains(text, "run_containers_number") {
				t.Errorf("a container's runs are not found through run_containers_number:\n%s\nplan:\n%s", q, text)
			}
			if strings.Contains(text, "SCAN runs") || strings.Contains(text, "Seq Scan") {
				t.Errorf("a container's runs are found by reading every run:\n%s\nplan:\n%s", q, text)
			}
		}
	})
}

// recordedSQL records the statements the store sends through GORM (queries,
// raw reads and statements) whose text keep accepts, with their arguments,
// from the moment it is called; stop ends the recording.
type recordedSQL struct {
	mu    sync.Mutex
	on    bool
	stmts []recordedStmt
}

type recordedStmt struct {
	sql  string
	vars []any
}

func recordSQL(t *testing.T, db *gorm.DB, keep func(string) bool) *recordedSQL {
	t.Helper()
	r := &recordedSQL{on: true}
	capture := func(tx *gorm.DB) {
		sql := tx.Statement.SQL.String()
		if !keep(sql) {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.on {
			r.stmts = append(r.stmts, recordedStmt{sql, append([]any(nil), tx.Statement.Vars...)})
		}
	}
	name := fmt.Sprintf("plan_test:record%p", r)
	for _, err := range []error{
		db.Callback().Query().After("gorm:query").Register(name, capture),
		db.Callback().Row().After("gorm:row").Register(name, capture),
		db.Callback().Raw().After("gorm:raw").Register(name, capture),
		db.Callback().Create().After("gorm:create").Register(name, capture),
		db.Callback().Update().After("gorm:update").Register(name, capture),
		db.Callback().Delete().After("gorm:delete").Register(name, capture),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *recordedSQL) stop() []recordedStmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.stmts
}

// readsRuns answers the SELECT of a statement that reads the runs table
// (an INSERT … SELECT's query: its target may be a scratch table the
// plan's own connection does not have), and false for any other.
func readsRuns(sql string) (string, bool) {
	if !strings.Contains(sql, "FROM runs") && !strings.Contains(sql, `FROM "runs"`) && !strings.Contains(sql, "FROM `runs`") {
		return "", false
	}
	i := strings.Index(sql, "SELECT")
	if i < 0 {
		return "", false
	}
	return sql[i:], true
}

// scansRuns says whether a plan reads every run.
func scansRuns(plan string) bool {
	for _, line := range strings.Split(plan, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "SCAN runs") || strings.Contains(line, "Seq Scan on runs") {
			return true
		}
	}
	return false
}

// rollupData is a few weeks of runs on two routes (one with a corridor),
// outbound and inbound, some arrived, some planned, and sea-rail counts.
func rollupData(t *testing.T, e *env) {
	t.Helper()
	e.mustRoute(t, "R-A", "rail")
	e.mustRoute(t, "R-S", "sea_rail")
	start := at("2026-09-01T08:00:00+08:00")
	for i := range 90 {
		dep := start.Add(time.Duration(i) * 8 * time.Hour)
		in := runInput([]string{"R-A", "R-S"}[i%2], fmt.Sprintf("X%d", 8000+i), dep, 10+i%5)
		switch i % 6 {
		case 1:
			in.Direction = models.DirInbound
			in.Status, in.ArrivedAt = models.StatusArrived, ptr(dep.Add(50*time.Hour).Format(time.RFC3339))
		case 3:
			in.Status = models.StatusPlanned
		}
		e.mustRun(t, in)
	}
	if _, err := e.st.CreateSeaRailCount(e.ctx, e.w, seaInput("2026-09-03", "CNQIN", "import", 500)); err != nil {
		t.Fatal(err)
	}
}

// TestReachedByUsesAnIndexRange: the run that reached a target, the n-th
// counted run of its day, is read through runs_day_departed in its order
// (an index range on the day), not by reading every run, before and after
// the statistics are refreshed (Optimize).
func TestReachedByUsesAnIndexRange(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		rollupData(t, e)
		tg, err := e.st.CreateTarget(e.ctx, e.w, models.TargetInput{Year: 2026, Metric: "runs", Scope: &models.TargetScope{Route: ptr("R-A")}, Value: 20, Label: "20 on R-A"})
		if err != nil {
			t.Fatal(err)
		}
		e.mustRollup(t, false)
		for _, optimized := range []bool{false, true} {
			if optimized {
				if err := e.st.Optimize(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
			rec := recordSQL(t, e.st.DB(), func(sql string) bool { return strings.Contains(sql, "runs.departed_day =") })
			p, err := e.st.ProgressAsOf(e.ctx, tg, e.st.Today())
			sent := rec.stop()
			if err != nil {
				t.Fatal(err)
			}
			// R-A has the even runs; of them every sixth (i%6 == 3) is
			// planned: the counted ones are i = 0, 2, 4, 6, 8, 10, 12, …
			// skipping 3 mod 6 — none of the evens. The 20th is i = 38.
			if !p.Reached || p.ReachedBy == nil || p.ReachedBy.Number != "X8038" {
				t.Fatalf("progress %+v, reached by %+v, want X8038", p, p.ReachedBy)
			}
			if len(sent) != 1 {
				t.Fatalf("%d reached-by statements sent, want 1", len(sent))
			}
			plan := planOf(t, e.st.DB(), sent[0].sql, sent[0].vars)
			if !strings.Contains(plan, "runs_day_departed") || scansRuns(plan) {
				t.Errorf("optimized %v: the reached-by run is not read through runs_day_departed:\n%s\nplan:\n%s", optimized, sent[0].sql, plan)
			}
			// SQLite reads them in order; PostgreSQL may sort the day's
			// runs, which a table this small makes cheaper.
			if strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("optimized %v: the reached-by lookup sorts the day's runs:\n%s", optimized, plan)
			}
		}
	})
}

// TestIncrementalRollupUsesIndexes: an incremental roll-up after one new
// run and a passed departure reads the runs through index ranges only:
// the passed departures and arrivals, and the dirty days' departures and
// arrivals.
func TestIncrementalRollupUsesIndexes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		rollupData(t, e)
		e.mustRollup(t, true)
		e.mustRun(t, runInput("R-A", "NEW", e.clock.Now().Add(time.Minute), 3))
		e.mustRun(t, runInput("R-S", "OLD", at("2026-09-02T09:00:00+08:00"), 3))
		e.clock.Advance(2 * time.Minute)
		// Before and after the statistics are refreshed: SQLite's rules of
		// thumb, then its statistics, must both take the index that fits.
		for _, optimized := range []bool{false, true} {
			if optimized {
				if err := e.st.Optimize(e.ctx); err != nil {
					t.Fatal(err)
				}
				e.mustRun(t, runInput("R-A", "NEW2", e.clock.Now().Add(time.Minute), 3))
				e.clock.Advance(2 * time.Minute)
			}
			rec := recordSQL(t, e.st.DB(), func(sql string) bool { _, ok := readsRuns(sql); return ok })
			st := e.mustRollup(t, false)
			sent := rec.stop()
			if want := map[bool]int{false: 2, true: 1}[optimized]; st.Days != want {
				t.Fatalf("roll-up %+v, want the %d days of the new runs", st, want)
			}
			// The index each must take, by what the statement looks for.
			uses := map[string]string{}
			if e.st.DB().Dialector.Name() == storetest.SQLite {
				uses = map[string]string{"departed_at >": "departed_at>", "arrived_at >": "runs_arrived (arrived_at>",
					"departed_day IN": "runs_day_departed (departed_day=", "arrived_day IN": "runs_arrived_day (arrived_day="}
			}
			seen := map[string]int{}
			for _, s := range sent {
				q, _ := readsRuns(s.sql)
				plan := planOf(t, e.st.DB(), q, s.vars)
				if scansRuns(plan) {
					t.Errorf("optimized %v: an incremental roll-up reads every run:\n%s\nplan:\n%s", optimized, q, plan)
				}
				for _, what := range []string{"departed_at >", "arrived_at >", "departed_day IN", "arrived_day IN"} {
					if strings.Contains(q, what) {
						seen[what]++
						if idx := uses[what]; !strings.Contains(plan, idx) {
							t.Errorf("optimized %v: the statement looking for %q is not served by %q:\n%s\nplan:\n%s", optimized, what, idx, q, plan)
						}
						break
					}
				}
			}
			if len(seen) != 4 || len(sent) != 4 {
				t.Fatalf("statements on runs %v, want one of each kind:\n%v", seen, sent)
			}
		}
	})
}

// TestIdleRollupWritesNothing: a roll-up with nothing dirty, no departure
// or arrival passed and the same reporting day writes no row, checks no
// milestone and leaves the data version alone; one new run is rolled up
// by a few statements, checking only its year's targets.
func TestIdleRollupWritesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		rollupData(t, e)
		if _, err := e.st.CreateTarget(e.ctx, e.w, models.TargetInput{Year: 2026, Metric: "runs", Value: 5}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.CreateTarget(e.ctx, e.w, models.TargetInput{Year: 2025, Metric: "runs", Value: 5}); err != nil {
			t.Fatal(err)
		}
		e.mustRollup(t, false)
		v0, err := e.st.DataVersion(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		rec := recordSQL(t, e.st.DB(), func(string) bool { return true })
		st := e.mustRollup(t, false)
		sent := rec.stop()
		if st != (models.RollupStats{}) {
			t.Fatalf("idle roll-up %+v", st)
		}
		for _, s := range sent {
			q := strings.ToUpper(strings.TrimSpace(s.sql))
			if !strings.HasPrefix(q, "SELECT") || strings.Contains(s.sql, "targets") || strings.Contains(s.sql, "milestones") {
				t.Errorf("an idle roll-up sent %s", s.sql)
			}
		}
		sent = slices.DeleteFunc(sent, func(s recordedStmt) bool { return strings.Contains(s.sql, "pg_advisory_xact_lock") })
		if len(sent) > 4 {
			t.Errorf("an idle roll-up sent %d statements, want at most 4: %v", len(sent), sent)
		}
		if v, err := e.st.DataVersion(e.ctx); err != nil || v != v0 {
			t.Fatalf("data version %d → %d (%v) after an idle roll-up", v0, v, err)
		}

		// One run: its day and month, and 2026's target only.
		e.mustRun(t, runInput("R-A", "ONE", at("2026-10-01T09:00:00+08:00"), 3))
		rec = recordSQL(t, e.st.DB(), func(string) bool { return true })
		st = e.mustRollup(t, false)
		sent = rec.stop()
		if st.Days != 1 || st.Months != 1 || st.Milestones != 0 {
			t.Fatalf("roll-up of one run %+v", st)
		}
		var targets int
		for _, s := range sent {
			if strings.Contains(s.sql, "FROM `targets`") || strings.Contains(s.sql, `FROM "targets"`) {
				targets++
				if !slices.Contains(s.vars, any(2026)) || slices.Contains(s.vars, any(2025)) {
					t.Errorf("the targets checked after a run of 2026: %s %v", s.sql, s.vars)
				}
			}
		}
		if targets != 1 {
			t.Errorf("%d reads of targets, want 1", targets)
		}
		if len(sent) > 40 {
			for _, s := range sent {
				t.Log(s.sql)
			}
			t.Errorf("the roll-up of one run sent %d statements", len(sent))
		}
		if v, err := e.st.DataVersion(e.ctx); err != nil || v == v0 {
			t.Fatalf("data version %d → %d (%v) after rolling up a run", v0, v, err)
		}
	})
}

// TestArrivalDayCheckUsesAnIndex: a start looks for arrival days not yet
// filled through runs_arrival_day_missing (the arrivals without a day), not
// by reading every arrival or every run without one.
func TestArrivalDayCheckUsesAnIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		rollupData(t, e)
		rec := recordSQL(t, e.st.DB(), func(sql string) bool { return strings.Contains(sql, "arrived_day IS NULL") })
		if _, err := e.st.EnsureReportingZone(e.ctx); err != nil {
			t.Fatal(err)
		}
		sent := rec.stop()
		if len(sent) != 1 {
			t.Fatalf("%d statements looked for missing arrival days, want 1: %v", len(sent), sent)
		}
		plan := planOf(t, e.st.DB(), sent[0].sql, sent[0].vars)
		if scansRuns(plan) || (e.st.DB().Dialector.Name() == storetest.SQLite && !strings.Contains(plan, "runs_arrival_day_missing")) {
			t.Errorf("missing arrival days are looked for by reading the runs:\n%s\nplan:\n%s", sent[0].sql, plan)
		}
	})
}
