package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testConfig(t *testing.T) Config {
	t.Helper()
	cfg := Config{DB: filepath.Join(t.TempDir(), "banlie.db"), TZ: "Asia/Shanghai", Synchronous: "FULL", Addr: "127.0.0.1:0"}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestMigrateUpgradesAndRefusesNewer(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	db, err := openDB(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	n, err := store.Migrate(ctx, db, quiet)
	if err != nil || n != store.SchemaVersion() || n < 1 {
		t.Fatalf("first migrate applied %d (%v), want %d", n, err, store.SchemaVersion())
	}
	if n, err := store.Migrate(ctx, db, quiet); err != nil || n != 0 {
		t.Fatalf("second migrate applied %d (%v), want 0", n, err)
	}
	if err := store.Ready(ctx, db); err != nil {
		t.Fatalf("not ready after migrating: %v", err)
	}
	// A database from a newer binary is refused, not damaged.
	if err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)`, store.SchemaVersion()+1, time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(ctx, db, quiet); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("want a refusal of a newer schema, got %v", err)
	}
	if err := store.Ready(ctx, db); err == nil {
		t.Fatal("ready with a schema this binary does not know")
	}
}

func TestMigrateCommandOnOlderDatabase(t *testing.T) {
	cfg := testConfig(t)
	// An "older" database: created by hand with only the bookkeeping table.
	db, err := openDB(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DATETIME NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	store.Close(db)
	var out, errb bytes.Buffer
	if err := Run(context.Background(), []string{"migrate", "--db", cfg.DB}, &out, &errb); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "schema at version") {
		t.Fatalf("migrate printed %q", out.String())
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	for _, cmd := range []string{"serve", "migrate", "seed"} {
		var out, errb bytes.Buffer
		err := Run(context.Background(), []string{cmd, "--help"}, &out, &errb)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		for _, want := range []string{"-db", "BANLIE_DB", "-tz", "BANLIE_TZ"} {
			if !strings.Contains(errb.String(), want) {
				t.Errorf("%s --help does not mention %s:\n%s", cmd, want, errb.String())
			}
		}
	}
	var errb bytes.Buffer
	Run(context.Background(), []string{"serve", "--help"}, io.Discard, &errb)
	for _, want := range []string{"-addr", "BANLIE_ADDR", "-demo"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("serve --help does not mention %s", want)
		}
	}
	if err := Run(context.Background(), []string{"serve", "--tz", "Mars/Olympus"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "time zone") {
		t.Fatalf("a bad --tz should be refused clearly, got %v", err)
	}
	for _, bad := range []string{"banlie.example", "https://banlie.example/?x=1", "https://bad_host"} {
		if err := Run(context.Background(), []string{"serve", "--public-url", bad}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--public-url") {
			t.Errorf("--public-url %q should be refused clearly, got %v", bad, err)
		}
	}
	if !strings.Contains(errb.String(), "BANLIE_PUBLIC_URL") {
		t.Errorf("serve --help does not mention BANLIE_PUBLIC_URL")
	}
	if err := Run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown command should fail")
	}
}

func TestEnvironmentTwins(t *testing.T) {
	cfg := testConfig(t)
	t.Setenv("BANLIE_DB", cfg.DB)
	t.Setenv("BANLIE_TZ", "Europe/Moscow")
	var c Config
	fs := newFlagSet("x", "", io.Discard, &c)
	if err := parse(fs, &c, nil); err != nil {
		t.Fatal(err)
	}
	if c.DB != cfg.DB || c.Loc.String() != "Europe/Moscow" {
		t.Fatalf("environment not read: %+v", c)
	}
	if err := parse(fs, &c, []string{"--tz", "UTC"}); err != nil || c.Loc.String() != "UTC" {
		t.Fatalf("flag should win over environment: %v %v", c.Loc, err)
	}
}

// TestServeShutsDownCleanly starts the real server, uses it, stops it as
// SIGTERM would (cancelling the context) and checks the database was closed:
// SQLite removes the WAL file when the last connection closes cleanly.
func TestServeShutsDownCleanly(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	pre, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := pre.CreateToken(ctx, store.System, "ops", "admin")
	if err != nil {
		t.Fatal(err)
	}
	store.Close(pre.DB())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, quiet, ServeHooks{Listening: func(a string) { addrc <- a }}) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	}
	waitReady(t, addr)
	body := `{"code":"SCO-TJ-MOW","name":"SCO Zone – Tongjiang – Moscow","mode":"rail","stops":[{"name":"Jiaozhou","country":"CN","role":"origin"},{"name":"Moscow","country":"RU","locode":"RUMOW","role":"destination"}]}`
	post(t, addr, admin, "/api/v1/routes", body)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v on shutdown", err)
	}
	if _, err := os.Stat(cfg.DB + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("WAL file left behind: the database was not closed cleanly (%v)", err)
	}
	// The write is in the main file.
	db, err := openDB(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	r, err := store.NewStore(db, cfg.Loc, nil).GetRoute(context.Background(), "SCO-TJ-MOW")
	if err != nil || r.Name != "SCO Zone – Tongjiang – Moscow" {
		t.Fatalf("route after restart: %+v %v", r, err)
	}
}

// TestZoneChangeRecomputesDays: a database used with another reporting zone
// has its departure days recomputed, so the duplicate rule follows the zone.
func TestZoneChangeRecomputesDays(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	st := storeWithEdgeRun(t, cfg)
	store.Close(st.DB())
	var err error

	cfg.TZ, cfg.TZExplicit = "UTC", true
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	st, err = openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	// Now 31 October is taken; 1 November is free.
	_, err = st.CreateRun(ctx, store.System, models.RunInput{Route: "RA", Number: "X1", Direction: "outbound", DepartedAt: "2024-10-31T01:00:00Z"})
	if models.ErrorCode(err) != models.ECONFLICT {
		t.Fatalf("want a conflict on 31 October UTC, got %v", err)
	}
	if _, err := st.CreateRun(ctx, store.System, models.RunInput{Route: "RA", Number: "X1", Direction: "outbound", DepartedAt: "2024-11-01T01:00:00Z"}); err != nil {
		t.Fatalf("1 November UTC should be free: %v", err)
	}
}

// TestStoredZoneKeptWithoutTZ: a command run without --tz or BANLIE_TZ (a
// token command, say) keeps the zone the database was last used with instead
// of switching it back to the default.
func TestStoredZoneKeptWithoutTZ(t *testing.T) {
	t.Setenv("BANLIE_TZ", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "z.db")
	ctx := context.Background()
	var cfg Config
	fs := newFlagSet("migrate", "", io.Discard, &cfg)
	if err := parse(fs, &cfg, []string{"--db", db, "--tz", "Pacific/Pago_Pago"}); err != nil || !cfg.TZExplicit {
		t.Fatalf("explicit zone: %v %v", err, cfg.TZExplicit)
	}
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	store.Close(st.DB())

	var later Config
	fs = newFlagSet("token", "", io.Discard, &later)
	if err := parse(fs, &later, []string{"--db", db}); err != nil || later.TZExplicit {
		t.Fatalf("no zone given: %v %v", err, later.TZExplicit)
	}
	st, err = openStore(ctx, later, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	if st.Loc.String() != "Pacific/Pago_Pago" {
		t.Fatalf("zone %s, want the stored Pacific/Pago_Pago", st.Loc)
	}
	if name, err := store.StoredReportingZone(ctx, st.DB()); err != nil || name != "Pacific/Pago_Pago" {
		t.Fatalf("stored zone now %q %v", name, err)
	}
}

// waitReady polls /readyz until it answers 200 (the start-up roll-up is done),
// failing after a deadline.
func waitReady(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
			if res.StatusCode != 503 {
				t.Fatalf("readyz answered %d", res.StatusCode)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 20 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
}

// After a zone change the next roll-up recomputes every figure in the new zone.
func TestZoneChangeRebucketsTotals(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	st := storeWithEdgeRun(t, cfg)
	if _, err := st.Rollup(ctx, false); err != nil {
		t.Fatal(err)
	}
	store.Close(st.DB())
	cfg.TZ, cfg.TZExplicit = "UTC", true
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	if _, err := st.Rollup(ctx, false); err != nil {
		t.Fatal(err)
	}
	m, err := st.MonthlyTotals(ctx, 2024, models.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Months[9].Runs != 1 || m.Months[10].Runs != 0 {
		t.Fatalf("after the zone change: October %d, November %d; want 1 and 0", m.Months[9].Runs, m.Months[10].Runs)
	}
}

// storeWithEdgeRun opens the st of cfg with route RA and run X1 departing
// at 20:00 UTC on 31 October 2024: 1 November in Shanghai, 31 October in UTC.
func storeWithEdgeRun(t *testing.T, cfg Config) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateRoute(ctx, store.System, models.RouteInput{Code: "RA", Name: "A", Mode: "rail", Stops: []models.Stop{
		{Name: "Jiaozhou", Country: "CN", Role: "origin"}, {Name: "Moscow", Country: "RU", Role: "destination"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateRun(ctx, store.System, models.RunInput{Route: "RA", Number: "X1", Direction: "outbound", DepartedAt: "2024-10-31T20:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	return st
}

// `banlie summary` writes only months that have ended and years with
// figures, as the generate endpoint does.
func TestSummaryCommandRefusesOpenMonths(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	store.Close(storeWithEdgeRun(t, cfg).DB()) // a run on 1 November 2024, Shanghai
	var out bytes.Buffer
	if err := Run(ctx, []string{"summary", "--db", cfg.DB, "--period", "2024-11"}, &out, io.Discard); err != nil {
		t.Fatalf("an ended month: %v", err)
	}
	if !strings.Contains(out.String(), "2024年11月") {
		t.Fatalf("no summary printed:\n%s", out.String())
	}
	next := time.Now().AddDate(0, 1, 0).Format("2006-01")
	for _, period := range []string{next, "2019-03"} {
		err := Run(ctx, []string{"summary", "--db", cfg.DB, "--period", period}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--period "+period) {
			t.Errorf("%s: %v, want a refusal naming --period", period, err)
		}
	}
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	page, err := st.ListSummaries(ctx, 50, "")
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("summaries written: %+v %v", page.Items, err)
	}
}
