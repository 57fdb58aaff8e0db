package handlers_test

import (
	"banlie/store"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"banlie/handlers"
	"banlie/models"
	"banlie/web"
)

// The document is loaded, validated and turned into a router once per test
// binary; every exchange of every test is then checked against it.
var openAPI struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadOpenAPI() (*openapi3.T, routers.Router, error) {
	openAPI.once.Do(func() {
		// Error answers are application/problem+json; decode them as JSON.
		openapi3filter.RegisterBodyDecoder("application/problem+json", openapi3filter.JSONBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(handlers.OpenAPI)
		if err != nil {
			openAPI.err = fmt.Errorf("openapi.json does not load: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			openAPI.err = fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
			return
		}
		// The document's server is "/", which matches any host, so the
		// test server's http://127.0.0.1:PORT needs no rewriting.
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			openAPI.err = fmt.Errorf("openapi.json: cannot build a router: %w", err)
			return
		}
		openAPI.doc, openAPI.router = doc, router
	})
	return openAPI.doc, openAPI.router, openAPI.err
}

// validationOptions: a status the document does not list for the operation
// is a failure, and the request is never modified (no defaults filled in).
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
		MultiError:            true,
		AuthenticationFunc:    bearerPresent,
	}
}

// bearerPresent checks a security requirement as far as a document can: the
// scheme is http bearer and the request carries Authorization: Bearer
// <something>. Whether the token is known, and its role, is the server's
// business (its refusals are 401 and 403, which are not validated as requests).
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if s := in.SecurityScheme; s == nil || s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return fmt.Errorf("security scheme %q is not http bearer", in.SecuritySchemeName)
	}
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return fmt.Errorf("security scheme %q: the request has no Authorization: Bearer <token>", in.SecuritySchemeName)
	}
	return nil
}

// validateExchange checks one request and its answer against the OpenAPI
// document. It reports with t.Errorf, so it is safe in a goroutine.
func validateExchange(t testing.TB, req *http.Request, body []byte, res response) {
	t.Helper()
	if err := checkExchange(req, body, res); err != nil {
		t.Errorf("OpenAPI: %s %s answered %d, which the document does not describe:\n%v\nrequest body: %s\nanswer: %s",
			req.Method, req.URL.RequestURI(), res.Status, err, clip(body), clip(res.Body))
	}
}

// checkExchange validates one exchange against the document:
//   - the method and path must be a documented operation, unless the server
//     itself refused an unknown path (404) or method (405), in which case the
//     answer must still be a problem;
//   - the request is validated only when the answer is a success or a
//     redirect (tests send invalid requests on purpose);
//   - the answer is always validated: its status must be documented for the
//     operation, and its headers and body must match.
func checkExchange(req *http.Request, body []byte, res response) error {
	doc, router, err := loadOpenAPI()
	if err != nil {
		return err
	}
	ctx := context.Background()
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.GetBody = nil

	route, pathParams, err := router.FindRoute(r)
	switch {
	case err == nil:
	case errors.Is(err, routers.ErrPathNotFound) && res.Status == http.StatusNotFound,
		errors.Is(err, routers.ErrMethodNotAllowed) && res.Status == http.StatusMethodNotAllowed:
		return checkProblem(doc, res)
	default:
		return fmt.Errorf("%s %s is not a documented operation (%v)", req.Method, req.URL.Path, err)
	}

	opts := validationOptions()
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: pathParams, Route: route, Options: opts}
	if res.Status < 400 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return fmt.Errorf("the server accepted a request the document does not allow: %w", err)
		}
	}

	if req.Method == http.MethodHead {
		return checkHead(route, in, res)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.Status, Header: res.Header, Options: opts,
	}
	out.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	// kin-openapi does not check that an answer documented without content
	// (204) has none.
	if ref := route.Operation.Responses.Status(res.Status); ref != nil && ref.Value != nil &&
		len(ref.Value.Content) == 0 && len(res.Body) > 0 && req.Method != http.MethodHead {
		return fmt.Errorf("answer %d is documented without a body but has %d bytes", res.Status, len(res.Body))
	}
	return nil
}

// checkHead validates an answer to HEAD, which kin-openapi leaves alone: its
// status must be documented for the HEAD operation, it has no body, its
// headers match that operation's, and its Content-Type is one the GET
// operation answers for that status.
func checkHead(route *routers.Route, in *openapi3filter.RequestValidationInput, res response) error {
	if len(res.Body) > 0 {
		return fmt.Errorf("a HEAD answer has %d bytes of body", len(res.Body))
	}
	if res.Status == http.StatusNotModified {
		return nil // as kin-openapi does for GET
	}
	if route.Operation.Responses.Status(res.Status) == nil {
		return fmt.Errorf("answer: status %d is not supported by the HEAD operation", res.Status)
	}
	// Headers: validated as the answer to a GET routed to the HEAD operation.
	asGet := *in
	asGet.Request = in.Request.Clone(in.Request.Context())
	asGet.Request.Method = http.MethodGet
	opts := *in.Options
	opts.ExcludeResponseBody = true
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: &asGet, Status: res.Status, Header: res.Header, Options: &opts}
	out.SetBodyBytes(nil)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	get := route.PathItem.Get
	if get == nil {
		return errors.New("the document declares HEAD on a path without GET")
	}
	ref := get.Responses.Status(res.Status)
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("answer: GET does not document status %d, which HEAD answered", res.Status)
	}
	if len(ref.Value.Content) > 0 {
		if ct := res.Header.Get("Content-Type"); ref.Value.Content.Get(ct) == nil {
			return fmt.Errorf("answer: HEAD answered Content-Type %q, which GET does not answer with %d", ct, res.Status)
		}
	}
	return nil
}

// checkProblem checks an answer to an undocumented path or method: it must be
// a problem+json that matches the Problem schema, with the answer's status.
func checkProblem(doc *openapi3.T, res response) error {
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("answer %d has content type %q, want application/problem+json", res.Status, ct)
	}
	if len(res.Body) == 0 { // HEAD
		return nil
	}
	ref := doc.Components.Schemas["Problem"]
	if ref == nil || ref.Value == nil {
		return errors.New("the document has no Problem schema")
	}
	var v any
	if err := json.Unmarshal(res.Body, &v); err != nil {
		return fmt.Errorf("answer %d is not JSON: %w", res.Status, err)
	}
	if err := ref.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return fmt.Errorf("answer %d is not a Problem: %w", res.Status, err)
	}
	if st, _ := v.(map[string]any)["status"].(float64); int(st) != res.Status {
		return fmt.Errorf("problem status %v, but the answer's status is %d", v.(map[string]any)["status"], res.Status)
	}
	return nil
}

func clip(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// openAPINoJobs is a scheduler without jobs, so that New registers the job routes.
type openAPINoJobs struct{}

func (openAPINoJobs) List(context.Context) ([]models.JobInfo, error) { return []models.JobInfo{}, nil }
func (openAPINoJobs) Trigger(_ context.Context, _ store.Write, name string) (models.JobRun, error) {
	return models.JobRun{}, models.Errorf(models.ENOTFOUND, "no job named %q", name)
}
func (openAPINoJobs) Has(string) bool { return false }

var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// TestOpenAPIDescribesEveryRoute checks both ways that the document's
// operations are exactly the routes the server registers.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc, _, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t)
	// The job routes exist only with a scheduler; the test server has none.
	e := handlers.New(handlers.Config{Store: ts.Store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Web: web.FS(),
		Ready: func(context.Context) error { return nil }, Jobs: openAPINoJobs{}})

	standard := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodTrace, http.MethodConnect}
	registered := map[string]bool{}
	for _, r := range e.Routes() {
		// Echo's internal entries (route-not-found, any) use made-up methods;
		// the dashboard is served as static files under /.
		if !slices.Contains(standard, r.Method) || r.Path == "/*" || r.Path == "/" || r.Path == "/index.html" || r.Path == "/favicon.ico" {
			continue
		}
		path := echoParam.ReplaceAllString(r.Path, "{$1}")
		registered[r.Method+" "+path] = true
		if r.Method == http.MethodGet { // headAsGet answers HEAD wherever GET is
			registered[http.MethodHead+" "+path] = true
		}
	}
	if len(registered) == 0 {
		t.Fatal("the server registers no routes")
	}

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for op := range registered {
		if !documented[op] {
			t.Errorf("the server registers %s, which openapi.json does not document", op)
		}
	}
	for op := range documented {
		if !registered[op] {
			t.Errorf("openapi.json documents %s, which the server does not register", op)
		}
	}
}

// TestOpenAPIServed checks that the server answers the embedded document as is.
func TestOpenAPIServed(t *testing.T) {
	ts := newTestServer(t)
	res := ts.mustDo(t, http.StatusOK, http.MethodGet, "/api/v1/openapi.json", nil)
	if !bytes.Equal(res.Body, handlers.OpenAPI) {
		t.Fatalf("GET /api/v1/openapi.json answered %d bytes that differ from handlers.OpenAPI (%d bytes)", len(res.Body), len(handlers.OpenAPI))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q, want application/json", ct)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(res.Body)
	if err != nil {
		t.Fatalf("the served document does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the served document is not valid: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q, want 3.0.3", doc.OpenAPI)
	}
}

// TestOpenAPIValidationCatchesDrift proves that the validation behind every
// exchange can fail: real answers, altered, must be refused.
func TestOpenAPIValidationCatchesDrift(t *testing.T) {
	ts := newTestServer(t)
	route := map[string]any{
		"code": "SCO-TJ-MOW", "name": "SCO Zone – Tongjiang – Moscow", "mode": "rail",
		"stops": []map[string]any{
			{"name": "Jiaozhou (SCO Zone)", "country": "CN", "role": "origin"},
			{"name": "Moscow", "locode": "RUMOW", "country": "RU", "role": "destination"},
		},
	}
	ts.mustDo(t, http.StatusCreated, http.MethodPost, "/api/v1/routes", route)
	runBody := []byte(`{"route":"SCO-TJ-MOW","number":"X8024","direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00","containers":55,"teu":110}`)
	created := ts.mustDo(t, http.StatusCreated, http.MethodPost, "/api/v1/runs", runBody)
	var run map[string]any
	created.decode(t, &run)
	runPath := fmt.Sprintf("/api/v1/runs/%v", run["id"])
	got := ts.mustDo(t, http.StatusOK, http.MethodGet, runPath, nil)
	headRun := ts.mustDo(t, http.StatusOK, http.MethodHead, runPath, nil)
	summary := ts.mustDo(t, http.StatusOK, http.MethodPost, "/api/v1/summaries/2024-10/generate", nil)
	var sum map[string]any
	summary.decode(t, &sum)
	markdown := ts.mustDo(t, http.StatusOK, http.MethodGet, "/api/v1/summaries/2024-10?format=markdown&lang=en", nil)
	// Access and Idempotency-Key answers, for real.
	denied := ts.do(t, http.MethodPost, "/api/v1/runs", runBody, "Authorization", "")
	forbidden := ts.do(t, http.MethodPost, "/api/v1/runs", runBody, "Authorization", "Bearer "+ts.Viewer)
	if denied.Status != http.StatusUnauthorized || forbidden.Status != http.StatusForbidden {
		t.Fatalf("without a token %d, with a viewer token %d; want 401 and 403", denied.Status, forbidden.Status)
	}
	keyedBody := []byte(`{"route":"SCO-TJ-MOW","number":"X8026","direction":"outbound","departed_at":"2024-10-14T09:30:00+08:00","containers":50,"teu":100}`)
	ts.do(t, http.MethodPost, "/api/v1/runs", keyedBody, "Idempotency-Key", "drift-1")
	replayed := ts.do(t, http.MethodPost, "/api/v1/runs", keyedBody, "Idempotency-Key", "drift-1")
	if replayed.Status != http.StatusCreated || replayed.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a retry with the same Idempotency-Key answered %d, Idempotent-Replayed %q", replayed.Status, replayed.Header.Get("Idempotent-Replayed"))
	}
	auditPage := ts.mustDo(t, http.StatusOK, http.MethodGet, "/api/v1/audit?entity=run", nil)
	var audit map[string]any
	auditPage.decode(t, &audit)
	entries, _ := audit["items"].([]any)
	if len(entries) == 0 {
		t.Fatal("the audit log lists no write to a run")
	}
	entry, _ := entries[0].(map[string]any)

	request := func(method, path string, body []byte) *http.Request {
		req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		// As ts.do sends them: with the admin token.
		req.Header.Set("Authorization", "Bearer "+ts.Admin)
		return req
	}
	anonymous := func(req *http.Request) *http.Request {
		req.Header.Del("Authorization")
		return req
	}
	withHeader := func(req *http.Request, name, value string) *http.Request {
		req.Header.Set(name, value)
		return req
	}
	without := func(m map[string]any, field string) []byte {
		c := map[string]any{}
		for k, v := range m {
			if k != field {
				c[k] = v
			}
		}
		b, _ := json.Marshal(c)
		return b
	}
	with := func(m map[string]any, field string, v any) []byte {
		c := map[string]any{field: v}
		for k, v := range m {
			if k != field {
				c[k] = v
			}
		}
		b, _ := json.Marshal(c)
		return b
	}
	var run0 map[string]any
	if err := json.Unmarshal(runBody, &run0); err != nil {
		t.Fatal(err)
	}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	problemHeader := http.Header{"Content-Type": {"application/problem+json"}}
	problem404 := []byte(`{"type":"about:blank","title":"Not Found","status":404,"detail":"Not Found","errors":[]}`)
	problem429 := []byte(`{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"too many requests; retry after 1 s","errors":[]}`)
	headerWith := func(h http.Header, name, value string) http.Header {
		c := h.Clone()
		if value == "" {
			c.Del(name)
		} else {
			c.Set(name, value)
		}
		return c
	}
	// A PATCH answers the run alone; a GET adds where it is.
	var patched map[string]any
	if err := json.Unmarshal(got.Body, &patched); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"position", "eta", "eta_basis", "transit_days"} {
		delete(patched, k)
	}
	patchedBody, _ := json.Marshal(patched)
	auditWith := func(field string, v any, drop bool) []byte {
		e := map[string]any{}
		for k, x := range entry {
			if !drop || k != field {
				e[k] = x
			}
		}
		if !drop {
			e[field] = v
		}
		b, _ := json.Marshal(map[string]any{"items": []any{e}, "next_cursor": nil})
		return b
	}

	cases := []struct {
		name     string
		req      *http.Request
		body     []byte
		res      response
		wantFail string // a fragment of the error; empty: must pass
	}{
		{"real run answer", request("GET", runPath, nil), nil,
			response{200, got.Header, got.Body}, ""},
		{"real create answer", request("POST", "/api/v1/runs", runBody), runBody,
			response{201, created.Header, created.Body}, ""},
		{"required field missing", request("GET", runPath, nil), nil,
			response{200, jsonHeader, without(run, "cargo")}, "cargo"},
		{"undocumented field", request("GET", runPath, nil), nil,
			response{200, jsonHeader, with(run, "counted", true)}, "counted"},
		{"null where no null is allowed", request("GET", runPath, nil), nil,
			response{200, jsonHeader, with(run, "number", nil)}, "number"},
		{"value outside the enum", request("GET", runPath, nil), nil,
			response{200, jsonHeader, with(run, "status", "lost")}, "status"},
		{"undocumented status", request("GET", runPath, nil), nil,
			response{418, problemHeader, []byte(`{"type":"about:blank","title":"I'm a teapot","status":418,"detail":"","errors":[]}`)}, "status is not supported"},
		{"error answer as plain JSON", request("GET", "/api/v1/runs/999", nil), nil,
			response{404, jsonHeader, problem404}, "Content-Type"},
		{"problem without errors", request("GET", "/api/v1/runs/999", nil), nil,
			response{404, problemHeader, []byte(`{"type":"about:blank","title":"Not Found","status":404,"detail":"Not Found"}`)}, "errors"},
		{"create without Location", request("POST", "/api/v1/runs", runBody), runBody,
			response{201, jsonHeader, created.Body}, "Location"},
		{"body on a 204", request("DELETE", runPath, nil), nil,
			response{204, http.Header{}, []byte(`{}`)}, "without a body"},
		{"accepted request the document refuses", request("POST", "/api/v1/runs", []byte(`{"route":"SCO-TJ-MOW","extra":1}`)), []byte(`{"route":"SCO-TJ-MOW","extra":1}`),
			response{201, created.Header, created.Body}, "extra"},
		{"refused request is not checked", request("POST", "/api/v1/runs", []byte(`{"extra":1}`)), []byte(`{"extra":1}`),
			response{400, problemHeader, []byte(`{"type":"about:blank","title":"Bad Request","status":400,"detail":"extra is not a field of this resource","errors":[{"field":"extra","message":"extra is not a field of this resource","code":"unknown_field","params":{}}]}`)}, ""},
		{"field error without a code", request("POST", "/api/v1/runs", []byte(`{"extra":1}`)), []byte(`{"extra":1}`),
			response{400, problemHeader, []byte(`{"type":"about:blank","title":"Bad Request","status":400,"detail":"extra is not a field of this resource","errors":[{"field":"extra","message":"extra is not a field of this resource","params":{}}]}`)}, "code"},
		{"field error with an undocumented code", request("POST", "/api/v1/runs", []byte(`{"extra":1}`)), []byte(`{"extra":1}`),
			response{400, problemHeader, []byte(`{"type":"about:blank","title":"Bad Request","status":400,"detail":"extra is not a field of this resource","errors":[{"field":"extra","message":"extra is not a field of this resource","code":"extra","params":{}}]}`)}, "code"},
		{"field error without params", request("POST", "/api/v1/runs", []byte(`{"extra":1}`)), []byte(`{"extra":1}`),
			response{400, problemHeader, []byte(`{"type":"about:blank","title":"Bad Request","status":400,"detail":"extra is not a field of this resource","errors":[{"field":"extra","message":"extra is not a field of this resource","code":"unknown_field"}]}`)}, "params"},
		{"undocumented path answered", request("GET", "/api/v1/no-such-resource?year=2024", nil), nil,
			response{200, jsonHeader, []byte(`{}`)}, "not a documented operation"},
		{"undocumented path refused", request("GET", "/api/v1/no-such-resource", nil), nil,
			response{404, problemHeader, problem404}, ""},
		{"undocumented method answered", request("PUT", runPath, []byte(`{}`)), []byte(`{}`),
			response{200, jsonHeader, got.Body}, "not a documented operation"},
		{"undocumented path refused without a problem", request("GET", "/api/v1/no-such-resource", nil), nil,
			response{404, jsonHeader, problem404}, "problem+json"},
		{"real summary answer", request("POST", "/api/v1/summaries/2024-10/generate", nil), nil,
			response{200, summary.Header, summary.Body}, ""},
		{"real markdown summary", request("GET", "/api/v1/summaries/2024-10?format=markdown&lang=en", nil), nil,
			response{200, markdown.Header, markdown.Body}, ""},
		{"summary figures incomplete", request("GET", "/api/v1/summaries/2024-10", nil), nil,
			response{200, jsonHeader, with(sum, "figures", map[string]any{"period": "2024-10"})}, "month"},
		{"summary text null", request("GET", "/api/v1/summaries/2024-10", nil), nil,
			response{200, jsonHeader, with(sum, "text_en", nil)}, "text_en"},
		{"markdown summary as plain text", request("GET", "/api/v1/summaries/2024-10?format=markdown", nil), nil,
			response{200, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, markdown.Body}, "Content-Type"},
		{"summary format outside the enum accepted", request("GET", "/api/v1/summaries/2024-10?format=pdf", nil), nil,
			response{200, summary.Header, summary.Body}, "format"},
		{"PATCH null for a field that cannot be empty accepted", request("PATCH", runPath, []byte(`{"number":null}`)), []byte(`{"number":null}`),
			response{200, got.Header, got.Body}, "number"},
		{"null for a nullable reference accepted", request("POST", "/api/v1/runs", with(run0, "status", nil)), with(run0, "status", nil),
			response{201, created.Header, created.Body}, ""},
		{"nullable reference still holds to its enum", request("POST", "/api/v1/runs", with(run0, "status", "lost")), with(run0, "status", "lost"),
			response{201, created.Header, created.Body}, "status"},
		{"PATCH null clearing a nullable field", request("PATCH", runPath, []byte(`{"cargo":null}`)), []byte(`{"cargo":null}`),
			response{200, got.Header, patchedBody}, ""},
		{"write accepted without a token", anonymous(request("POST", "/api/v1/runs", runBody)), runBody,
			response{201, created.Header, created.Body}, "Authorization: Bearer"},
		{"read without a token", anonymous(request("GET", runPath, nil)), nil,
			response{200, got.Header, got.Body}, ""},
		{"real 401 answer", anonymous(request("POST", "/api/v1/runs", runBody)), runBody,
			response{401, denied.Header, denied.Body}, ""},
		{"401 challenging another scheme", anonymous(request("POST", "/api/v1/runs", runBody)), runBody,
			response{401, headerWith(denied.Header, "WWW-Authenticate", `Basic realm="banlie"`), denied.Body}, "WWW-Authenticate"},
		{"real 403 answer", request("POST", "/api/v1/runs", runBody), runBody,
			response{403, forbidden.Header, forbidden.Body}, ""},
		{"403 on a read", request("GET", runPath, nil), nil,
			response{403, forbidden.Header, forbidden.Body}, "status is not supported"},
		{"429 answer", request("GET", runPath, nil), nil,
			response{429, headerWith(problemHeader, "Retry-After", "1"), problem429}, ""},
		{"429 without Retry-After", request("GET", runPath, nil), nil,
			response{429, problemHeader, problem429}, "Retry-After"},
		{"real replayed create", withHeader(request("POST", "/api/v1/runs", keyedBody), "Idempotency-Key", "drift-1"), keyedBody,
			response{201, replayed.Header, replayed.Body}, ""},
		{"Idempotent-Replayed other than true", withHeader(request("POST", "/api/v1/runs", keyedBody), "Idempotency-Key", "drift-1"), keyedBody,
			response{201, headerWith(replayed.Header, "Idempotent-Replayed", "yes"), replayed.Body}, "Idempotent-Replayed"},
		{"Idempotency-Key over 255 characters accepted", withHeader(request("POST", "/api/v1/runs", runBody), "Idempotency-Key", strings.Repeat("k", 256)), runBody,
			response{201, created.Header, created.Body}, "Idempotency-Key"},
		{"real HEAD answer", request("HEAD", runPath, nil), nil,
			response{headRun.Status, headRun.Header, headRun.Body}, ""},
		{"HEAD answer with a body", request("HEAD", runPath, nil), nil,
			response{200, headRun.Header, got.Body}, "body"},
		{"HEAD answer in a type GET does not answer", request("HEAD", runPath, nil), nil,
			response{200, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, nil}, "Content-Type"},
		{"HEAD answered with an undocumented status", request("HEAD", runPath, nil), nil,
			response{403, problemHeader, nil}, "not supported"},
		{"HEAD 429 without Retry-After", request("HEAD", runPath, nil), nil,
			response{429, problemHeader, nil}, "Retry-After"},
		{"HEAD where there is no GET", request("HEAD", "/api/v1/runs/import", nil), nil,
			response{200, jsonHeader, nil}, "not a documented operation"},
		{"real audit page", request("GET", "/api/v1/audit?entity=run", nil), nil,
			response{200, auditPage.Header, auditPage.Body}, ""},
		{"audit answered without a token", anonymous(request("GET", "/api/v1/audit", nil)), nil,
			response{200, auditPage.Header, auditPage.Body}, "Authorization: Bearer"},
		{"audit entry without request_id", request("GET", "/api/v1/audit", nil), nil,
			response{200, jsonHeader, auditWith("request_id", nil, true)}, "request_id"},
		{"audit entry with a null actor", request("GET", "/api/v1/audit", nil), nil,
			response{200, jsonHeader, auditWith("actor", nil, false)}, "actor"},
		{"audit entry with before null", request("GET", "/api/v1/audit", nil), nil,
			response{200, jsonHeader, auditWith("before", nil, false)}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkExchange(c.req, c.body, c.res)
			switch {
			case c.wantFail == "" && err != nil:
				t.Fatalf("refused a valid exchange: %v", err)
			case c.wantFail != "" && err == nil:
				t.Fatalf("accepted an exchange that should fail on %q", c.wantFail)
			case c.wantFail != "" && !strings.Contains(err.Error(), c.wantFail):
				t.Fatalf("failed, but not on %q: %v", c.wantFail, err)
			}
		})
	}
}

// TestOpenAPIHeadMirrorsGet: every GET has a HEAD operation that takes the
// same parameters and security and answers the same statuses with the same
// headers, without a body; there is no HEAD without a GET.
func TestOpenAPIHeadMirrorsGet(t *testing.T) {
	doc, _, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		get, head := item.Get, item.Head
		switch {
		case get == nil && head == nil:
			continue
		case get == nil:
			t.Errorf("HEAD %s is declared, but GET is not (HEAD is answered as GET)", path)
			continue
		case head == nil:
			t.Errorf("GET %s is declared without its HEAD operation", path)
			continue
		}
		same := func(what string, a, b any) {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if !bytes.Equal(ja, jb) {
				t.Errorf("%s: HEAD's %s differ from GET's:\nGET  %s\nHEAD %s", path, what, ja, jb)
			}
		}
		same("parameters", get.Parameters, head.Parameters)
		same("security", get.Security, head.Security)
		same("tags", get.Tags, head.Tags)
		for status, g := range get.Responses.Map() {
			h := head.Responses.Value(status)
			if h == nil {
				t.Errorf("%s: GET answers %s, HEAD does not declare it", path, status)
				continue
			}
			if len(h.Value.Content) > 0 {
				t.Errorf("%s: HEAD's %s declares a body", path, status)
			}
			same(status+" headers", g.Value.Headers, h.Value.Headers)
		}
		for status := range head.Responses.Map() {
			if get.Responses.Value(status) == nil {
				t.Errorf("%s: HEAD declares %s, which GET does not answer", path, status)
			}
		}
	}
}
