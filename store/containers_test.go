package store_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/store/storetest"
)

// TestMigrationMovesContainerNumbers: runs stored with their container
// numbers as a JSON list (schema 11) answer the same numbers, in the same
// order, once step 12 has moved them into run_containers, and the JSON
// column is gone.
func TestMigrationMovesContainerNumbers(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			db, err := store.Open(storetest.NewDSN(t, b), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close(db) })
			if _, err := store.MigrateTo(ctx, db, quiet, 11); err != nil {
				t.Fatal(err)
			}
			if v, err := store.CurrentVersion(db); err != nil || v != 11 {
				t.Fatalf("schema version %d (%v), want 11", v, err)
			}

			// As schema 11 holds them: a JSON list, in the order given.
			now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			if err := db.Exec(`INSERT INTO routes (code, name, mode, active, created_at, updated_at) VALUES ('R-A', 'Route R-A', 'rail', TRUE, ?, ?)`, now, now).Error; err != nil {
				t.Fatal(err)
			}
			var routeID int64
			if err := db.Raw(`SELECT id FROM routes WHERE code = 'R-A'`).Scan(&routeID).Error; err != nil {
				t.Fatal(err)
			}
			for i, st := range []struct{ name, role string }{{"Jiaozhou", "origin"}, {"Moscow", "destination"}} {
				if err := db.Exec(`INSERT INTO route_stops (route_id, seq, name, country, role) VALUES (?, ?, ?, 'CN', ?)`, routeID, i, st.name, st.role).Error; err != nil {
					t.Fatal(err)
				}
			}
			boxes := []string{models.ContainerNumber("TGH", 'U', 228933), "CSQU3054383", models.ContainerNumber("MSK", 'U', 907032)}
			old := []struct {
				number, status, numbers string
				dep                     time.Time
				arr                     *time.Time
			}{
				{"X1", models.StatusArrived, `["` + boxes[0] + `","` + boxes[1] + `","` + boxes[2] + `"]`,
					time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), ptr(time.Date(2026, 9, 18, 0, 0, 0, 0, time.UTC))},
				{"X2", models.StatusDeparted, `[]`, time.Date(2026, 9, 2, 0, 0, 0, 0, time.UTC), nil},
				{"X3", models.StatusDeparted, `["CSQU3054383"]`, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), nil},
			}
			ids := make([]int64, len(old))
			for i, r := range old {
				if err := db.Exec(`INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day, arrived_at,
					status, containers, teu, cargo, container_numbers, created_at, updated_at)
					VALUES (?, ?, ?, 'outbound', ?, ?, ?, ?, 10, 20, NULL, ?, ?, ?)`,
					routeID, r.number, r.number, r.dep, models.DayOf(r.dep, shanghai).String(), r.arr, r.status, r.numbers, now, now).Error; err != nil {
					t.Fatal(err)
				}
				if err := db.Raw(`SELECT id FROM runs WHERE number = ?`, r.number).Scan(&ids[i]).Error; err != nil {
					t.Fatal(err)
				}
			}

			if n, err := store.Migrate(ctx, db, quiet); err != nil || n != store.SchemaVersion()-11 {
				t.Fatalf("migrate from 11: %d steps, %v", n, err)
			}
			var cols int64
			if err := db.Raw(`SELECT COUNT(container_numbers) FROM runs`).Scan(&cols).Error; err == nil {
				t.Error("runs.container_numbers is still there")
			}
			st := store.NewStore(db, shanghai, storetest.NewClock(storetest.DefaultNow).Now)
			want := map[int64][]string{ids[0]: boxes, ids[1]: {}, ids[2]: {"CSQU3054383"}}
			for id, numbers := range want {
				r, err := st.GetRun(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(r.ContainerNumbers, numbers) {
					t.Errorf("run %s: container numbers %q, want %q", r.Number, r.ContainerNumbers, numbers)
				}
			}
			page, err := st.ListRuns(ctx, models.RunFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				if !slices.Equal(r.ContainerNumbers, want[r.ID]) {
					t.Errorf("listed run %s: container numbers %q, want %q", r.Number, r.ContainerNumbers, want[r.ID])
				}
			}
			found, err := st.ContainerRuns(ctx, "csqu 305438-3", 0, "")
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range found.Runs {
				got = append(got, r.ID)
			}
			if found.Number != "CSQU3054383" || !slices.Equal(got, []int64{ids[2], ids[0]}) {
				t.Errorf("runs of CSQU3054383: %s %v, want runs %v", found.Number, got, []int64{ids[2], ids[0]})
			}
		})
	}
}

// TestContainerWritesKeepTheirOrder: a run's containers come back in the
// order written, through every read, and an update that reorders them
// stores the new order.
func TestContainerWritesKeepTheirOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		boxes := []string{models.ContainerNumber("TGH", 'U', 1), models.ContainerNumber("CSQ", 'U', 2), models.ContainerNumber("MSK", 'U', 3)}
		in := runInput("R-A", "X1", at("2026-11-01T08:00:00+08:00"), 10)
		in.ContainerNumbers = []string{"tghu 000001-" + boxes[0][10:], boxes[1], boxes[2]}
		r := e.mustRun(t, in)
		reads := func(want []string) {
			t.Helper()
			got, err := e.st.GetRun(e.ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			detail, err := e.st.RunDetail(e.ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			page, err := e.st.ListRuns(e.ctx, models.RunFilter{Container: ptr(want[len(want)-1])})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 {
				t.Fatalf("runs listing %s: %+v", want[len(want)-1], page.Items)
			}
			for what, numbers := range map[string][]string{"get": got.ContainerNumbers, "detail": detail.ContainerNumbers, "list": page.Items[0].ContainerNumbers} {
				if !slices.Equal(numbers, want) {
					t.Errorf("%s: %q, want %q", what, numbers, want)
				}
			}
		}
		reads(boxes)
		reordered := []string{boxes[2], boxes[0], boxes[1]}
		if _, err := e.st.UpdateRun(e.ctx, e.w, r.ID, models.RunPatch{ContainerNumbers: models.Opt[[]string]{Set: true, Value: &reordered}}); err != nil {
			t.Fatal(err)
		}
		reads(reordered)
		if err := e.st.DeleteRun(e.ctx, e.w, r.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.st.ContainerRuns(e.ctx, boxes[0], 0, "")
		wantCode(t, err, models.ENOTFOUND)
	})
}
