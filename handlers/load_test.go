package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentWritersLoseNothing: 64 clients each log 200 runs at once
// against SQLite. Every run answered 2xx is stored, no answer is a 5xx, and
// "database is locked" never reaches a client.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: 12,800 writes")
	}
	ts := newTestServer(t)
	createRoute(t, ts, "LOAD", nil)
	const clients, perClient = 64, 200
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	type result struct {
		ids      []int64
		failures []string
	}
	results := make([]result, clients)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, shanghai)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				body, _ := json.Marshal(runBody("LOAD", fmt.Sprintf("C%02d-%03d", c, i), base.Add(time.Duration(c*perClient+i)*time.Minute).Format(time.RFC3339)))
				req, _ := http.NewRequest("POST", ts.URL+"/api/v1/runs", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+ts.Operator)
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					results[c].failures = append(results[c].failures, err.Error())
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if strings.Contains(strings.ToLower(string(b)), "locked") || res.StatusCode >= 500 || res.StatusCode != 201 {
					results[c].failures = append(results[c].failures, fmt.Sprintf("%d %s", res.StatusCode, b))
					continue
				}
				var r struct{ ID int64 }
				if err := json.Unmarshal(b, &r); err != nil {
					results[c].failures = append(results[c].failures, err.Error())
					continue
				}
				results[c].ids = append(results[c].ids, r.ID)
			}
		}()
	}
	wg.Wait()
	acked := map[int64]bool{}
	for _, r := range results {
		for _, f := range r.failures {
			t.Errorf("failed write: %s", f)
		}
		for _, id := range r.ids {
			acked[id] = true
		}
	}
	stored := map[int64]bool{}
	for _, r := range allRunsPlain(t, ts) {
		stored[r] = true
	}
	for id := range acked {
		if !stored[id] {
			t.Errorf("run %d was acknowledged but is not stored", id)
		}
	}
	if len(acked) != clients*perClient || len(stored) != clients*perClient {
		t.Fatalf("acknowledged %d, stored %d, want %d", len(acked), len(stored), clients*perClient)
	}
}

// allRunsPlain pages through every run's id without OpenAPI validation (fast).
func allRunsPlain(t *testing.T, ts *testServer) []int64 {
	var out []int64
	cursor := ""
	for {
		res, err := http.Get(ts.URL + "/api/v1/runs?limit=500&cursor=" + cursor)
		if err != nil {
			t.Fatal(err)
		}
		var p runPage
		err = json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Items {
			out = append(out, r.ID)
		}
		if p.NextCursor == nil {
			return out
		}
		cursor = *p.NextCursor
	}
}
