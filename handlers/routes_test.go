package handlers_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// routeBody is a valid route; tests change one thing at a time.
func routeBody(code string) map[string]any {
	return map[string]any{
		"code":    code,
		"name":    "SCO Zone – Tongjiang – Moscow",
		"name_zh": "上合示范区—同江—莫斯科",
		"mode":    "rail",
		"stops": []map[string]any{
			{"name": "Jiaozhou (SCO Zone)", "country": "CN", "locode": "CNJZH", "role": "origin"},
			{"name": "Tongjiang", "country": "CN", "role": "border"},
			{"name": "Moscow", "locode": "RUMOW", "country": "RU", "role": "destination"},
		},
		"opened_on": "2024-03-15",
		"tags":      []string{"first-in-province"},
		"active":    true,
	}
}

func createRoute(t testing.TB, ts *testServer, code string, change func(map[string]any)) map[string]any {
	t.Helper()
	b := routeBody(code)
	if change != nil {
		change(b)
	}
	var out map[string]any
	ts.mustDo(t, http.StatusCreated, "POST", "/api/v1/routes", b).decode(t, &out)
	return out
}

func TestCreateRouteAnswersStoredRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	r := ts.do(t, "POST", "/api/v1/routes", routeBody("SCO-TJ-MOW"))
	if r.Status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/routes/SCO-TJ-MOW" {
		t.Fatalf("Location %q", loc)
	}
	var got map[string]any
	r.decode(t, &got)
	var again map[string]any
	ts.mustDo(t, 200, "GET", "/api/v1/routes/SCO-TJ-MOW", nil).decode(t, &again)
	if !reflect.DeepEqual(got, again) {
		t.Fatalf("GET differs from the create answer:\n%v\n%v", got, again)
	}
	stops := got["stops"].([]any)
	if len(stops) != 3 || stops[1].(map[string]any)["name"] != "Tongjiang" || stops[1].(map[string]any)["locode"] != nil {
		t.Fatalf("stops not kept in order with null locode: %v", stops)
	}
	if got["name_zh"] != "上合示范区—同江—莫斯科" || got["opened_on"] != "2024-03-15" || got["active"] != true {
		t.Fatalf("fields not stored: %v", got)
	}
}

func TestCreateRouteDefaultsAndNulls(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	got := createRoute(t, ts, "QD-MOW-TIR", func(b map[string]any) {
		delete(b, "name_zh")
		delete(b, "opened_on")
		delete(b, "tags")
		delete(b, "active")
		b["mode"] = "road"
	})
	for _, k := range []string{"name_zh", "opened_on"} {
		if v, ok := got[k]; !ok || v != nil {
			t.Errorf("%s: want present and null, got %v (present %v)", k, v, ok)
		}
	}
	if got["active"] != true {
		t.Errorf("active defaults to true, got %v", got["active"])
	}
	if tags, ok := got["tags"].([]any); !ok || len(tags) != 0 {
		t.Errorf("tags: want [], got %v", got["tags"])
	}
}

func TestCreateRouteValidation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	cases := []struct {
		name   string
		change func(map[string]any)
		fields []string
	}{
		{"lower-case code", func(b map[string]any) { b["code"] = "sco-tj" }, []string{"code"}},
		{"code too short", func(b map[string]any) { b["code"] = "S" }, []string{"code"}},
		{"code starting with hyphen", func(b map[string]any) { b["code"] = "-SCO" }, []string{"code"}},
		{"code too long", func(b map[string]any) { b["code"] = strings.Repeat("A", 33) }, []string{"code"}},
		{"unknown mode", func(b map[string]any) { b["mode"] = "ship" }, []string{"mode"}},
		{"missing name", func(b map[string]any) { delete(b, "name") }, []string{"name"}},
		{"one stop", func(b map[string]any) {
			b["stops"] = []map[string]any{{"name": "A", "country": "CN", "role": "origin"}}
		}, []string{"stops"}},
		{"country that does not exist", func(b map[string]any) { b["stops"].([]map[string]any)[2]["country"] = "XX" }, []string{"stops[2].country", "stops[2].locode"}},
		{"lower-case country", func(b map[string]any) { b["stops"].([]map[string]any)[1]["country"] = "cn" }, []string{"stops[1].country"}},
		{"locode of another country", func(b map[string]any) { b["stops"].([]map[string]any)[2]["locode"] = "BYMSQ" }, []string{"stops[2].locode"}},
		{"locode with digit 1", func(b map[string]any) { b["stops"].([]map[string]any)[2]["locode"] = "RUMO1" }, []string{"stops[2].locode"}},
		{"first stop not origin", func(b map[string]any) { b["stops"].([]map[string]any)[0]["role"] = "border" }, []string{"stops[0].role"}},
		{"last stop not destination", func(b map[string]any) { b["stops"].([]map[string]any)[2]["role"] = "transit" }, []string{"stops[2].role"}},
		{"middle stop as origin", func(b map[string]any) { b["stops"].([]map[string]any)[1]["role"] = "origin" }, []string{"stops[1].role"}},
		{"bad opened_on", func(b map[string]any) { b["opened_on"] = "2024-02-30" }, []string{"opened_on"}},
		{"everything at once", func(b map[string]any) { b["code"] = "x"; b["mode"] = "x"; b["name"] = "" }, []string{"code", "name", "mode"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := routeBody("SCO-TJ-MOW")
			c.change(b)
			p := ts.do(t, "POST", "/api/v1/routes", b).problem(t, 422)
			if got := fields(p); !reflect.DeepEqual(got, c.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, c.fields, p.Errors)
			}
		})
	}
	// Nothing was written.
	var list struct{ Items []any }
	ts.mustDo(t, 200, "GET", "/api/v1/routes", nil).decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("invalid routes were stored: %v", list.Items)
	}
}

func TestRouteConflictsAndDeletion(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	p := ts.do(t, "POST", "/api/v1/routes", routeBody("SCO-TJ-MOW")).problem(t, 409)
	if !strings.Contains(p.Detail, "SCO-TJ-MOW") {
		t.Fatalf("conflict should name the code: %q", p.Detail)
	}
	ts.mustDo(t, 201, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	ts.do(t, "DELETE", "/api/v1/routes/SCO-TJ-MOW", nil).problem(t, 409)
	ts.mustDo(t, 200, "GET", "/api/v1/routes/SCO-TJ-MOW", nil)

	createRoute(t, ts, "EMPTY-1", nil)
	ts.mustDo(t, 204, "DELETE", "/api/v1/routes/EMPTY-1", nil)
	ts.do(t, "GET", "/api/v1/routes/EMPTY-1", nil).problem(t, 404)
	ts.do(t, "DELETE", "/api/v1/routes/EMPTY-1", nil).problem(t, 404)
}

func TestPatchRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	var got map[string]any
	ts.mustDo(t, 200, "PATCH", "/api/v1/routes/SCO-TJ-MOW", map[string]any{"active": false, "name_zh": nil, "tags": []string{"b", "a"}}).decode(t, &got)
	if got["active"] != false || got["name_zh"] != nil || fmt.Sprint(got["tags"]) != "[a b]" || got["name"] != "SCO Zone – Tongjiang – Moscow" {
		t.Fatalf("patch not applied as asked: %v", got)
	}
	if len(got["stops"].([]any)) != 3 {
		t.Fatalf("stops lost by a patch that did not name them: %v", got["stops"])
	}
	p := ts.do(t, "PATCH", "/api/v1/routes/SCO-TJ-MOW", map[string]any{"code": "OTHER", "mode": "boat"}).problem(t, 422)
	if !reflect.DeepEqual(fields(p), []string{"code", "mode"}) {
		t.Fatalf("fields %v", fields(p))
	}
	ts.do(t, "PATCH", "/api/v1/routes/SCO-TJ-MOW", map[string]any{"id": 3}).problem(t, 400)
	ts.do(t, "PATCH", "/api/v1/routes/NOPE", map[string]any{"active": true}).problem(t, 404)
	// The failed patches changed nothing.
	var after map[string]any
	ts.mustDo(t, 200, "GET", "/api/v1/routes/SCO-TJ-MOW", nil).decode(t, &after)
	if !reflect.DeepEqual(after, got) {
		t.Fatalf("a refused patch changed the route:\n%v\n%v", got, after)
	}
}

func TestListRoutesFiltersAndPages(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for i := 0; i < 7; i++ {
		createRoute(t, ts, fmt.Sprintf("R-%02d", i), func(b map[string]any) {
			if i%2 == 0 {
				b["mode"] = "sea"
				b["tags"] = []string{}
			}
			b["active"] = i != 4
		})
	}
	codes := func(path string) []string {
		var out []string
		cursor := ""
		for {
			var page struct {
				Items      []map[string]any
				NextCursor *string `json:"next_cursor"`
			}
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			ts.mustDo(t, 200, "GET", path+sep+"limit=2&cursor="+cursor, nil).decode(t, &page)
			for _, r := range page.Items {
				out = append(out, r["code"].(string))
			}
			if page.NextCursor == nil {
				return out
			}
			cursor = *page.NextCursor
		}
	}
	if got := codes("/api/v1/routes"); strings.Join(got, ",") != "R-00,R-01,R-02,R-03,R-04,R-05,R-06" {
		t.Fatalf("all: %v", got)
	}
	if got := codes("/api/v1/routes?mode=sea"); strings.Join(got, ",") != "R-00,R-02,R-04,R-06" {
		t.Fatalf("mode=sea: %v", got)
	}
	if got := codes("/api/v1/routes?mode=sea&active=true"); strings.Join(got, ",") != "R-00,R-02,R-06" {
		t.Fatalf("mode=sea&active=true: %v", got)
	}
	if got := codes("/api/v1/routes?tag=first-in-province"); strings.Join(got, ",") != "R-01,R-03,R-05" {
		t.Fatalf("tag: %v", got)
	}
	ts.do(t, "GET", "/api/v1/routes?mode=ship", nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/routes?active=maybe", nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/routes?cursor=garbage", nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/routes?limit=0", nil).problem(t, 400)
}

func TestNetwork(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "R-1", nil)                     // Moscow, RU
	createRoute(t, ts, "R-2", func(b map[string]any) { // Moscow again, by road
		b["mode"] = "road"
	})
	createRoute(t, ts, "R-3", func(b map[string]any) {
		b["stops"].([]map[string]any)[2]["name"] = "Minsk"
		b["stops"].([]map[string]any)[2]["locode"] = "BYMSQ"
		b["stops"].([]map[string]any)[2]["country"] = "BY"
	})
	createRoute(t, ts, "R-4", func(b map[string]any) { // inactive: not counted
		b["active"] = false
		b["stops"].([]map[string]any)[2]["name"] = "Duisburg"
		b["stops"].([]map[string]any)[2]["locode"] = "DEDUI"
		b["stops"].([]map[string]any)[2]["country"] = "DE"
	})
	var n struct {
		Routes       map[string]int
		Destinations int
		Countries    int
	}
	ts.mustDo(t, 200, "GET", "/api/v1/network", nil).decode(t, &n)
	want := map[string]int{"rail": 2, "road": 1, "sea": 0, "sea_rail": 0, "air": 0}
	if !reflect.DeepEqual(n.Routes, want) || n.Destinations != 2 || n.Countries != 2 {
		t.Fatalf("network %+v", n)
	}
}

func TestUnknownNestedFieldIsNamedWithItsPath(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := routeBody("SCO-TJ-MOW")
	b["stops"].([]map[string]any)[1]["extra"] = 1
	p := ts.do(t, "POST", "/api/v1/routes", b).problem(t, 400)
	if !reflect.DeepEqual(fields(p), []string{"stops[1].extra"}) {
		t.Fatalf("fields %v", fields(p))
	}
	p = ts.do(t, "POST", "/api/v1/targets", map[string]any{"year": 2024, "metric": "runs", "value": 5, "scope": map[string]any{"direction": "inbound"}}).problem(t, 400)
	if !reflect.DeepEqual(fields(p), []string{"scope.direction"}) {
		t.Fatalf("fields %v", fields(p))
	}
}
