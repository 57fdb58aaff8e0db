package handlers_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"banlie/handlers"
)

// Once the body has arrived, an import may work on (lines with an id go
// one at a time, the statistics are refreshed after the commit) past the
// server's read and write timeouts and past a stall without a read on the
// connection: it is not cancelled (net/http cancels a request whose
// background read fails, as at a read deadline), neither in upsert mode
// nor with an Idempotency-Key (whose body is read before the import
// starts).
func TestImportWorksPastTimeoutsOnceTheBodyIsRead(t *testing.T) {
	t.Parallel()
	const stall = time.Second
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.ImportStall = stall })
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	srv := httptest.NewUnstartedServer(ts.handler)
	const timeout = 300 * time.Millisecond
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	t.Cleanup(srv.Close)

	// 6,000 runs (past OptimizeAfterRows: the statistics are refreshed
	// after each import's commit), then upserted, each line a change.
	const n = 6000
	line := func(i int) string {
		return fmt.Sprintf("SCO-TJ-MOW,U%d,outbound,2024-%02d-%02dT09:30:00+08:00", i, 1+i%12, 1+i%28)
	}
	var b strings.Builder
	b.WriteString("route,number,direction,departed_at\n")
	for i := range n {
		b.WriteString(line(i) + "\n")
	}
	mustImport(t, ts, "", b.String(), n, 0)
	exp := ts.do(t, "GET", "/api/v1/runs/export", nil)
	if exp.Status != http.StatusOK {
		t.Fatalf("export: %d %s", exp.Status, exp.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(exp.Body)).ReadAll()
	if err != nil || len(rows) != n+1 {
		t.Fatalf("export: %d rows, %v", len(rows), err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	idOf := map[string]string{}
	for _, r := range rows[1:] {
		idOf[r[col["number"]]] = r[col["id"]]
	}
	upsert := func(cargo string) string {
		var b strings.Builder
		b.WriteString("id,route,number,direction,departed_at,cargo\n")
		for i := range n {
			fmt.Fprintf(&b, "%s,%s,%s\n", idOf[fmt.Sprintf("U%d", i)], line(i), cargo)
		}
		return b.String()
	}

	post := func(body string, header ...string) {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+"/api/v1/runs/import?mode=upsert", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.Operator)
		req.Header.Set("Content-Type", "text/csv")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		var sent atomic.Int64 // when the body was written
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { sent.Store(time.Now().UnixNano()) },
		}))
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("the import was cut: %v", err)
		}
		defer res.Body.Close()
		after := time.Since(time.Unix(0, sent.Load()))
		var got importResult
		if err := json.NewDecoder(res.Body).Decode(&got); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("status %d, %d errors, %v", res.StatusCode, len(got.Errors), err)
		}
		if got.Updated != n {
			t.Fatalf("updated %d, unchanged %d, want %d updated", got.Updated, got.Unchanged, n)
		}
		if after < stall+timeout {
			t.Fatalf("the import worked %s after its body, not longer than the stall (%s) and the server's timeouts (%s): the test proves nothing", after, stall, timeout)
		}
	}
	post(upsert("timber"))
	post(upsert("paper"), "Idempotency-Key", "upsert-1")
	for _, number := range []string{"U0", fmt.Sprintf("U%d", n-1)} {
		runs := allRuns(t, ts, "number="+number, 10)
		if len(runs) != 1 || runs[0].Cargo == nil || *runs[0].Cargo != "paper" {
			t.Fatalf("%s: %+v, want one run of paper", number, runs)
		}
	}
}
