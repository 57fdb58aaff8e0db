package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/store/storetest"
)

// An existing database (schema 12, its reporting zone stored by an earlier
// start) is upgraded: the inbound runs it holds as arrived count toward 到发
// at the first roll-up, without a change of zone or any write.
func TestUpgradeCountsEarlierArrivals(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b, func(t *testing.T) {
			ctx := context.Background()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			db, err := store.Open(storetest.NewDSN(t, b), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close(db) })
			if _, err := store.MigrateTo(ctx, db, quiet, 12); err != nil {
				t.Fatal(err)
			}
			clock := storetest.NewClock(storetest.DefaultNow)
			// First start of the old binary: zone stored.
			now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			must := func(q string, args ...any) {
				t.Helper()
				if err := db.Exec(q, args...).Error; err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			must(`INSERT INTO settings (key, value) VALUES ('reporting_time_zone', 'Asia/Shanghai')`)
			must(`INSERT INTO routes (code, name, mode, active, created_at, updated_at) VALUES ('R1', 'R1', 'rail', TRUE, ?, ?)`, now, now)
			dep := time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC)
			arr := time.Date(2026, 10, 15, 2, 0, 0, 0, time.UTC)
			must(`INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day, arrived_at, status, containers, teu, created_at, updated_at)
				VALUES ((SELECT id FROM routes WHERE code='R1'), 'X1', 'X1', 'inbound', ?, '2026-10-01', ?, 'arrived', 10, 20, ?, ?)`, dep, arr, now, now)
			if _, err := store.Migrate(ctx, db, quiet); err != nil {
				t.Fatal(err)
			}
			st := store.NewStore(db, storetest.Shanghai, clock.Now)
			if _, err := st.EnsureReportingZone(ctx); err != nil {
				t.Fatal(err)
			}
			var ad []struct{ ArrivedDay *string }
			if err := db.Raw(`SELECT arrived_day FROM runs`).Scan(&ad).Error; err != nil {
				t.Fatal(err)
			}
			if len(ad) != 1 || ad[0].ArrivedDay == nil || *ad[0].ArrivedDay != "2026-10-15" {
				t.Fatalf("arrival days after the upgrade: %+v, want 2026-10-15", ad)
			}
			if _, err := st.Rollup(ctx, false); err != nil {
				t.Fatal(err)
			}
			y, err := st.YearlyTotals(ctx, 2026, 11, models.Scope{})
			if err != nil {
				t.Fatal(err)
			}
			if y.Figures.Runs != 1 || y.Figures.ArrivalsDepartures != 1 {
				t.Errorf("到发 = %d, want 1 (the inbound arrival)", y.Figures.ArrivalsDepartures)
			}
		})
	}
}
