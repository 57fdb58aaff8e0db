package app

import (
	"banlie/store"
	"banlie/store/storetest"
	"context"
	"os"
	"sync"
	"testing"
)

func scratchPostgres(t *testing.T) string {
	t.Helper()
	dsn, drop, err := storetest.CreateScratchDatabase(storetest.TestPostgresURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	return dsn
}

// Instances starting together on one PostgreSQL database migrate it once.
func TestPostgresMigrationsRaceSafely(t *testing.T) {
	dsn := scratchPostgres(t)
	cfg := Config{DB: dsn, TZ: "Asia/Shanghai", Synchronous: "FULL"}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	applied := make([]int, 4)
	errs := make([]error, 4)
	for i := range applied {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := openDB(cfg)
			if err != nil {
				errs[i] = err
				return
			}
			defer store.Close(db)
			applied[i], errs[i] = store.Migrate(context.Background(), db, quiet)
		}()
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		total += applied[i]
	}
	if total != store.SchemaVersion() {
		t.Fatalf("%d steps applied in all, want each of the %d once", total, store.SchemaVersion())
	}
	db, err := openDB(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	if err := store.Ready(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	if err := Backup(context.Background(), cfg, t.TempDir()+"/x.db"); err == nil {
		t.Fatal("backup of a PostgreSQL database should point to pg_dump")
	}
}
