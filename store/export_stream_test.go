package store_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
)

// TestExportIsTheListInOneQuery: the export of a few thousand runs is, byte
// for byte, what the export wrote when it read the list page after page
// (ExportRunsByPages), unfiltered and with each filter: every run once,
// newest departure first (ties by id), the same cells — container numbers
// in their order, formulas neutralised, quotes and line breaks quoted.
func TestExportIsTheListInOneQuery(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		e.mustRoute(t, "R-B", "rail")
		e.mustRoute(t, "S-A", "sea_rail")
		const n = 2600
		start := at("2023-01-01T08:00:00+08:00")
		cargos := []*string{nil, ptr("auto parts"), ptr("=HYPERLINK(\"x\")"), ptr("tea, \"silk\"\nand porcelain"), ptr("-1+1")}
		err := e.st.Tx(e.ctx, e.w, func(tx *store.Store) error {
			for i := range n {
				// Three runs (one per route) depart at each instant: the
				// order among them is by id.
				dep := start.Add(time.Duration(i/3) * 11 * time.Hour)
				in := runInput([]string{"R-A", "R-B", "S-A"}[i%3], fmt.Sprintf("X%d", 8000+i), dep, 10+i%7)
				in.Cargo = cargos[i%len(cargos)]
				for k := range i % 4 {
					in.ContainerNumbers = append(in.ContainerNumbers, models.ContainerNumber("TGH", 'U', 4*i+k))
				}
				switch i % 5 {
				case 1:
					in.Direction = models.DirInbound
				case 2:
					in.Status, in.ArrivedAt = models.StatusArrived, ptr(dep.Add(9*24*time.Hour).Format(time.RFC3339))
				case 3:
					in.Status = models.StatusPlanned
				}
				if _, err := tx.CreateRun(e.ctx, e.w, in); err != nil {
					return fmt.Errorf("run %d: %w", i, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		from, to := models.Day{Year: 2023, Month: 3, Day: 1}, models.Day{Year: 2023, Month: 9, Day: 30}
		for _, c := range []struct {
			name string
			f    models.RunFilter
		}{
			{"all", models.RunFilter{}},
			{"route", models.RunFilter{Route: ptr("R-B")}},
			{"mode", models.RunFilter{Mode: ptr("sea_rail")}},
			{"status", models.RunFilter{Status: ptr(models.StatusArrived)}},
			{"counted", models.RunFilter{Counted: ptr(true)}},
			{"not counted", models.RunFilter{Counted: ptr(false)}},
			{"from-to", models.RunFilter{From: &from, To: &to}},
			{"container", models.RunFilter{Container: ptr(models.ContainerNumber("TGH", 'U', 4*1002+1))}},
		} {
			var got, want bytes.Buffer
			gotN, err := e.st.ExportRuns(e.ctx, c.f, &got)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			wantN, err := e.st.ExportRunsByPages(e.ctx, c.f, &want)
			if err != nil {
				t.Fatalf("%s, by pages: %v", c.name, err)
			}
			if gotN != wantN || !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("%s: the export (%d runs, %d bytes) differs from the paged one (%d runs, %d bytes)", c.name, gotN, got.Len(), wantN, want.Len())
			}
			recs, err := csv.NewReader(&got).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != gotN+1 {
				t.Fatalf("%s: %d records for %d runs", c.name, len(recs), gotN)
			}
			if c.name == "all" && gotN != n {
				t.Fatalf("all: %d runs exported, want %d", gotN, n)
			}
			if c.name == "container" && gotN != 1 {
				t.Fatalf("container: %d runs exported, want 1", gotN)
			}
			seen := map[string]bool{}
			var last time.Time
			var lastID int64
			for _, r := range recs[1:] {
				if seen[r[0]] {
					t.Fatalf("%s: run %s exported twice", c.name, r[0])
				}
				seen[r[0]] = true
				dep, err := time.Parse(time.RFC3339Nano, r[4])
				if err != nil {
					t.Fatal(err)
				}
				id, _ := strconv.ParseInt(r[0], 10, 64)
				if !last.IsZero() && (dep.After(last) || dep.Equal(last) && id > lastID) {
					t.Fatalf("%s: run %d (%s) after run %d (%s)", c.name, id, dep, lastID, last)
				}
				last, lastID = dep, id
			}
		}
	})
}
