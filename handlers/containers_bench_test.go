package handlers_test

// BenchmarkContainerLookup: GET /api/v1/containers/{number} among 100,000
// runs, against a floor as in bench_test.go: the least work that answers
// the same JSON with the same libraries on the same schema and file.
//
//	go test ./handlers/ -run '^$' -bench ContainerLookup -benchtime 2s
//
// The runs are seeded with plain SQL in one transaction before the timer
// starts (a few seconds), as CreateRun stores them.

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"
	"time"

	"banlie/models"

	"github.com/labstack/echo/v4"
)

// The lookup's data: lookupRuns runs over five routes, departing every 97
// minutes from 2015 on, each with two containers of its own; every
// lookupEvery-th also carries lookupBox, arrives 14 days after departing
// (so no two of them hold it at once) and has two journey events at the
// route's border stop.
const (
	lookupRuns  = 100_000
	lookupEvery = 2_500
	lookupBox   = "CSQU3054383"
)

func seedLookup(b *testing.B, db *sql.DB) {
	b.Helper()
	var routes []int64
	rows, err := db.Query(`SELECT id FROM routes ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		routes = append(routes, id)
	}
	rows.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	prep := func(q string) *sql.Stmt {
		st, err := tx.Prepare(q)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	insRun := prep(`INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day,
		arrived_at, status, containers, teu, cargo, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 40, 80, NULL, ?, ?)`)
	insBox := prep(`INSERT INTO run_containers (run_id, seq, number) VALUES (?, ?, ?)`)
	insEvent := prep(`INSERT INTO run_events (run_id, type, at, stop, created_at) VALUES (?, ?, ?, 1, ?)`)
	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	for i := range lookupRuns {
		dep := start.Add(time.Duration(i) * 97 * time.Minute)
		dir := []string{"outbound", "inbound"}[i%2]
		status, arr := "departed", (*time.Time)(nil)
		if i%3 == 0 || i%lookupEvery == 0 {
			a := dep.Add(14 * 24 * time.Hour)
			status, arr = "arrived", &a
		}
		number := fmt.Sprintf("C%06d", i)
		res, err := insRun.Exec(routes[i%len(routes)], number, number, dir, dep, dep.In(shanghai).Format(time.DateOnly), arr, status, now, now)
		if err != nil {
			b.Fatal(err)
		}
		id, _ := res.LastInsertId()
		boxes := []string{models.ContainerNumber("BEN", 'U', 2*i), models.ContainerNumber("BEN", 'U', 2*i+1)}
		if i%lookupEvery == 0 {
			boxes = append(boxes, lookupBox)
			for k, typ := range []string{"arrived", "border_crossed"} {
				if _, err := insEvent.Exec(id, typ, dep.Add(time.Duration(5+k)*24*time.Hour), now); err != nil {
					b.Fatal(err)
				}
			}
		}
		for k, n := range boxes {
			if _, err := insBox.Exec(id, k, n); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
}

// lookupFloor is a bare Echo answering GET /api/v1/containers/:number with
// prepared statements: the number checked, one SELECT of the page of runs
// (by run_containers_number), one of their routes' stops, one of their
// events; each run's last event from its journey (models.Journey, as
// banlie does), encoded with encoding/json.
func lookupFloor(b *testing.B, db *sql.DB) string {
	b.Helper()
	loc := shanghai
	selRuns := mustPrepare(b, db, `SELECT runs.id, runs.route_id, routes.code, runs.number, runs.direction,
		runs.departed_at, runs.arrived_at, runs.status
		FROM run_containers JOIN runs ON runs.id = run_containers.run_id JOIN routes ON routes.id = runs.route_id
		WHERE run_containers.number = ? ORDER BY runs.departed_at DESC, runs.id DESC LIMIT ?`)
	selStops := mustPrepare(b, db, `SELECT route_id, name, country, locode, role FROM route_stops
		WHERE route_id IN (SELECT value FROM json_each(?)) ORDER BY route_id, seq`)
	selEvents := mustPrepare(b, db, `SELECT id, run_id, type, at, stop, reason, eta, note, created_at FROM run_events
		WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, at, id`)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/api/v1/containers/:number", func(c echo.Context) error {
		ctx := c.Request().Context()
		n, err := models.ParseContainerNumber(c.Param("number"))
		if err != nil {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
		}
		const limit = 50
		rows, err := selRuns.QueryContext(ctx, n, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		type found struct {
			run     models.ContainerRun
			routeID int64
		}
		var runs []found
		for rows.Next() {
			var f found
			var arr sql.NullTime
			if err := rows.Scan(&f.run.ID, &f.routeID, &f.run.Route, &f.run.Number, &f.run.Direction, &f.run.DepartedAt, &arr, &f.run.Status); err != nil {
				return err
			}
			if arr.Valid {
				f.run.ArrivedAt = &arr.Time
			}
			runs = append(runs, f)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(runs) == 0 {
			return c.JSON(http.StatusNotFound, map[string]string{"error": "no run lists " + n})
		}
		out := models.ContainerRuns{Number: n, Runs: []models.ContainerRun{}}
		if len(runs) > limit {
			runs = runs[:limit]
			last := runs[limit-1].run
			cur, _ := json.Marshal(struct {
				D time.Time `json:"d"`
				I int64     `json:"i"`
			}{last.DepartedAt.UTC(), last.ID})
			s := base64.RawURLEncoding.EncodeToString(append([]byte("container-runs."), cur...))
			out.NextCursor = &s
		}
		routeIDs, runIDs := []byte{'['}, []byte{'['}
		for i, f := range runs {
			if i > 0 {
				routeIDs, runIDs = append(routeIDs, ','), append(runIDs, ',')
			}
			routeIDs, runIDs = strconv.AppendInt(routeIDs, f.routeID, 10), strconv.AppendInt(runIDs, f.run.ID, 10)
		}
		stops := map[int64][]models.Stop{}
		srows, err := selStops.QueryContext(ctx, string(append(routeIDs, ']')))
		if err != nil {
			return err
		}
		defer srows.Close()
		for srows.Next() {
			var id int64
			var st models.Stop
			if err := srows.Scan(&id, &st.Name, &st.Country, &st.Locode, &st.Role); err != nil {
				return err
			}
			stops[id] = append(stops[id], st)
		}
		if err := srows.Err(); err != nil {
			return err
		}
		type eventRow struct {
			models.Event
			stop *int
		}
		events := map[int64][]eventRow{}
		erows, err := selEvents.QueryContext(ctx, string(append(runIDs, ']')))
		if err != nil {
			return err
		}
		defer erows.Close()
		for erows.Next() {
			var ev eventRow
			var id int64
			var eta sql.NullTime
			var created time.Time
			if err := erows.Scan(&id, &ev.RunID, &ev.Type, &ev.At, &ev.stop, &ev.Reason, &eta, &ev.Note, &created); err != nil {
				return err
			}
			ev.ID, ev.Stop, ev.Source = &id, ev.stop, models.SourceEvent
			ev.At, created = ev.At.In(loc), created.In(loc)
			ev.CreatedAt = &created
			if eta.Valid {
				t := eta.Time.In(loc)
				ev.ETA = &t
			}
			events[ev.RunID] = append(events[ev.RunID], ev)
		}
		if err := erows.Err(); err != nil {
			return err
		}
		for _, f := range runs {
			r := f.run
			r.DepartedAt = r.DepartedAt.In(loc)
			if r.ArrivedAt != nil {
				t := r.ArrivedAt.In(loc)
				r.ArrivedAt = &t
			}
			j := models.Journey{RunID: r.ID, Stops: stops[f.routeID], Direction: r.Direction, Status: r.Status, DepartedAt: r.DepartedAt, ArrivedAt: r.ArrivedAt}
			for _, ev := range events[r.ID] {
				if ev.stop != nil {
					ev.Place = j.Ref(*ev.stop)
				}
				j.Events = append(j.Events, ev.Event)
			}
			r.LastEvent = j.Position().LastEvent
			out.Runs = append(out.Runs, r)
		}
		return c.JSON(http.StatusOK, out)
	})
	srv := httptest.NewServer(e)
	b.Cleanup(srv.Close)
	return srv.URL
}

func BenchmarkContainerLookup(b *testing.B) {
	srv := benchBanlie(b, "FULL")
	c := benchClient(b)
	for _, code := range []string{"SCO-TJ-MOW", "XIAN-DUIS", "CHONGQING-LODZ", "YIWU-MAD", "HEFEI-HAM"} {
		benchRouteHTTP(b, c, srv, code)
	}
	db := openFloorDB(b, srv.DB, "FULL", false)
	t0 := time.Now()
	seedLookup(b, db)
	b.Logf("seeded %d runs in %s", lookupRuns, time.Since(t0).Round(time.Millisecond))
	floor := lookupFloor(b, db)

	// The same answer on both sides, as a user would check it: every run
	// that carries the box, newest first, each with its last event.
	const path = "/api/v1/containers/csqu3054383"
	var answers [2]models.ContainerRuns
	var raw [2]any
	for i, u := range []string{srv.URL, floor} {
		st, got := exchange(b, c, "GET", u+path, "", nil)
		if st != http.StatusOK {
			b.Fatalf("status %d: %s", st, got)
		}
		if err := json.Unmarshal(got, &answers[i]); err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(got, &raw[i]); err != nil {
			b.Fatal(err)
		}
	}
	if !reflect.DeepEqual(raw[0], raw[1]) {
		b.Fatalf("banlie and floor answer differently:\n%v\n%v", raw[0], raw[1])
	}
	a := answers[0]
	if a.Number != lookupBox || len(a.Runs) != lookupRuns/lookupEvery || a.NextCursor != nil {
		b.Fatalf("%s: %d runs (next %v), want %d", a.Number, len(a.Runs), a.NextCursor, lookupRuns/lookupEvery)
	}
	for k, r := range a.Runs {
		if want := fmt.Sprintf("C%06d", (len(a.Runs)-1-k)*lookupEvery); r.Number != want || r.Status != models.StatusArrived ||
			r.LastEvent == nil || r.LastEvent.Type != models.EventArrived || r.LastEvent.Source != models.SourceRun {
			b.Fatalf("run %d of the box: %+v, want %s, arrived, its arrival last", k, r, want)
		}
	}

	// "banlie" and "paired" raise the data version (untimed) before each of
	// banlie's requests, so that it computes every answer as after a write;
	// the "_kept" variants measure the poll between writes. The write comes
	// from a pool of its own: after it, neither side's connections may read
	// their cached pages (SQLite drops them when another connection has
	// written), as after a write in production.
	writer := openFloorDB(b, srv.DB, "FULL", false)
	bump := func(b *testing.B) {
		if _, err := writer.Exec(`UPDATE data_version SET v = v + 1 WHERE id = 1`); err != nil {
			b.Fatal(err)
		}
	}
	for _, side := range []struct {
		name, base string
		fresh      bool
	}{{"banlie", srv.URL, true}, {"banlie_kept", srv.URL, false}, {"floor", floor, false}} {
		b.Run(side.name, func(b *testing.B) {
			url := side.base + path
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				if side.fresh {
					b.StopTimer()
					bump(b)
					b.StartTimer()
				}
				if st, got := exchange(b, c, "GET", url, "", nil); st != http.StatusOK {
					b.Fatalf("status %d: %s", st, got)
				}
			}
			reportCPU(b, cpu)
		})
	}
	for _, kept := range []bool{false, true} {
		name := "paired"
		if kept {
			name = "paired_kept"
		}
		b.Run(name, func(b *testing.B) {
			var before func(*testing.B)
			if !kept {
				before = bump
			}
			pairedGETs(b, c, []string{srv.URL + path, floor + path}, before, nil)
		})
	}
}
