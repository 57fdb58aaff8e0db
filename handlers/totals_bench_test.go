package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Totals are served from the roll-up tables, so the cost of a request must
// not grow with the number of runs. These benchmarks seed 10,000 and
// 1,000,000 runs over 2023–2024 (the same days, so the roll-up tables are the
// same size), roll up once, and time GET /totals/yearly and /totals/monthly
// through a plain HTTP client (no OpenAPI validation). Compare the ns/op of
// the two sizes:
//
//	go test ./handlers/ -run '^$' -bench Totals -benchtime 200x
//
// The 1M case seeds in one INSERT … SELECT from a recursive CTE (10–20 s on
// a small machine, and a database file of some hundreds of MB in the
// benchmark's temporary directory: the log line says how big); -short skips it.

func BenchmarkTotalsYearly(b *testing.B) {
	totBench(b, "/api/v1/totals/yearly?year=2024&through=2024-10", func(n int) string {
		return fmt.Sprintf(`"runs":%d,`, totBenchCounted(n, "2024-01", "2024-10"))
	})
}

func BenchmarkTotalsMonthly(b *testing.B) {
	totBench(b, "/api/v1/totals/monthly?year=2024", func(n int) string {
		return fmt.Sprintf(`"month":"2024-12","runs":%d,`, totBenchCounted(n, "2024-12", "2024-12"))
	})
}

var totBenchSizes = []struct {
	name string
	n    int
}{{"runs=10k", 10_000}, {"runs=1M", 1_000_000}}

// totBench runs path against each size; want(n) is a fragment the answer
// must hold (checked once, before timing).
func totBench(b *testing.B, path string, want func(n int) string) {
	for _, size := range totBenchSizes {
		b.Run(size.name, func(b *testing.B) {
			if size.n > 100_000 && testing.Short() {
				b.Skip("-short: skipping the 1M-run seed")
			}
			ts := totBenchServer(b, size.n)
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			b.Cleanup(c.CloseIdleConnections)
			get := func() []byte {
				res, err := c.Get(ts.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("status %d (%v): %s", res.StatusCode, err, body)
				}
				return body
			}
			if body := get(); !strings.Contains(string(body), want(size.n)) {
				b.Fatalf("%s with %d runs: answer lacks %s: %s", path, size.n, want(size.n), body)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				get()
			}
		})
	}
}

// The seeded runs: run i departs at totBenchStart + i × totBenchSpan / n
// (whole seconds, UTC), on route i % 5, outbound when i is even; every tenth
// is planned (never counted), every third of the rest arrived 14 days later.
var (
	totBenchStart = time.Date(2023, 1, 1, 0, 0, 0, 0, shanghai)
	totBenchSpan  = int64(time.Date(2025, 1, 1, 0, 0, 0, 0, shanghai).Sub(totBenchStart) / time.Second)
)

func totBenchDep(i, n int) time.Time {
	return totBenchStart.Add(time.Duration(int64(i)*totBenchSpan/int64(n)) * time.Second)
}

// totBenchCounted is the number of counted seeded runs departing in the
// months from..to (YYYY-MM, Shanghai).
func totBenchCounted(n int, from, to string) int {
	c := 0
	for i := range n {
		if m := totBenchDep(i, n).In(shanghai).Format("2006-01"); i%10 != 0 && m >= from && m <= to {
			c++
		}
	}
	return c
}

// totBenchServer is a Shanghai server with n seeded runs, fully rolled up.
func totBenchServer(b *testing.B, n int) *testServer {
	b.Helper()
	ts := newTestServerIn(b, shanghai)
	ts.now = time.Date(2025, 6, 1, 12, 0, 0, 0, shanghai)
	modes := []string{"rail", "rail", "road", "sea", "sea_rail"}
	for i, m := range modes {
		createRoute(b, ts, fmt.Sprintf("BENCH-%d", i), func(body map[string]any) { body["mode"] = m })
	}
	db := ts.Store.DB()
	var ids []int64
	if err := db.Raw(`SELECT id FROM routes ORDER BY id`).Scan(&ids).Error; err != nil || len(ids) != len(modes) {
		b.Fatalf("route ids %v: %v", ids, err)
	}
	route := "CASE i % 5"
	for k, id := range ids {
		route += fmt.Sprintf(" WHEN %d THEN %d", k, id)
	}
	route += " END"

	start := time.Now()
	// Instants are stored as the SQLite driver writes a UTC time.Time:
	// "2006-01-02 15:04:05+00:00" (whole seconds); departed_day is the day in
	// Shanghai (UTC+8 all year).
	dep := fmt.Sprintf(`(%d + i * %d / %d)`, totBenchStart.Unix(), totBenchSpan, n)
	stamp := func(secs string) string {
		return `strftime('%Y-%m-%d %H:%M:%S', ` + secs + `, 'unixepoch') || '+00:00'`
	}
	created := ts.now.UTC().Format("2006-01-02 15:04:05") + "+00:00"
	q := `INSERT INTO runs (route_id, number, direction, departed_at, departed_day, arrived_at, status, containers, teu, cargo, created_at, updated_at)
		WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?)
		SELECT ` + route + `, 'B' || i,
			CASE WHEN i % 2 = 0 THEN 'outbound' ELSE 'inbound' END,
			` + stamp(dep) + `,
			strftime('%Y-%m-%d', ` + dep + `, 'unixepoch', '+8 hours'),
			CASE WHEN i % 10 != 0 AND i % 3 = 0 THEN ` + stamp(dep+" + 14 * 86400") + ` END,
			CASE WHEN i % 10 = 0 THEN 'planned' WHEN i % 3 = 0 THEN 'arrived' ELSE 'departed' END,
			40 + i % 20, 80 + i % 20, NULL, ?, ?
		FROM seq`
	if err := db.Exec(q, n, created, created).Error; err != nil {
		b.Fatalf("seed: %v", err)
	}
	seeded := time.Since(start)

	// The seed must look like what CreateRun writes: read a few runs back
	// through the API and check their day in the reporting zone.
	for _, i := range []int{0, 1, n / 3, n / 2, n - 1} {
		var r runJSON
		ts.mustDo(b, 200, "GET", fmt.Sprintf("/api/v1/runs/%d", int64(i)+1), nil).decode(b, &r)
		if want := totBenchDep(i, n).In(shanghai).Format(time.RFC3339); r.DepartedAt != want || r.Number != fmt.Sprintf("B%d", i) {
			b.Fatalf("seeded run %d reads back as %+v, want departed_at %s", i, r, want)
		}
		var day string
		db.Raw(`SELECT departed_day FROM runs WHERE id = ?`, i+1).Scan(&day)
		if want := totBenchDep(i, n).In(shanghai).Format(time.DateOnly); day != want {
			b.Fatalf("seeded run %d: departed_day %s, want %s", i, day, want)
		}
	}

	start = time.Now()
	st, err := ts.Store.Rollup(context.Background(), true)
	if err != nil {
		b.Fatalf("roll-up: %v", err)
	}
	rolled := time.Since(start)
	// Fold the bulk write out of the WAL, as the periodic checkpoint of a
	// running server would, so that reads do not page through it.
	if err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`).Error; err != nil {
		b.Fatalf("checkpoint: %v", err)
	}
	var size int64
	db.Raw(`SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&size)
	b.Logf("%d runs: seeded in %v, full roll-up of %d days in %v, database %d MB", n, seeded.Round(time.Millisecond), st.Days, rolled.Round(time.Millisecond), size>>20)
	return ts
}
