package handlers_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

type portJSON struct {
	Code        string   `json:"code"`
	NameEn      string   `json:"name_en"`
	NameZh      string   `json:"name_zh"`
	Aliases     []string `json:"aliases"`
	NeedsReview bool     `json:"needs_review"`
	Text        *string  `json:"text"`
	Suggested   *string  `json:"suggested"`
	Counts      int64    `json:"counts"`
}

func TestPortsSQLite(t *testing.T) {
	t.Parallel()
	testPorts(t, newTestServer(t))
}

func TestPortsPostgres(t *testing.T) {
	t.Parallel()
	testPorts(t, newTestServerPG(t))
}

// testPorts: ports are reference data that admins keep and readers list;
// a count names its port by code or alias, and an unknown one is refused
// with the known codes.
func testPorts(t *testing.T, ts *testServer) {
	var qd portJSON
	ts.mustDo(t, 200, "GET", "/api/v1/ports/cnqin", nil, "Authorization", "").decode(t, &qd)
	if qd.Code != "CNQIN" || qd.NameZh != "青岛港" || qd.NameEn != "Qingdao" || !slices.Equal(qd.Aliases, []string{"CNQDG", "CNTAO"}) || qd.NeedsReview || qd.Counts != 0 {
		t.Fatalf("Qingdao: %+v", qd)
	}
	if r := ts.do(t, "HEAD", "/api/v1/ports/CNQIN", nil); r.Status != 200 || len(r.Body) != 0 {
		t.Fatalf("HEAD: %d %q", r.Status, r.Body)
	}
	ts.do(t, "GET", "/api/v1/ports/CNXXX", nil).problem(t, 404)

	// Admins write; operators and viewers read only.
	lyg := map[string]any{"code": " cnlyg", "name_en": "Lianyungang", "name_zh": "连云港", "aliases": []string{"cnlyh"}}
	ts.do(t, "POST", "/api/v1/ports", lyg, "Authorization", "Bearer "+ts.Operator).problem(t, 403)
	r := ts.mustDo(t, 201, "POST", "/api/v1/ports", lyg)
	var got portJSON
	r.decode(t, &got)
	if got.Code != "CNLYG" || !slices.Equal(got.Aliases, []string{"CNLYH"}) || r.Header.Get("Location") != "/api/v1/ports/CNLYG" {
		t.Fatalf("created %+v at %q", got, r.Header.Get("Location"))
	}
	ts.do(t, "POST", "/api/v1/ports", lyg).problem(t, 409)
	// A code that is another port's alias is taken too.
	p := ts.do(t, "POST", "/api/v1/ports", map[string]any{"code": "CNTAO", "name_en": "Qingdao airport", "name_zh": "胶东机场"}).problem(t, 409)
	if len(p.Errors) != 1 || p.Errors[0].Field != "code" || p.Errors[0].Params["port"] != "CNQIN" {
		t.Fatalf("alias as a code: %+v", p.Errors)
	}
	p = ts.do(t, "PATCH", "/api/v1/ports/CNLYG", map[string]any{"aliases": []string{"CNLYH", "CNQDG"}}).problem(t, 409)
	if len(p.Errors) != 1 || p.Errors[0].Field != "aliases[1]" {
		t.Fatalf("another port's alias: %+v", p.Errors)
	}
	ts.do(t, "PATCH", "/api/v1/ports/CNLYG", map[string]any{"code": "CNLYX"}).problem(t, 422)
	ts.mustDo(t, 200, "PATCH", "/api/v1/ports/CNLYG", map[string]any{"name_en": "Lianyungang Port", "aliases": []string{}}).decode(t, &got)
	if got.NameEn != "Lianyungang Port" || len(got.Aliases) != 0 {
		t.Fatalf("patched %+v", got)
	}

	// Counts name a port by code or alias and store the code.
	var c seaRailJSON
	b := seaRailBody("2024-10-12", "export", 10)
	b["port"] = " cn tao"
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", b, "Authorization", "Bearer "+ts.Operator).decode(t, &c)
	if c.Port != "CNQIN" || c.PortName.Zh != "青岛港" || c.PortName.En != "Qingdao" {
		t.Fatalf("count %+v", c)
	}
	for _, bad := range []string{"Qindao", "🚢", "青岛港", "CNLYH"} {
		b["port"] = bad
		p := ts.do(t, "POST", "/api/v1/sea-rail-counts", b).problem(t, 422)
		if len(p.Errors) != 1 || p.Errors[0].Field != "port" || p.Errors[0].Code != "unknown_port" ||
			!reflect.DeepEqual(p.Errors[0].Params["known"], []any{"CNLYG", "CNQIN", "CNRZH"}) || p.Errors[0].Params["value"] != bad {
			t.Errorf("port %q: %+v", bad, p.Errors)
		}
	}
	path := fmt.Sprintf("/api/v1/sea-rail-counts/%d", c.ID)
	ts.do(t, "PATCH", path, map[string]any{"port": "nowhere"}).problem(t, 422)
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"port": "cnlyg"}).decode(t, &c)
	if c.Port != "CNLYG" || c.PortName.En != "Lianyungang Port" {
		t.Fatalf("moved %+v", c)
	}
	var list struct{ Items []seaRailJSON }
	ts.mustDo(t, 200, "GET", "/api/v1/sea-rail-counts?port=CnLyG", nil).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != c.ID {
		t.Fatalf("filter by code: %+v", list.Items)
	}

	// A port that counts name cannot be deleted; one that none names can.
	p = ts.do(t, "DELETE", "/api/v1/ports/CNLYG", nil).problem(t, 409)
	if p.Detail == "" {
		t.Fatal("409 without a reason")
	}
	ts.mustDo(t, 200, "GET", "/api/v1/ports/CNLYG", nil).decode(t, &got)
	if got.Counts != 1 {
		t.Fatalf("counts %d", got.Counts)
	}

	// Merging moves the counts, refuses collisions and keeps the code as an alias.
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 20))
	p = ts.do(t, "POST", "/api/v1/ports/CNLYG/merge", map[string]any{"into": "CNQIN"}).problem(t, 409)
	if len(p.Errors) != 1 || p.Errors[0].Field != "into" || p.Errors[0].Params["date"] != "2024-10-12" || p.Errors[0].Params["count"] != float64(c.ID) {
		t.Fatalf("collision: %+v", p.Errors)
	}
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"date": "2024-10-11"})
	ts.do(t, "POST", "/api/v1/ports/CNLYG/merge", map[string]any{"into": "CNLYG"}).problem(t, 422)
	ts.do(t, "POST", "/api/v1/ports/CNLYG/merge", map[string]any{"into": "CNQIN"}, "Authorization", "Bearer "+ts.Operator).problem(t, 403)
	ts.mustDo(t, 200, "POST", "/api/v1/ports/CNLYG/merge", map[string]any{"into": "cntao"}).decode(t, &got)
	if got.Code != "CNQIN" || got.Counts != 2 || !slices.Equal(got.Aliases, []string{"CNLYG", "CNQDG", "CNTAO"}) {
		t.Fatalf("merged into %+v", got)
	}
	ts.do(t, "GET", "/api/v1/ports/CNLYG", nil).problem(t, 404)
	ts.mustDo(t, 200, "GET", path, nil).decode(t, &c)
	if c.Port != "CNQIN" {
		t.Fatalf("the count after the merge: %+v", c)
	}
	b["port"], b["date"] = "CNLYG", "2024-10-13"
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", b).decode(t, &c)
	if c.Port != "CNQIN" {
		t.Fatalf("the merged code as an alias: %+v", c)
	}

	// The aliases of a merge's result are bounded as a port's are.
	ts.mustDo(t, 201, "POST", "/api/v1/ports", map[string]any{"code": "CNWEI", "name_en": "Weihai", "name_zh": "威海港",
		"aliases": []string{"CNWEA", "CNWEB", "CNWEC", "CNWED", "CNWEE", "CNWEF", "CNWEG", "CNWEH"}})
	p = ts.do(t, "POST", "/api/v1/ports/CNWEI/merge", map[string]any{"into": "CNQIN"}).problem(t, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "into" || p.Errors[0].Code != "too_many" || p.Errors[0].Params["count"] != float64(12) {
		t.Fatalf("a merge past the aliases' bound: %+v", p.Errors)
	}
	ts.mustDo(t, 204, "DELETE", "/api/v1/ports/CNWEI", nil)

	// A port no count names is deleted, and its codes are free again.
	ts.mustDo(t, 201, "POST", "/api/v1/ports", map[string]any{"code": "CNYTG", "name_en": "Yantai", "name_zh": "烟台港", "aliases": []string{"CNYNT"}})
	ts.mustDo(t, 204, "DELETE", "/api/v1/ports/cnytg", nil)
	ts.mustDo(t, 201, "POST", "/api/v1/ports", map[string]any{"code": "CNYNT", "name_en": "Yantai", "name_zh": "烟台港"})

	var ports struct {
		Items      []portJSON
		NextCursor *string `json:"next_cursor"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/ports?limit=2", nil, "Authorization", "Bearer "+ts.Viewer).decode(t, &ports)
	if len(ports.Items) != 2 || ports.Items[0].Code != "CNQIN" || ports.NextCursor == nil {
		t.Fatalf("first page %+v", ports)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/ports?limit=2&cursor="+*ports.NextCursor, nil).decode(t, &ports)
	if len(ports.Items) != 1 || ports.Items[0].Code != "CNYNT" || ports.NextCursor != nil {
		t.Fatalf("second page %+v", ports)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/ports?unresolved=true", nil).decode(t, &ports)
	if len(ports.Items) != 0 {
		t.Fatalf("unresolved on a new database: %+v", ports.Items)
	}
	ts.do(t, "GET", "/api/v1/ports?unresolved=maybe", nil).problem(t, 400)

	var audit struct{ Items []struct{ Action string } }
	ts.mustDo(t, 200, "GET", "/api/v1/audit?entity=port&limit=500", nil).decode(t, &audit)
	var actions []string
	for _, e := range audit.Items {
		actions = append(actions, e.Action)
	}
	if want := []string{"ports.create", "ports.delete", "ports.create", "ports.delete", "ports.create", "ports.merge", "ports.update", "ports.create"}; !slices.Equal(actions, want) {
		t.Fatalf("audit %q, want %q", actions, want)
	}
}
