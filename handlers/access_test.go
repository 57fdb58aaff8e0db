package handlers_test

import (
	"banlie/store"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"banlie/handlers"
)

// writes lists one request of every write endpoint with the role it needs.
func writes(t *testing.T, ts *testServer) []struct {
	method, path string
	body         any
	role         string
} {
	createRoute(t, ts, "RA", nil)
	run := createRun(t, ts, runBody("RA", "X1", "2024-10-12T09:30:00+08:00"))
	var sr seaRailJSON
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 10)).decode(t, &sr)
	for _, code := range []string{"CNYTG", "CNWEI"} {
		ts.mustDo(t, 201, "POST", "/api/v1/ports", map[string]any{"code": code, "name_en": code, "name_zh": code})
	}
	var target struct{ ID int64 }
	ts.mustDo(t, 201, "POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{}, "value": 5, "label": "t"}).decode(t, &target)
	return []struct {
		method, path string
		body         any
		role         string
	}{
		{"POST", "/api/v1/runs", runBody("RA", "X2", "2024-10-13T09:30:00+08:00"), "operator"},
		{"PATCH", fmt.Sprintf("/api/v1/runs/%d", run.ID), map[string]any{"teu": 100}, "operator"},
		{"DELETE", fmt.Sprintf("/api/v1/runs/%d", run.ID), nil, "operator"},
		{"POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-13", "export", 10), "operator"},
		{"PATCH", fmt.Sprintf("/api/v1/sea-rail-counts/%d", sr.ID), map[string]any{"teu": 11}, "operator"},
		{"DELETE", fmt.Sprintf("/api/v1/sea-rail-counts/%d", sr.ID), nil, "operator"},
		{"POST", "/api/v1/routes", routeBody("RB"), "admin"},
		{"POST", "/api/v1/ports", map[string]any{"code": "CNLYG", "name_en": "Lianyungang", "name_zh": "连云港"}, "admin"},
		{"PATCH", "/api/v1/ports/CNYTG", map[string]any{"name_en": "Yantai"}, "admin"},
		{"DELETE", "/api/v1/ports/CNYTG", nil, "admin"},
		{"POST", "/api/v1/ports/CNWEI/merge", map[string]any{"into": "CNRZH"}, "admin"},
		{"PATCH", "/api/v1/routes/RA", map[string]any{"active": false}, "admin"},
		{"DELETE", "/api/v1/routes/RB", nil, "admin"},
		{"POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "teu", "value": 5}, "admin"},
		{"DELETE", fmt.Sprintf("/api/v1/targets/%d", target.ID), nil, "admin"},
		{"POST", "/api/v1/jobs/rollup/run", nil, "admin"},
		{"POST", "/api/v1/summaries/2024-10/generate", nil, "admin"},
	}
}

func TestEveryWriteNeedsItsRole(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	// A revoked operator token.
	revokedSecret, _, err := ts.Store.CreateToken(context.Background(), store.System, "gone", "operator")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Store.RevokeToken(context.Background(), store.System, "gone"); err != nil {
		t.Fatal(err)
	}
	for _, w := range writes(t, ts) {
		name := w.method + " " + w.path
		p := ts.do(t, w.method, w.path, w.body, "Authorization", "").problem(t, 401)
		if p.Detail == "" {
			t.Errorf("%s: 401 without a reason", name)
		}
		ts.do(t, w.method, w.path, w.body, "Authorization", "Bearer bnl_notatoken").problem(t, 401)
		ts.do(t, w.method, w.path, w.body, "Authorization", "Bearer "+revokedSecret).problem(t, 401)
		ts.do(t, w.method, w.path, w.body, "Authorization", "Basic YWRtaW46YWRtaW4=").problem(t, 401)
		ts.do(t, w.method, w.path, w.body, "Authorization", "Bearer "+ts.Viewer).problem(t, 403)
		if w.role == "admin" {
			ts.do(t, w.method, w.path, w.body, "Authorization", "Bearer "+ts.Operator).problem(t, 403)
		}
		// The role it needs is enough.
		secret := ts.Admin
		if w.role == "operator" {
			secret = ts.Operator
		}
		if r := ts.do(t, w.method, w.path, w.body, "Authorization", "Bearer "+secret); r.Status >= 400 {
			t.Errorf("%s with role %s: %d %s", name, w.role, r.Status, r.Body)
		}
	}
}

func TestReadsArePublicUnlessPrivate(t *testing.T) {
	t.Parallel()
	public := newTestServer(t)
	public.mustDo(t, 200, "GET", "/api/v1/runs", nil)
	if r := public.do(t, "GET", "/api/v1/runs", nil, "Authorization", ""); r.Status != 200 {
		t.Fatalf("public read without a token: %d", r.Status)
	}
	public.do(t, "GET", "/api/v1/runs", nil, "Authorization", "Bearer bnl_wrong").problem(t, 401)

	private := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.PrivateReads = true })
	for _, path := range []string{"/api/v1/runs", "/api/v1/routes", "/api/v1/totals/yearly?year=2024", "/api/v1/network", "/api/v1/summaries"} {
		private.do(t, "GET", path, nil, "Authorization", "").problem(t, 401)
		if r := private.do(t, "GET", path, nil, "Authorization", "Bearer "+private.Viewer); r.Status != 200 {
			t.Errorf("viewer reading %s: %d %s", path, r.Status, r.Body)
		}
	}
	// The API description stays readable.
	if r := private.do(t, "GET", "/api/v1/openapi.json", nil, "Authorization", ""); r.Status != 200 {
		t.Fatalf("openapi.json with private reads: %d", r.Status)
	}
	// The audit log is for admins only, whatever the read setting.
	public.do(t, "GET", "/api/v1/audit", nil, "Authorization", "Bearer "+public.Operator).problem(t, 403)
	public.do(t, "GET", "/api/v1/audit", nil, "Authorization", "").problem(t, 401)
}

func TestTokensAreStoredAsHashesOnly(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	// A use is recorded in last_used_at.
	ts.mustDo(t, 200, "GET", "/api/v1/runs", nil, "Authorization", "Bearer "+ts.Viewer)
	toks, err := ts.Store.ListTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if (tok.Name == "test-viewer") != (tok.LastUsedAt != nil) {
			t.Errorf("token %s: last_used_at %v", tok.Name, tok.LastUsedAt)
		}
	}
	var rows []map[string]any
	if err := ts.Store.DB().Raw("SELECT * FROM tokens").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d token rows", len(rows))
	}
	for _, secret := range []string{ts.Admin, ts.Operator, ts.Viewer} {
		if !strings.HasPrefix(secret, "bnl_") || len(secret) < 4+26 {
			t.Errorf("token %q lacks the prefix or 128 bits", secret)
		}
		sum := sha256.Sum256([]byte(secret))
		found := false
		for _, row := range rows {
			for col, v := range row {
				if s, ok := v.(string); ok && strings.Contains(s, secret[4:]) {
					t.Errorf("column %s holds the token in clear", col)
				}
			}
			if row["hash"] == hex.EncodeToString(sum[:]) {
				found = true
			}
		}
		if !found {
			t.Errorf("no row holds the hash of a token")
		}
	}
}

func TestAuditRecordsEveryWriteKind(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, w := range writes(t, ts) {
		ts.do(t, w.method, w.path, w.body)
	}
	var page struct {
		Items []struct {
			Actor, Action, Entity string
			EntityID              string `json:"entity_id"`
			Before                any
			After                 any
			RequestID             string `json:"request_id"`
		}
	}
	ts.mustDo(t, 200, "GET", "/api/v1/audit?limit=500", nil).decode(t, &page)
	seen := map[string]int{}
	for _, e := range page.Items {
		seen[e.Action]++
		if e.Actor != "test-admin" && e.Actor != "test-setup" {
			t.Errorf("%s by %q", e.Action, e.Actor)
		}
		if e.Actor == "test-admin" && e.RequestID == "" {
			t.Errorf("%s without a request id", e.Action)
		}
		switch {
		case strings.HasSuffix(e.Action, ".create") && (e.Before != nil || e.After == nil),
			strings.HasSuffix(e.Action, ".update") && (e.Before == nil || e.After == nil),
			strings.HasSuffix(e.Action, ".delete") && (e.Before == nil || e.After != nil):
			t.Errorf("%s: before %v, after %v", e.Action, e.Before, e.After)
		}
	}
	for _, a := range []string{"routes.create", "routes.update", "routes.delete", "runs.create", "runs.update", "runs.delete",
		"sea_rail_counts.create", "sea_rail_counts.update", "sea_rail_counts.delete", "ports.create", "ports.update", "ports.delete", "ports.merge", "targets.create", "targets.delete",
		"jobs.run", "summaries.write", "tokens.create"} {
		if seen[a] == 0 {
			t.Errorf("no audit entry for %s (have %v)", a, seen)
		}
	}
	// A refused write leaves no audit entry.
	before := len(page.Items)
	ts.do(t, "POST", "/api/v1/runs", map[string]any{"route": "NOPE"}).problem(t, 422)
	ts.do(t, "POST", "/api/v1/routes", routeBody("RA")).problem(t, 409)
	ts.do(t, "POST", "/api/v1/runs", runBody("RA", "X9", "2024-10-14T09:30:00+08:00"), "Authorization", "Bearer "+ts.Viewer).problem(t, 403)
	ts.mustDo(t, 200, "GET", "/api/v1/audit?limit=500", nil).decode(t, &page)
	if len(page.Items) != before {
		t.Fatalf("refused writes were audited: %d entries, was %d", len(page.Items), before)
	}
	var runs struct{ Items []any }
	ts.mustDo(t, 200, "GET", "/api/v1/audit?entity=run&action=runs.create", nil).decode(t, &runs)
	if len(runs.Items) != 2 {
		t.Fatalf("filter by entity and action: %d entries", len(runs.Items))
	}
}

func TestIdempotentRetries(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "RA", nil)
	body := runBody("RA", "X8024", "2024-10-12T09:30:00+08:00")
	// Ten concurrent retries of one request: one run, ten identical answers.
	answers := atOnce(10, func() response {
		return ts.do(t, "POST", "/api/v1/runs", body, "Authorization", "Bearer "+ts.Operator, "Idempotency-Key", "flaky-link-0001")
	})
	for i, a := range answers {
		if a.Status != 201 || string(a.Body) != string(answers[0].Body) || a.Header.Get("Location") != answers[0].Header.Get("Location") {
			t.Fatalf("answer %d differs: %d %s %s", i, a.Status, a.Header.Get("Location"), a.Body)
		}
	}
	if runs := allRuns(t, ts, "", 50); len(runs) != 1 {
		t.Fatalf("%d runs written", len(runs))
	}
	// Replays say so.
	r := ts.do(t, "POST", "/api/v1/runs", body, "Authorization", "Bearer "+ts.Operator, "Idempotency-Key", "flaky-link-0001")
	if r.Header.Get("Idempotent-Replayed") != "true" || r.Status != 201 {
		t.Fatalf("replay: %d %v", r.Status, r.Header)
	}
	// Keys are scoped to the token: another token's same key is a new request (and a duplicate run).
	ts.do(t, "POST", "/api/v1/runs", body, "Idempotency-Key", "flaky-link-0001").problem(t, 409)
	// The same key with another body.
	other := runBody("RA", "X8025", "2024-10-12T09:30:00+08:00")
	p := ts.do(t, "POST", "/api/v1/runs", other, "Authorization", "Bearer "+ts.Operator, "Idempotency-Key", "flaky-link-0001").problem(t, 422)
	if fields(p)[0] != "Idempotency-Key" {
		t.Fatalf("fields %v", fields(p))
	}
	// A refused request's answer is kept too: the retry gets the same 422 and writes nothing.
	bad := runBody("RA", "X8026", "2024-10-12T09:30:00+08:00")
	bad["teu"] = 5000
	first := ts.do(t, "POST", "/api/v1/runs", bad, "Authorization", "Bearer "+ts.Operator, "Idempotency-Key", "bad-1")
	again := ts.do(t, "POST", "/api/v1/runs", bad, "Authorization", "Bearer "+ts.Operator, "Idempotency-Key", "bad-1")
	if first.Status != 422 || again.Status != 422 || string(first.Body) != string(again.Body) {
		t.Fatalf("refused request replay: %d %d", first.Status, again.Status)
	}
	// Keys must be 1–255 printable ASCII characters.
	for _, k := range []string{strings.Repeat("k", 256), "naïve", "tab\there"} {
		p := ts.do(t, "POST", "/api/v1/runs", other, "Idempotency-Key", k).problem(t, 400)
		if fields(p)[0] != "Idempotency-Key" {
			t.Fatalf("key %q: fields %v", k, fields(p))
		}
	}
	if runs := allRuns(t, ts, "", 50); len(runs) != 1 {
		t.Fatalf("%d runs after refused requests", len(runs))
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.RateLimit = 2 })
	limited := false
	for i := 0; i < 10 && !limited; i++ {
		r := ts.do(t, "GET", "/api/v1/network", nil, "Authorization", "")
		if r.Status == http.StatusTooManyRequests {
			limited = true
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			r.problem(t, 429)
		}
	}
	if !limited {
		t.Fatal("10 requests at once were not limited at 2/s with bursts of 4")
	}
	// Another client (a token) has its own allowance.
	if r := ts.do(t, "GET", "/api/v1/network", nil, "Authorization", "Bearer "+ts.Viewer); r.Status != 200 {
		t.Fatalf("a token's first request: %d", r.Status)
	}
}

func TestProbesIgnoreTokensAndBadTokensAreRateLimited(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.PrivateReads = true; c.RateLimit = 3 })
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/openapi.json"} {
		if r := ts.do(t, "GET", path, nil, "Authorization", "Bearer bnl_revoked-or-junk"); r.Status != 200 {
			t.Fatalf("%s with a junk token: %d", path, r.Status)
		}
	}
	page := ts.do(t, "GET", "/", nil, "Authorization", "")
	if page.Status != 200 {
		t.Fatalf("the dashboard page with private reads: %d", page.Status)
	}
	// Made-up tokens do not buy fresh allowances: they count against the
	// address (at 3/s with bursts of 6, the four requests above included).
	limited := false
	for i := 0; i < 10 && !limited; i++ {
		r := ts.do(t, "GET", "/api/v1/runs", nil, "Authorization", fmt.Sprintf("Bearer bnl_guess%d", i))
		switch r.Status {
		case http.StatusTooManyRequests:
			limited = true
		case http.StatusUnauthorized:
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), `Bearer realm="banlie"`) {
				t.Fatalf("401 without WWW-Authenticate: %v", r.Header)
			}
		default:
			t.Fatalf("a made-up token: %d", r.Status)
		}
	}
	if !limited {
		t.Fatal("10 made-up tokens from one address at 3/s were not limited")
	}
}

// A path or method the API does not have answers 404 or 405 (with Allow),
// whatever the token's role: a role has nothing to guard there, and telling
// an operator it needs admin to use a method that does not exist misleads.
func TestUnknownPathsAndMethodsBeforeRoles(t *testing.T) {
	t.Parallel()
	// With private reads, so that an unknown path cannot hide behind a 401.
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.PrivateReads = true })
	for _, c := range []struct {
		method, path string
		want         int
		allow        string
	}{
		{"PUT", "/api/v1/runs/1", 405, "PATCH"},
		{"DELETE", "/api/v1/runs", 405, "POST"},
		{"POST", "/api/v1/runs/", 404, ""},
		{"POST", "/api/v1/anything", 404, ""},
		{"DELETE", "/api/v1/anything/else", 404, ""},
		{"GET", "/api/v1/anything", 404, ""},
		{"GET", "/api/v2/runs", 404, ""},
	} {
		for _, token := range []string{ts.Viewer, ts.Operator, ""} {
			auth := ""
			if token != "" {
				auth = "Bearer " + token
			}
			r := ts.do(t, c.method, c.path, map[string]any{}, "Authorization", auth)
			p := r.problem(t, c.want)
			if c.allow != "" && !strings.Contains(r.Header.Get("Allow"), c.allow) {
				t.Errorf("%s %s: Allow %q, want it to list %s", c.method, c.path, r.Header.Get("Allow"), c.allow)
			}
			if c.allow == "" && r.Header.Get("Allow") != "" {
				t.Errorf("%s %s: Allow %q on a 404", c.method, c.path, r.Header.Get("Allow"))
			}
			if strings.Contains(p.Detail, "role") {
				t.Errorf("%s %s: detail speaks of roles: %q", c.method, c.path, p.Detail)
			}
		}
	}
}
