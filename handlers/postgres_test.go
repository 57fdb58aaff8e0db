package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"banlie/store"
)

// The PostgreSQL suite: the same HTTP contract on a scratch PostgreSQL
// database per test (see postgresDB).

func TestPostgresCoreFlow(t *testing.T) {
	t.Parallel()
	ts := newTestServerPG(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	ts.do(t, "POST", "/api/v1/routes", routeBody("SCO-TJ-MOW")).problem(t, 409)
	run := createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-31T20:00:00Z"))
	if run.DepartedAt != "2024-11-01T04:00:00+08:00" {
		t.Fatalf("departed_at answered as %s", run.DepartedAt)
	}
	// The duplicate rule in the reporting zone.
	ts.do(t, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8024", "2024-11-01T23:00:00+08:00")).problem(t, 409)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-31T15:00:00Z"))
	p := ts.do(t, "POST", "/api/v1/runs", map[string]any{"route": "NOPE", "number": "", "direction": "x", "departed_at": "2024"}).problem(t, 422)
	if len(p.Errors) != 4 {
		t.Fatalf("field errors %v", p.Errors)
	}
	var got runJSON
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", run.ID), map[string]any{"status": "arrived", "arrived_at": "2024-11-15T10:00:00+03:00"}).decode(t, &got)
	if got.ArrivedAt == nil || *got.ArrivedAt != "2024-11-15T15:00:00+08:00" {
		t.Fatalf("patched %+v", got)
	}
	// A patch that changes nothing writes nothing (instants compared as instants).
	var again runJSON
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", run.ID), map[string]any{}).decode(t, &again)
	var updates struct{ Items []any }
	ts.mustDo(t, 200, "GET", "/api/v1/audit?action=runs.update", nil).decode(t, &updates)
	if len(updates.Items) != 1 {
		t.Fatalf("%d runs.update audit entries after one real and one empty patch", len(updates.Items))
	}
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1520))
	ts.do(t, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1)).problem(t, 409)
	ts.do(t, "DELETE", "/api/v1/routes/SCO-TJ-MOW", nil).problem(t, 409)
	if runs := allRuns(t, ts, "from=2024-11-01&to=2024-11-01", 1); len(runs) != 1 || runs[0].ID != run.ID {
		t.Fatalf("from/to in the reporting zone: %+v", runs)
	}
	var audit struct{ Items []any }
	ts.mustDo(t, 200, "GET", "/api/v1/audit?entity=run", nil).decode(t, &audit)
	if len(audit.Items) != 3 {
		t.Fatalf("%d run audit entries, want 3", len(audit.Items))
	}
}

// TestPostgresFiguresMatchSQLite loads one random dataset into a SQLite and
// a PostgreSQL server and compares every totals and progress answer byte
// for byte.
func TestPostgresFiguresMatchSQLite(t *testing.T) {
	t.Parallel()
	pg, lite := newTestServerPG(t), newTestServer(t)
	rng := rand.New(rand.NewPCG(7, 11))
	for _, ts := range []*testServer{pg, lite} {
		createRoute(t, ts, "RAIL-1", nil)
		createRoute(t, ts, "ROAD-1", func(b map[string]any) { b["mode"] = "road" })
	}
	statuses := []string{"planned", "departed", "arrived", "cancelled", "departed"}
	for i := 0; i < 120; i++ {
		dep := time.Date(2023+rng.IntN(2), time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC).
			Add(time.Duration(rng.IntN(31*24*60)-12*60) * time.Minute)
		b := runBody([]string{"RAIL-1", "ROAD-1"}[rng.IntN(2)], fmt.Sprintf("N%d", i), dep.Format(time.RFC3339))
		b["status"] = statuses[rng.IntN(len(statuses))]
		b["direction"] = []string{"outbound", "inbound"}[rng.IntN(2)]
		c := 1 + rng.IntN(60)
		b["containers"], b["teu"], b["container_numbers"] = c, c+rng.IntN(c+1), []string{}
		if b["status"] == "arrived" {
			b["arrived_at"] = dep.Add(15 * 24 * time.Hour).Format(time.RFC3339)
		}
		for _, ts := range []*testServer{pg, lite} {
			createRun(t, ts, b)
		}
	}
	for i := 0; i < 40; i++ {
		d := time.Date(2023+rng.IntN(2), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		body := seaRailBody(d, []string{"import", "export"}[rng.IntN(2)], rng.IntN(90000))
		for _, ts := range []*testServer{pg, lite} {
			ts.do(t, "POST", "/api/v1/sea-rail-counts", body) // a repeated day is a 409 on both
		}
	}
	target := map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{"mode": "rail"}, "value": 20, "label": "20"}
	for _, ts := range []*testServer{pg, lite} {
		ts.mustDo(t, 201, "POST", "/api/v1/targets", target)
		ts.runJob(t, "rollup")
	}
	for _, path := range []string{
		"/api/v1/totals/monthly?year=2024", "/api/v1/totals/monthly?year=2024&mode=rail&direction=inbound",
		"/api/v1/totals/yearly?year=2024&through=2024-10", "/api/v1/totals/yearly?year=2023&route=ROAD-1",
		"/api/v1/targets/1/progress?as_of=2024-06-30", "/api/v1/targets/1/progress?as_of=2024-12-31",
		"/api/v1/network", "/api/v1/runs?limit=500&mode=rail&from=2024-03-01",
	} {
		a, b := pg.mustDo(t, 200, "GET", path, nil), lite.mustDo(t, 200, "GET", path, nil)
		var x, y any
		json.Unmarshal(stripTimes(a.Body), &x)
		json.Unmarshal(stripTimes(b.Body), &y)
		if !reflect.DeepEqual(x, y) {
			t.Errorf("%s differs:\nPostgreSQL %s\nSQLite     %s", path, a.Body, b.Body)
		}
	}
}

// stripTimes drops created_at and updated_at, which differ between servers.
func stripTimes(b []byte) []byte {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "created_at")
			delete(x, "updated_at")
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out, _ := json.Marshal(v)
	return out
}

func TestPostgresConcurrentWritersAndRetries(t *testing.T) {
	t.Parallel()
	ts := newTestServerPG(t)
	createRoute(t, ts, "LOAD", nil)
	const clients, perClient = 16, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[int64]bool{}
	var failures []string
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				body, _ := json.Marshal(runBody("LOAD", fmt.Sprintf("C%d-%d", c, i), time.Date(2024, 1, 1, 0, c*perClient+i, 0, 0, shanghai).Format(time.RFC3339)))
				req, _ := http.NewRequest("POST", ts.URL+"/api/v1/runs", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+ts.Operator)
				// Every request is sent twice with one key, as a client retrying would.
				req.Header.Set("Idempotency-Key", fmt.Sprintf("c%d-%d", c, i))
				for try := 0; try < 2; try++ {
					req.Body = ioNopCloser(body)
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
						continue
					}
					var r struct{ ID int64 }
					json.NewDecoder(res.Body).Decode(&r)
					res.Body.Close()
					mu.Lock()
					if res.StatusCode != 201 {
						failures = append(failures, fmt.Sprintf("status %d", res.StatusCode))
					} else {
						acked[r.ID] = true
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	stored := allRunsPlain(t, ts)
	if len(acked) != clients*perClient || len(stored) != clients*perClient {
		t.Fatalf("acknowledged %d distinct runs, stored %d, want %d each", len(acked), len(stored), clients*perClient)
	}
}

func ioNopCloser(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// TestPostgresEventWaitsForRouteChange: an event recorded while its route's
// stops are being replaced is checked against the new stops (it waits for
// the change to commit), so no event names a stop the route no longer has.
func TestPostgresEventWaitsForRouteChange(t *testing.T) {
	t.Parallel()
	dsn := postgresDB(t)
	ts := newTestServerOn(t, dsn, shanghai, nil)
	ts.mustDo(t, 201, "POST", "/api/v1/routes", journeyRoute("QD-MZL-MOW"))
	b := runBody("QD-MZL-MOW", "X1", "2026-11-10T08:00:00+08:00")
	run := fmt.Sprintf("/api/v1/runs/%d", createRun(t, ts, b).ID)

	db, err := store.Open(dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { sqlDB.Close() })
	// Another transaction holds the route's stops, so that the route's
	// update waits after its check, with the route's row locked.
	hold, err := sqlDB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(`SELECT 1 FROM route_stops FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	waiting := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var k int
			if err := sqlDB.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&k); err != nil {
				t.Fatal(err)
			}
			if k >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d statements waiting for a lock, want %d", k, n)
			}
			time.Sleep(5 * time.Millisecond) // polling pg_stat_activity for the wait
		}
	}
	stops := journeyRoute("QD-MZL-MOW")["stops"].([]map[string]any)
	short := []map[string]any{stops[0], stops[2], stops[4]}
	patched, posted := make(chan response, 1), make(chan response, 1)
	go func() { patched <- ts.do(t, "PATCH", "/api/v1/routes/QD-MZL-MOW", map[string]any{"stops": short}) }()
	waiting(1)
	go func() {
		posted <- ts.do(t, "POST", run+"/events", map[string]any{"type": "arrived", "at": "2026-11-16T10:00:00+08:00", "stop": 3})
	}()
	waiting(2)
	if err := hold.Commit(); err != nil {
		t.Fatal(err)
	}
	if r := <-patched; r.Status != 200 {
		t.Fatalf("the route's update: %d %s", r.Status, r.Body)
	}
	// Stop 3 no longer exists: the event is refused, not stored.
	if got := problemFields(t, <-posted, 422); !reflect.DeepEqual(got, []fieldErr{{"stop", "out_of_range"}}) {
		t.Fatalf("the event during the update: %v", got)
	}
	ts.mustDo(t, 201, "POST", run+"/events", map[string]any{"type": "arrived", "at": "2026-11-16T10:00:00+08:00", "stop": 1})
}
