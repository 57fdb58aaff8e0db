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
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
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
