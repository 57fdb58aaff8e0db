package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"banlie/store"
)

// TestLoadCommand runs `banlie load` against a real server on the demo data
// with a fixed number of requests per scenario (no timing): every answer is
// the expected one (the command checks their content), the dashboard's
// conditional polls are all 304s, each logged run is stored once, and
// without --keep-runs the runs it logged (before the reads after a write,
// and by the log-run scenario) are deleted again afterwards.
func TestLoadCommand(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit, cfg.PrivateReads = 0, true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, token, before, done := startLoadServer(t, ctx, cfg)

	rs, deleted, err := RunLoad(ctx, LoadOptions{URL: "http://" + addr, Token: token, Requests: 60, Clients: 4, KeepRuns: true})
	if err != nil {
		t.Fatal(err)
	}
	if deleted != 0 {
		t.Errorf("KeepRuns: %d runs deleted, want none", deleted)
	}
	if len(rs) != 5 {
		t.Fatalf("%d scenarios, want 5", len(rs))
	}
	for _, r := range rs {
		if r.Requests != 60 || r.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors", r.Scenario, r.Requests, r.Errors)
		}
	}
	if rs[1].NotModified != 60 || rs[2].NotModified != 0 || rs[3].NotModified != 0 {
		t.Errorf("304s: poll %d (want 60), cold %d, after a write %d (want 0)", rs[1].NotModified, rs[2].NotModified, rs[3].NotModified)
	}
	// The command prints the table, each rate against the floor's.
	var out bytes.Buffer
	if err := Run(ctx, []string{"load", "--url", "http://" + addr, "--token", token, "--requests", "120", "--clients", "8"}, &out, &out); err != nil {
		t.Fatalf("load: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"floor (GET /healthz)", "dashboard-poll", "dashboard-cold", "dashboard-after-write", "log-run", "rate / floor", "deleted the 240 runs"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	if after := countRuns(t, st); after != before+120 {
		t.Fatalf("%d runs after logging 120 kept (60 before reads, 60 by log-run) and 240 deleted, want %d", after, before+120)
	}
}

// Against a rate-limited server the figures would measure its 429s: the
// command says so instead of printing them.
func TestLoadCommandRefusesRateLimitedFigures(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit = 20
	ctx, cancel := context.WithCancel(context.Background())
	addr, _, _, done := startLoadServer(t, ctx, cfg)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	_, _, err := RunLoad(ctx, LoadOptions{URL: "http://" + addr, Requests: 400, Clients: 8})
	if err == nil || !strings.Contains(err.Error(), "--rate-limit 0") {
		t.Fatalf("load against a rate-limited server: %v", err)
	}
}

// startLoadServer serves the demo data with cfg and answers its address, an
// operator token, the number of runs and the channel serve's end comes on.
func startLoadServer(t *testing.T, ctx context.Context, cfg Config) (string, string, int64, chan error) {
	t.Helper()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SeedDemo(ctx, st); err != nil {
		t.Fatal(err)
	}
	token, _, err := st.CreateToken(ctx, store.System, "load", "operator")
	if err != nil {
		t.Fatal(err)
	}
	n := countRuns(t, st)
	store.Close(st.DB())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, quiet, ServeHooks{Listening: func(a string) { addrc <- a }}) }()
	select {
	case addr := <-addrc:
		waitReady(t, addr)
		return addr, token, n, done
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	}
	return "", "", 0, nil
}

func countRuns(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var n int64
	if err := st.DB().Raw(`SELECT COUNT(*) FROM runs`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// The load command's content checks refuse what a user would: a poll whose
// answer changed although nothing was written, an answer after a write
// that is not JSON or lacks its figures, a page of runs that is empty.
func TestLoadChecksContent(t *testing.T) {
	ref := []byte(`{"year":2024,"runs":915}`)
	same := sameAs("/api/v1/totals/yearly?year=2024", ref)
	if err := same(200, ref); err != nil {
		t.Errorf("the same answer refused: %v", err)
	}
	if err := same(304, nil); err != nil {
		t.Errorf("a 304 refused: %v", err)
	}
	if err := same(200, []byte(`{"year":2024,"runs":916}`)); err == nil {
		t.Error("a changed answer passed")
	}
	for _, c := range []struct {
		path, body string
		ok         bool
	}{
		{"/api/v1/totals/yearly?year=2024", `{"year":2024}`, true},
		{"/api/v1/totals/yearly?year=2024", `{"title":"Internal Server Error"}`, false},
		{"/api/v1/totals/monthly?year=2024", `{"months":[]}`, true},
		{"/api/v1/targets/1/progress", `{"target":{}}`, false},
		{"/api/v1/runs?limit=50", `{"items":[{"id":1}],"next_cursor":null}`, true},
		{"/api/v1/runs?limit=50", `{"items":[],"next_cursor":null}`, false},
		{"/api/v1/network", `not json`, false},
	} {
		err := wellFormed(c.path)(200, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s %s: %v, want ok=%v", c.path, c.body, err, c.ok)
		}
	}
}
