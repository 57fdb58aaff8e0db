package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/store/storetest"
)

// A run counts from its departure instant on, by the store's clock, and only
// when departed or arrived; an incremental roll-up picks up departures that
// passed since the last one without any write.
func TestRollupCountsDepartures(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		now := e.clock.Now() // 2026-11-26T12:00:00+08:00
		e.mustRun(t, runInput("R-A", "NOW", now, 1))
		e.mustRun(t, runInput("R-A", "SOON", now.Add(time.Microsecond), 2))
		e.mustRun(t, runInput("R-A", "LATER", now.Add(3*time.Minute), 4))
		// Beyond the clock skew, a departure is not logged as departed.
		_, err := e.st.CreateRun(context.Background(), e.w, runInput("R-A", "LATE", now.Add(3*time.Hour), 4))
		wantCode(t, err, models.EINVALID)
		for _, status := range []string{models.StatusPlanned, models.StatusCancelled} {
			in := runInput("R-A", status, now.Add(-time.Hour), 8)
			in.Status = status
			e.mustRun(t, in)
		}
		nov := func() models.MonthTotals {
			t.Helper()
			mt, err := e.st.MonthlyTotals(context.Background(), 2026, models.Scope{})
			if err != nil {
				t.Fatal(err)
			}
			return mt.Months[10]
		}
		e.mustRollup(t, false)
		if got := nov(); got.Runs != 1 || got.Containers != 1 {
			t.Fatalf("at the first departure: %d runs, %d containers, want only the run departing now (1, 1)", got.Runs, got.Containers)
		}
		e.clock.Advance(time.Microsecond)
		if st := e.mustRollup(t, false); st.Days != 1 {
			t.Fatalf("roll-up after a departure passed: %+v, want the one day recomputed", st)
		}
		if got := nov(); got.Runs != 2 || got.Containers != 3 {
			t.Fatalf("a microsecond later: %d runs, %d containers, want 2 and 3", got.Runs, got.Containers)
		}
		e.clock.Advance(4 * time.Hour)
		e.mustRollup(t, false)
		if got := nov(); got.Runs != 3 || got.Containers != 7 || got.TEU != 14 {
			t.Fatalf("after every departure: %+v, want 3 runs, 7 containers, 14 TEU", got)
		}
		// Nothing to do: nothing recomputed.
		if st := e.mustRollup(t, false); st.Days != 0 || st.Months != 0 {
			t.Fatalf("idle roll-up %+v", st)
		}
		// Totals of a route that does not exist are not found, not zeros.
		_, err = e.st.MonthlyTotals(context.Background(), 2026, models.Scope{Route: ptr("NOPE")})
		wantCode(t, err, models.ENOTFOUND)
		_, err = e.st.YearlyTotals(context.Background(), 2026, 12, models.Scope{Route: ptr("NOPE")})
		wantCode(t, err, models.ENOTFOUND)
	})
}

// A full rebuild reports no drift when the roll-ups are right, counts the
// rows it finds wrong after they are corrupted by hand, and repairs them.
func TestRollupRebuildDrift(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		e.mustRoute(t, "R-B", "sea_rail")
		e.mustRun(t, runInput("R-A", "X1", at("2026-10-05T08:00:00+08:00"), 10))
		e.mustRun(t, runInput("R-B", "X2", at("2026-10-06T08:00:00+08:00"), 20))
		e.mustRun(t, runInput("R-A", "X3", at("2025-10-05T08:00:00+08:00"), 30))
		if _, err := e.st.CreateSeaRailCount(e.ctx, e.w, seaInput("2026-10-07", "CNQIN", "import", 500)); err != nil {
			t.Fatal(err)
		}
		e.mustRollup(t, false)
		snapshot := func() []any {
			t.Helper()
			var out []any
			for _, sc := range []models.Scope{{}, {Mode: ptr("rail")}, {Route: ptr("R-B"), Direction: ptr(models.DirOutbound)}} {
				mt, err := e.st.MonthlyTotals(context.Background(), 2026, sc)
				if err != nil {
					t.Fatal(err)
				}
				yt, err := e.st.YearlyTotals(context.Background(), 2026, 12, sc)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, mt, yt)
			}
			return out
		}
		good := snapshot()
		if got := good[0].(models.MonthlyTotals).Months[9]; got.Runs != 2 || got.TEU != 60 || *got.SeaRailTEU != 500 || got.RunsLastYear != 1 {
			t.Fatalf("October 2026 %+v", got)
		}
		if st := e.mustRollup(t, true); st.Drift != 0 || !st.Full {
			t.Fatalf("rebuild of right roll-ups: %+v, want drift 0", st)
		}

		db := e.st.DB()
		for _, q := range []string{
			// One monthly figure wrong, one daily row missing, one daily row
			// that no run or count backs (in a month with no figures).
			`UPDATE rollup_monthly SET runs = runs + 5 WHERE scope = 'all' AND direction = '' AND month = '2026-10'`,
			`DELETE FROM rollup_daily WHERE scope = 'sea_rail' AND direction = 'import' AND day = '2026-10-07'`,
			`INSERT INTO rollup_daily (scope, direction, day, runs, containers, teu) VALUES ('all', '', '2026-03-03', 4, 40, 80)`,
		} {
			if err := db.Exec(q).Error; err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if reflect.DeepEqual(snapshot(), good) {
			t.Fatal("the corruption changed no answer")
		}
		if st := e.mustRollup(t, true); st.Drift != 3 {
			t.Fatalf("rebuild after three rows were corrupted: %+v, want drift 3", st)
		}
		if got := snapshot(); !reflect.DeepEqual(got, good) {
			t.Fatalf("after the rebuild\n%+v\nwant\n%+v", got, good)
		}
		if st := e.mustRollup(t, true); st.Drift != 0 {
			t.Fatalf("second rebuild: %+v, want drift 0", st)
		}
		// A monthly row with no daily rows behind it is drift too, and goes.
		if err := db.Exec(`INSERT INTO rollup_monthly (scope, direction, month, runs, containers, teu) VALUES ('all', '', '2026-04', 1, 1, 1)`).Error; err != nil {
			t.Fatal(err)
		}
		if st := e.mustRollup(t, true); st.Drift != 1 {
			t.Fatalf("rebuild after a stray monthly row: %+v, want drift 1", st)
		}
		if got := snapshot(); !reflect.DeepEqual(got, good) {
			t.Fatalf("after removing the stray row\n%+v\nwant\n%+v", got, good)
		}
	})
}

// The arrival days a start fills in (runs stored before arrived_day
// existed) are the reporting zone's, on either side of its changes of
// offset, as models.DayOf says; the days are marked for the roll-up; and a
// start with none missing writes nothing.
func TestFillArrivalDaysInZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range storetest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := storetest.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, berlin))
			st := storetest.MustOpenAt(t, b, berlin, clock)
			w := store.Write{Actor: models.Actor{Name: "tester"}}
			if _, err := st.CreateRoute(ctx, w, routeInput("R-A", "rail")); err != nil {
				t.Fatal(err)
			}
			arrivals := []time.Time{
				time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), // +1: the 29th
				time.Date(2026, 3, 29, 21, 59, 0, 0, time.UTC), // +2: the 29th, 23:59
				time.Date(2026, 3, 29, 22, 30, 0, 0, time.UTC), // +2: the 30th
				time.Date(2026, 10, 24, 22, 30, 0, 0, time.UTC),
				time.Date(2026, 10, 25, 22, 59, 59, 999999000, time.UTC), // +1: the 25th, 23:59:59.999999
				time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC),
			}
			for i, a := range arrivals {
				in := runInput("R-A", fmt.Sprintf("X%d", i), a.Add(-20*time.Hour), 1)
				in.Direction, in.Status, in.ArrivedAt = models.DirInbound, models.StatusArrived, ptr(a.Format(time.RFC3339Nano))
				if _, err := st.CreateRun(ctx, w, in); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.Rollup(ctx, false); err != nil {
				t.Fatal(err)
			}
			db := st.DB()
			if err := db.Exec(`UPDATE runs SET arrived_day = NULL`).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := st.EnsureReportingZone(ctx); err != nil {
				t.Fatal(err)
			}
			var rows []struct {
				Number     string
				ArrivedDay *string
			}
			if err := db.Raw(`SELECT number, arrived_day FROM runs ORDER BY id`).Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for i, r := range rows {
				d := models.DayOf(arrivals[i], berlin).String()
				want[d] = true
				got := "NULL"
				if r.ArrivedDay != nil {
					got = *r.ArrivedDay
				}
				if got != d {
					t.Errorf("run %s arrived %s: day %s, want %s", r.Number, arrivals[i], got, d)
				}
			}
			var dirty []string
			if err := db.Raw(`SELECT day FROM rollup_dirty ORDER BY day`).Scan(&dirty).Error; err != nil {
				t.Fatal(err)
			}
			if len(dirty) != len(want) {
				t.Errorf("days marked %v, want those of %v", dirty, want)
			}
			for _, d := range dirty {
				if !want[d] {
					t.Errorf("day %s marked, no arrival on it", d)
				}
			}
			// Nothing missing: no mark, no write (the data version stays).
			if _, err := st.Rollup(ctx, false); err != nil {
				t.Fatal(err)
			}
			v0, err := st.DataVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.EnsureReportingZone(ctx); err != nil {
				t.Fatal(err)
			}
			if v, err := st.DataVersion(ctx); err != nil || v != v0 {
				t.Errorf("a start with no arrival day missing: data version %d → %d (%v)", v0, v, err)
			}
		})
	}
}
