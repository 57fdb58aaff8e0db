package handlers_test

import (
	"banlie/store"
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"banlie/handlers"
	"banlie/models"
)

// checkFieldErrors fails unless every entry has a documented code and the
// params that code always carries.
func checkFieldErrors(t *testing.T, what string, errs []models.FieldError) {
	t.Helper()
	for _, fe := range errs {
		i := slices.IndexFunc(models.FieldCodes, func(c models.FieldCode) bool { return c.Code == fe.Code })
		if i < 0 {
			t.Errorf("%s: %s has the undocumented code %q (%s)", what, fe.Field, fe.Code, fe.Message)
			continue
		}
		if fe.Params == nil {
			t.Errorf("%s: %s (%s) has no params", what, fe.Field, fe.Code)
		}
		for _, need := range models.FieldCodes[i].Requires {
			if !slices.ContainsFunc(strings.Split(need, "|"), func(k string) bool { _, ok := fe.Params[k]; return ok }) {
				t.Errorf("%s: %s (%s) lacks the param %s: %v", what, fe.Field, fe.Code, need, fe.Params)
			}
		}
		if a, ok := fe.Params["allowed"]; ok {
			if l := reflect.ValueOf(a); l.Kind() != reflect.Slice || l.Len() == 0 {
				t.Errorf("%s: %s (%s): allowed is %v, not a list", what, fe.Field, fe.Code, a)
			}
		}
		if fe.Message == "" {
			t.Errorf("%s: %s (%s) has no message", what, fe.Field, fe.Code)
		}
	}
}

// TestFieldErrorCodes sends bad requests of every kind and checks that each
// entry of every answer's errors has a documented code and its params: the
// codes named are there, and every documented code is met at least once.
func TestFieldErrorCodes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	run := createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1520))
	var target struct{ ID int64 }
	ts.mustDo(t, 201, "POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{}, "value": 5, "label": "t"}).decode(t, &target)

	with := func(b map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range b {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	good := runBody("SCO-TJ-MOW", "X9000", "2024-10-13T09:30:00+08:00")
	stops := func(n int) []map[string]any {
		out := []map[string]any{{"name": "A", "country": "CN", "role": "origin"}}
		for len(out) < n-1 {
			out = append(out, map[string]any{"name": "B", "country": "RU", "role": "transit"})
		}
		return append(out, map[string]any{"name": "C", "country": "RU", "role": "destination"})
	}
	runPath := fmt.Sprintf("/api/v1/runs/%d", run.ID)
	csvHeader := []string{"Content-Type", "text/csv", "Authorization", "Bearer " + ts.Operator}

	cases := []struct {
		name         string
		method, path string
		body         any
		header       []string
		status       int
		want         []string // "field code" pairs that must be among the errors
	}{
		{"run create", "POST", "/api/v1/runs", with(good, "route", "NOPE", "number", strings.Repeat("9", 33), "direction", "west",
			"status", "lost", "departed_at", "12 Oct", "containers", 600, "teu", 2000, "cargo", "a\x00b",
			"container_numbers", []string{"CSQU3054384", "CSQU305438", "MSKU9070323", "MSKU9070323"}), nil, 422,
			[]string{"route not_found", "number too_long", "direction invalid_value", "status invalid_value", "departed_at invalid_format",
				"containers out_of_range", "teu out_of_range", "cargo invalid_text", "container_numbers[0] check_digit",
				"container_numbers[1] invalid_format", "container_numbers[3] duplicate"}},
		{"run create, relations", "POST", "/api/v1/runs", with(good, "number", "", "status", "arrived", "arrived_at", nil,
			"containers", 1, "teu", 3, "container_numbers", []string{"CSQU3054383", "MSKU9070323"}), nil, 422,
			[]string{"number required", "arrived_at required", "teu out_of_range", "container_numbers too_many"}},
		{"run create, order and years", "POST", "/api/v1/runs", with(good, "arrived_at", "2024-10-12T09:30:00+08:00", "number", "X\nY"), nil, 422,
			[]string{"arrived_at order", "number invalid_text"}},
		{"run create, year range", "POST", "/api/v1/runs", with(good, "departed_at", "1960-01-01T00:00:00Z"), nil, 422,
			[]string{"departed_at out_of_range"}},
		{"run create, no departure", "POST", "/api/v1/runs", with(good, "departed_at", ""), nil, 422, []string{"departed_at required"}},
		{"run create, bad JSON types", "POST", "/api/v1/runs", `{"route":1,"teu":2.5,"extra":true,"stops":null}`, nil, 400,
			[]string{"route invalid_format", "teu invalid_format", "extra unknown_field", "stops unknown_field"}},
		{"run create, a member twice", "POST", "/api/v1/runs", `{"route":"A","route":"B"}`, nil, 400, []string{"route duplicate_key"}},
		{"run create, twice", "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8024", "2024-10-12T10:30:00+08:00"), nil, 409, []string{"number conflict"}},
		{"run create, a box on another train", "POST", "/api/v1/runs", with(good, "container_numbers", run.ContainerNumbers), nil, 409, []string{"container_numbers conflict"}},
		{"run create, 415", "POST", "/api/v1/runs", good, []string{"Content-Type", "text/plain"}, 415, []string{"Content-Type invalid_value"}},
		{"run create, 415 charset", "POST", "/api/v1/runs", good, []string{"Content-Type", "application/json; charset=latin1"}, 415, []string{"Content-Type invalid_value"}},
		{"run create, Idempotency-Key", "POST", "/api/v1/runs", good, []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, []string{"Idempotency-Key invalid_format"}},
		{"run patch", "PATCH", runPath, map[string]any{"status": "", "arrived_at": "soon", "teu": nil, "id": 3}, nil, 400,
			[]string{"teu invalid_format", "id unknown_field"}},
		{"run patch, values", "PATCH", runPath, map[string]any{"status": "", "arrived_at": "soon"}, nil, 422,
			[]string{"status invalid_value", "arrived_at invalid_format"}},
		{"run patch, a member twice", "PATCH", runPath, `{"teu":1,"TEU":2}`, nil, 400, []string{"TEU duplicate_key"}},
		{"run 404", "GET", "/api/v1/runs/999", nil, nil, 404, nil},
		{"route create", "POST", "/api/v1/routes", map[string]any{"code": "bad code", "name": "", "mode": "ship", "opened_on": "2024-13-01",
			"stops": []map[string]any{{"name": "A", "country": "XX", "locode": "CNQIN", "role": "start"}}, "tags": []string{"\u200b"}}, nil, 422,
			[]string{"code invalid_format", "name required", "mode invalid_value", "opened_on invalid_format", "stops too_few",
				"stops[0].country invalid_format", "stops[0].role invalid_value", "tags[0] invalid_text"}},
		{"route create, stops", "POST", "/api/v1/routes", with(routeBody("SCO-X"), "stops", []map[string]any{
			{"name": "A", "country": "CN", "locode": "RUMOW", "role": "border"},
			{"name": "B", "country": "RU", "locode": "KXALA", "role": "origin"},
			{"name": "C", "country": "RU", "locode": "RUMO1", "role": "transit"}}), nil, 422,
			[]string{"stops[0].locode invalid_format", "stops[0].role invalid_value", "stops[1].locode invalid_format",
				"stops[1].role invalid_value", "stops[2].locode invalid_format", "stops[2].role invalid_value"}},
		{"route create, long lists", "POST", "/api/v1/routes", with(routeBody("SCO-Y"), "stops", stops(51), "tags", make([]string, 21)), nil, 422,
			[]string{"stops too_many", "tags too_many"}},
		{"route patch", "PATCH", "/api/v1/routes/SCO-TJ-MOW", map[string]any{"code": "SCO-NEW"}, nil, 422, []string{"code read_only"}},
		{"route create, twice", "POST", "/api/v1/routes", routeBody("SCO-TJ-MOW"), nil, 409, nil},
		{"sea-rail create", "POST", "/api/v1/sea-rail-counts", map[string]any{"date": "", "port": "", "direction": "in", "note": "a\x07"}, nil, 422,
			[]string{"date required", "port required", "direction invalid_value", "teu required", "note invalid_text"}},
		{"sea-rail create, values", "POST", "/api/v1/sea-rail-counts", map[string]any{"date": "2024-02-30", "port": "CNQIN", "direction": "import", "teu": -1}, nil, 422,
			[]string{"date invalid_format", "teu out_of_range"}},
		{"sea-rail create, unknown port", "POST", "/api/v1/sea-rail-counts", map[string]any{"date": "2024-02-30", "port": "Qindao", "direction": "import", "teu": 1}, nil, 422,
			[]string{"date invalid_format", "port unknown_port"}},
		{"port create", "POST", "/api/v1/ports", map[string]any{"code": "XX123", "name_en": "", "name_zh": "日照港", "aliases": []string{"CNQIN", "cnqin", "CN1"}}, nil, 422,
			[]string{"code invalid_format", "name_en required", "aliases[1] duplicate", "aliases[2] invalid_format"}},
		{"port merge, unknown", "POST", "/api/v1/ports/CNRZH/merge", map[string]any{"into": "CNXXX"}, nil, 422, []string{"into unknown_port"}},
		{"webhook create", "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"run.created", "nope"}}, nil, 422,
			[]string{"url private_address", "events[1] invalid_value"}},
		{"sea-rail create, twice", "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1), nil, 409, []string{"date conflict"}},
		{"target create", "POST", "/api/v1/targets", map[string]any{"year": 1999, "metric": "trains", "scope": map[string]any{"mode": "rail", "route": "SCO-TJ-MOW"},
			"value": 0, "label": strings.Repeat("x", 201)}, nil, 422,
			[]string{"year out_of_range", "metric invalid_value", "scope exclusive", "value out_of_range", "label too_long"}},
		{"target create, scopes", "POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "sea_rail_teu", "scope": map[string]any{"mode": "rail"}, "value": 1}, nil, 422,
			[]string{"scope invalid_value"}},
		{"target create, scope mode", "POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{"mode": "ship"}, "value": 1}, nil, 422,
			[]string{"scope.mode invalid_value"}},
		{"target create, scope route", "POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "runs", "scope": map[string]any{"route": "NOPE"}, "value": 1}, nil, 422,
			[]string{"scope.route not_found"}},
		{"target progress", "GET", fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2023-12-31", target.ID), nil, nil, 422, []string{"as_of order"}},
		{"summary of a month not ended", "POST", "/api/v1/summaries/2026-11/generate", nil, nil, 422, []string{"period order"}},
		{"summary of a year without figures", "POST", "/api/v1/summaries/2019-01/generate", nil, nil, 422, []string{"period no_data"}},
		{"query enum", "GET", "/api/v1/runs?status=lost", nil, nil, 400, []string{"status invalid_value"}},
		{"query bool", "GET", "/api/v1/runs?counted=maybe", nil, nil, 400, []string{"counted invalid_value"}},
		{"query date", "GET", "/api/v1/runs?from=yesterday", nil, nil, 400, []string{"from invalid_format"}},
		{"query range", "GET", "/api/v1/runs?from=2024-10-10&to=2024-10-01", nil, nil, 400, []string{"to order"}},
		{"query limit", "GET", "/api/v1/runs?limit=x", nil, nil, 400, []string{"limit invalid_format"}},
		{"query limit range", "GET", "/api/v1/runs?limit=0", nil, nil, 400, []string{"limit out_of_range"}},
		{"query cursor", "GET", "/api/v1/runs?cursor=nonsense", nil, nil, 400, []string{"cursor invalid_format"}},
		{"query year", "GET", "/api/v1/totals/monthly?year=twenty", nil, nil, 400, []string{"year invalid_format"}},
		{"query year range", "GET", "/api/v1/totals/monthly?year=1066", nil, nil, 400, []string{"year out_of_range"}},
		{"query scope", "GET", "/api/v1/totals/monthly?route=SCO-TJ-MOW&mode=rail", nil, nil, 400, []string{"mode exclusive"}},
		{"query through", "GET", "/api/v1/totals/yearly?through=2024", nil, nil, 400, []string{"through invalid_format"}},
		{"query through year", "GET", "/api/v1/totals/yearly?year=2024&through=2023-10", nil, nil, 400, []string{"through out_of_range"}},
		{"query string", "GET", "/api/v1/runs?a=1;b=2", nil, nil, 400, nil},
		{"query parameter unknown", "GET", "/api/v1/runs?rout=SCO-TJ-MOW", nil, nil, 400, []string{"rout unknown_parameter"}},
		{"query parameter unknown, none taken", "GET", runPath + "?x=1", nil, nil, 400, []string{"x unknown_parameter"}},
		{"query number", "GET", "/api/v1/runs?number=" + strings.Repeat("9", 65), nil, nil, 400, []string{"number too_long"}},
		{"query container", "GET", "/api/v1/runs?container=CSQU305438", nil, nil, 400, []string{"container invalid_format"}},
		{"container path", "GET", "/api/v1/containers/CSQU3054384", nil, nil, 400, []string{"number check_digit"}},
		{"container 404", "GET", "/api/v1/containers/CSQU3054383", nil, nil, 404, nil},
		{"CSV import", "POST", "/api/v1/runs/import", csvHead +
			"SCO-TJ-MOW,X9001,west,2024-10-14T09:30:00+08:00,,,x,,,\n" +
			"SCO-TJ-MOW,X9002,outbound,2024-10-14T09:30:00+08:00,,,,,,,extra\n" +
			"SCO-TJ-MOW,X8024,outbound,2024-10-12T11:30:00+08:00,,,5,10,,\n" +
			"\"SCO-TJ-MOW,X9003\n", csvHeader, 422,
			[]string{"line 2: direction invalid_value", "line 2: containers invalid_format", "line 3 too_many", "line 4 conflict", "line 5 invalid_format"}},
		{"CSV import, 415", "POST", "/api/v1/runs/import", csvHead, []string{"Content-Type", "application/xml"}, 415, []string{"Content-Type invalid_value"}},
		{"401", "POST", "/api/v1/runs", good, []string{"Authorization", "Bearer nonsense"}, 401, nil},
		{"403", "POST", "/api/v1/runs", good, []string{"Authorization", "Bearer " + ts.Viewer}, 403, nil},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		r := ts.do(t, c.method, c.path, c.body, c.header...)
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			continue
		}
		p := r.problem(t, c.status)
		checkFieldErrors(t, c.name, p.Errors)
		got := []string{}
		for _, fe := range p.Errors {
			got = append(got, fe.Field+" "+fe.Code)
			seen[fe.Code] = true
		}
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: no %q among the errors %q", c.name, w, got)
			}
		}
	}

	// The same Idempotency-Key with another body.
	key := []string{"Idempotency-Key", "codes-1"}
	ts.mustDo(t, 201, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X9100", "2024-10-15T09:30:00+08:00"), key...)
	p := ts.do(t, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X9101", "2024-10-15T09:30:00+08:00"), key...).problem(t, 422)
	checkFieldErrors(t, "Idempotency-Key reused", p.Errors)
	if len(p.Errors) != 1 || p.Errors[0].Code != models.CodeConflict || p.Errors[0].Params["resource"] != "idempotency_key" {
		t.Errorf("Idempotency-Key reused: errors %+v", p.Errors)
	}

	// Tokens are made on the command line; their field errors are the store's.
	_, _, err := ts.Store.CreateToken(context.Background(), store.System, "", "owner")
	var e *models.Error
	if !errors.As(err, &e) || len(e.Fields) != 2 || e.Fields[0].Code != models.CodeRequired || e.Fields[1].Code != models.CodeInvalidValue {
		t.Errorf("a token without a name and with an unknown role: %v", err)
	} else {
		checkFieldErrors(t, "token create", e.Fields)
	}

	// 429: no field errors, a problem all the same.
	limited := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.RateLimit = 1 })
	for i := 0; ; i++ {
		r := limited.do(t, "GET", "/api/v1/network", nil, "Authorization", "")
		if r.Status == http.StatusTooManyRequests {
			if p := r.problem(t, 429); len(p.Errors) != 0 {
				t.Errorf("a 429 lists field errors: %+v", p.Errors)
			}
			break
		}
		if i == 20 {
			t.Fatal("20 requests at once were not limited at 1/s")
		}
	}

	for _, c := range models.FieldCodes {
		if !seen[c.Code] {
			t.Errorf("no request met the code %s", c.Code)
		}
	}
}

// TestFieldCodesDocumented: the OpenAPI document's FieldError lists the
// codes of models.FieldCodes, each with its meaning.
func TestFieldCodesDocumented(t *testing.T) {
	doc, _, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	fe := doc.Components.Schemas["FieldError"].Value
	code := fe.Properties["code"].Value
	var enum []string
	for _, v := range code.Enum {
		enum = append(enum, v.(string))
	}
	var codes []string
	for _, c := range models.FieldCodes {
		codes = append(codes, c.Code)
		if !strings.Contains(code.Description, "- `"+c.Code+"`: "+c.Doc) {
			t.Errorf("the description of code lacks %s's: %s", c.Code, c.Doc)
		}
	}
	if !slices.Equal(enum, codes) {
		t.Errorf("the FieldError code enum is %q, models.FieldCodes %q", enum, codes)
	}
	for _, req := range []string{"field", "message", "code", "params"} {
		if !slices.Contains(fe.Required, req) {
			t.Errorf("FieldError does not require %s", req)
		}
	}
	if p := fe.Properties["params"]; p == nil || !p.Value.Type.Is("object") {
		t.Error("FieldError params is not an object")
	}
}
