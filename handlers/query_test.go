package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"banlie/handlers"
	"banlie/models"
)

// runQueryParams are the query parameters GET /api/v1/runs takes.
var runQueryParams = []string{"container", "counted", "cursor", "direction", "from", "limit", "mode", "number", "overdue", "route", "status", "to"}

// unknownParam checks that a problem names exactly the parameters names,
// in that order, each with code unknown_parameter and the endpoint's
// parameters (known, nil for none) as allowed.
func unknownParam(t *testing.T, what string, p handlers.Problem, known []string, names ...string) {
	t.Helper()
	if !reflect.DeepEqual(fields(p), names) {
		t.Fatalf("%s: errors name %q, want %q: %+v", what, fields(p), names, p.Errors)
	}
	for _, fe := range p.Errors {
		if fe.Code != models.CodeUnknownParameter {
			t.Errorf("%s: %s has code %q", what, fe.Field, fe.Code)
		}
		allowed, has := fe.Params["allowed"]
		var got []string
		if l, ok := allowed.([]any); ok {
			for _, v := range l {
				got = append(got, fmt.Sprint(v))
			}
		}
		if known == nil && has || known != nil && !slices.Equal(got, known) {
			t.Errorf("%s: %s: allowed %v, want %v", what, fe.Field, allowed, known)
		}
		if !strings.Contains(fe.Message, fmt.Sprintf("%q", fe.Field)) {
			t.Errorf("%s: the message %q does not name %s", what, fe.Message, fe.Field)
		}
	}
	if len(names) == 1 && p.Detail != p.Errors[0].Message {
		t.Errorf("%s: detail %q, the error's message %q", what, p.Detail, p.Errors[0].Message)
	}
}

// testUnknownQueryParameters: every endpoint refuses a query parameter its
// operation in the API document does not declare, naming it; the ones it
// declares work as before.
func testUnknownQueryParameters(t *testing.T, ts *testServer) {
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))

	// A misspelt filter is refused, not ignored.
	p := ts.do(t, "GET", "/api/v1/runs?rout=SCO-TJ-MOW", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "runs?rout", p, runQueryParams, "rout")
	if !strings.Contains(p.Detail, `"rout" is not a query parameter`) {
		t.Errorf("detail %q", p.Detail)
	}
	// Beside known ones, and whatever their case: names are exact.
	p = ts.do(t, "GET", "/api/v1/runs?route=SCO-TJ-MOW&Status=departed&limit=5", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "runs?Status", p, runQueryParams, "Status")
	// Every unknown one, by name, once however often it is given.
	p = ts.do(t, "GET", "/api/v1/runs?zeta=1&alpha=2&route=SCO-TJ-MOW&zeta=3", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "runs?zeta&alpha", p, runQueryParams, "alpha", "zeta")
	if !strings.Contains(p.Detail, "2 query parameters") {
		t.Errorf("detail %q", p.Detail)
	}
	// A name without a value, and a value without a name.
	p = ts.do(t, "GET", "/api/v1/runs?verbose", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "runs?verbose", p, runQueryParams, "verbose")
	p = ts.do(t, "GET", "/api/v1/runs?=x", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "runs?=x", p, runQueryParams, "")

	// The totals, with their own parameters.
	totals := []string{"by", "direction", "mode", "route", "through", "year"}
	p = ts.do(t, "GET", "/api/v1/totals/yearly?year=2024&yaer=2024", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "totals/yearly?yaer", p, totals, "yaer")
	// through is the yearly totals' only.
	p = ts.do(t, "GET", "/api/v1/totals/monthly?year=2024&through=2024-10", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "totals/monthly?through", p, []string{"by", "direction", "mode", "route", "year"}, "through")

	// An endpoint that takes no query parameter says so, a cache buster
	// included.
	p = ts.do(t, "GET", "/api/v1/routes/SCO-TJ-MOW?_=1700000000", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "routes/{code}?_", p, nil, "_")
	if !strings.Contains(p.Detail, "takes none") {
		t.Errorf("detail %q", p.Detail)
	}
	p = ts.do(t, "GET", "/healthz?probe=1", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "healthz?probe", p, nil, "probe")

	// HEAD is refused as GET is, without a body.
	r := ts.do(t, "HEAD", "/api/v1/runs?rout=SCO-TJ-MOW", nil)
	if r.Status != http.StatusBadRequest || len(r.Body) != 0 || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("HEAD runs?rout: %d, %q, %d bytes", r.Status, r.Header.Get("Content-Type"), len(r.Body))
	}

	// A write's query is checked too: POST /api/v1/runs takes none. The
	// refusal claims no Idempotency-Key, so the request without the
	// parameter then writes with that key.
	key := []string{"Authorization", "Bearer " + ts.Operator, "Idempotency-Key", "strict-1"}
	body := runBody("SCO-TJ-MOW", "X8025", "2024-10-13T09:30:00+08:00")
	p = ts.do(t, "POST", "/api/v1/runs?dry_run=true", body, key...).problem(t, http.StatusBadRequest)
	unknownParam(t, "POST runs?dry_run", p, nil, "dry_run")
	ts.mustDo(t, http.StatusCreated, "POST", "/api/v1/runs", body, key...)

	// The known parameters still work, HEAD's too.
	var page runPage
	ts.mustDo(t, http.StatusOK, "GET", "/api/v1/runs?route=SCO-TJ-MOW&status=departed&counted=true&from=2024-10-01&to=2024-10-31&limit=1", nil).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Number != "X8025" || page.NextCursor == nil {
		t.Fatalf("a filtered page: %+v", page)
	}
	ts.mustDo(t, http.StatusOK, "GET", "/api/v1/runs?limit=1&cursor="+url.QueryEscape(*page.NextCursor), nil)
	ts.mustDo(t, http.StatusOK, "HEAD", "/api/v1/runs?route=SCO-TJ-MOW", nil)
	ts.mustDo(t, http.StatusOK, "GET", "/api/v1/totals/yearly?year=2024&through=2024-10&mode=rail", nil)
	ts.mustDo(t, http.StatusOK, "GET", "/api/v1/routes/SCO-TJ-MOW", nil)
	ts.mustDo(t, http.StatusOK, "GET", "/api/v1/summaries?limit=5", nil)
	// A kept answer is not given for the same URL with a parameter more.
	ts.mustDo(t, http.StatusOK, "GET", "/api/v1/totals/monthly?year=2024", nil)
	p = ts.do(t, "GET", "/api/v1/totals/monthly?year=2024&nocache=1", nil).problem(t, http.StatusBadRequest)
	unknownParam(t, "totals/monthly?nocache", p, []string{"by", "direction", "mode", "route", "year"}, "nocache")

	// The dashboard's pages keep their own query (?lang=, ?refresh=).
	if r := ts.do(t, "GET", "/?refresh=0&lang=en", nil); r.Status != http.StatusOK {
		t.Errorf("the dashboard with its query: %d", r.Status)
	}
	// A path the API does not have is still a 404.
	ts.do(t, "GET", "/api/v1/nothing?x=1", nil).problem(t, http.StatusNotFound)
}

func TestUnknownQueryParameters(t *testing.T) {
	t.Parallel()
	testUnknownQueryParameters(t, newTestServer(t))
}

func TestPostgresUnknownQueryParameters(t *testing.T) {
	t.Parallel()
	testUnknownQueryParameters(t, newTestServerPG(t))
}

// TestUnknownQueryParametersBounded: a client's parameter names reach the
// answer cut to 64 bytes (on a character boundary, marked with …) and as
// valid UTF-8, and at most 50 of them are listed.
func TestUnknownQueryParametersBounded(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	long := strings.Repeat("ж", 200) // 400 bytes
	p := ts.do(t, "GET", "/api/v1/runs?"+url.QueryEscape(long)+"=1", nil).problem(t, http.StatusBadRequest)
	if len(p.Errors) != 1 {
		t.Fatalf("errors %+v", p.Errors)
	}
	f := p.Errors[0].Field
	if len(f) > 64 || !utf8.ValidString(f) || !strings.HasSuffix(f, "…") || !strings.HasPrefix(long, strings.TrimSuffix(f, "…")) {
		t.Errorf("a 400-byte name is answered as %q (%d bytes)", f, len(f))
	}
	if strings.Contains(p.Detail, long[:100]) || len(p.Detail) > 400 {
		t.Errorf("the detail repeats the name unbounded: %d bytes", len(p.Detail))
	}
	// Bytes that are not UTF-8.
	p = ts.do(t, "GET", "/api/v1/runs?%FFa%FE=1", nil).problem(t, http.StatusBadRequest)
	if fields(p)[0] != "\uFFFDa\uFFFD" {
		t.Errorf("a name that is not UTF-8 is answered as %q", fields(p)[0])
	}
	// Many names: the first 50 by name, and how many there were.
	q := url.Values{}
	for i := range 80 {
		q.Set(fmt.Sprintf("p%02d", i), "1")
	}
	p = ts.do(t, "GET", "/api/v1/runs?"+q.Encode(), nil).problem(t, http.StatusBadRequest)
	if len(p.Errors) != 50 || p.Errors[0].Field != "p00" || p.Errors[49].Field != "p49" || !strings.Contains(p.Detail, "80 query parameters") {
		t.Errorf("80 unknown names: %d errors, first %q, detail %q", len(p.Errors), fields(p)[:1], p.Detail)
	}
}

// TestUnknownQueryAfterAccess: a caller without the role an endpoint needs
// is refused for that (401, 403) before its parameters are looked at.
func TestUnknownQueryAfterAccess(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.PrivateReads = true })
	ts.do(t, "GET", "/api/v1/runs?rout=X", nil, "Authorization", "").problem(t, http.StatusUnauthorized)
	ts.do(t, "GET", "/api/v1/runs?rout=X", nil, "Authorization", "Bearer nonsense").problem(t, http.StatusUnauthorized)
	ts.do(t, "GET", "/api/v1/audit?actr=x", nil, "Authorization", "Bearer "+ts.Viewer).problem(t, http.StatusForbidden)
	p := ts.do(t, "GET", "/api/v1/runs?rout=X", nil, "Authorization", "Bearer "+ts.Viewer).problem(t, http.StatusBadRequest)
	unknownParam(t, "runs?rout as a viewer", p, runQueryParams, "rout")
	// A query string that does not parse is refused before anything else, as before.
	ts.do(t, "GET", "/api/v1/runs?a=1;b=2", nil, "Authorization", "").problem(t, http.StatusBadRequest)
}
