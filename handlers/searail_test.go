package handlers_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

type seaRailJSON struct {
	ID        int64                   `json:"id"`
	Date      string                  `json:"date"`
	Port      string                  `json:"port"`
	PortName  struct{ Zh, En string } `json:"port_name"`
	Direction string                  `json:"direction"`
	TEU       int                     `json:"teu"`
	Note      string                  `json:"note"`
}

func seaRailBody(date, dir string, teu int) map[string]any {
	return map[string]any{"date": date, "port": "CNQIN", "direction": dir, "teu": teu, "note": ""}
}

func TestSeaRailCounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	r := ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1520))
	var got seaRailJSON
	r.decode(t, &got)
	if r.Header.Get("Location") != fmt.Sprintf("/api/v1/sea-rail-counts/%d", got.ID) {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	want := seaRailJSON{ID: got.ID, Date: "2024-10-12", Port: "CNQIN", Direction: "export", TEU: 1520, Note: ""}
	want.PortName.Zh, want.PortName.En = "青岛港", "Qingdao"
	if got != want {
		t.Fatalf("got %+v", got)
	}
	// The same date, port and direction twice: conflict, pointing at PATCH.
	ts.do(t, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1)).problem(t, 409)
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "import", 900))
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-13", "export", 1000000))
	other := seaRailBody("2024-10-12", "export", 10)
	other["port"] = "cnrzh"
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", other)

	for _, c := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"bad date", seaRailBody("2024-02-30", "export", 1), []string{"date"}},
		{"bad direction", seaRailBody("2024-10-14", "outbound", 1), []string{"direction"}},
		{"negative", seaRailBody("2024-10-14", "export", -1), []string{"teu"}},
		{"too many", seaRailBody("2024-10-14", "export", 1000001), []string{"teu"}},
		{"no port, no date", map[string]any{"direction": "export", "teu": 1}, []string{"date", "port"}},
	} {
		p := ts.do(t, "POST", "/api/v1/sea-rail-counts", c.body).problem(t, 422)
		if !reflect.DeepEqual(fields(p), c.fields) {
			t.Errorf("%s: fields %v, want %v", c.name, fields(p), c.fields)
		}
	}
	ts.do(t, "POST", "/api/v1/sea-rail-counts", `{"date":"2024-10-14","teu":"1"}`).problem(t, 400)

	list := func(q string) []seaRailJSON {
		var out []seaRailJSON
		cursor := ""
		for {
			var p struct {
				Items      []seaRailJSON
				NextCursor *string `json:"next_cursor"`
			}
			ts.mustDo(t, 200, "GET", "/api/v1/sea-rail-counts?limit=1&cursor="+cursor+"&"+q, nil).decode(t, &p)
			out = append(out, p.Items...)
			if p.NextCursor == nil {
				return out
			}
			cursor = *p.NextCursor
		}
	}
	if got := list(""); len(got) != 4 || got[0].Date != "2024-10-13" {
		t.Fatalf("list %+v", got)
	}
	if got := list("port=cnqin&direction=export"); len(got) != 2 {
		t.Fatalf("port+direction %+v", got)
	}
	if got := list("from=2024-10-13&to=2024-10-13"); len(got) != 1 || got[0].TEU != 1000000 {
		t.Fatalf("from/to %+v", got)
	}
	ts.do(t, "GET", "/api/v1/sea-rail-counts?direction=outbound", nil).problem(t, 400)

	path := fmt.Sprintf("/api/v1/sea-rail-counts/%d", got.ID)
	ts.mustDo(t, 200, "PATCH", path, map[string]any{"teu": 1600, "note": "corrected by the port"}).decode(t, &got)
	if got.TEU != 1600 || got.Note != "corrected by the port" || got.Date != "2024-10-12" {
		t.Fatalf("patched %+v", got)
	}
	ts.do(t, "PATCH", path, map[string]any{"direction": "import"}).problem(t, 409)
	ts.do(t, "PATCH", path, map[string]any{"teu": -5}).problem(t, 422)
	var after seaRailJSON
	ts.mustDo(t, 200, "GET", path, nil).decode(t, &after)
	if after != got {
		t.Fatalf("refused patches changed the count: %+v", after)
	}
	ts.mustDo(t, 204, "DELETE", path, nil)
	ts.do(t, "GET", path, nil).problem(t, 404)
}

// A cursor continues only the list that issued it.
func TestCursorBelongsToItsList(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	for _, n := range []string{"X1", "X2"} {
		createRun(t, ts, map[string]any{"route": "SCO-TJ-MOW", "number": n, "direction": "outbound", "departed_at": "2024-10-12T09:30:00+08:00"})
	}
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	if err := json.Unmarshal(ts.mustDo(t, 200, "GET", "/api/v1/runs?limit=1", nil).Body, &page); err != nil || page.NextCursor == nil {
		t.Fatalf("no cursor: %v", err)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/runs?limit=1&cursor="+*page.NextCursor, nil)
	for _, list := range []string{"/api/v1/sea-rail-counts", "/api/v1/routes", "/api/v1/targets", "/api/v1/summaries", "/api/v1/audit"} {
		p := ts.do(t, "GET", list+"?cursor="+*page.NextCursor, nil).problem(t, 400)
		if !reflect.DeepEqual(fields(p), []string{"cursor"}) {
			t.Errorf("%s: fields %v", list, fields(p))
		}
	}
}
