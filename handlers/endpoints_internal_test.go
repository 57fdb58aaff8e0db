package handlers

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// checkEndpoints refuses a table that contradicts itself, and accepts the
// server's.
func TestCheckEndpoints(t *testing.T) {
	h := func(echo.Context) error { return nil }
	ok := []endpoint{
		{http.MethodGet, "/api/v1/things", h, readers, tagged | kept | gzipped},
		{http.MethodPost, "/api/v1/things", h, operators, idempotent},
		{http.MethodGet, "/healthz", h, anyone, tagged | gzipped},
	}
	if err := checkEndpoints(ok); err != nil {
		t.Fatalf("a valid table refused: %v", err)
	}
	for _, c := range []struct {
		add  endpoint
		want string
	}{
		{endpoint{http.MethodGet, "/api/v1/things", h, readers, tagged}, "twice"},
		{endpoint{http.MethodDelete, "/api/v1/things", nil, admins, 0}, "no handler"},
		{endpoint{http.MethodGet, "/api/v1/other", h, 0, tagged}, "who may call"},
		{endpoint{http.MethodDelete, "/api/v1/other", h, anyone, 0}, "open to anyone"},
		{endpoint{http.MethodPatch, "/api/v1/other", h, admins, gzipped}, "only GET"},
		{endpoint{http.MethodGet, "/api/v1/other", h, readers, idempotent}, "only POST"},
		{endpoint{http.MethodGet, "/api/v1/other", h, readers, kept}, "without an ETag"},
		{endpoint{http.MethodGet, "/api/v1/other", h, readers, tagged | perBase}, "not kept"},
		{endpoint{http.MethodGet, "/api/v1/other", h, readers, tagged | countedLive}, "not kept"},
		{endpoint{http.MethodPost, "/healthz", h, admins, idempotent}, "disagree"},
	} {
		err := checkEndpoints(append(ok[:len(ok):len(ok)], c.add))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want an error saying %q", c.add.method, c.add.path, err, c.want)
		}
	}
	if err := checkEndpoints(endpoints(Config{}, nil, http.NotFoundHandler(), nil)); err != nil {
		t.Fatalf("the server's table: %v", err)
	}
}

// queryParams reads each endpoint's query parameters from the API
// document: its operation's and its path's, $refs resolved; an endpoint
// without an operation, or a $ref to nothing, is refused.
func TestQueryParams(t *testing.T) {
	h := func(echo.Context) error { return nil }
	es := []endpoint{
		{http.MethodGet, "/api/v1/things", h, readers, tagged},
		{http.MethodGet, "/api/v1/things/:id", h, readers, tagged},
		{http.MethodDelete, "/api/v1/things/:id", h, admins, 0},
		{http.MethodGet, "/*", h, anyone, tagged | ownQuery},
	}
	doc := `{"paths": {
		"/api/v1/things": {"get": {"parameters": [{"name": "q", "in": "query"}, {"$ref": "#/components/parameters/Limit"},
			{"name": "X-Trace", "in": "header"}]}},
		"/api/v1/things/{id}": {"parameters": [{"$ref": "#/components/parameters/ID"}, {"name": "lang", "in": "query"}],
			"get": {"parameters": [{"$ref": "#/components/parameters/Fields"}]}, "delete": {}}},
		"components": {"parameters": {"Limit": {"name": "limit", "in": "query"}, "ID": {"name": "id", "in": "path"},
			"Fields": {"$ref": "#/components/parameters/Limit2"}, "Limit2": {"name": "fields", "in": "query"}}}}`
	got, err := queryParams(es, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[routeKey][]string{
		{http.MethodGet, "/api/v1/things"}:        {"limit", "q"},
		{http.MethodGet, "/api/v1/things/:id"}:    {"fields", "lang"},
		{http.MethodDelete, "/api/v1/things/:id"}: {"lang"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("query parameters %v, want %v", got, want)
	}

	// An endpoint the document does not have.
	extra := append(es[:len(es):len(es)], endpoint{http.MethodPatch, "/api/v1/things/:id", h, admins, 0})
	if _, err := queryParams(extra, []byte(doc)); err == nil || !strings.Contains(err.Error(), "PATCH /api/v1/things/:id has no operation") {
		t.Errorf("an endpoint without an operation: %v", err)
	}
	// A $ref to nothing.
	bad := strings.Replace(doc, `"#/components/parameters/Limit"`, `"#/components/parameters/Nope"`, 1)
	if _, err := queryParams(es, []byte(bad)); err == nil || !strings.Contains(err.Error(), "#/components/parameters/Nope") {
		t.Errorf("a $ref to nothing: %v", err)
	}
	// The server's table against the server's document.
	if _, err := queryParams(endpoints(Config{}, nil, http.NotFoundHandler(), nil), OpenAPI); err != nil {
		t.Errorf("the server's table and document: %v", err)
	}
	// Only the dashboard's pages keep their own query.
	if err := checkEndpoints([]endpoint{{http.MethodGet, "/api/v1/things", h, readers, tagged | ownQuery}}); err == nil {
		t.Error("an API endpoint that keeps its own query is accepted")
	}
}

// boundName cuts a name to 64 bytes on a character boundary and makes it
// valid UTF-8.
func TestBoundName(t *testing.T) {
	for in, want := range map[string]string{
		"route":                     "route",
		strings.Repeat("a", 64):     strings.Repeat("a", 64),
		strings.Repeat("a", 65):     strings.Repeat("a", 61) + "…",
		strings.Repeat("ж", 40):     strings.Repeat("ж", 30) + "…",
		"a\xffb":                    "a\uFFFDb",
		strings.Repeat("\xffa", 40): strings.Repeat("\uFFFDa", 15) + "…",
	} {
		got := boundName(in)
		if got != want || len(got) > maxParamName {
			t.Errorf("boundName(%q) = %q, want %q", in, got, want)
		}
	}
}

// An export's write deadline moves on while its client takes the CSV at
// least at exportMinRate on average; past exportGrace, a slower client's
// deadline stays where it was, so that the export ends when it passes.
func TestExportDeadlineNeedsARate(t *testing.T) {
	t0 := time.Now()
	w := &csvAnswer{rc: http.NewResponseController(httptest.NewRecorder()), began: t0}
	w.total = 1 << 20
	w.extend(t0.Add(10 * time.Second))
	if !w.at.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("within the grace: deadline moved at %v", w.at)
	}
	late := t0.Add(exportGrace + time.Second)
	w.extend(late) // 1 MiB in two minutes: under 64 KiB/s
	if w.at.Equal(late) {
		t.Error("a reader slower than the minimum rate got more time")
	}
	w.total = int(exportMinRate * (exportGrace + time.Second).Seconds())
	w.extend(late)
	if !w.at.Equal(late) {
		t.Error("a reader at the minimum rate got no more time")
	}
}
