package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
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
	for _, path := range []string{"/api/v1/runs", "/api/v1/totals/yearly?year=2024", "/api/v1/totals/monthly?year=2024", "/api/v1/routes", "/", "/style.css"} {
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
	// Departed, but its time is still to come (within the clock skew).
	future := createRun(t, ts, runBody("RA", "X3", ts.now.Add(3*time.Minute).Format(time.RFC3339)))
	ts.runJob(t, "rollup")

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

func TestReviewedEdges(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+08:00"))
	// A query string that does not parse is refused, not silently narrowed to nothing.
	ts.do(t, "GET", "/api/v1/totals/yearly?year=2024&route=RA;x", nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/runs?status=planned;", nil).problem(t, 400)
	// A forged cursor with null fields is refused like any other.
	ts.do(t, "GET", "/api/v1/runs?cursor=eyJkIjpudWxsLCJpIjpudWxsfQ", nil).problem(t, 400)
	// HEAD is answered wherever GET is, without a body.
	for _, path := range []string{"/api/v1/runs", "/healthz", "/"} {
		r := ts.do(t, "HEAD", path, nil, "Accept-Encoding", "identity")
		g := ts.do(t, "GET", path, nil, "Accept-Encoding", "identity")
		if r.Status != 200 || len(r.Body) != 0 {
			t.Errorf("HEAD %s: %d with %d bytes", path, r.Status, len(r.Body))
		}
		if cl := r.Header.Get("Content-Length"); cl != "" && cl != fmt.Sprint(len(g.Body)) {
			t.Errorf("HEAD %s says Content-Length %s, GET sends %d bytes", path, cl, len(g.Body))
		}
	}
	// Allow names HEAD wherever it names GET, and only there.
	for _, c := range []struct {
		method, path, allow string
	}{
		{"PUT", "/api/v1/runs/1", "OPTIONS, DELETE, GET, HEAD, PATCH"},
		{"DELETE", "/api/v1/runs", "OPTIONS, GET, HEAD, POST"},
		{"PUT", "/healthz", "OPTIONS, GET, HEAD"},
		{"PATCH", "/api/v1/summaries/2024-10/generate", "OPTIONS, POST"},
	} {
		r := ts.do(t, c.method, c.path, nil)
		if r.Status != 405 || r.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", c.method, c.path, r.Status, r.Header.Get("Allow"), c.allow)
		}
		if p := r.problem(t, 405); !strings.HasSuffix(p.Detail, "allowed: "+c.allow) {
			t.Errorf("%s %s: detail %q does not name the methods allowed", c.method, c.path, p.Detail)
		}
	}
	// Echo answers OPTIONS itself (the document does not declare it).
	opt, err := http.NewRequest("OPTIONS", ts.URL+"/api/v1/runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := http.DefaultClient.Do(opt); err != nil {
		t.Fatal(err)
	} else if r.Body.Close(); r.StatusCode != 204 || r.Header.Get("Allow") != "OPTIONS, GET, HEAD, POST" {
		t.Errorf("OPTIONS /api/v1/runs: %d, Allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
	// An instant that would leave the year range in the reporting zone.
	p := ts.do(t, "POST", "/api/v1/runs", runBody("RA", "X2", "9999-12-31T23:59:59Z")).problem(t, 422)
	if fields(p)[0] != "departed_at" {
		t.Fatalf("fields %v", fields(p))
	}
	ts.do(t, "POST", "/api/v1/runs", runBody("RA", "X3", "1900-01-01T00:00:00+14:00")).problem(t, 422)
	// A body that is not UTF-8.
	ts.do(t, "POST", "/api/v1/runs", "{\"route\":\"RA\",\"number\":\"\xff\xfe\"}").problem(t, 400)
	// Target values that no figure could reach are refused.
	ts.do(t, "POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "runs", "value": int64(9223372036854775807)}).problem(t, 422)
	// Every listed resource pages with limit and cursor.
	for y := 2020; y < 2024; y++ {
		ts.mustDo(t, 201, "POST", "/api/v1/targets", map[string]any{"year": y, "metric": "runs", "value": 10})
	}
	var page struct {
		Items      []map[string]any
		NextCursor *string `json:"next_cursor"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/targets?limit=3", nil).decode(t, &page)
	if len(page.Items) != 3 || page.NextCursor == nil {
		t.Fatalf("targets page: %d items, cursor %v", len(page.Items), page.NextCursor)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/targets?limit=3&cursor="+*page.NextCursor, nil).decode(t, &page)
	if len(page.Items) != 1 || page.NextCursor != nil || page.Items[0]["year"].(float64) != 2023 {
		t.Fatalf("targets second page: %+v", page)
	}
	ts.do(t, "GET", "/api/v1/summaries?limit=abc", nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/milestones?cursor=abc", nil).problem(t, 400)
	// A route that a target refers to cannot be deleted.
	createRoute(t, ts, "RB", nil)
	ts.mustDo(t, 201, "POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{"route": "RB"}, "value": 10})
	ts.do(t, "DELETE", "/api/v1/routes/RB", nil).problem(t, 409)
}

func TestNearDuplicatesAreDuplicates(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	createRun(t, ts, runBody("RA", "X8024", "2024-10-12T09:30:00+08:00"))
	for _, n := range []string{"X8024 ", " X8024", "Ｘ８０２４", "x8024"} {
		ts.do(t, "POST", "/api/v1/runs", runBody("RA", n, "2024-10-12T12:00:00+08:00")).problem(t, 409)
	}
	p := ts.do(t, "POST", "/api/v1/runs", runBody("RA", "X8024\u200b", "2024-10-12T12:00:00+08:00")).problem(t, 422)
	if fields(p)[0] != "number" {
		t.Fatalf("fields %v", fields(p))
	}
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 10))
	for _, port := range []string{"cnqin", " CNQIN ", "CnQin", "cntao", "CN QDG"} {
		b := seaRailBody("2024-10-12", "export", 5)
		b["port"] = port
		ts.do(t, "POST", "/api/v1/sea-rail-counts", b).problem(t, 409)
	}
	var list struct{ Items []seaRailJSON }
	ts.mustDo(t, 200, "GET", "/api/v1/sea-rail-counts?port=cntao", nil).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Port != "CNQIN" {
		t.Fatalf("port filter ignoring case: %+v", list.Items)
	}
}

// Polled reads are kept until the next committed write, whoever makes it:
// a write through another connection to the database (a CLI import, another
// instance) is seen at once, and a poll between writes is answered from what
// was kept, with the same ETag and body as a fresh answer.
func TestKeptAnswersFollowEveryWrite(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "banlie.db")
	ts := newTestServerOn(t, dsn, shanghai, nil)
	createRoute(t, ts, "RA", nil)
	createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+08:00"))
	first := ts.mustDo(t, 200, "GET", "/api/v1/runs", nil)

	// Another process's store on the same file logs a run.
	db, err := store.Open(dsn, store.Options{Synchronous: "FULL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB, _ := db.DB(); sqlDB.Close() })
	other := store.NewStore(db, shanghai, time.Now)
	if _, err := other.CreateRun(context.Background(), store.System, models.RunInput{Route: "RA", Number: "X2", Direction: "outbound", DepartedAt: "2024-10-13T09:30:00+08:00"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.Rollup(context.Background(), false); err != nil { // the new runs' days
		t.Fatal(err)
	}
	var page struct {
		Items []runJSON `json:"items"`
	}
	second := ts.mustDo(t, 200, "GET", "/api/v1/runs", nil)
	second.decode(t, &page)
	if len(page.Items) != 2 || second.Header.Get("ETag") == first.Header.Get("ETag") {
		t.Fatalf("after another connection's write: %d runs, same ETag %v", len(page.Items), second.Header.Get("ETag") == first.Header.Get("ETag"))
	}

	// A change written behind the store's back (no version raised) is not
	// seen: the poll was answered from what was kept, byte for byte.
	if err := db.Exec(`UPDATE runs SET teu = 999`).Error; err != nil {
		t.Fatal(err)
	}
	kept := ts.mustDo(t, 200, "GET", "/api/v1/runs", nil)
	if string(kept.Body) != string(second.Body) || kept.Header.Get("ETag") != second.Header.Get("ETag") ||
		kept.Header.Get("Content-Type") != second.Header.Get("Content-Type") {
		t.Fatalf("a kept answer differs from the fresh one:\n%s\n%s", second.Body, kept.Body)
	}
	if r := ts.do(t, "GET", "/api/v1/runs", nil, "If-None-Match", second.Header.Get("ETag")); r.Status != 304 {
		t.Fatalf("a kept answer with a matching If-None-Match: %d", r.Status)
	}
	// Bookkeeping changes nothing a read serves and keeps the answers: a
	// token, a roll-up with nothing to do.
	if _, _, err := other.CreateToken(context.Background(), store.System, "late", "viewer"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.Rollup(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if again := ts.mustDo(t, 200, "GET", "/api/v1/runs", nil); string(again.Body) != string(second.Body) {
		t.Fatalf("bookkeeping dropped the kept answer")
	}
	// The next write of data makes it read again.
	if _, err := other.CreateRun(context.Background(), store.System, models.RunInput{Route: "RA", Number: "X3", Direction: "outbound", DepartedAt: "2024-10-14T09:30:00+08:00"}); err != nil {
		t.Fatal(err)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/runs", nil).decode(t, &page)
	if len(page.Items) != 3 || page.Items[1].TEU != 999 {
		t.Fatalf("after the next write the change is still not seen: %+v", page.Items)
	}
}
