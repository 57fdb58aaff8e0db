package store_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"banlie/app"
	"banlie/models"
	"banlie/store"
)

// TestPortMigrationOnDemoCounts: the demo's sea-rail counts, as a database
// from before ports holds them (the demo logged its port as the text
// "Qingdao"), copied into a database at the schema before portsStep, with
// the variants an office types added; after the migration every demo count
// is on CNQIN with its TEU, the variants of Qingdao are merged into it, the
// text that names no port is listed for an admin, and the colliding one is
// kept apart: no count is lost, none is added to another.
func TestPortMigrationOnDemoCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	demoDB, err := store.Open(filepath.Join(t.TempDir(), "demo.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(demoDB) })
	if _, err := store.Migrate(ctx, demoDB, quiet); err != nil {
		t.Fatal(err)
	}
	demo := store.NewStore(demoDB, time.UTC, func() time.Time { return time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC) })
	stats, err := app.SeedDemo(ctx, demo)
	if err != nil {
		t.Fatal(err)
	}
	demoFile := filepath.Join(t.TempDir(), "demo-copy.db")
	if err := demoDB.Exec(`VACUUM INTO ?`, demoFile).Error; err != nil {
		t.Fatal(err)
	}

	old, err := store.Open(filepath.Join(t.TempDir(), "old.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(old) })
	if _, err := store.MigrateTo(ctx, old, quiet, portsStep-1); err != nil {
		t.Fatal(err)
	}
	// One connection, so that the attached copy is seen by every statement.
	sqlDB, err := old.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	exec := func(q string, args ...any) {
		t.Helper()
		if err := old.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`ATTACH DATABASE ? AS demo`, demoFile)
	exec(`INSERT INTO sea_rail_counts (id, date, port, port_key, direction, teu, note, created_at, updated_at)
		SELECT id, date, 'Qingdao', 'qingdao', direction, teu, note, created_at, updated_at FROM demo.sea_rail_counts`)
	exec(`DETACH DATABASE demo`)
	var n int64
	if err := old.Raw(`SELECT COUNT(*) FROM sea_rail_counts`).Scan(&n).Error; err != nil || n != int64(stats.SeaRailCounts) {
		t.Fatalf("copied %d counts (%v), the demo has %d", n, err, stats.SeaRailCounts)
	}
	var before struct{ N, TEU int64 }
	if err := old.Raw(`SELECT COUNT(*) AS n, SUM(teu) AS teu FROM sea_rail_counts`).Scan(&before).Error; err != nil {
		t.Fatal(err)
	}
	// The variants, on days the demo has no count of (after its data set),
	// and one on a day it has.
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	variant := func(date, port, dir string, teu int) {
		exec(`INSERT INTO sea_rail_counts (date, port, port_key, direction, teu, note, created_at, updated_at)
			VALUES (?, ?, LOWER(TRIM(?)), ?, ?, '', ?, ?)`, date, port, port, dir, teu, now, now)
	}
	variant("2025-01-01", " QINGDAO ", "export", 11)
	variant("2025-01-02", "青岛港", "export", 12)
	variant("2025-01-03", "Qingdao Port", "import", 13)
	variant("2025-01-04", "cntao", "import", 14)
	variant("2025-01-05", "Qindao", "export", 15)
	variant("2025-01-05", "🚢", "import", 16)
	variant("2024-10-12", "青岛港", "export", 17) // the demo's Qingdao has this day's export

	if _, err := store.Migrate(ctx, old, quiet); err != nil {
		t.Fatal(err)
	}
	st := store.NewStore(old, time.UTC, func() time.Time { return now })

	// Every count is still there, the demo's all on CNQIN with their TEU.
	var after struct{ N, TEU int64 }
	if err := old.Raw(`SELECT COUNT(*) AS n, SUM(teu) AS teu FROM sea_rail_counts`).Scan(&after).Error; err != nil {
		t.Fatal(err)
	}
	if after.N != before.N+7 || after.TEU != before.TEU+11+12+13+14+15+16+17 {
		t.Fatalf("after the migration: %d counts, %d TEU; before %d, %d (+7 variants, 98 TEU)", after.N, after.TEU, before.N, before.TEU)
	}
	var onQingdao struct{ N, TEU int64 }
	if err := old.Raw(`SELECT COUNT(*) AS n, SUM(teu) AS teu FROM sea_rail_counts WHERE port = 'CNQIN'`).Scan(&onQingdao).Error; err != nil {
		t.Fatal(err)
	}
	if onQingdao.N != before.N+4 || onQingdao.TEU != before.TEU+11+12+13+14 {
		t.Fatalf("on CNQIN: %d counts, %d TEU; want the demo's %d (%d TEU) and 4 variants (50 TEU)", onQingdao.N, onQingdao.TEU, before.N, before.TEU)
	}
	// The rest is listed for an admin, not guessed: Qindao, the ship, and
	// the 青岛港 count that would have collided (suggested CNQIN).
	page, err := st.ListPorts(ctx, models.PortFilter{Unresolved: ptr(true), Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]models.Port{}
	for _, p := range page.Items {
		if p.Text == nil {
			t.Fatalf("a port under review without its text: %+v", p)
		}
		texts[*p.Text] = p
	}
	if len(texts) != 3 || texts["Qindao"].Counts != 1 || texts["🚢"].Counts != 1 {
		t.Fatalf("ports under review: %+v", page.Items)
	}
	if p := texts["青岛港"]; p.Counts != 1 || p.Suggested == nil || *p.Suggested != "CNQIN" {
		t.Fatalf("the colliding count's port: %+v", p)
	}
	// The month's sea-rail figures after a roll-up equal the demo's own.
	if _, err := st.Rollup(ctx, true); err != nil {
		t.Fatal(err)
	}
	got, err := st.YearlyTotals(ctx, 2024, 10, models.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Rollup(ctx, true); err != nil {
		t.Fatal(err)
	}
	want, err := demo.YearlyTotals(ctx, 2024, 10, models.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if *got.SeaRailTEU != *want.SeaRailTEU+17 {
		t.Fatalf("sea-rail TEU Jan–Oct 2024: %d after the migration, the demo's %d (+17 of the count under review)", *got.SeaRailTEU, *want.SeaRailTEU)
	}
}
