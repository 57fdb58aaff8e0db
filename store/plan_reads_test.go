package store_test

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"banlie/models"
	"banlie/store/storetest"
)

// sentSQL records the statements a store sends through GORM (finders and
// Rows/Scan alike), with their arguments, so that a test can explain them.
type sentSQL struct {
	mu    sync.Mutex
	stmts []sentStmt
}

type sentStmt struct {
	sql  string
	args []any
}

// captureSQL starts recording what db sends.
func captureSQL(t *testing.T, db *gorm.DB) *sentSQL {
	t.Helper()
	s := &sentSQL{}
	record := func(tx *gorm.DB) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.stmts = append(s.stmts, sentStmt{tx.Statement.SQL.String(), append([]any(nil), tx.Statement.Vars...)})
	}
	if err := db.Callback().Query().After("gorm:query").Register("plan_reads:query", record); err != nil {
		t.Fatal(err)
	}
	if err := db.Callback().Row().After("gorm:row").Register("plan_reads:row", record); err != nil {
		t.Fatal(err)
	}
	return s
}

// take answers the statements sent since the last take that name table.
func (s *sentSQL) take(table string) []sentStmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sentStmt
	re := regexp.MustCompile("(?i)\\bFROM\\s+[`\"]?" + table + "\\b")
	for _, st := range s.stmts {
		if re.MatchString(st.sql) {
			out = append(out, st)
		}
	}
	s.stmts = nil
	return out
}

// wantRange fails the test unless the plan of every statement in stmts
// (at least one) reads an index range or walks an index in the order asked
// for, without sorting and without reading a table whole: on SQLite no
// temporary B-tree and no SCAN of a table but in its own rowid order
// (rowid: a list ordered by its integer primary key), and every table
// joined found by a SEARCH; on PostgreSQL no Sort and no Seq Scan. index,
// when not "", must be named in the plan.
func wantRange(t *testing.T, db *gorm.DB, what string, stmts []sentStmt, index string, rowid bool) {
	t.Helper()
	if len(stmts) == 0 {
		t.Errorf("%s: no statement was sent", what)
		return
	}
	for _, st := range stmts {
		var text string
		if db.Dialector.Name() == storetest.Postgres {
			text = pgPlanOf(t, db, st.sql, st.args)
		} else {
			text = planOf(t, db, st.sql, st.args)
		}
		bad := ""
		if db.Dialector.Name() == storetest.Postgres {
			switch {
			case strings.Contains(text, "Sort"):
				bad = "sorts"
			case strings.Contains(text, "Seq Scan"):
				bad = "reads a table whole"
			}
		} else {
			scans := 0
			for _, line := range strings.Split(text, "\n") {
				line = strings.TrimSpace(line)
				switch {
				case strings.Contains(line, "TEMP B-TREE FOR group_concat"):
					// The export orders each run's few container
					// numbers (group_concat(… ORDER BY seq)): not the list.
				case strings.Contains(line, "TEMP B-TREE"):
					bad = "sorts"
				case strings.HasPrefix(line, "SCAN "):
					scans++
					if !strings.Contains(line, " USING ") && !rowid {
						bad = "reads a table whole"
					}
				}
			}
			if scans > 1 {
				bad = "scans a table per row of another"
			}
		}
		if bad == "" && index != "" && !strings.Contains(text, index) {
			bad = "is not served by " + index
		}
		if bad != "" {
			t.Errorf("%s %s:\n%s\nargs %v\nplan:\n%s", what, bad, st.sql, st.args, text)
		} else if testing.Verbose() {
			t.Logf("%s:\n%s", what, text)
		}
	}
}

// pgPlanOf is planOf on PostgreSQL with sorts and bitmap scans avoided
// too: on a test's few rows the planner would sort them whatever the
// indexes, where on a table of many it walks an index in order to stop at
// the page's end. What the test asks is whether such a walk exists: a Sort
// in this plan means no index can serve the order.
func pgPlanOf(t *testing.T, db *gorm.DB, query string, args []any) string {
	t.Helper()
	return planAvoiding(t, db, query, args, "enable_seqscan", "enable_sort", "enable_bitmapscan")
}

// TestRunListsReadIndexRanges: every page of the runs list the dashboard
// asks for, the first and one after a cursor, with each of its filters, is
// a range of an index read in the list's order, so that a page costs the
// same at any depth.
func TestRunListsReadIndexRanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		e.mustRoute(t, "R-B", "rail")
		e.mustRoute(t, "S-A", "sea_rail")
		start := at("2026-06-01T08:00:00+08:00")
		for i := range 60 {
			in := runInput([]string{"R-A", "R-B", "S-A"}[i%3], fmt.Sprintf("X%d", 8000+i), start.Add(time.Duration(i)*24*time.Hour), 10)
			switch i % 4 {
			case 1:
				in.Direction = models.DirInbound
			case 2:
				in.Status = models.StatusPlanned
			case 3:
				dep := start.Add(time.Duration(i) * 24 * time.Hour)
				in.Status, in.ArrivedAt = models.StatusArrived, ptr(dep.Add(10*24*time.Hour).Format(time.RFC3339))
				if dep.Add(10 * 24 * time.Hour).After(e.clock.Now()) {
					in.Status, in.ArrivedAt = models.StatusDeparted, nil
				}
			}
			e.mustRun(t, in)
		}
		db := e.st.DB()
		sent := captureSQL(t, db)
		from, to := models.Day{Year: 2026, Month: 7, Day: 1}, models.Day{Year: 2026, Month: 10, Day: 31}
		for _, c := range []struct {
			name  string
			f     models.RunFilter
			index string
		}{
			{"all", models.RunFilter{}, ""},
			{"route", models.RunFilter{Route: ptr("R-B")}, "runs_route_departed"},
			{"direction", models.RunFilter{Direction: ptr(models.DirInbound)}, ""},
			{"status", models.RunFilter{Status: ptr(models.StatusPlanned)}, ""},
			{"mode", models.RunFilter{Mode: ptr("rail")}, ""},
			{"from-to", models.RunFilter{From: &from, To: &to}, ""},
			{"counted", models.RunFilter{Counted: ptr(true)}, ""},
			{"not counted", models.RunFilter{Counted: ptr(false)}, ""},
		} {
			f := c.f
			f.Limit = 3
			page, err := e.st.ListRuns(e.ctx, f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if len(page.Items) != 3 || page.NextCursor == nil {
				t.Fatalf("%s: a first page of %d runs, cursor %v", c.name, len(page.Items), page.NextCursor)
			}
			wantRange(t, db, "the runs list ("+c.name+")", sent.take("runs"), c.index, false)
			f.Cursor = *page.NextCursor
			next, err := e.st.ListRuns(e.ctx, f)
			if err != nil {
				t.Fatalf("%s, next page: %v", c.name, err)
			}
			if len(next.Items) == 0 || !next.Items[0].DepartedAt.Before(page.Items[2].DepartedAt) {
				t.Fatalf("%s: the next page does not follow the first: %+v after %+v", c.name, next.Items, page.Items[2])
			}
			wantRange(t, db, "the runs list ("+c.name+", after a cursor)", sent.take("runs"), c.index, false)
			// The export: the same range, whole, in one statement.
			if _, err := e.st.ExportRuns(e.ctx, c.f, io.Discard); err != nil {
				t.Fatalf("%s, export: %v", c.name, err)
			}
			export := sent.take("runs")
			if len(export) != 1 {
				t.Errorf("the export (%s) sent %d statements on runs, want 1", c.name, len(export))
			}
			wantRange(t, db, "the export ("+c.name+")", export, c.index, false)
		}
	})
}

// TestOtherReadsUseIndexRanges: the other reads that dashboards and
// clients repeat — the sea-rail list, a run's events, the audit log,
// milestones, the outbox after an id (a stream catching up), the totals'
// roll-ups — read a range of an index, in order, with no sort.
func TestOtherReadsUseIndexRanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		start := at("2026-06-01T08:00:00+08:00")
		var run models.Run
		for i := range 12 {
			run = e.mustRun(t, runInput("R-A", fmt.Sprintf("X%d", 8000+i), start.Add(time.Duration(i)*24*time.Hour), 10))
		}
		for i := range 12 {
			if _, err := e.st.CreateSeaRailCount(e.ctx, e.w, models.SeaRailInput{Date: fmt.Sprintf("2026-10-%02d", i+1),
				Port: []string{"CNQIN", "CNTAO"}[i%2], Direction: []string{"export", "import"}[i/2%2], TEU: ptr(100 + i)}); err != nil {
				t.Fatal(err)
			}
		}
		target, err := e.st.CreateTarget(e.ctx, e.w, models.TargetInput{Year: 2026, Metric: "runs", Scope: &models.TargetScope{Route: ptr("R-A")}, Value: 5, Label: "Five"})
		if err != nil {
			t.Fatal(err)
		}
		// The last run's audit entries: its creation and an update.
		if _, err := e.st.UpdateRun(e.ctx, e.w, run.ID, models.RunPatch{Cargo: models.Opt[string]{Set: true, Value: ptr("parts")}}); err != nil {
			t.Fatal(err)
		}
		e.mustRollup(t, true)
		db := e.st.DB()
		sent := captureSQL(t, db)

		// The sea-rail list, unfiltered and by port, direction, period.
		from, to := models.Day{Year: 2026, Month: 10, Day: 3}, models.Day{Year: 2026, Month: 10, Day: 11}
		for _, c := range []struct {
			name  string
			f     models.SeaRailFilter
			index string
		}{
			{"all", models.SeaRailFilter{}, ""},
			{"port", models.SeaRailFilter{Port: ptr("CNQIN")}, ""},
			{"direction", models.SeaRailFilter{Direction: ptr("import")}, ""},
			{"from-to", models.SeaRailFilter{From: &from, To: &to}, ""},
		} {
			f := c.f
			f.Limit = 2
			page, err := e.st.ListSeaRailCounts(e.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 2 || page.NextCursor == nil {
				t.Fatalf("sea-rail %s: %+v", c.name, page)
			}
			wantRange(t, db, "the sea-rail list ("+c.name+")", sent.take("sea_rail_counts"), c.index, false)
			f.Cursor = *page.NextCursor
			if _, err := e.st.ListSeaRailCounts(e.ctx, f); err != nil {
				t.Fatal(err)
			}
			wantRange(t, db, "the sea-rail list ("+c.name+", after a cursor)", sent.take("sea_rail_counts"), c.index, false)
		}

		// A run's journey events.
		if _, _, err := e.st.ListEvents(e.ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		wantRange(t, db, "a run's events", sent.take("run_events"), "run_events_run", false)

		// The audit log: all of it, an entity's, an actor's.
		for _, c := range []struct {
			name  string
			f     models.AuditFilter
			index string
		}{
			{"all", models.AuditFilter{}, ""},
			{"entity", models.AuditFilter{Entity: ptr("run"), EntityID: ptr(idOf(run.ID))}, "audit_log_entity"},
			{"entity type", models.AuditFilter{Entity: ptr("run")}, ""},
			{"action", models.AuditFilter{Action: ptr("runs.create")}, ""},
			{"actor", models.AuditFilter{Actor: ptr("tester")}, "audit_log_actor"},
		} {
			f := c.f
			f.Limit = 1
			page, err := e.st.ListAudit(e.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.NextCursor == nil {
				t.Fatalf("audit %s: %+v", c.name, page)
			}
			wantRange(t, db, "the audit log ("+c.name+")", sent.take("audit_log"), c.index, true)
			f.Cursor = *page.NextCursor
			if _, err := e.st.ListAudit(e.ctx, f); err != nil {
				t.Fatal(err)
			}
			wantRange(t, db, "the audit log ("+c.name+", after a cursor)", sent.take("audit_log"), c.index, true)
		}

		// Milestones, newest first (by id), and the outbox after an id.
		if _, err := e.st.ListMilestones(e.ctx, nil, 10, ""); err != nil {
			t.Fatal(err)
		}
		wantRange(t, db, "the milestones", sent.take("milestones"), "", true)
		evs, err := e.st.Events(e.ctx, 3, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 5 || evs[0].ID != 4 {
			t.Fatalf("the events after 3: %+v", evs)
		}
		wantRange(t, db, "the outbox after an id", sent.take("outbox"), "", true)

		// Totals: months of a scope (yearly, monthly), days of a scope
		// (a target's progress).
		if _, err := e.st.YearlyTotals(e.ctx, 2026, 11, models.Scope{Route: ptr("R-A")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.MonthlyTotals(e.ctx, 2026, models.Scope{Mode: ptr("rail")}); err != nil {
			t.Fatal(err)
		}
		wantRange(t, db, "the monthly roll-ups", sent.take("rollup_monthly"), "", false)
		if _, err := e.st.ProgressAsOf(e.ctx, target, models.Day{Year: 2026, Month: 11, Day: 20}); err != nil {
			t.Fatal(err)
		}
		wantRange(t, db, "the daily roll-ups", sent.take("rollup_daily"), "", false)
	})
}
