package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
)

// seedCmd runs banlie seed with args and answers its standard error.
func seedCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), append([]string{"seed"}, args...), &out, &errb)
	return errb.String(), err
}

// openSeeded opens a seeded database in the zone it was seeded in.
func openSeeded(t *testing.T, dsn string) *store.Store {
	t.Helper()
	cfg := Config{DB: dsn, Synchronous: "FULL"}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(st.DB()) })
	return st
}

// seededDB queries a seeded database with ? placeholders on either backend.
type seededDB struct {
	t  *testing.T
	db *sql.DB
	pg bool
}

func newSeededDB(t *testing.T, st *store.Store) seededDB {
	t.Helper()
	db, err := st.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	return seededDB{t: t, db: db, pg: st.DB().Dialector.Name() == "postgres"}
}

func (d seededDB) bind(q string) string {
	if !d.pg {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d seededDB) int(q string, args ...any) int64 {
	d.t.Helper()
	var n int64
	if err := d.db.QueryRow(d.bind(q), args...).Scan(&n); err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (d seededDB) strings(q string, args ...any) []string {
	d.t.Helper()
	rows, err := d.db.Query(d.bind(q), args...)
	if err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			d.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		d.t.Fatal(err)
	}
	return out
}

// contentHash hashes what a seed writes, row by row in a fixed order,
// leaving out the instants of the writes themselves (created_at and the
// like), which differ from one load to the next; the audit log and the
// outbox, made of them, are left out too.
func contentHash(t *testing.T, db *sql.DB) string {
	t.Helper()
	clock := map[string]bool{"created_at": true, "updated_at": true, "recorded_at": true, "withdrawn_at": true}
	h := sha256.New()
	for _, q := range []string{
		"SELECT * FROM routes ORDER BY id",
		"SELECT * FROM route_stops ORDER BY id",
		"SELECT * FROM route_tags ORDER BY route_id, tag",
		"SELECT * FROM runs ORDER BY id",
		"SELECT * FROM run_containers ORDER BY run_id, seq",
		"SELECT * FROM run_events ORDER BY id",
		"SELECT * FROM dwell_facts ORDER BY run_id, stop",
		"SELECT * FROM sea_rail_counts ORDER BY id",
		"SELECT * FROM targets ORDER BY id",
		"SELECT * FROM milestones ORDER BY id",
		"SELECT * FROM rollup_daily ORDER BY scope, direction, day",
		"SELECT * FROM rollup_monthly ORDER BY scope, direction, month",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				if clock[c] {
					continue
				}
				v := vals[i]
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(h, "%s=%v\x00", c, v)
			}
			h.Write([]byte{'\n'})
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		fmt.Fprintf(h, "%s: %d rows\n", q, n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkSynthetic checks a database seeded with runs runs over years years.
func checkSynthetic(t *testing.T, st *store.Store, runs, years int) {
	t.Helper()
	ctx := context.Background()
	db := newSeededDB(t, st)
	now := st.Now()
	today := st.Today()
	if n := db.int("SELECT COUNT(*) FROM runs"); n != int64(runs) {
		t.Fatalf("%d runs, want %d", n, runs)
	}
	if n := db.int("SELECT COUNT(*) FROM runs WHERE route_id NOT IN (SELECT id FROM routes)"); n != 0 {
		t.Fatalf("%d runs without their route", n)
	}

	// The network: 30–60 routes, every corridor, rail, sea-rail and road.
	page, err := st.ListRoutes(ctx, models.RouteFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(page.Items); n < 30 || n > 60 {
		t.Fatalf("%d routes, want 30–60", n)
	}
	seen := map[string]bool{}
	for _, r := range page.Items {
		seen[r.Mode] = true
		if r.Corridor != nil {
			seen[*r.Corridor] = true
		}
	}
	for _, want := range []string{"rail", "sea_rail", "road", models.CorridorWest, models.CorridorCentral, models.CorridorEast} {
		if !seen[want] {
			t.Errorf("no route of %s among %v", want, seen)
		}
	}
	if got := db.strings("SELECT DISTINCT runs.direction FROM runs ORDER BY 1"); !slices.Equal(got, []string{"inbound", "outbound"}) {
		t.Errorf("directions %v", got)
	}

	// Statuses by the clock: departed before today, planned from today on.
	if got := db.strings("SELECT DISTINCT status FROM runs ORDER BY 1"); !slices.Equal(got, []string{"arrived", "cancelled", "departed", "planned"}) {
		t.Errorf("statuses %v, want all four", got)
	}
	todayStart := today.Start(st.Loc).UTC()
	if n := db.int("SELECT COUNT(*) FROM runs WHERE status IN ('departed', 'arrived') AND departed_at >= ?", todayStart); n != 0 {
		t.Errorf("%d runs departed or arrived from today on", n)
	}
	if n := db.int("SELECT COUNT(*) FROM runs WHERE status = 'planned' AND departed_at < ?", todayStart); n != 0 {
		t.Errorf("%d runs still planned before today", n)
	}
	if n := db.int("SELECT COUNT(*) FROM runs WHERE (status = 'arrived') <> (arrived_at IS NOT NULL) OR arrived_at > ?", now.UTC()); n != 0 {
		t.Errorf("%d runs whose arrival does not match their status or is in the future", n)
	}
	first := today.Add(-366 * years).String()
	if n := db.int("SELECT COUNT(*) FROM runs WHERE departed_day < ? OR departed_day > ?", first, today.Add(synthPlanDays).String()); n != 0 {
		t.Errorf("%d runs outside the %d years before today and the planned weeks", n, years)
	}

	// Journeys of the recent runs that crossed a border.
	if n := db.int("SELECT COUNT(DISTINCT run_id) FROM run_events"); n == 0 {
		t.Error("no journeys")
	}
	types := db.strings("SELECT DISTINCT type FROM run_events ORDER BY 1")
	for _, want := range []string{models.EventArrived, models.EventBorderCrossed, models.EventGaugeChanged, models.EventDeparted, models.EventEstimatedArrival} {
		if !slices.Contains(types, want) {
			t.Errorf("no %s event among %v", want, types)
		}
	}
	if n := db.int("SELECT COUNT(*) FROM run_events JOIN runs ON runs.id = run_events.run_id WHERE runs.departed_day < ?", today.Add(-synthRecentDays).String()); n != 0 {
		t.Errorf("%d events of runs that departed before the last %d days", n, synthRecentDays)
	}
	if n := db.int("SELECT COUNT(*) FROM run_containers"); n == 0 {
		t.Error("no container numbers on the recent runs")
	}

	// Sea-rail counts: every day to yesterday, both ports, both directions.
	days := db.int("SELECT COUNT(DISTINCT date) FROM sea_rail_counts")
	if n := db.int("SELECT COUNT(*) FROM sea_rail_counts"); n == 0 || n != 4*days {
		t.Errorf("%d sea-rail counts on %d days, want 4 a day", n, days)
	}
	if last := db.strings("SELECT MAX(date) FROM sea_rail_counts"); last[0] != today.Add(-1).String() {
		t.Errorf("last sea-rail count on %s, want yesterday %s", last[0], today.Add(-1))
	}
	if got := db.strings("SELECT DISTINCT port FROM sea_rail_counts ORDER BY 1"); !slices.Equal(got, []string{"CNQIN", "CNRZH"}) {
		t.Errorf("sea-rail ports %v", got)
	}

	// The totals (roll-ups) say what a count of the runs says.
	for y := int(today.Year) - years; y <= int(today.Year); y++ {
		tot, err := st.YearlyTotals(ctx, y, 12, models.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		from, to := fmt.Sprintf("%d-01-01", y), fmt.Sprintf("%d-12-31", y)
		direct := db.int(`SELECT COUNT(*) FROM runs WHERE status IN ('departed', 'arrived') AND departed_at <= ?
			AND departed_day BETWEEN ? AND ?`, now.UTC(), from, to)
		teu := db.int(`SELECT COALESCE(SUM(teu), 0) FROM runs WHERE status IN ('departed', 'arrived') AND departed_at <= ?
			AND departed_day BETWEEN ? AND ?`, now.UTC(), from, to)
		if tot.Runs != direct || tot.TEU != teu {
			t.Errorf("%d: totals %d runs, %d TEU; the runs count %d, %d TEU", y, tot.Runs, tot.TEU, direct, teu)
		}
		if y == int(today.Year) && direct == 0 {
			t.Errorf("no counted runs this year")
		}
	}

	// A target a year, and milestones of the years that are over.
	targets, err := st.ListTargets(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) < years {
		t.Errorf("%d targets, want one per year (%d)", len(targets), years)
	}
	ms, err := st.ListMilestones(ctx, nil, store.MaxLimit, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Items) < years-1 {
		t.Errorf("%d milestones, want one for each past year (%d)", len(ms.Items), years-1)
	}
}

// seedSyntheticAt seeds a new SQLite file at path with the clock stopped
// at now (in the reporting zone now is in).
func seedSyntheticAt(t *testing.T, path string, now time.Time, opt SyntheticOptions) *store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(db) })
	if _, err := store.Migrate(ctx, db, quiet); err != nil {
		t.Fatal(err)
	}
	st := store.NewStore(db, now.Location(), func() time.Time { return now })
	if _, err := st.EnsureReportingZone(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := SeedSynthetic(ctx, st, opt); err != nil {
		t.Fatalf("SeedSynthetic: %v", err)
	}
	return st
}

// banlie seed --synthetic loads its runs, routes, journeys, sea-rail counts
// and targets into a new SQLite file; the same arguments on the same day
// load the same data (whatever the hour), another seed other data; a
// database with routes is refused.
func TestSeedSynthetic(t *testing.T) {
	dir := t.TempDir()
	loc := demoLoc(t) // a new database's reporting zone
	const runs, years = 3000, 3
	var a, stderr string
	var day models.Day
	for attempt := 0; ; attempt++ {
		a = filepath.Join(dir, fmt.Sprintf("a%d.db", attempt))
		before := models.DayOf(time.Now(), loc)
		var err error
		if stderr, err = seedCmd(t, "--synthetic", fmt.Sprint(runs), "--years", fmt.Sprint(years), "--db", a); err != nil {
			t.Fatalf("seed: %v\n%s", err, stderr)
		}
		if day = models.DayOf(time.Now(), loc); day == before {
			break
		}
		if attempt > 0 {
			t.Fatal("the day changed twice while seeding")
		}
		// Midnight passed while seeding: seed again, within one day.
	}
	for _, want := range []string{"synthetic: runs 3000 of 3000", "synthetic: journeys of the runs since", "sea-rail counts", "synthetic: loaded "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	st := openSeeded(t, a)
	checkSynthetic(t, st, runs, years)
	adb, err := st.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	hashA := contentHash(t, adb)

	// The same arguments on the same day, at another hour.
	noon := day.Start(loc).Add(12*time.Hour + 34*time.Minute)
	bst := seedSyntheticAt(t, filepath.Join(dir, "b.db"), noon, SyntheticOptions{Runs: runs, Seed: 1, Years: years})
	bdb, err := bst.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	if h := contentHash(t, bdb); h != hashA {
		t.Errorf("the same arguments loaded other data: %s, %s", hashA, h)
	}
	cst := seedSyntheticAt(t, filepath.Join(dir, "c.db"), noon, SyntheticOptions{Runs: runs, Seed: 2, Years: years})
	checkSynthetic(t, cst, runs, years)
	cdb, err := cst.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	if h := contentHash(t, cdb); h == hashA {
		t.Error("another seed loaded the same data")
	}

	// Refused on a database that holds routes, by either data set.
	for _, args := range [][]string{{"--synthetic", "10"}, {"--demo"}} {
		_, err := seedCmd(t, append(args, "--db", a)...)
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("seed %v on a seeded database: %v, want refused", args, err)
		}
	}
	if n := newSeededDB(t, st).int("SELECT COUNT(*) FROM runs"); n != runs {
		t.Errorf("%d runs after the refused seeds, want %d", n, runs)
	}
	if h := contentHash(t, adb); h != hashA {
		t.Error("a refused seed changed the data")
	}
}

// Flags that make no sense together, or out of range, are refused before
// the database is touched.
func TestSeedSyntheticFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--demo", "--synthetic", "100"}, "exclude each other"},
		{[]string{"--seed", "3"}, "go with --synthetic"},
		{[]string{"--years", "3"}, "go with --synthetic"},
		{[]string{}, "nothing to seed"},
		{[]string{"--synthetic", "0"}, "--synthetic must be"},
		{[]string{"--synthetic", "-5"}, "--synthetic must be"},
		{[]string{"--synthetic", "100", "--years", "0"}, "--years must be"},
		{[]string{"--synthetic", "100", "--years", "21"}, "--years must be"},
	} {
		_, err := seedCmd(t, append(tc.args, "--db", db)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("seed %v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if m, _ := filepath.Glob(db + "*"); len(m) != 0 {
		t.Errorf("refused flags created %v", m)
	}
}

// The synthetic data set passes PostgreSQL's import as SQLite's, with the
// same totals as a count of the runs.
func TestSeedSyntheticPostgres(t *testing.T) {
	dsn := scratchPostgres(t)
	const runs, years = 1500, 2
	start := time.Now()
	if stderr, err := seedCmd(t, "--synthetic", fmt.Sprint(runs), "--years", fmt.Sprint(years), "--seed", "7", "--db", dsn); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	t.Logf("seeded %d runs on PostgreSQL in %v", runs, time.Since(start))
	checkSynthetic(t, openSeeded(t, dsn), runs, years)
}
