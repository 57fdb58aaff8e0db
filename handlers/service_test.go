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
	if !strings.Contains(string(page.Body), "banlie</title>") && !strings.Contains(string(page.Body), "banlie —") {
		t.Fatalf("dashboard page not served: %.200s", page.Body)
	}
	ts.mustDo(t, 200, "GET", "/style.css", nil)
	// Unknown API paths answer problem+json, not the dashboard.
	ts.do(t, "GET", "/api/v1/nothing-here", nil).problem(t, 404)
	if r := ts.do(t, "GET", "/api/v1/runs", nil); r.Header.Get("X-Request-Id") == "" {
		t.Fatal("no request ID on answers")
	}
}

func TestConditionalGET(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	for _, path := range []string{"/api/v1/runs", "/api/v1/totals/yearly?year=2024", "/api/v1/totals/monthly?year=2024", "/api/v1/routes"} {
		first := ts.mustDo(t, 200, "GET", path, nil)
		etag := first.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", path)
		}
		again := ts.do(t, "GET", path, nil, "If-None-Match", etag)
		if again.Status != 304 || len(again.Body) != 0 {
			t.Fatalf("%s with a matching If-None-Match: %d, %d bytes", path, again.Status, len(again.Body))
		}
	}
	// A change makes the old tag stale.
	first := ts.mustDo(t, 200, "GET", "/api/v1/runs", nil)
	createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+08:00"))
	after := ts.do(t, "GET", "/api/v1/runs", nil, "If-None-Match", first.Header.Get("ETag"))
	if after.Status != 200 || after.Header.Get("ETag") == first.Header.Get("ETag") {
		t.Fatalf("after a write: %d, same tag %v", after.Status, after.Header.Get("ETag") == first.Header.Get("ETag"))
	}
	// Errors carry no tag.
	if r := ts.do(t, "GET", "/api/v1/runs/999", nil); r.Header.Get("ETag") != "" || r.Status != 404 {
		t.Fatalf("404 with an ETag: %v", r.Header)
	}
}

func TestMetaAndCountedFilter(t *testing.T) {
	t.Parallel()
	ts := newTestServerIn(t, mustLoc("Europe/Moscow"))
	createRoute(t, ts, "RA", nil)
	past := createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+03:00"))
	planned := runBody("RA", "X2", "2024-10-13T09:30:00+03:00")
	planned["status"] = "planned"
	createRun(t, ts, planned)
	future := createRun(t, ts, runBody("RA", "X3", "2027-01-01T09:30:00+03:00")) // departed, but in the future
	ts.mustDo(t, 200, "POST", "/api/v1/jobs/rollup/run", nil)

	var m struct {
		TimeZone           string  `json:"time_zone"`
		UTCOffset          string  `json:"utc_offset"`
		YearsWithData      []int   `json:"years_with_data"`
		LatestCountedMonth *string `json:"latest_counted_month"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/meta", nil).decode(t, &m)
	if m.TimeZone != "Europe/Moscow" || m.UTCOffset != "+03:00" || len(m.YearsWithData) != 1 || m.YearsWithData[0] != 2024 ||
		m.LatestCountedMonth == nil || *m.LatestCountedMonth != "2024-10" {
		t.Fatalf("meta %+v", m)
	}
	counted := allRuns(t, ts, "counted=true", 10)
	if len(counted) != 1 || counted[0].ID != past.ID {
		t.Fatalf("counted=true: %+v", counted)
	}
	if rest := allRuns(t, ts, "counted=false", 10); len(rest) != 2 || rest[0].ID != future.ID {
		t.Fatalf("counted=false: %+v", rest)
	}
	// The page is served with the server's zone.
	page := ts.mustDo(t, 200, "GET", "/", nil)
	if !strings.Contains(string(page.Body), `data-zone="Europe/Moscow" data-zone-offset="+03:00"`) {
		t.Fatalf("the page does not carry the reporting zone")
	}
}
