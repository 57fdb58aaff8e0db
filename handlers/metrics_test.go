package handlers_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"banlie/handlers"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeText answers the /metrics text as served.
func scrapeText(t *testing.T, ts *testServer) []byte {
	t.Helper()
	r := ts.do(t, "GET", "/metrics", nil)
	if r.Status != 200 {
		t.Fatalf("/metrics: %d", r.Status)
	}
	return r.Body
}

// send makes one raw request and discards the answer.
func send(t *testing.T, method, url string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomWord(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

// Whatever methods and paths clients send, the metrics keep the same series:
// labels come from the route table and the known methods, not from the
// request. 10,000 random requests leave /metrics within 1% of its size.
func TestMetricsLabelsAreBounded(t *testing.T) {
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.RateLimit = 0 })
	r := rand.New(rand.NewPCG(1, 2))
	random := func() {
		method := strings.ToUpper(randomWord(r, 1+r.IntN(12)))
		if r.IntN(50) == 0 {
			method = randomWord(r, 20_000) // a long method name
		}
		path := "/" + randomWord(r, 1+r.IntN(40))
		switch r.IntN(3) {
		case 0:
			path = "/api/v1/" + randomWord(r, 1+r.IntN(40))
		case 1:
			path = "/api/v1/runs/" + randomWord(r, 1+r.IntN(10)) + "/" + randomWord(r, 3)
		}
		send(t, method, ts.URL+path, "X-Request-ID", randomWord(r, 10))
	}
	// Warm up: every label combination the random requests can produce
	// (method "other", the catch-all routes, their statuses) appears.
	for i := 0; i < 1000; i++ {
		random()
	}
	scrapeText(t, ts) // the scrape's own series
	before := scrapeText(t, ts)
	for i := 0; i < 10_000; i++ {
		random()
	}
	after := scrapeText(t, ts)
	if d := float64(len(after)-len(before)) / float64(len(before)); d > 0.01 || d < -0.01 {
		t.Fatalf("/metrics grew from %d to %d bytes (%.1f%%) after 10,000 random requests:\n%s", len(before), len(after), 100*d, after)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(after))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range fams["banlie_http_request_duration_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "method" && !strings.Contains("GET HEAD POST PUT PATCH DELETE OPTIONS other", l.GetValue()) {
				t.Errorf("method label %q", l.GetValue())
			}
		}
	}
}

// Probes, the page and its files are rate-limited per address like the
// rest, and each refusal is counted.
func TestProbesAndPageAreRateLimited(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/healthz", "/readyz", "/", "/style.css"} {
		ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.RateLimit = 1 })
		limited := false
		for i := 0; i < 10 && !limited; i++ {
			res := send(t, "GET", ts.URL+path)
			if res.StatusCode == http.StatusTooManyRequests {
				limited = true
				if res.Header.Get("Retry-After") == "" {
					t.Errorf("%s: 429 without Retry-After", path)
				}
			} else if res.StatusCode != 200 {
				t.Fatalf("%s: %d", path, res.StatusCode)
			}
		}
		if !limited {
			t.Fatalf("%s: 10 requests at 1/s with bursts of 2 were not limited", path)
		}
		if !bytes.Contains(scrapeText(t, ts), []byte("\nbanlie_rate_limited_total 1")) {
			t.Errorf("%s: the refusal is not counted in banlie_rate_limited_total", path)
		}
	}
}

// A client's X-Request-ID is kept only when it is 1–64 characters of
// [A-Za-z0-9._-]; otherwise the server makes its own, and that is the id
// echoed and stored in the audit log.
func TestRequestIDIsBounded(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	valid64 := strings.Repeat("a1._-", 12) + "abcd"
	for _, c := range []struct {
		sent string
		kept bool
	}{
		{"desk-1.req_0001", true},
		{valid64, true},
		{valid64 + "e", false},
		{strings.Repeat("x", 500_000), false},
		{"has space", false},
		{"车次-1", false},
		{"semi;colon", false},
	} {
		res := send(t, "GET", ts.URL+"/healthz", "X-Request-ID", c.sent)
		got := res.Header.Get("X-Request-ID")
		if c.kept && got != c.sent {
			t.Errorf("X-Request-ID %q answered as %q, want it kept", clipID(c.sent), got)
		}
		if !c.kept && (got == c.sent || got == "" || len(got) > 64) {
			t.Errorf("X-Request-ID %q answered as %q, want a generated id", clipID(c.sent), clipID(got))
		}
	}
	// A write with an unfit id: the audit log stores the server's id.
	ts.mustDo(t, 201, "POST", "/api/v1/routes", routeBody("RQ"), "X-Request-ID", strings.Repeat("y", 100_000))
	var page struct {
		Items []struct {
			Action    string
			RequestID string `json:"request_id"`
		}
	}
	ts.mustDo(t, 200, "GET", "/api/v1/audit?entity=route&entity_id=RQ", nil).decode(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("%d audit entries for route RQ, want 1", len(page.Items))
	}
	if id := page.Items[0].RequestID; id == "" || len(id) > 64 || strings.Contains(id, "yyy") {
		t.Fatalf("audit entry's request id %q, want the server's", clipID(id))
	}
}

func clipID(s string) string {
	if len(s) > 70 {
		return s[:70] + "…"
	}
	return s
}

// promtool is Prometheus's own checker; under CI=true it must be installed.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is needed (Debian: apt-get install prometheus)")
		}
		t.Skip("promtool not installed (Debian: apt-get install prometheus)")
	}
	return p
}

// The metrics pass `promtool check metrics` (names, units, help texts),
// after traffic that touches each of banlie's own series.
func TestMetricsPassPromtool(t *testing.T) {
	t.Parallel()
	tool := promtool(t)
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.RateLimit = 5 })
	ts.mustDo(t, 201, "POST", "/api/v1/routes", routeBody("PM"), "Idempotency-Key", "pm-1")
	ts.mustDo(t, 201, "POST", "/api/v1/routes", routeBody("PM"), "Idempotency-Key", "pm-1")
	ts.mustDo(t, 200, "GET", "/api/v1/network", nil)
	ts.mustDo(t, 200, "GET", "/api/v1/network", nil)
	ts.runJob(t, "rollup")
	for i := 0; i < 20; i++ {
		send(t, "GET", ts.URL+"/healthz")
	}
	text := scrapeText(t, ts)
	for _, want := range []string{
		"banlie_idempotent_replays_total 1",
		`banlie_answer_cache_requests_total{result="hit"} 1`,
		`banlie_answer_cache_requests_total{result="miss"} 1`,
		"banlie_rate_limited_total ",
		`banlie_job_runs_total{job_name="rollup",outcome="ok"} 1`,
		"banlie_rollup_lag_seconds ",
		`go_sql_max_open_connections{db_name="banlie"}`,
	} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
