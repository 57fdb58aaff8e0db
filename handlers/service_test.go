package handlers_test

import (
	"strings"
	"testing"
)

func TestServiceEndpoints(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustDo(t, 200, "GET", "/healthz", nil)
	ts.mustDo(t, 200, "GET", "/readyz", nil)
	m := ts.mustDo(t, 200, "GET", "/metrics", nil)
	if !strings.Contains(string(m.Body), "banlie_http_request_duration_seconds") {
		t.Fatalf("metrics lack the request histogram")
	}
	page := ts.mustDo(t, 200, "GET", "/", nil)
	if !strings.Contains(string(page.Body), "<title>banlie") {
		t.Fatalf("dashboard page not served: %.200s", page.Body)
	}
	for _, asset := range []string{"/app.js", "/style.css"} {
		ts.mustDo(t, 200, "GET", asset, nil)
	}
	// Unknown API paths answer problem+json, not the dashboard.
	ts.do(t, "GET", "/api/v1/nothing-here", nil).problem(t, 404)
	if r := ts.do(t, "GET", "/api/v1/runs", nil); r.Header.Get("X-Request-Id") == "" {
		t.Fatal("no request ID on answers")
	}
}
