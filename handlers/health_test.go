package handlers_test

import (
	"banlie/store"
	"banlie/store/storetest"
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"banlie/app"
	"banlie/handlers"
	"banlie/jobs"
)

// newHealthServer is a test server whose /readyz is the one banlie serve
// uses and whose /metrics carries the scheduler's metrics. On SQLite its
// pool holds one connection, so that a PRAGMA the test sets holds for
// every request.
func newHealthServer(t *testing.T, dsn string) *testServer {
	t.Helper()
	return newTestServerOn(t, dsn, shanghai, func(c *handlers.Config) {
		sched := c.Jobs.(*jobs.Scheduler)
		c.Ready = app.Readiness(c.Store, sched)
		c.Collectors = sched.Collectors()
		if c.Store.DB().Dialector.Name() == "sqlite" {
			sqlDB, err := c.Store.DB().DB()
			if err != nil {
				t.Fatal(err)
			}
			sqlDB.SetMaxOpenConns(1)
		}
	})
}

// readyz answers /readyz's status and detail, checked against the document.
func (ts *testServer) readyz(t *testing.T) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+"/readyz", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Body: body}
	validateExchange(t, req, nil, r)
	if r.Status == 200 {
		return 200, ""
	}
	return r.Status, r.problem(t, 503).Detail
}

func (ts *testServer) exec(t *testing.T, sql string) {
	t.Helper()
	if err := ts.Store.DB().Exec(sql).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

type jobRunAnswer struct {
	ID         int64
	Status     string
	FinishedAt *string `json:"finished_at"`
	Error      *string
}

// A database that refuses writes (SQLite's own read-only mode) turns every
// write into 503 with Retry-After, makes the roll-up fail and /readyz say
// so; once writes work again, the next roll-up makes it ready again.
func TestUnavailableDatabaseSQLite(t *testing.T) {
	t.Parallel()
	ts := newHealthServer(t, t.TempDir()+"/banlie.db")
	createRoute(t, ts, "RA", nil)

	if st, detail := ts.readyz(t); st != 503 || !strings.Contains(detail, "start-up roll-up has not finished") {
		t.Fatalf("before any roll-up: %d %q", st, detail)
	}
	var run jobRunAnswer
	ts.runJob(t, "rollup").decode(t, &run)
	if run.Status != "ok" {
		t.Fatalf("roll-up %+v", run)
	}
	if st, detail := ts.readyz(t); st != 200 {
		t.Fatalf("after a roll-up: %d %q", st, detail)
	}

	ts.exec(t, "PRAGMA query_only = ON")
	body := runBody("RA", "X1", "2024-10-12T09:30:00+08:00")
	p := ts.do(t, "POST", "/api/v1/runs", body)
	prob := p.problem(t, 503)
	if p.Header.Get("Retry-After") == "" || prob.Detail != "the database is read-only; retry later" {
		t.Fatalf("write on a read-only database: Retry-After %q, %+v", p.Header.Get("Retry-After"), prob)
	}
	if strings.Contains(string(p.Body), "attempt to write") || strings.Contains(string(p.Body), "sqlite") {
		t.Fatalf("the answer shows the driver's message: %s", p.Body)
	}
	// Reads still work; the roll-up, a write, cannot even be recorded.
	ts.mustDo(t, 200, "GET", "/api/v1/routes", nil)
	rr := ts.do(t, "POST", "/api/v1/jobs/rollup/run", nil)
	if rr.problem(t, 503); rr.Header.Get("Retry-After") == "" {
		t.Fatalf("roll-up on a read-only database: %s", rr.Body)
	}
	st, detail := ts.readyz(t)
	if st != 503 || !strings.Contains(detail, "the last roll-up failed at ") || !strings.Contains(detail, "the database is read-only") {
		t.Fatalf("after a failed roll-up: %d %q", st, detail)
	}

	ts.exec(t, "PRAGMA query_only = OFF")
	// Still not ready: the failure is the last roll-up's until one succeeds.
	if st, _ := ts.readyz(t); st != 503 {
		t.Fatalf("writable again but no roll-up yet: %d", st)
	}
	ts.mustDo(t, 201, "POST", "/api/v1/runs", body)
	ts.runJob(t, "rollup").decode(t, &run)
	if run.Status != "ok" {
		t.Fatalf("roll-up %+v", run)
	}
	if st, detail := ts.readyz(t); st != 200 {
		t.Fatalf("after the next roll-up succeeded: %d %q", st, detail)
	}

	// The outcomes, as Prometheus reads them.
	m := scrape(t, ts)
	if got := counter(m, "banlie_job_runs_total", "job_name", "rollup", "outcome", "ok"); got != 2 {
		t.Errorf("ok roll-ups %v, want 2", got)
	}
	if got := counter(m, "banlie_job_runs_total", "job_name", "rollup", "outcome", "failed"); got != 1 {
		t.Errorf("failed roll-ups %v, want 1", got)
	}
	if h := m["banlie_job_duration_seconds"]; h == nil || h.Metric[0].GetHistogram().GetSampleCount() != 2 {
		t.Errorf("duration histogram %v, want 2 runs", h)
	}
	if h := m["banlie_rollup_rows"]; h == nil || h.Metric[0].GetHistogram().GetSampleCount() != 2 || h.Metric[0].GetHistogram().GetSampleSum() < 1 {
		t.Errorf("rows histogram %v, want 2 roll-ups with rows", h)
	}
	if g := m["banlie_rollup_lag_seconds"]; g == nil || g.Metric[0].GetGauge().GetValue() != 0 {
		t.Errorf("lag %v, want 0 after the roll-up", g)
	}
}

// A roll-up that fails is recorded failed, POST /jobs/rollup/run answers
// that outcome, and /readyz is 503 until a roll-up succeeds.
func TestFailedRollupSQLite(t *testing.T) {
	t.Parallel()
	testFailedRollup(t, newHealthServer(t, t.TempDir()+"/banlie.db"))
}

func TestFailedRollupPostgres(t *testing.T) {
	t.Parallel()
	testFailedRollup(t, newHealthServer(t, postgresDB(t)))
}

func testFailedRollup(t *testing.T, ts *testServer) {
	createRoute(t, ts, "RA", nil)
	createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+08:00"))
	m := scrape(t, ts)
	if g := m["banlie_rollup_lag_seconds"]; g == nil || g.Metric[0].GetGauge().GetValue() <= 0 {
		t.Errorf("lag %v with a change not rolled up, want > 0", g)
	}
	var run jobRunAnswer
	ts.runJob(t, "rollup").decode(t, &run)
	if run.Status != "ok" {
		t.Fatalf("roll-up %+v", run)
	}
	// The roll-up's table is gone: the job fails, its run is recorded.
	ts.exec(t, "ALTER TABLE rollup_dirty RENAME TO rollup_dirty_away")
	ts.runJob(t, "rollup").decode(t, &run)
	if run.Status != "failed" || run.FinishedAt == nil || run.Error == nil || strings.Contains(*run.Error, "rollup_dirty") {
		t.Fatalf("failed roll-up answered %+v", run)
	}
	var runs struct {
		Items []struct {
			ID     int64
			Status string
			Error  *string
		}
	}
	ts.mustDo(t, 200, "GET", "/api/v1/jobs/rollup/runs", nil).decode(t, &runs)
	if len(runs.Items) != 2 || runs.Items[0].ID != run.ID || runs.Items[0].Status != "failed" || runs.Items[0].Error == nil {
		t.Fatalf("recorded runs %+v", runs.Items)
	}
	st, detail := ts.readyz(t)
	if st != 503 || !strings.Contains(detail, "the last roll-up failed at ") || !strings.Contains(detail, *run.Error) {
		t.Fatalf("after a failed roll-up: %d %q", st, detail)
	}
	ts.exec(t, "ALTER TABLE rollup_dirty_away RENAME TO rollup_dirty")
	ts.runJob(t, "rollup").decode(t, &run)
	if run.Status != "ok" {
		t.Fatalf("roll-up %+v", run)
	}
	if st, detail := ts.readyz(t); st != 200 {
		t.Fatalf("after the next roll-up: %d %q", st, detail)
	}
	m = scrape(t, ts)
	if ok, failed := counter(m, "banlie_job_runs_total", "job_name", "rollup", "outcome", "ok"), counter(m, "banlie_job_runs_total", "job_name", "rollup", "outcome", "failed"); ok != 2 || failed != 1 {
		t.Errorf("runs total: ok %v, failed %v; want 2 and 1", ok, failed)
	}
}

// On PostgreSQL: a database turned read-only (new sessions refuse writes,
// as on a hot standby) answers writes 503 with Retry-After, and /readyz
// says why until a roll-up succeeds once writes work again.
func TestUnavailableDatabasePostgres(t *testing.T) {
	t.Parallel()
	dsn := postgresDB(t)
	ts := newHealthServer(t, dsn)
	admin, err := store.Open(storetest.TestPostgresURL(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := admin.DB(); err == nil {
			sqlDB.Close()
		}
	})
	createRoute(t, ts, "RA", nil)
	ts.runJob(t, "rollup")
	if st, detail := ts.readyz(t); st != 200 {
		t.Fatalf("after a roll-up: %d %q", st, detail)
	}
	readOnly := func(v string) {
		t.Helper()
		name := ts.Store.DB().Migrator().CurrentDatabase()
		if err := admin.Exec("ALTER DATABASE " + name + " SET default_transaction_read_only = " + v).Error; err != nil {
			t.Fatal(err)
		}
		// Sessions take the setting when they start: end the open ones.
		if err := admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()", name).Error; err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := ts.Store.DB().DB()
		sqlDB.SetMaxIdleConns(0)
		sqlDB.SetMaxIdleConns(10)
	}
	readOnly("on")
	body := runBody("RA", "X1", "2024-10-12T09:30:00+08:00")
	p := ts.do(t, "POST", "/api/v1/runs", body)
	prob := p.problem(t, 503)
	if p.Header.Get("Retry-After") == "" || prob.Detail != "the database is read-only; retry later" {
		t.Fatalf("write on a read-only database: Retry-After %q, %+v", p.Header.Get("Retry-After"), prob)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/routes", nil)
	ts.do(t, "POST", "/api/v1/jobs/rollup/run", nil).problem(t, 503)
	if st, detail := ts.readyz(t); st != 503 || !strings.Contains(detail, "the last roll-up failed at ") || !strings.Contains(detail, "the database is read-only") {
		t.Fatalf("after a failed roll-up: %d %q", st, detail)
	}
	readOnly("off")
	ts.mustDo(t, 201, "POST", "/api/v1/runs", body)
	var run jobRunAnswer
	ts.runJob(t, "rollup").decode(t, &run)
	if run.Status != "ok" {
		t.Fatalf("roll-up %+v", run)
	}
	if st, detail := ts.readyz(t); st != 200 {
		t.Fatalf("after the next roll-up: %d %q", st, detail)
	}
}

// scrape reads /metrics as Prometheus does.
func scrape(t *testing.T, ts *testServer) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	m, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return m
}

// counter answers the value of a counter's series with these label pairs.
func counter(m map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := m[name]
	if f == nil {
		return -1
	}
next:
	for _, s := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range s.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return s.GetCounter().GetValue()
	}
	return 0
}
