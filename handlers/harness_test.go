package handlers_test

import (
	"banlie/store/storetest"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"banlie/app"
	"banlie/handlers"
	"banlie/jobs"
	"banlie/models"
	"banlie/store"
	"banlie/web"
)

// testServer is a real server on a real SQLite file in t.TempDir(), reached
// over HTTP. Every exchange is checked against the OpenAPI document.
type testServer struct {
	t     *testing.T
	URL   string
	Store *store.Store
	now   time.Time
	// handler is the server's, for a test that serves it another way.
	handler http.Handler
	// Tokens of each role; requests carry the admin one unless told otherwise.
	Admin, Operator, Viewer string
	// jobs is the server's scheduler, whose runs a test can await.
	jobs handlers.JobRunner
}

// shanghai is the default reporting time zone.
var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// newTestServer starts a server whose clock says 2026-11-26T12:00:00+08:00
// unless the test moves it.
func newTestServer(t testing.TB) *testServer {
	t.Helper()
	return newTestServerIn(t, shanghai)
}

func newTestServerIn(t testing.TB, loc *time.Location) *testServer {
	t.Helper()
	return newTestServerWith(t, loc, nil)
}

// newTestServerWith lets a test change the server's configuration.
func newTestServerWith(t testing.TB, loc *time.Location, configure func(*handlers.Config)) *testServer {
	t.Helper()
	return newTestServerOn(t, filepath.Join(t.TempDir(), "banlie.db"), loc, configure)
}

// postgresDB creates a scratch PostgreSQL database for one test and drops it
// afterwards. Without a server the test is skipped, except under CI=true,
// where it fails.
func postgresDB(t testing.TB) string {
	t.Helper()
	dsn, drop, err := storetest.CreateScratchDatabase(storetest.TestPostgresURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		t.Skipf("no PostgreSQL at %s: %v", storetest.TestPostgresURL(), err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("dropping the scratch database: %v", err)
		}
	})
	return dsn
}

// newTestServerPG is newTestServer on a scratch PostgreSQL database.
func newTestServerPG(t testing.TB) *testServer {
	t.Helper()
	return newTestServerOn(t, postgresDB(t), shanghai, nil)
}

// newTestServerOn starts a test server on the database dsn (a SQLite path
// or a postgres:// URL).
func newTestServerOn(t testing.TB, dsn string, loc *time.Location, configure func(*handlers.Config)) *testServer {
	t.Helper()
	cfg := app.Config{DB: dsn, Loc: loc, Synchronous: "FULL"}
	db, err := store.Open(cfg.DB, store.Options{Synchronous: cfg.Synchronous})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := store.Migrate(context.Background(), db, log); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{now: time.Date(2026, 11, 26, 12, 0, 0, 0, loc)}
	st := store.NewStore(db, loc, func() time.Time { return ts.now })
	if _, err := st.EnsureReportingZone(context.Background()); err != nil {
		t.Fatal(err)
	}
	sched := jobs.New(st, log)
	for _, j := range []jobs.Job{jobs.RollupJob(st, log, "@every 1h"), jobs.RebuildJob(st, log, "30 3 * * *")} {
		if err := sched.Add(j); err != nil {
			t.Fatal(err)
		}
	}
	ctx, setup := context.Background(), st.WriteBy(models.Actor{Name: "test-setup"}, nil)
	for role, dst := range map[string]*string{"admin": &ts.Admin, "operator": &ts.Operator, "viewer": &ts.Viewer} {
		secret, _, err := st.CreateToken(ctx, setup, "test-"+role, role)
		if err != nil {
			t.Fatal(err)
		}
		*dst = secret
	}
	hc := handlers.Config{Store: st, Log: log, Web: web.FS(), Jobs: sched, Collectors: sched.Collectors(),
		Ready: func(ctx context.Context) error { return db.WithContext(ctx).Exec("SELECT 1").Error }}
	if configure != nil {
		configure(&hc)
	}
	e := handlers.New(hc)
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		srv.Close()
		sched.Stop()
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	ts.URL, ts.Store, ts.handler, ts.jobs = srv.URL, st, e, hc.Jobs
	if tt, ok := t.(*testing.T); ok {
		ts.t = tt
	}
	return ts
}

// response is an answer with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode unmarshals the body into v, failing the test if it is not JSON.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, r.Body)
	}
}

// problem decodes a problem+json answer and checks its status and content type.
func (r response) problem(t testing.TB, status int) handlers.Problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p handlers.Problem
	r.decode(t, &p)
	if p.Status != status {
		t.Fatalf("problem status %d, want %d", p.Status, status)
	}
	return p
}

// fields lists the field names of a problem's errors.
func fields(p handlers.Problem) []string {
	out := []string{}
	for _, f := range p.Errors {
		out = append(out, f.Field)
	}
	return out
}

// do sends a request; body is sent as is when it is a string or []byte, and
// as JSON otherwise. It carries the admin token unless header names an
// Authorization (an empty one sends none). The exchange is validated against
// the OpenAPI document.
func (ts *testServer) do(t testing.TB, method, path string, body any, header ...string) response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+ts.Admin)
	for i := 0; i+1 < len(header); i += 2 {
		if http.CanonicalHeaderKey(header[i]) == "Host" {
			req.Host = header[i+1] // the client sends req.Host, not a Host header
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	if req.Header.Get("Authorization") == "" {
		req.Header.Del("Authorization")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{Status: res.StatusCode, Header: res.Header, Body: got}
	if strings.HasPrefix(path, "/api/") {
		validateExchange(t, req, raw, out)
	}
	return out
}

// mustDo is do that also checks the status.
func (ts *testServer) mustDo(t testing.TB, want int, method, path string, body any, header ...string) response {
	t.Helper()
	r := ts.do(t, method, path, body, header...)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// atOnce sends n copies of a request concurrently (do makes one) and
// answers their responses, in no particular order of arrival.
func atOnce(n int, do func() response) []response {
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = do()
		}()
	}
	wg.Wait()
	return answers
}
