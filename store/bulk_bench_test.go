package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"banlie/store"
	"banlie/store/storetest"
)

// BenchmarkImport imports a file of BANLIE_BENCH_IMPORT_LINES lines
// (10,000 by default) into a fresh database, and as its floor inserts the
// same rows into the same schema the plainest way: one prepared
// single-row INSERT, 1,000 rows a transaction, no validation, audit,
// events or roll-up marks. It reports both rates and their ratio
// (x_floor: the import's time over the floor's), and checks the counts.
//
//	BANLIE_BENCH_IMPORT_LINES=100000 go test ./store -run '^$' -bench BenchmarkImport -benchtime 1x
func BenchmarkImport(b *testing.B) {
	n := 10000
	if v := os.Getenv("BANLIE_BENCH_IMPORT_LINES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	// BANLIE_BENCH_IMPORT_CACHE_KIB: the page cache the import takes for
	// its connection (0: SQLite's default), to compare.
	if v := os.Getenv("BANLIE_BENCH_IMPORT_CACHE_KIB"); v != "" {
		kib, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		store.SetImportCacheKiB(kib)
	}
	var text strings.Builder
	for _, l := range bulkCSV(n) {
		text.WriteString(l)
	}
	for _, backend := range storetest.Backends {
		b.Run(fmt.Sprintf("%s/lines=%d", backend, n), func(b *testing.B) {
			var bulk, floor time.Duration
			for range b.N {
				e := openEnv(b, backend)
				e.mustRoute(b, "SCO-TJ-MOW", "rail")
				start := time.Now()
				f, err := store.ReadRunsCSV(strings.NewReader(text.String()), store.CharsetUTF8)
				if err != nil {
					b.Fatal(err)
				}
				res, err := e.st.ImportRuns(e.ctx, e.w, f, store.ImportOptions{})
				bulk += time.Since(start)
				if err != nil || res.Created != n {
					b.Fatalf("%+v %v", res.Created, err)
				}
				if got := e.count(b, "SELECT COUNT(*) FROM runs"); got != n {
					b.Fatalf("%d runs imported, want %d", got, n)
				}

				raw := openEnv(b, backend)
				raw.mustRoute(b, "SCO-TJ-MOW", "rail")
				routeID := raw.count(b, "SELECT id FROM routes WHERE code = 'SCO-TJ-MOW'")
				floor += rawInsert(b, raw, backend, int64(routeID), n)
				if got := raw.count(b, "SELECT COUNT(*) FROM runs"); got != n {
					b.Fatalf("%d runs inserted, want %d", got, n)
				}
			}
			rows := float64(n * b.N)
			b.ReportMetric(rows/bulk.Seconds(), "rows/s")
			b.ReportMetric(rows/floor.Seconds(), "floor_rows/s")
			b.ReportMetric(bulk.Seconds()/floor.Seconds(), "x_floor")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// rawInsert inserts the runs of bulkCSV(n) with a prepared single-row
// INSERT, 1,000 a transaction, and answers the time it took.
func rawInsert(b *testing.B, e *env, backend string, routeID int64, n int) time.Duration {
	b.Helper()
	db, err := e.st.DB().DB()
	if err != nil {
		b.Fatal(err)
	}
	q := `INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day, arrived_at, arrived_day,
		status, containers, empty_containers, teu, cargo, created_at, updated_at) VALUES (`
	for i := 1; i <= 15; i++ {
		if i > 1 {
			q += ", "
		}
		if backend == "postgres" {
			q += "$" + strconv.Itoa(i)
		} else {
			q += "?"
		}
	}
	q += ")"
	now := time.Now().UTC()
	start := time.Now()
	var tx *sql.Tx
	var st *sql.Stmt
	for i := range n {
		if i%1000 == 0 {
			if tx != nil {
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			if tx, err = db.Begin(); err != nil {
				b.Fatal(err)
			}
			if st, err = tx.Prepare(q); err != nil {
				b.Fatal(err)
			}
		}
		dep := time.Date(2026, time.Month(1+i%10), 1+i%28, 9, 30, 0, 0, shanghai)
		num := "B" + strconv.Itoa(i)
		if _, err := st.Exec(routeID, num, num, "outbound", dep.UTC(), dep.Format("2006-01-02"), nil, nil,
			"departed", 40+i%10, 0, 80+i%10, nil, now, now); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}
