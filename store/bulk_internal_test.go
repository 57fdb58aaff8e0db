package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banlie/models"
)

// An import enlarges its connection's page cache (importCacheKiB) and gives
// it back when it ends, whether it wrote or was refused: a server that
// imported a large file does not keep the import's cache on a connection
// that then serves reads.
func TestImportGivesBackItsCache(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "cache.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Close(db) })
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1) // every statement on the connection that imports
	ctx := context.Background()
	if _, err := Migrate(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	st := NewStore(db, time.UTC, nil)
	if _, err := st.CreateRoute(ctx, System, models.RouteInput{Code: "R1", Name: "Route 1", Mode: "rail",
		Stops: []models.Stop{{Name: "Jiaozhou", Country: "CN", Role: models.RoleOrigin}, {Name: "Moscow", Country: "RU", Role: models.RoleDestination}}}); err != nil {
		t.Fatal(err)
	}
	cache := func() int64 {
		t.Helper()
		var n int64
		if err := st.queryRow(ctx, "PRAGMA cache_size").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := cache()
	if cacheKiB(before, 4096) >= importCacheKiB {
		t.Fatalf("the connection's cache (%d) is already as large as an import's (%d KiB)", before, importCacheKiB)
	}
	file := func(lines ...string) RunsCSV {
		f, err := ReadRunsCSV(strings.NewReader("route,number,direction,departed_at,status,containers,teu\n"+strings.Join(lines, "\n")), CharsetUTF8)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	var lines []string
	for i := range 3 * bulkBatch {
		lines = append(lines, fmt.Sprintf("R1,C%d,outbound,2026-01-%02dT09:00:00+08:00,departed,40,80", i, 1+i%28))
	}
	f := file(lines...)
	res, err := st.ImportRuns(ctx, System, f, ImportOptions{})
	if err != nil || res.Created != len(lines) {
		t.Fatalf("import: %d created, %v", res.Created, err)
	}
	if got := cache(); got != before {
		t.Errorf("after an import the connection's cache_size is %d, want %d as before", got, before)
	}
	bad := file("R1,D1,outbound,2026-01-01T09:00:00+08:00,departed,40,80", "NOPE,D2,outbound,2026-01-01T09:00:00+08:00,departed,40,80")
	if res, err := st.ImportRuns(ctx, System, bad, ImportOptions{}); err == nil {
		t.Fatalf("an import naming an unknown route was written: %+v", res)
	}
	if got := cache(); got != before {
		t.Errorf("after a refused import the connection's cache_size is %d, want %d as before", got, before)
	}
}
