package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
)

func demoLoc(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// demoTestStore opens a fresh, migrated SQLite file.
func demoTestStore(t *testing.T, loc *time.Location) *store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "demo.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(db) })
	if _, err := store.Migrate(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return store.NewStore(db, loc, func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, loc) })
}

func demoSeeded(t *testing.T, loc *time.Location) (*store.Store, DemoStats) {
	t.Helper()
	s := demoTestStore(t, loc)
	ctx := context.Background()
	if ok, err := demoNeeded(ctx, s); err != nil || !ok {
		t.Fatalf("demoNeeded on an empty database = %v, %v; want true", ok, err)
	}
	start := time.Now()
	st, err := SeedDemo(ctx, s)
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	t.Logf("SeedDemo: %s in %v", st, time.Since(start))
	return s, st
}

func demoAllRuns(t *testing.T, s *store.Store, f models.RunFilter) []models.Run {
	t.Helper()
	f.Limit = store.MaxLimit
	var out []models.Run
	for {
		page, err := s.ListRuns(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out
		}
		f.Cursor = *page.NextCursor
	}
}

func demoAllRoutes(t *testing.T, s *store.Store, f models.RouteFilter) []models.Route {
	t.Helper()
	f.Limit = store.MaxLimit
	var out []models.Route
	for {
		page, err := s.ListRoutes(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out
		}
		f.Cursor = *page.NextCursor
	}
}

func demoAllCounts(t *testing.T, s *store.Store) []models.SeaRailCount {
	t.Helper()
	f := models.SeaRailFilter{Limit: store.MaxLimit}
	var out []models.SeaRailCount
	for {
		page, err := s.ListSeaRailCounts(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out
		}
		f.Cursor = *page.NextCursor
	}
}

// demoCountedRail lists the counted rail runs departing from..to (inclusive
// dates in the reporting zone), newest first.
func demoCountedRail(t *testing.T, s *store.Store, from, to string) []models.Run {
	t.Helper()
	fd, err1 := models.ParseDay(from)
	td, err2 := models.ParseDay(to)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad dates %s..%s", from, to)
	}
	rail := "rail"
	var out []models.Run
	for _, r := range demoAllRuns(t, s, models.RunFilter{Mode: &rail, From: &fd, To: &td}) {
		if r.Status == models.StatusDeparted || r.Status == models.StatusArrived {
			out = append(out, r)
		}
	}
	return out
}

func TestDemoSeedCalibration(t *testing.T) {
	loc := demoLoc(t)
	s, st := demoSeeded(t, loc)
	ctx := context.Background()

	// The figures of the seed article and the hub.
	for _, c := range []struct {
		from, to string
		want     int
	}{
		{"2023-01-01", "2023-10-31", 775},
		{"2023-01-01", "2023-12-31", 863},
		{"2023-11-01", "2023-12-31", 88},
		{"2024-01-01", "2024-10-31", 915},
	} {
		if got := len(demoCountedRail(t, s, c.from, c.to)); got != c.want {
			t.Errorf("counted rail runs %s..%s = %d, want %d", c.from, c.to, got, c.want)
		}
	}
	y2024 := demoCountedRail(t, s, "2024-01-01", "2024-12-31")
	if len(y2024) <= 1000 {
		t.Fatalf("counted rail runs in 2024 = %d, want more than 1000", len(y2024))
	}
	sort.Slice(y2024, func(i, j int) bool {
		a, b := y2024[i], y2024[j]
		if !a.DepartedAt.Equal(b.DepartedAt) {
			return a.DepartedAt.Before(b.DepartedAt)
		}
		return a.ID < b.ID
	})
	th := y2024[999]
	if d := th.DepartedAt.In(loc); d.Year() != 2024 || d.Month() != time.December || d.Day() < 11 {
		t.Errorf("the 1,000th counted 2024 rail run (%s %s) departs %s, want mid or late December 2024", th.Route, th.Number, d)
	} else {
		t.Logf("1,000th counted 2024 rail run: %s %s, %s; 2024 total %d", th.Route, th.Number, d.Format(time.RFC3339), len(y2024))
	}

	// Every month of both years has trains, the Spring Festival dip included.
	all := demoCountedRail(t, s, "2023-01-01", "2024-12-31")
	perMonth := map[string]int{}
	inbound := 0
	for _, r := range all {
		perMonth[models.MonthOf(r.DepartedAt, loc).String()]++
		if r.Direction == models.DirInbound {
			inbound++
		}
	}
	if len(perMonth) != 24 {
		t.Errorf("rail runs in %d months of 2023–2024, want 24", len(perMonth))
	}
	for m, n := range perMonth {
		if n < 30 || n > 130 {
			t.Errorf("%s has %d counted rail runs, outside 30..130", m, n)
		}
	}
	if share := 100 * inbound / len(all); share < 30 || share > 48 {
		t.Errorf("inbound share of rail runs = %d%%, want about 40%%", share)
	}

	// Non-counting runs exist: cancelled in 2023–2024, planned in January 2025.
	rail := "rail"
	var cancelled, planned int
	for _, r := range demoAllRuns(t, s, models.RunFilter{Mode: &rail}) {
		switch r.Status {
		case models.StatusCancelled:
			cancelled++
			if y := r.DepartedAt.In(loc).Year(); y < 2023 || y > 2024 {
				t.Errorf("cancelled run %d in %d", r.ID, y)
			}
		case models.StatusPlanned:
			planned++
			if m := models.MonthOf(r.DepartedAt, loc).String(); m != "2025-01" {
				t.Errorf("planned run %d in %s, want 2025-01", r.ID, m)
			}
		}
	}
	if cancelled < 5 || planned < 5 {
		t.Errorf("%d cancelled and %d planned rail runs, want a few of each", cancelled, planned)
	}

	// Routes.
	tag := "first-in-province"
	first := demoAllRoutes(t, s, models.RouteFilter{Tag: &tag})
	var codes []string
	for _, r := range first {
		codes = append(codes, r.Code)
		if r.Mode != "rail" {
			t.Errorf("first-in-province route %s has mode %s", r.Code, r.Mode)
		}
	}
	if len(first) != 5 || !strings.Contains(strings.Join(codes, ","), "SCO-TJ-MOW") {
		t.Errorf("first-in-province routes = %v, want 5 including SCO-TJ-MOW", codes)
	}
	tj, err := s.GetRoute(ctx, "SCO-TJ-MOW")
	if err != nil {
		t.Fatal(err)
	}
	if tj.OpenedOn == nil || !strings.HasPrefix(*tj.OpenedOn, "2024-03") || tj.NameZh == nil || *tj.NameZh != "上合示范区—同江—莫斯科" {
		t.Errorf("SCO-TJ-MOW = %+v", tj)
	}

	sea, active := "sea", true
	seaRoutes := demoAllRoutes(t, s, models.RouteFilter{Mode: &sea, Active: &active})
	if len(seaRoutes) != 42 {
		t.Errorf("%d active sea routes, want 42", len(seaRoutes))
	}
	sco := map[string]bool{"RU": true, "IN": true, "PK": true, "IR": true}
	for _, r := range seaRoutes {
		o, d := r.Stops[0], r.Stops[len(r.Stops)-1]
		if o.Locode == nil || *o.Locode != "CNQIN" || !sco[d.Country] {
			t.Errorf("sea route %s: %s → %s (%s), want Qingdao port to an SCO member's port", r.Code, o.Name, d.Name, d.Country)
		}
	}

	routes := demoAllRoutes(t, s, models.RouteFilter{})
	if len(routes) != st.Routes {
		t.Errorf("%d routes listed, SeedDemo said %d", len(routes), st.Routes)
	}
	modes := map[string]int{}
	for _, r := range routes {
		modes[r.Mode]++
	}
	if modes["rail"] < 10 || modes["rail"] > 14 || modes["road"] != 1 || modes["sea_rail"] < 2 || modes["sea_rail"] > 5 || modes["sea"] != 42 || modes["air"] != 0 {
		t.Errorf("routes per mode = %v", modes)
	}
	t.Logf("routes per mode: %v", modes)
	demoCheckStops(t, routes)

	// No run departs before its route opened.
	opened := map[string]string{}
	for _, r := range routes {
		if r.OpenedOn != nil {
			opened[r.Code] = *r.OpenedOn
		}
	}
	runs := demoAllRuns(t, s, models.RunFilter{})
	if len(runs) != st.Runs {
		t.Errorf("%d runs listed, SeedDemo said %d", len(runs), st.Runs)
	}
	perRoute := map[string]int{}
	for _, r := range runs {
		perRoute[r.Route]++
		if day := models.DayOf(r.DepartedAt, loc).String(); day < opened[r.Route] {
			t.Errorf("run %d (%s %s) departs %s, before its route opened on %s", r.ID, r.Route, r.Number, day, opened[r.Route])
		}
		if r.Mode == "rail" && (r.Containers < 41 || r.TEU < 82 || r.TEU > 110) {
			t.Errorf("rail run %d carries %d containers / %d TEU", r.ID, r.Containers, r.TEU)
		}
		if r.ArrivedAt != nil && r.Route == "SCO-HRS-ALA" {
			if d := r.ArrivedAt.Sub(r.DepartedAt).Hours() / 24; d < 5 || d > 9 {
				t.Errorf("run %d to Almaty took %.1f days", r.ID, d)
			}
		}
	}
	if perRoute["QD-MOW-TIR"] <= 220 {
		t.Errorf("road route QD-MOW-TIR has %d runs, want over 220", perRoute["QD-MOW-TIR"])
	}
	t.Logf("runs per route: %v", perRoute)

	// Sea-rail counts: every day of 2023 and 2024, both directions.
	counts := demoAllCounts(t, s)
	if len(counts) != 1462 || st.SeaRailCounts != 1462 {
		t.Errorf("%d sea-rail counts (SeedDemo said %d), want 1462", len(counts), st.SeaRailCounts)
	}
	perYear := map[string]int{}
	for _, c := range counts {
		perYear[c.Date[:4]] += c.TEU
		if c.Port != "CNQIN" || c.PortName != (models.PortName{Zh: "青岛港", En: "Qingdao"}) {
			t.Errorf("sea-rail count %d at %q", c.ID, c.Port)
		}
	}
	for y, teu := range perYear {
		if teu < 1_900_000 || teu > 2_200_000 {
			t.Errorf("sea-rail TEU in %s = %d, want 1.9–2.2 million", y, teu)
		}
	}
	if g := float64(perYear["2024"]) / float64(perYear["2023"]); g < 1.05 || g > 1.09 {
		t.Errorf("sea-rail growth 2024/2023 = %.3f, want about +7%%", g)
	}
	t.Logf("sea-rail TEU per year: %v", perYear)

	if want := "routes, "; !strings.Contains(st.String(), want) || !strings.HasSuffix(st.String(), "1462 sea-rail counts, 3 targets") {
		t.Errorf("DemoStats.String() = %q", st.String())
	}

	// The seed article's figures, as the totals and progress answer them.
	if _, err := s.Rollup(ctx, false); err != nil {
		t.Fatal(err)
	}
	railMode := "rail"
	yt, err := s.YearlyTotals(ctx, 2024, 10, models.Scope{Mode: &railMode})
	if err != nil {
		t.Fatal(err)
	}
	if yt.Runs != 915 || yt.SamePeriodLastYear.Runs != 775 || yt.YoYPct.Runs == nil || *yt.YoYPct.Runs != 18.1 || yt.LastYearFull.Runs != 863 {
		t.Errorf("yearly totals 2024 through October: %+v", yt)
	}
	year := 2024
	targets, err := s.ListTargets(ctx, &year)
	if err != nil || len(targets) == 0 || targets[0].Value != 1000 {
		t.Fatalf("2024 targets: %+v %v", targets, err)
	}
	p, err := s.ProgressAsOf(ctx, targets[0], models.Day{Year: 2024, Month: 10, Day: 31})
	if err != nil {
		t.Fatal(err)
	}
	// 915 × 863 / 775 = 1,019.03…: on track for the first year over 1,000.
	if p.Actual != 915 || p.ProjectedYearEnd != 1019 || p.ProjectionMethod != "seasonal" || !p.OnTrack || p.Reached {
		t.Errorf("progress on 2024-10-31: %+v", p)
	}
	p, err = s.ProgressAsOf(ctx, targets[0], models.Day{Year: 2024, Month: 12, Day: 31})
	if err != nil || !p.Reached || p.ReachedBy == nil || p.ReachedOn == nil || (*p.ReachedOn)[:7] != "2024-12" {
		t.Errorf("progress on 2024-12-31: %+v %v", p, err)
	}

	// A second load is refused and writes nothing.
	if ok, err := demoNeeded(ctx, s); err != nil || ok {
		t.Errorf("demoNeeded after seeding = %v, %v; want false", ok, err)
	}
	if _, err := SeedDemo(ctx, s); err == nil {
		t.Error("a second SeedDemo on the same database succeeded")
	} else if !strings.Contains(err.Error(), "already holds routes") {
		t.Errorf("second SeedDemo: %v", err)
	}
	if n := len(demoAllRuns(t, s, models.RunFilter{})); n != st.Runs {
		t.Errorf("after the refused second load: %d runs, want %d", n, st.Runs)
	}
}

// demoCheckStops checks every stop's country and code against the places
// the demo uses (the Store validates the shape anyway).
func demoCheckStops(t *testing.T, routes []models.Route) {
	t.Helper()
	country := map[string]string{
		"Jiaozhou (SCO Zone)": "CN", "Qingdao Port": "CN", "Alashankou": "CN", "Khorgos": "CN", "Erenhot": "CN",
		"Manzhouli": "CN", "Suifenhe": "CN", "Tongjiang": "CN",
		"Dostyk": "KZ", "Altynkol": "KZ", "Almaty": "KZ", "Zamyn-Üüd": "MN", "Ulaanbaatar": "MN",
		"Zabaikalsk": "RU", "Grodekovo": "RU", "Nizhneleninskoye": "RU", "Naushki": "RU", "Moscow": "RU",
		"Vorsino": "RU", "Novosibirsk": "RU", "Vladivostok": "RU", "Novorossiysk": "RU",
		"Brest": "BY", "Minsk": "BY", "Małaszewicze": "PL", "Duisburg": "DE", "Hamburg": "DE", "Budapest": "HU",
		"Tashkent": "UZ", "Sarakhs": "IR", "Tehran": "IR", "Bandar Abbas": "IR", "Karachi": "PK",
		"Chennai": "IN", "Nhava Sheva": "IN", "Busan": "KR", "Singapore": "SG", "Port Klang": "MY", "Port Said": "EG",
	}
	// Only codes from the domain sheet.
	locode := map[string]string{
		"Jiaozhou (SCO Zone)": "CNJZH", "Qingdao Port": "CNQIN", "Alashankou": "CNAKL", "Khorgos": "CNHRS",
		"Erenhot": "CNERC", "Manzhouli": "CNMLX", "Suifenhe": "CNSFH", "Tongjiang": "CNTOJ", "Zamyn-Üüd": "MNZUU",
		"Zabaikalsk": "RUZBK", "Grodekovo": "RUGRK", "Naushki": "RUNKI", "Brest": "BYBQT", "Małaszewicze": "PLMAA",
		"Moscow": "RUMOW", "Minsk": "BYMSQ", "Almaty": "KZALA", "Tashkent": "UZTAS", "Duisburg": "DEDUI",
		"Hamburg": "DEHAM", "Novosibirsk": "RUOVB", "Ulaanbaatar": "MNULN", "Budapest": "HUBUD", "Tehran": "IRTHR",
		"Vorsino": "RUVRS", "Vladivostok": "RUVVO", "Novorossiysk": "RUNVS", "Chennai": "INMAA",
		"Nhava Sheva": "INNSA", "Karachi": "PKKHI", "Bandar Abbas": "IRBND",
	}
	for _, r := range routes {
		if len(r.Stops) < 2 || r.Stops[0].Role != models.RoleOrigin || r.Stops[len(r.Stops)-1].Role != models.RoleDestination {
			t.Errorf("route %s: bad stop roles %+v", r.Code, r.Stops)
		}
		for _, st := range r.Stops {
			if !models.IsCountryCode(st.Country) {
				t.Errorf("route %s stop %s: country %q", r.Code, st.Name, st.Country)
			}
			if want, ok := country[st.Name]; ok && want != st.Country {
				t.Errorf("route %s stop %s: country %s, want %s", r.Code, st.Name, st.Country, want)
			}
			if st.Locode != nil {
				if err := models.ValidLocode(*st.Locode, st.Country); err != nil {
					t.Errorf("route %s stop %s: locode %s: %v", r.Code, st.Name, *st.Locode, err)
				}
				if locode[st.Name] != *st.Locode {
					t.Errorf("route %s stop %s: locode %s, want %q (from the domain sheet)", r.Code, st.Name, *st.Locode, locode[st.Name])
				}
			} else if code, ok := locode[st.Name]; ok {
				t.Errorf("route %s stop %s: no locode, want %s", r.Code, st.Name, code)
			}
		}
		if r.Mode == "rail" && (r.Stops[0].Name != "Jiaozhou (SCO Zone)" || r.NameZh == nil || !strings.HasPrefix(*r.NameZh, "上合示范区—")) {
			t.Errorf("rail route %s does not start at the SCO zone: %+v", r.Code, r)
		}
		if r.OpenedOn == nil || *r.OpenedOn < "2015-01-01" || *r.OpenedOn > "2024-12-31" {
			t.Errorf("route %s opened on %v, want 2015–2024", r.Code, r.OpenedOn)
		}
	}
}

// demoDump is everything the demo wrote, as JSON.
func demoDump(t *testing.T, s *store.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, v := range []any{demoAllRoutes(t, s, models.RouteFilter{}), demoAllRuns(t, s, models.RunFilter{}), demoAllCounts(t, s)} {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestDemoSeedDeterministic(t *testing.T) {
	loc := demoLoc(t)
	a, sa := demoSeeded(t, loc)
	b, sb := demoSeeded(t, loc)
	if sa != sb {
		t.Fatalf("stats differ: %v vs %v", sa, sb)
	}
	da, db := demoDump(t, a), demoDump(t, b)
	if !bytes.Equal(da, db) {
		t.Fatalf("two loads differ: %x vs %x", sha256.Sum256(da), sha256.Sum256(db))
	}
	// The first page of runs, as the API would show it, in particular.
	pa := demoAllRuns(t, a, models.RunFilter{})[:500]
	pb := demoAllRuns(t, b, models.RunFilter{})[:500]
	ja, _ := json.Marshal(pa)
	jb, _ := json.Marshal(pb)
	if !bytes.Equal(ja, jb) {
		t.Fatal("the first 500 runs differ between two loads")
	}
	t.Logf("demo data set: %d bytes of JSON, sha256 %x", len(da), sha256.Sum256(da))
}

func TestDemoSeedNeedsEmptyDatabase(t *testing.T) {
	loc := demoLoc(t)
	s := demoTestStore(t, loc)
	ctx := context.Background()
	if _, err := s.CreateRoute(ctx, store.System, models.RouteInput{Code: "X-1", Name: "x", Mode: "rail", Stops: []models.Stop{
		{Name: "A", Country: "CN", Role: models.RoleOrigin}, {Name: "B", Country: "RU", Role: models.RoleDestination}}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := demoNeeded(ctx, s); err != nil || ok {
		t.Fatalf("demoNeeded with a route = %v, %v; want false", ok, err)
	}
	if _, err := SeedDemo(ctx, s); err == nil {
		t.Fatal("SeedDemo into a database with a route succeeded")
	}
	if n := len(demoAllRoutes(t, s, models.RouteFilter{})); n != 1 {
		t.Fatalf("%d routes after the refused load, want 1", n)
	}
}
