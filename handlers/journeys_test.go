package handlers_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// journeyRoute is SCO Zone – Manzhouli – Moscow with a transit stop
// before the border: the gauge breaks between Manzhouli (CN, 1,435 mm)
// and Zabaikalsk (RU, 1,520 mm).
func journeyRoute(code string) map[string]any {
	b := routeBody(code)
	b["stops"] = []map[string]any{
		{"name": "Qingdao", "country": "CN", "locode": "CNTAO", "role": "origin"},
		{"name": "Zhengzhou", "country": "CN", "role": "transit"},
		{"name": "Manzhouli", "country": "CN", "role": "border"},
		{"name": "Zabaikalsk", "country": "RU", "role": "border"},
		{"name": "Moscow", "country": "RU", "locode": "RUMOW", "role": "destination"},
	}
	b["planned_transit_days"] = 17
	return b
}

type stopRefJSON struct {
	Index  int     `json:"index"`
	Name   string  `json:"name"`
	Locode *string `json:"locode"`
}

type eventJSON struct {
	ID     *int64       `json:"id"`
	Type   string       `json:"type"`
	At     string       `json:"at"`
	Stop   *int         `json:"stop"`
	Place  *stopRefJSON `json:"place"`
	ETA    *string      `json:"eta"`
	Source string       `json:"source"`
}

type runDetailJSON struct {
	runJSON
	Position struct {
		LastStop  *stopRefJSON `json:"last_stop"`
		LastEvent *eventJSON   `json:"last_event"`
		NextStop  *stopRefJSON `json:"next_stop"`
	} `json:"position"`
	ETA         *string  `json:"eta"`
	ETABasis    *string  `json:"eta_basis"`
	TransitDays *float64 `json:"transit_days"`
}

type fieldErr struct {
	field, code string
}

func problemFields(t *testing.T, r response, status int) []fieldErr {
	t.Helper()
	p := r.problem(t, status)
	var out []fieldErr
	for _, f := range p.Errors {
		out = append(out, fieldErr{f.Field, f.Code})
	}
	return out
}

func TestJourneySQLite(t *testing.T) {
	t.Parallel()
	testJourney(t, newTestServer(t))
}

func TestJourneyPostgres(t *testing.T) {
	t.Parallel()
	testJourney(t, newTestServerPG(t))
}

// testJourney follows one train from Qingdao to Moscow through the API, with
// every rule an operator can break on the way.
func testJourney(t *testing.T, ts *testServer) {
	ts.mustDo(t, 201, "POST", "/api/v1/routes", journeyRoute("QD-MZL-MOW"))
	body := runBody("QD-MZL-MOW", "X8201", "2026-11-10T08:00:00+08:00")
	body["container_numbers"] = []string{"CSQU3054383"}
	run := createRun(t, ts, body)
	runPath := fmt.Sprintf("/api/v1/runs/%d", run.ID)
	events := runPath + "/events"
	op := []string{"Authorization", "Bearer " + ts.Operator}
	post := func(ev map[string]any, header ...string) response {
		return ts.do(t, "POST", events, ev, append(slices.Clone(op), header...)...)
	}
	mustPost := func(ev map[string]any) eventJSON {
		t.Helper()
		r := post(ev)
		if r.Status != 201 {
			t.Fatalf("POST %v: %d %s", ev, r.Status, r.Body)
		}
		var e eventJSON
		r.decode(t, &e)
		return e
	}
	detail := func() runDetailJSON {
		t.Helper()
		var d runDetailJSON
		ts.mustDo(t, 200, "GET", runPath, nil).decode(t, &d)
		return d
	}

	d := detail()
	if d.Position.LastStop == nil || d.Position.LastStop.Index != 0 || d.Position.NextStop == nil || d.Position.NextStop.Index != 1 ||
		d.Position.LastEvent == nil || d.Position.LastEvent.Source != "run" || d.ETA != nil || d.ETABasis != nil {
		t.Fatalf("a run just departed, with no history on its route: %+v", d)
	}

	arrivedMZL := mustPost(map[string]any{"type": "arrived", "at": "2026-11-14T10:00:00+08:00", "stop": 2})
	if arrivedMZL.ID == nil || arrivedMZL.Source != "event" || arrivedMZL.Place == nil || arrivedMZL.Place.Name != "Manzhouli" {
		t.Fatalf("stored event: %+v", arrivedMZL)
	}
	held := post(map[string]any{"type": "held", "at": "2026-11-14T12:00:00+08:00", "stop": 2, "reason": "wagon shortage on the Russian side"})
	if held.Status != 201 || held.Header.Get("Location") == "" {
		t.Fatalf("held: %d %s (Location %q)", held.Status, held.Body, held.Header.Get("Location"))
	}
	if got := ts.mustDo(t, 200, "GET", held.Header.Get("Location"), nil); string(got.Body) != string(held.Body) {
		t.Fatalf("the event at its Location: %s, created %s", got.Body, held.Body)
	}

	// A retried POST with the same Idempotency-Key records the crossing once.
	crossing := map[string]any{"type": "border_crossed", "at": "2026-11-15T10:00:00+08:00", "stop": 2, "note": "customs cleared"}
	first := post(crossing, "Idempotency-Key", "crossing-X8201-MZL")
	again := post(crossing, "Idempotency-Key", "crossing-X8201-MZL")
	if first.Status != 201 || again.Status != 201 || string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retried crossing: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
	}

	refused := []struct {
		name string
		ev   map[string]any
		want []fieldErr
	}{
		{"crossing at a transit stop", map[string]any{"type": "border_crossed", "at": "2026-11-15T11:00:00+08:00", "stop": 1},
			[]fieldErr{{"stop", "invalid_value"}}},
		{"gauge change where the gauge does not break", map[string]any{"type": "gauge_changed", "at": "2026-11-15T11:00:00+08:00", "stop": 1},
			[]fieldErr{{"stop", "invalid_value"}}},
		{"an earlier stop after a later one", map[string]any{"type": "arrived", "at": "2026-11-15T12:00:00+08:00", "stop": 1},
			[]fieldErr{{"stop", "order"}}},
		{"in the future", map[string]any{"type": "arrived", "at": "2026-11-27T12:00:00+08:00", "stop": 3},
			[]fieldErr{{"at", "out_of_range"}}},
		{"before the departure", map[string]any{"type": "arrived", "at": "2026-11-09T12:00:00+08:00", "stop": 1},
			[]fieldErr{{"at", "order"}}},
		{"held without a reason", map[string]any{"type": "held", "at": "2026-11-15T12:00:00+08:00", "stop": 2},
			[]fieldErr{{"reason", "required"}}},
		{"a reason without a hold", map[string]any{"type": "arrived", "at": "2026-11-15T12:00:00+08:00", "stop": 3, "reason": "x"},
			[]fieldErr{{"reason", "invalid_value"}}},
		{"the departure from the first stop", map[string]any{"type": "departed", "at": "2026-11-10T09:00:00+08:00", "stop": 0},
			[]fieldErr{{"stop", "invalid_value"}}},
		{"a second arrival at a stop", map[string]any{"type": "arrived", "at": "2026-11-15T12:00:00+08:00", "stop": 2},
			[]fieldErr{{"type", "duplicate"}}},
		{"no such stop", map[string]any{"type": "arrived", "at": "2026-11-15T12:00:00+08:00", "stop": 9},
			[]fieldErr{{"stop", "out_of_range"}}},
		{"no stop", map[string]any{"type": "arrived", "at": "2026-11-15T12:00:00+08:00"},
			[]fieldErr{{"stop", "required"}}},
		{"no type, a bad instant", map[string]any{"at": "yesterday", "stop": 2},
			[]fieldErr{{"type", "required"}, {"at", "invalid_format"}}},
		{"an estimate without eta", map[string]any{"type": "estimated_arrival", "at": "2026-11-15T12:00:00+08:00"},
			[]fieldErr{{"eta", "required"}}},
		{"an estimate for another stop", map[string]any{"type": "estimated_arrival", "at": "2026-11-15T12:00:00+08:00", "stop": 3, "eta": "2026-11-28T12:00:00+03:00"},
			[]fieldErr{{"stop", "invalid_value"}}},
	}
	for _, c := range refused {
		if got := problemFields(t, post(c.ev), 422); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: errors %v, want %v", c.name, got, c.want)
		}
	}
	if r := post(map[string]any{"type": "arrived", "at": "2026-11-15T12:00:00+08:00", "stop": 3, "platform": 4}); r.Status != 400 {
		t.Errorf("unknown field: %d %s", r.Status, r.Body)
	}
	if r := ts.do(t, "POST", events, map[string]any{"type": "arrived", "at": "2026-11-15T12:00:00+08:00", "stop": 3},
		"Authorization", "Bearer "+ts.Viewer); r.Status != 403 {
		t.Errorf("a viewer recorded an event: %d", r.Status)
	}
	if r := ts.do(t, "POST", "/api/v1/runs/999999/events", map[string]any{"type": "arrived", "at": "2026-11-15T12:00:00+08:00", "stop": 3}); r.Status != 404 {
		t.Errorf("event of no run: %d", r.Status)
	}

	gauge := mustPost(map[string]any{"type": "gauge_changed", "at": "2026-11-16T02:00:00+08:00", "stop": 3})
	mustPost(map[string]any{"type": "departed", "at": "2026-11-16T06:00:00+08:00", "stop": 3})
	if got := problemFields(t, post(map[string]any{"type": "held", "at": "2026-11-16T07:00:00+08:00", "stop": 3, "reason": "late"}), 422); !reflect.DeepEqual(got, []fieldErr{{"stop", "order"}}) {
		t.Errorf("a hold at a stop after departing from it: %v", got)
	}
	est := mustPost(map[string]any{"type": "estimated_arrival", "at": "2026-11-20T09:00:00+08:00", "eta": "2026-11-26T08:00:00+03:00"})
	if est.Stop == nil || *est.Stop != 4 {
		t.Fatalf("an estimate is for the final stop: %+v", est)
	}
	d = detail()
	if d.ETABasis == nil || *d.ETABasis != "operator" || d.ETA == nil || !sameInstant(t, *d.ETA, "2026-11-26T08:00:00+03:00") {
		t.Fatalf("operator's estimate: eta %v basis %v", d.ETA, d.ETABasis)
	}
	if d.Position.LastStop == nil || d.Position.LastStop.Name != "Zabaikalsk" || d.Position.NextStop == nil || d.Position.NextStop.Name != "Moscow" ||
		d.Position.LastEvent.Type != "departed" {
		t.Fatalf("position after leaving Zabaikalsk: %+v", d.Position)
	}

	// The run's changes that its journey forbids.
	for _, c := range []struct {
		patch map[string]any
		want  []fieldErr
	}{
		{map[string]any{"direction": "inbound"}, []fieldErr{{"direction", "conflict"}}},
		{map[string]any{"departed_at": "2026-11-15T00:00:00+08:00"}, []fieldErr{{"departed_at", "order"}}},
		{map[string]any{"status": "arrived", "arrived_at": "2026-11-15T00:00:00+08:00"}, []fieldErr{{"arrived_at", "order"}}},
		{map[string]any{"status": "cancelled"}, []fieldErr{{"status", "conflict"}}},
	} {
		if got := problemFields(t, ts.do(t, "PATCH", runPath, c.patch), 422); !reflect.DeepEqual(got, c.want) {
			t.Errorf("PATCH %v: %v, want %v", c.patch, got, c.want)
		}
	}
	stops := journeyRoute("QD-MZL-MOW")["stops"].([]map[string]any)
	if got := problemFields(t, ts.do(t, "PATCH", "/api/v1/routes/QD-MZL-MOW", map[string]any{"stops": stops[1:]}), 422); !slices.Contains(got, fieldErr{"stops", "conflict"}) {
		t.Errorf("a route's stops changed under journeys: %v", got)
	}

	// Retract the gauge change: it leaves the journey, the audit log keeps it.
	ts.mustDo(t, 204, "DELETE", fmt.Sprintf("%s/%d", events, *gauge.ID), nil, op...)
	ts.mustDo(t, 404, "DELETE", fmt.Sprintf("%s/%d", events, *gauge.ID), nil, op...)
	var audit struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/audit?entity=run_event", nil).decode(t, &audit)
	if len(audit.Items) == 0 || audit.Items[0].Action != "runs.events.delete" {
		t.Fatalf("audit of the retraction: %+v", audit)
	}

	// The arrival at Moscow is the run's arrival.
	arr := mustPost(map[string]any{"type": "arrived", "at": "2026-11-26T05:00:00+03:00", "stop": 4})
	if arr.ID != nil || arr.Source != "run" || arr.Place == nil || arr.Place.Name != "Moscow" {
		t.Fatalf("the final arrival: %+v", arr)
	}
	d = detail()
	if d.Status != "arrived" || d.ArrivedAt == nil || !sameInstant(t, *d.ArrivedAt, "2026-11-26T05:00:00+03:00") ||
		d.TransitDays == nil || *d.TransitDays != 16.1 || d.ETA != nil || d.Position.NextStop != nil {
		t.Fatalf("arrived run: %+v", d)
	}
	if got := problemFields(t, post(map[string]any{"type": "held", "at": "2026-11-26T11:00:00+08:00", "stop": 4, "reason": "x"}), 422); !reflect.DeepEqual(got, []fieldErr{{"at", "order"}}) {
		t.Errorf("an event after the arrival: %v", got)
	}

	var list struct {
		Items []eventJSON `json:"items"`
	}
	ts.mustDo(t, 200, "GET", events, nil).decode(t, &list)
	var seq []string
	for _, e := range list.Items {
		seq = append(seq, fmt.Sprintf("%s@%d/%s", e.Type, *e.Stop, e.Source))
	}
	want := []string{"departed@0/run", "arrived@2/event", "held@2/event", "border_crossed@2/event", "departed@3/event",
		"estimated_arrival@4/event", "arrived@4/run"}
	if !reflect.DeepEqual(seq, want) {
		t.Fatalf("journey order:\n got %v\nwant %v", seq, want)
	}

	var dcsa struct {
		Events []struct {
			EventType              string  `json:"eventType"`
			EventClassifierCode    string  `json:"eventClassifierCode"`
			TransportEventTypeCode *string `json:"transportEventTypeCode"`
			EquipmentEventTypeCode *string `json:"equipmentEventTypeCode"`
			EquipmentReference     *string `json:"equipmentReference"`
			EventID                string  `json:"eventID"`
			TransportCall          struct {
				ModeOfTransport string `json:"modeOfTransport"`
				Location        struct {
					LocationName   string  `json:"locationName"`
					UNLocationCode *string `json:"UNLocationCode"`
				} `json:"location"`
			} `json:"transportCall"`
		} `json:"events"`
	}
	ts.mustDo(t, 200, "GET", events+"?format=dcsa", nil).decode(t, &dcsa)
	var codes []string
	ids := map[string]bool{}
	for _, e := range dcsa.Events {
		code := ""
		if e.TransportEventTypeCode != nil {
			code = *e.TransportEventTypeCode
		}
		if e.EquipmentEventTypeCode != nil {
			code = *e.EquipmentEventTypeCode + ":" + *e.EquipmentReference
		}
		codes = append(codes, e.EventType+"/"+e.EventClassifierCode+"/"+code+"@"+e.TransportCall.Location.LocationName)
		if e.TransportCall.ModeOfTransport != "RAIL" {
			t.Errorf("mode of transport %q", e.TransportCall.ModeOfTransport)
		}
		ids[e.EventID] = true
	}
	wantCodes := []string{"TRANSPORT/ACT/DEPA@Qingdao", "TRANSPORT/ACT/ARRI@Manzhouli", "EQUIPMENT/ACT/CROS:CSQU3054383@Manzhouli",
		"TRANSPORT/ACT/DEPA@Zabaikalsk", "TRANSPORT/EST/ARRI@Moscow", "TRANSPORT/ACT/ARRI@Moscow"}
	if !reflect.DeepEqual(codes, wantCodes) || len(ids) != len(codes) {
		t.Fatalf("DCSA events:\n got %v\nwant %v (%d distinct ids)", codes, wantCodes, len(ids))
	}
	if l := dcsa.Events[0].TransportCall.Location.UNLocationCode; l == nil || *l != "CNTAO" {
		t.Errorf("departure's UN/LOCODE: %v", l)
	}

	// A planned run has no journey yet.
	planned := runBody("QD-MZL-MOW", "X8299", "2026-11-30T08:00:00+08:00")
	planned["status"] = "planned"
	p := createRun(t, ts, planned)
	if r := ts.do(t, "POST", fmt.Sprintf("/api/v1/runs/%d/events", p.ID), map[string]any{"type": "arrived", "at": "2026-11-20T12:00:00+08:00", "stop": 1}); r.Status != 409 {
		t.Errorf("an event of a planned run: %d %s", r.Status, r.Body)
	}
}

func sameInstant(t *testing.T, a, b string) bool {
	t.Helper()
	ta, err := time.Parse(time.RFC3339, a)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := time.Parse(time.RFC3339, b)
	if err != nil {
		t.Fatal(err)
	}
	return ta.Equal(tb)
}

func TestTransitAndETASQLite(t *testing.T) {
	t.Parallel()
	testTransitAndETA(t, newTestServer(t))
}

func TestTransitAndETAPostgres(t *testing.T) {
	t.Parallel()
	testTransitAndETA(t, newTestServerPG(t))
}

// testTransitAndETA: a route's arrived runs give its transit figures, and
// their median the ETA of the runs on their way.
func testTransitAndETA(t *testing.T, ts *testServer) {
	ts.mustDo(t, 201, "POST", "/api/v1/routes", journeyRoute("QD-MZL-MOW"))
	dep := time.Date(2026, 10, 1, 8, 0, 0, 0, shanghai)
	durations := []time.Duration{15 * 24 * time.Hour, 16*24*time.Hour + 2*time.Hour, 17 * 24 * time.Hour, 18 * 24 * time.Hour}
	var dwellRun int64
	for i, dur := range durations {
		b := runBody("QD-MZL-MOW", fmt.Sprintf("X81%02d", i), dep.AddDate(0, 0, i).Format(time.RFC3339))
		r := createRun(t, ts, b)
		if i == 0 {
			dwellRun = r.ID
			path := fmt.Sprintf("/api/v1/runs/%d/events", r.ID)
			ts.mustDo(t, 201, "POST", path, map[string]any{"type": "arrived", "at": dep.Add(4 * 24 * time.Hour).Format(time.RFC3339), "stop": 2})
			ts.mustDo(t, 201, "POST", path, map[string]any{"type": "border_crossed", "at": dep.Add(4*24*time.Hour + 30*time.Hour).Format(time.RFC3339), "stop": 2})
			ts.mustDo(t, 201, "POST", path, map[string]any{"type": "gauge_changed", "at": dep.Add(4*24*time.Hour + 36*time.Hour).Format(time.RFC3339), "stop": 2})
		}
		arrived := dep.AddDate(0, 0, i).Add(dur)
		ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", r.ID), map[string]any{"status": "arrived", "arrived_at": arrived.Format(time.RFC3339)})
	}
	inbound := runBody("QD-MZL-MOW", "X8190", dep.Format(time.RFC3339))
	inbound["direction"], inbound["status"], inbound["arrived_at"] = "inbound", "arrived", dep.AddDate(0, 0, 30).Format(time.RFC3339)
	createRun(t, ts, inbound)

	type transitJSON struct {
		Runs       int      `json:"runs"`
		MedianDays *float64 `json:"median_days"`
		P10Days    *float64 `json:"p10_days"`
		P90Days    *float64 `json:"p90_days"`
		WithinPlan *float64 `json:"within_plan"`
		Borders    []struct {
			Stop             stopRefJSON `json:"stop"`
			Runs             int         `json:"runs"`
			MedianDwellHours float64     `json:"median_dwell_hours"`
		} `json:"borders"`
	}
	var tr transitJSON
	ts.mustDo(t, 200, "GET", "/api/v1/routes/QD-MZL-MOW/transit?direction=outbound", nil).decode(t, &tr)
	// Days 15, 16.083, 17, 18: median (16.083+17)/2, p10 15 + 0.3 × 1.083,
	// p90 17 + 0.7 × 1; three of four within the plan's 17 days.
	if tr.Runs != 4 || *tr.MedianDays != 16.5 || *tr.P10Days != 15.3 || *tr.P90Days != 17.7 || *tr.WithinPlan != 0.75 {
		t.Fatalf("outbound transit: %+v", tr)
	}
	if len(tr.Borders) != 1 || tr.Borders[0].Stop.Name != "Manzhouli" || tr.Borders[0].Runs != 1 || tr.Borders[0].MedianDwellHours != 36 {
		t.Fatalf("border dwell, arrival to the last of crossing and gauge change: %+v", tr.Borders)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/routes/QD-MZL-MOW/transit", nil).decode(t, &tr)
	if tr.Runs != 5 {
		t.Fatalf("both directions: %+v", tr)
	}
	// Arrivals on 16–18 Oct: the runs of 15 and 16 days.
	ts.mustDo(t, 200, "GET", "/api/v1/routes/QD-MZL-MOW/transit?direction=outbound&from=2026-10-16&to=2026-10-18", nil).decode(t, &tr)
	if tr.Runs != 2 || *tr.MedianDays != 15.5 {
		t.Fatalf("arrivals from 16 to 18 October: %+v", tr)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/routes/QD-MZL-MOW/transit?from=2027-01-01", nil).decode(t, &tr)
	if tr.Runs != 0 || tr.MedianDays != nil || tr.WithinPlan != nil || len(tr.Borders) != 0 {
		t.Fatalf("no arrivals: %+v", tr)
	}
	if r := ts.do(t, "GET", "/api/v1/routes/NOPE/transit", nil); r.Status != 404 {
		t.Fatalf("transit of no route: %d", r.Status)
	}
	if r := ts.do(t, "GET", "/api/v1/routes/QD-MZL-MOW/transit?direction=west", nil); r.Status != 400 {
		t.Fatalf("bad direction: %d", r.Status)
	}

	// Deleting the journey's crossing and gauge change drops its dwell.
	var evs struct {
		Items []eventJSON `json:"items"`
	}
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/runs/%d/events", dwellRun), nil).decode(t, &evs)
	for _, e := range evs.Items {
		if e.Type == "gauge_changed" {
			ts.mustDo(t, 204, "DELETE", fmt.Sprintf("/api/v1/runs/%d/events/%d", dwellRun, *e.ID), nil)
		}
	}
	ts.mustDo(t, 200, "GET", "/api/v1/routes/QD-MZL-MOW/transit?direction=outbound", nil).decode(t, &tr)
	if len(tr.Borders) != 1 || tr.Borders[0].MedianDwellHours != 30 {
		t.Fatalf("dwell after retracting the gauge change: %+v", tr.Borders)
	}

	// Runs on their way: oldest first, with the route's median as ETA.
	newer := createRun(t, ts, runBody("QD-MZL-MOW", "X8201", "2026-11-20T08:00:00+08:00"))
	older := createRun(t, ts, runBody("QD-MZL-MOW", "X8200", "2026-11-18T08:00:00+08:00"))
	var page struct {
		Items      []runDetailJSON `json:"items"`
		NextCursor *string         `json:"next_cursor"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/runs/in-transit?limit=1", nil).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != older.ID || page.NextCursor == nil {
		t.Fatalf("in transit, first page: %+v", page)
	}
	median := (durations[1] + durations[2]) / 2
	wantETA := time.Date(2026, 11, 18, 8, 0, 0, 0, shanghai).Add(median)
	if e := page.Items[0]; e.ETABasis == nil || *e.ETABasis != "route_history" || e.ETA == nil || !sameInstant(t, *e.ETA, wantETA.Format(time.RFC3339)) {
		t.Fatalf("route-history ETA: %v %v, want %s", page.Items[0].ETA, page.Items[0].ETABasis, wantETA)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/runs/in-transit?limit=1&cursor="+*page.NextCursor, nil).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != newer.ID || page.NextCursor != nil {
		t.Fatalf("in transit, second page: %+v", page)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/runs/in-transit?route=SCO-TJ-MOW", nil).decode(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("in transit on another route: %+v", page)
	}

	// Totals and the month's summary give the median transit times of the
	// trains that arrived (all of them in October).
	var yearly struct {
		Transit struct {
			Outbound *struct {
				Runs       int     `json:"runs"`
				MedianDays float64 `json:"median_days"`
			} `json:"outbound"`
			Routes []struct {
				Route      string  `json:"route"`
				Direction  string  `json:"direction"`
				MedianDays float64 `json:"median_days"`
			} `json:"routes"`
		} `json:"transit"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?year=2026&through=2026-10", nil).decode(t, &yearly)
	if o := yearly.Transit.Outbound; o == nil || o.Runs != 4 || o.MedianDays != 16.5 || len(yearly.Transit.Routes) != 2 ||
		yearly.Transit.Routes[1].Direction != "inbound" || yearly.Transit.Routes[1].MedianDays != 30 {
		t.Fatalf("yearly totals' transit: %+v", yearly.Transit)
	}
	ts.mustDo(t, 200, "GET", "/api/v1/totals/yearly?year=2026&through=2026-09", nil).decode(t, &yearly)
	if yearly.Transit.Outbound != nil || len(yearly.Transit.Routes) != 0 {
		t.Fatalf("no arrivals through September: %+v", yearly.Transit)
	}
	var sum struct {
		TextZh string `json:"text_zh"`
		TextEn string `json:"text_en"`
	}
	ts.mustDo(t, 200, "POST", "/api/v1/summaries/2026-10/generate", nil).decode(t, &sum)
	for _, want := range []string{"本月到达的中欧班列运行时间中位数去程16.5天、回程30.0天，其中上合示范区—同江—莫斯科去程16.5天、上合示范区—同江—莫斯科回程30.0天。"} {
		if !strings.Contains(sum.TextZh, want) {
			t.Errorf("the Chinese summary lacks %q:\n%s", want, sum.TextZh)
		}
	}
	for _, want := range []string{"Trains that arrived in October took a median 16.5 days outbound and 30.0 days inbound (SCO Zone – Tongjiang – Moscow, outbound: 16.5 days; SCO Zone – Tongjiang – Moscow, inbound: 30.0 days)."} {
		if !strings.Contains(sum.TextEn, want) {
			t.Errorf("the English summary lacks %q:\n%s", want, sum.TextEn)
		}
	}
}

func TestJourneyEdgesSQLite(t *testing.T) {
	t.Parallel()
	testJourneyEdges(t, newTestServer(t))
}

func TestJourneyEdgesPostgres(t *testing.T) {
	t.Parallel()
	testJourneyEdges(t, newTestServerPG(t))
}

// testJourneyEdges: the order of events at one instant, a run's arrival
// time set without its status, an estimate that fixes the departure, and
// free text kept as written.
func testJourneyEdges(t *testing.T, ts *testServer) {
	ts.mustDo(t, 201, "POST", "/api/v1/routes", journeyRoute("QD-MZL-MOW"))
	mk := func(number string) string {
		b := runBody("QD-MZL-MOW", number, "2026-11-10T08:00:00+08:00")
		b["container_numbers"] = []string{}
		return fmt.Sprintf("/api/v1/runs/%d", createRun(t, ts, b).ID)
	}
	const T = "2026-11-14T10:00:00+08:00"
	// Events at the same instant at two stops: accepted whichever is sent
	// first, and listed in the journey's order.
	for i, order := range [][]int{{2, 3}, {3, 2}} {
		run := mk(fmt.Sprintf("X820%d", i))
		for _, stop := range order {
			ts.mustDo(t, 201, "POST", run+"/events", map[string]any{"type": "arrived", "at": T, "stop": stop})
		}
		var list struct{ Items []eventJSON }
		ts.mustDo(t, 200, "GET", run+"/events", nil).decode(t, &list)
		if len(list.Items) != 3 || *list.Items[1].Stop != 2 || *list.Items[2].Stop != 3 {
			t.Errorf("arrivals at %v at one instant listed as %+v", order, list.Items)
		}
	}

	// An arrival time set by a PATCH that leaves the status departed does
	// not end the journey: the run stays in transit, and its arrival at the
	// final stop is still recorded (and makes it arrived).
	run := mk("X8210")
	ts.mustDo(t, 200, "PATCH", run, map[string]any{"arrived_at": "2026-11-25T10:00:00+03:00"})
	var moving struct{ Items []runDetailJSON }
	ts.mustDo(t, 200, "GET", "/api/v1/runs/in-transit", nil).decode(t, &moving)
	if len(moving.Items) == 0 || fmt.Sprintf("/api/v1/runs/%d", moving.Items[len(moving.Items)-1].ID) != run {
		t.Errorf("a departed run with an arrival time left the in-transit list: %+v", moving.Items)
	}
	arr := ts.mustDo(t, 201, "POST", run+"/events", map[string]any{"type": "arrived", "at": "2026-11-25T11:00:00+03:00", "stop": 4})
	var d runDetailJSON
	ts.mustDo(t, 200, "GET", run, nil).decode(t, &d)
	if d.Status != "arrived" || d.ArrivedAt == nil || !sameInstant(t, *d.ArrivedAt, "2026-11-25T11:00:00+03:00") {
		t.Errorf("after the final arrival %s: %+v", arr.Body, d)
	}

	// An estimate given on 11 November for the 20th: the departure cannot
	// move after either.
	run = mk("X8211")
	ts.mustDo(t, 201, "POST", run+"/events", map[string]any{"type": "estimated_arrival", "at": "2026-11-11T09:00:00+08:00", "eta": "2026-11-20T08:00:00+03:00"})
	for _, dep := range []string{"2026-11-12T08:00:00+08:00", "2026-11-21T08:00:00+08:00"} {
		if got := problemFields(t, ts.do(t, "PATCH", run, map[string]any{"departed_at": dep}), 422); !reflect.DeepEqual(got, []fieldErr{{"departed_at", "order"}}) {
			t.Errorf("departure moved to %s past the estimate: %v", dep, got)
		}
	}

	// Free text as written: full-width punctuation stays, and 200
	// characters that NFKC would expand are still 200.
	run = mk("X8212")
	reason := "海关查验（延误两天）：等待放行"
	var held eventJSON
	var raw struct {
		Reason string `json:"reason"`
	}
	r := ts.mustDo(t, 201, "POST", run+"/events", map[string]any{"type": "held", "at": T, "stop": 2, "reason": reason})
	r.decode(t, &held)
	r.decode(t, &raw)
	if raw.Reason != reason {
		t.Errorf("reason stored as %q, sent %q", raw.Reason, reason)
	}
	ts.mustDo(t, 201, "POST", run+"/events", map[string]any{"type": "held", "at": "2026-11-14T11:00:00+08:00", "stop": 2, "reason": strings.Repeat("㍿", 200)})
}
