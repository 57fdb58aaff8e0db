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
// the expected one, the dashboard's conditional polls are all 304s, each
// logged run is stored once, and without --keep-runs the runs it logged are
// deleted again afterwards.
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
	if len(rs) != 4 {
		t.Fatalf("%d scenarios, want 4", len(rs))
	}
	for _, r := range rs {
		if r.Requests != 60 || r.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors", r.Scenario, r.Requests, r.Errors)
		}
	}
	if rs[1].NotModified != 60 || rs[2].NotModified != 0 {
		t.Errorf("304s: poll %d (want 60), cold %d (want 0)", rs[1].NotModified, rs[2].NotModified)
	}
	// The command prints the table, each rate against the floor's.
	var out bytes.Buffer
	if err := Run(ctx, []string{"load", "--url", "http://" + addr, "--token", token, "--requests", "120", "--clients", "8"}, &out, &out); err != nil {
		t.Fatalf("load: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"floor (GET /healthz)", "dashboard-poll", "dashboard-cold", "log-run", "rate / floor", "deleted the 120 runs"} {
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
	if after := countRuns(t, st); after != before+60 {
		t.Fatalf("%d runs after logging 60 kept and 120 deleted, want %d", after, before+60)
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
