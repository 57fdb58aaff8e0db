package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"banlie/handlers"
	"banlie/web"
)

// dashboardPaths are the dashboard's routes, which the API document leaves out.
var dashboardPaths = []string{"/", "/index.html", "/favicon.ico", "/*"}

// TestEveryRouteHasItsPolicy checks that the server registers exactly the
// endpoint table's routes, so that none answers without a declared policy,
// with and without the routes that depend on the configuration (the jobs'
// and the dashboard's).
func TestEveryRouteHasItsPolicy(t *testing.T) {
	ts := newTestServer(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ready := func(context.Context) error { return nil }
	for _, c := range []struct {
		name     string
		cfg      handlers.Config
		optional bool // the jobs' and the dashboard's routes are registered
	}{
		{"with a scheduler and the dashboard", handlers.Config{Store: ts.Store, Log: log, Ready: ready, Web: web.FS(), Jobs: openAPINoJobs{}}, true},
		{"without", handlers.Config{Store: ts.Store, Log: log, Ready: ready}, false},
	} {
		e, policies := handlers.NewWithPolicies(c.cfg)
		declared := map[string]bool{}
		for _, p := range policies {
			declared[p.Method+" "+p.Path] = true
		}
		registered := map[string]bool{}
		for _, r := range e.Routes() {
			op := r.Method + " " + r.Path
			registered[op] = true
			if !declared[op] {
				t.Errorf("%s: %s is registered, but the endpoint table has no entry for it", c.name, op)
			}
		}
		for op := range declared {
			if !registered[op] {
				t.Errorf("%s: the endpoint table lists %s, which the server does not register", c.name, op)
			}
		}
		for _, op := range []string{"POST /api/v1/jobs/:name/run", "GET /*"} {
			if registered[op] != c.optional {
				t.Errorf("%s: %s registered: %v", c.name, op, registered[op])
			}
		}
		if !registered["GET /api/v1/runs"] {
			t.Errorf("%s: GET /api/v1/runs is not registered", c.name)
		}
	}
}

// TestPoliciesMatchOpenAPI checks each endpoint's declared access and
// idempotency against its operation in openapi.json: the security
// requirements (whether a token is needed, or accepted), the 401 and 403
// answers, the role the description names, and the Idempotency-Key
// parameter; and that the query parameters the server takes are the
// operation's (read here with kin-openapi, which resolves $refs itself),
// HEAD's those of GET. An endpoint with no operation fails, unless it is
// one of the dashboard's pages. (The document states ETags for all GETs at
// once, not per operation.)
func TestPoliciesMatchOpenAPI(t *testing.T) {
	doc, _, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t)
	_, policies := handlers.NewWithPolicies(handlers.Config{Store: ts.Store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready: func(context.Context) error { return nil }, Web: web.FS(), Jobs: openAPINoJobs{}})
	checked := 0
	for _, p := range policies {
		name := p.Method + " " + p.Path
		var op *openapi3.Operation
		if item := doc.Paths.Value(echoParam.ReplaceAllString(p.Path, "{$1}")); item != nil {
			op = item.GetOperation(p.Method)
		}
		if op == nil {
			if !slices.Contains(dashboardPaths, p.Path) {
				t.Errorf("%s: no operation in openapi.json", name)
			} else if p.Access != "anyone" || !p.OwnQuery {
				t.Errorf("%s: the dashboard's files are for anyone (not %s) and keep their own query (%v)", name, p.Access, p.OwnQuery)
			}
			continue
		}
		checked++
		item := doc.Paths.Value(echoParam.ReplaceAllString(p.Path, "{$1}"))
		if want := docQuery(item, op); p.OwnQuery || !slices.Equal(p.Query, want) {
			t.Errorf("%s takes the query parameters %q (own query: %v); the document declares %q", name, p.Query, p.OwnQuery, want)
		}
		if p.Method == http.MethodGet {
			if item.Head == nil {
				t.Errorf("%s: no HEAD operation beside it", name)
			} else if head := docQuery(item, item.Head); !slices.Equal(head, p.Query) {
				t.Errorf("HEAD %s declares the query parameters %q, GET %q: HEAD is answered as GET", p.Path, head, p.Query)
			}
		}
		security := doc.Security
		if op.Security != nil {
			security = *op.Security
		}
		anonymous, bearer := false, false
		for _, req := range security {
			if len(req) == 0 {
				anonymous = true
			}
			if _, ok := req["bearer"]; ok {
				bearer = true
			}
		}
		has := func(status int) bool { return op.Responses.Status(status) != nil }
		switch p.Access {
		case "anyone":
			// No role, and tokens are not looked at: never 401 or 403.
			if !anonymous || has(http.StatusUnauthorized) || has(http.StatusForbidden) {
				t.Errorf("%s is for anyone, but the document's security is %v, with 401 %v and 403 %v",
					name, securityNames(security), has(http.StatusUnauthorized), has(http.StatusForbidden))
			}
		case "readers":
			// No token, or (private reads) one of any role: 401, never 403.
			if !anonymous || !bearer || !has(http.StatusUnauthorized) || has(http.StatusForbidden) {
				t.Errorf("%s is for readers, but the document's security is %v, with 401 %v and 403 %v",
					name, securityNames(security), has(http.StatusUnauthorized), has(http.StatusForbidden))
			}
		case "operators", "admins":
			if anonymous || !bearer || !has(http.StatusUnauthorized) || !has(http.StatusForbidden) {
				t.Errorf("%s is for %s, but the document's security is %v, with 401 %v and 403 %v",
					name, p.Access, securityNames(security), has(http.StatusUnauthorized), has(http.StatusForbidden))
			}
			// The security requirement cannot tell the roles apart; the
			// description says which one is needed.
			role := map[string]string{"operators": "Needs a token with role operator or admin", "admins": "Needs a token with role admin"}[p.Access]
			if !strings.Contains(op.Description, role) {
				t.Errorf("%s is for %s, but its description does not say %q", name, p.Access, role)
			}
		default:
			t.Errorf("%s: access %q", name, p.Access)
		}
		documented := false
		for _, param := range op.Parameters {
			if param.Value != nil && param.Value.In == openapi3.ParameterInHeader && param.Value.Name == "Idempotency-Key" {
				documented = true
			}
		}
		if documented != p.Idempotent {
			t.Errorf("%s: honours Idempotency-Key %v, the document says %v", name, p.Idempotent, documented)
		}
	}
	if checked == 0 {
		t.Fatal("no endpoint was checked against the document")
	}
}

// docQuery is the names of the query parameters of op, an operation of
// item, sorted.
func docQuery(item *openapi3.PathItem, op *openapi3.Operation) []string {
	out := []string{}
	for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery && !slices.Contains(out, p.Value.Name) {
				out = append(out, p.Value.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestEveryOperationAnswers400: any operation refuses a query parameter it
// does not declare, or a query string that does not parse, so each
// documents the 400.
func TestEveryOperationAnswers400(t *testing.T) {
	doc, _, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Responses.Status(http.StatusBadRequest) == nil {
				t.Errorf("%s %s does not document 400", method, path)
			}
		}
	}
}

func securityNames(s openapi3.SecurityRequirements) []string {
	out := []string{}
	for _, req := range s {
		if len(req) == 0 {
			out = append(out, "none")
		}
		for name := range req {
			out = append(out, name)
		}
	}
	return out
}
