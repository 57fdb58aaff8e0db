package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/store/storetest"
)

// BenchmarkRollupAtDepth measures the roll-ups and target progress on a
// SQLite database of 200 000 runs (20 000 with -short) over two years, five
// routes (two rail ones on a corridor), fully rolled up:
//
//   - idle: a roll-up with nothing to do;
//   - one-run: a run written, then the roll-up (the write is not timed);
//   - full: the full rebuild, and beside it in each iteration the floor, a
//     raw GROUP BY of the same sums over the runs (ns/op counts both;
//     rebuild-ms and floor-ms each, x-floor their ratio);
//   - progress: target progress of a reached runs target (the reached-by
//     run included);
//   - start: what a start does before /readyz once the schema is current,
//     on a store opened anew: the arrival days checked, the statistics
//     refreshed, the roll-up (incremental, every target checked as on the
//     first start of a day).
//
// Each checks its answer. BANLIE_BENCH_RUNS sets another size.
func BenchmarkRollupAtDepth(b *testing.B) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	if v := os.Getenv("BANLIE_BENCH_RUNS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("BANLIE_BENCH_RUNS=%q: want a number of runs, at least 1000", v)
		}
	}
	e := seedRollupBench(b, n)
	ctx := context.Background()

	b.Run("idle", func(b *testing.B) {
		for b.Loop() {
			st, err := e.st.Rollup(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			if st != (models.RollupStats{}) {
				b.Fatalf("idle roll-up %+v", st)
			}
		}
	})

	b.Run("one-run", func(b *testing.B) {
		before := benchYearRuns(b, e, 2024)
		added := 0
		for b.Loop() {
			b.StopTimer()
			dep := time.Date(2024, 3, 1+added%28, 10, 0, 0, 0, shanghai)
			e.mustRun(b, runInput("BENCH-0", fmt.Sprintf("N%d", added), dep, 7))
			added++
			b.StartTimer()
			st, err := e.st.Rollup(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			if st.Days != 1 || st.Months != 1 {
				b.Fatalf("roll-up of one run %+v", st)
			}
		}
		if got := benchYearRuns(b, e, 2024); got != before+int64(added) {
			b.Fatalf("2024 has %d runs after %d were added to %d", got, added, before)
		}
	})

	b.Run("full", func(b *testing.B) {
		var floor, rebuild time.Duration
		for b.Loop() {
			start := time.Now()
			var sums struct{ Runs, Containers, TEU int64 }
			if err := e.st.DB().Raw(`SELECT COUNT(*) AS runs, SUM(containers) AS containers, SUM(teu) AS teu FROM (
				SELECT route_id, direction, departed_day, COUNT(*), SUM(containers) AS containers, SUM(teu) AS teu, SUM(empty_containers)
				FROM runs WHERE status IN ? AND departed_at <= ? GROUP BY route_id, direction, departed_day) g`,
				models.CountedStatuses, e.clock.Now()).Scan(&sums).Error; err != nil {
				b.Fatal(err)
			}
			floor += time.Since(start)
			start = time.Now()
			st, err := e.st.Rollup(ctx, true)
			if err != nil {
				b.Fatal(err)
			}
			rebuild += time.Since(start)
			if st.Drift != 0 {
				b.Fatalf("rebuild found drift %+v", st)
			}
			var total struct{ Containers, TEU int64 }
			if err := e.st.DB().Raw(`SELECT SUM(containers) AS containers, SUM(teu) AS teu FROM rollup_monthly WHERE scope = 'all' AND direction = ''`).Scan(&total).Error; err != nil {
				b.Fatal(err)
			}
			if total.Containers != sums.Containers || total.TEU != sums.TEU || sums.Runs == 0 {
				b.Fatalf("roll-ups hold %+v, the runs %+v", total, sums)
			}
		}
		b.ReportMetric(float64(rebuild.Microseconds())/float64(b.N)/1000, "rebuild-ms/op")
		b.ReportMetric(float64(floor.Microseconds())/float64(b.N)/1000, "floor-ms/op")
		b.ReportMetric(float64(rebuild)/float64(floor), "x-floor")
	})

	b.Run("progress", func(b *testing.B) {
		var want string
		if err := e.st.DB().Raw(`SELECT number FROM runs WHERE status IN ? AND departed_day >= '2024-01-01' ORDER BY departed_at, id LIMIT 1 OFFSET ?`,
			models.CountedStatuses, e.target.Value-1).Scan(&want).Error; err != nil {
			b.Fatal(err)
		}
		asOf := models.Day{Year: 2024, Month: 12, Day: 31}
		for b.Loop() {
			p, err := e.st.ProgressAsOf(ctx, e.target, asOf)
			if err != nil {
				b.Fatal(err)
			}
			if !p.Reached || p.ReachedBy == nil || p.ReachedBy.Number != want {
				b.Fatalf("progress %+v reached by %+v, want %s", p, p.ReachedBy, want)
			}
		}
	})

	b.Run("start", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if err := e.st.DB().Exec(`DELETE FROM settings WHERE key = 'milestones_day'`).Error; err != nil {
				b.Fatal(err)
			}
			st := store.NewStore(e.st.DB(), shanghai, e.clock.Now)
			b.StartTimer()
			if _, err := st.EnsureReportingZone(ctx); err != nil {
				b.Fatal(err)
			}
			if err := st.Optimize(ctx); err != nil {
				b.Fatal(err)
			}
			stats, err := st.Rollup(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			if stats.Full || stats.Days != 0 || stats.Milestones != 0 {
				b.Fatalf("start-up roll-up %+v, want an incremental one with nothing to change", stats)
			}
		}
	})
}

type rollupBench struct {
	*env
	target models.Target
}

// seedRollupBench is a SQLite store with n runs over 2023 and 2024: run i
// departs at 2023-01-01 + i × (two years) / n, on route i % 5, outbound
// when i is even; every tenth is planned, every third of the rest inbound
// arrived 14 days later; fully rolled up, statistics refreshed, with a
// target of all runs in 2024 reached in its third month.
func seedRollupBench(b *testing.B, n int) rollupBench {
	b.Helper()
	e := openEnv(b, storetest.SQLite)
	e.clock.Set(time.Date(2025, 6, 1, 12, 0, 0, 0, shanghai))
	modes := []string{"rail", "rail", "road", "sea", "sea_rail"}
	for i, m := range modes {
		in := routeInput(fmt.Sprintf("BENCH-%d", i), m)
		if i < 2 {
			c := []string{models.CorridorWest, models.CorridorCentral}[i]
			in.Corridor = models.Opt[string]{Set: true, Value: &c}
		}
		if _, err := e.st.CreateRoute(e.ctx, e.w, in); err != nil {
			b.Fatal(err)
		}
	}
	db := e.st.DB()
	var ids []int64
	if err := db.Raw(`SELECT id FROM routes ORDER BY id`).Scan(&ids).Error; err != nil || len(ids) != len(modes) {
		b.Fatalf("route ids %v: %v", ids, err)
	}
	route := "CASE i % 5"
	for k, id := range ids {
		route += fmt.Sprintf(" WHEN %d THEN %d", k, id)
	}
	route += " END"
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, shanghai)
	span := int64(time.Date(2025, 1, 1, 0, 0, 0, 0, shanghai).Sub(start) / time.Second)
	// Instants as the SQLite driver writes a UTC time.Time (whole
	// seconds); days in Shanghai (UTC+8 all year).
	dep := fmt.Sprintf(`(%d + i * %d / %d)`, start.Unix(), span, n)
	stamp := func(secs string) string {
		return `strftime('%Y-%m-%d %H:%M:%S', ` + secs + `, 'unixepoch') || '+00:00'`
	}
	arrived := `i % 10 != 0 AND i % 3 = 0`
	created := e.clock.Now().UTC().Format("2006-01-02 15:04:05") + "+00:00"
	began := time.Now()
	q := `INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day, arrived_at, arrived_day, status, containers, empty_containers, teu, cargo, created_at, updated_at)
		WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?)
		SELECT ` + route + `, 'B' || i, 'B' || i,
			CASE WHEN i % 2 = 0 THEN 'outbound' ELSE 'inbound' END,
			` + stamp(dep) + `,
			strftime('%Y-%m-%d', ` + dep + `, 'unixepoch', '+8 hours'),
			CASE WHEN ` + arrived + ` THEN ` + stamp(dep+" + 14 * 86400") + ` END,
			CASE WHEN ` + arrived + ` THEN strftime('%Y-%m-%d', ` + dep + ` + 14 * 86400, 'unixepoch', '+8 hours') END,
			CASE WHEN i % 10 = 0 THEN 'planned' WHEN ` + arrived + ` THEN 'arrived' ELSE 'departed' END,
			40 + i % 20, i % 7, 80 + i % 20, NULL, ?, ?
		FROM seq`
	if err := db.Exec(q, n, created, created).Error; err != nil {
		b.Fatalf("seed: %v", err)
	}
	seeded := time.Since(began)
	// The seed reads back as CreateRun writes: the run and its day.
	for _, i := range []int{0, n / 2, n - 1} {
		r, err := e.st.GetRun(e.ctx, int64(i)+1)
		if err != nil {
			b.Fatal(err)
		}
		want := start.Add(time.Duration(int64(i)*span/int64(n)) * time.Second)
		if !r.DepartedAt.Equal(want) || r.Number != fmt.Sprintf("B%d", i) {
			b.Fatalf("seeded run %d reads back as %+v, want departed_at %s", i, r, want)
		}
	}
	began = time.Now()
	st := e.mustRollup(b, true)
	rolled := time.Since(began)
	if err := e.st.Optimize(e.ctx); err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`).Error; err != nil {
		b.Fatal(err)
	}
	// About a fifth of 2024's counted runs: reached in March.
	tg, err := e.st.CreateTarget(e.ctx, e.w, models.TargetInput{Year: 2024, Metric: "runs", Value: int64(n) * 9 / 10 / 2 / 5, Label: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d runs: seeded in %v, first full roll-up (%d days) in %v", n, seeded.Round(time.Millisecond), st.Days, rolled.Round(time.Millisecond))
	return rollupBench{env: e, target: tg}
}

// benchYearRuns is the year's counted runs as the roll-ups say.
func benchYearRuns(b *testing.B, e rollupBench, year int) int64 {
	b.Helper()
	y, err := e.st.YearlyTotals(e.ctx, year, 12, models.Scope{})
	if err != nil {
		b.Fatal(err)
	}
	return y.Figures.Runs
}
