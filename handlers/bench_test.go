package handlers_test

// Benchmarks of the two hottest endpoints, each measured in the same run
// against a floor: the least work that does the same job with the same
// libraries (Echo, encoding/json, database/sql + mattn/go-sqlite3) on the same
// schema and the same SQLite durability settings. The ratio banlie/floor is
// the figure that matters; see docs/PERFORMANCE.md.
//
// The benchmarks talk HTTP with a plain http.Client: the harness's do()
// validates every exchange against OpenAPI, which must not be measured.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"banlie/app"
	"banlie/handlers"
	"banlie/models"
	"banlie/store"
	"banlie/web"

	"github.com/labstack/echo/v4"
	_ "github.com/mattn/go-sqlite3"
)

// ---------------------------------------------------------------- banlie side

// benchRate is the rate limit the benchmarks run banlie with: high enough to
// never answer 429, so the limiter's own work is measured (production runs
// with it on, 50 requests/s per token by default) but never its throttling.
const benchRate = 1e9

// banlieServer is banlie's real server for a benchmark: its URL, database
// file and tokens.
type banlieServer struct {
	URL, DB         string
	Admin, Operator string
}

// benchBanlie is banlie's real server on a fresh SQLite file, with the given
// synchronous setting. For FULL it is the lead's newTestServerWith itself;
// for NORMAL it repeats that wiring (minus the job scheduler, which the runs
// endpoints do not touch) with only Synchronous changed.
func benchBanlie(b *testing.B, synchronous string) banlieServer {
	b.Helper()
	limit := func(c *handlers.Config) { c.RateLimit = benchRate }
	if synchronous == "FULL" {
		ts := newTestServerWith(b, shanghai, limit)
		return banlieServer{URL: ts.URL, DB: dbFile(b, ts.Store), Admin: ts.Admin, Operator: ts.Operator}
	}
	path := filepath.Join(b.TempDir(), "banlie.db")
	cfg := app.Config{DB: path, Loc: shanghai, Synchronous: synchronous}
	db, err := store.Open(cfg.DB, store.Options{Synchronous: cfg.Synchronous})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := store.Migrate(context.Background(), db, log); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, shanghai)
	st := store.NewStore(db, shanghai, func() time.Time { return now })
	if _, err := st.EnsureReportingZone(context.Background()); err != nil {
		b.Fatal(err)
	}
	out := banlieServer{DB: path}
	ctx, setup := context.Background(), st.WriteBy(models.Actor{Name: "bench-setup"}, nil)
	for role, dst := range map[string]*string{"admin": &out.Admin, "operator": &out.Operator} {
		secret, _, err := st.CreateToken(ctx, setup, "bench-"+role, role)
		if err != nil {
			b.Fatal(err)
		}
		*dst = secret
	}
	hc := handlers.Config{Store: st, Log: log, Web: web.FS(),
		Ready: func(ctx context.Context) error { return db.WithContext(ctx).Exec("SELECT 1").Error }}
	limit(&hc)
	srv := httptest.NewServer(handlers.New(hc))
	b.Cleanup(func() {
		srv.Close()
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	out.URL = srv.URL
	return out
}

// dbFile answers the path of the st's main database file.
func dbFile(b *testing.B, s *store.Store) string {
	b.Helper()
	rows, err := s.DB().Raw("PRAGMA database_list").Rows()
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name, file string
		if err := rows.Scan(&seq, &name, &file); err != nil {
			b.Fatal(err)
		}
		if name == "main" {
			return file
		}
	}
	b.Fatal("no main database")
	return ""
}

// ----------------------------------------------------------------- the floor

// floorDSN is app.OpenDB's DSN: the same durability and locking settings.
func floorDSN(path, synchronous string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", synchronous)
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?" + q.Encode()
}

// openFloorDB opens path with database/sql and mattn/go-sqlite3 directly. When
// migrate is set, banlie's own migrations are applied first (through a GORM
// handle that is closed again), so the schema and its indexes are identical.
func openFloorDB(b *testing.B, path, synchronous string, migrate bool) *sql.DB {
	b.Helper()
	if migrate {
		gdb, err := store.Open(path, store.Options{Synchronous: synchronous})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.Migrate(context.Background(), gdb, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			b.Fatal(err)
		}
		if sqlDB, err := gdb.DB(); err == nil {
			sqlDB.Close()
		}
	}
	db, err := sql.Open("sqlite3", floorDSN(path, synchronous))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(16) // as app.OpenDB
	db.SetMaxIdleConns(16)
	if err := db.Ping(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func mustPrepare(b *testing.B, db *sql.DB, q string) *sql.Stmt {
	b.Helper()
	st, err := db.Prepare(q)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// floorRun is a run as the API answers it.
type floorRun struct {
	ID               int64      `json:"id"`
	Route            string     `json:"route"`
	Mode             string     `json:"mode"`
	Number           string     `json:"number"`
	Direction        string     `json:"direction"`
	DepartedAt       time.Time  `json:"departed_at"`
	ArrivedAt        *time.Time `json:"arrived_at"`
	Status           string     `json:"status"`
	Containers       int        `json:"containers"`
	EmptyContainers  int        `json:"empty_containers"`
	TEU              int        `json:"teu"`
	Cargo            *string    `json:"cargo"`
	ContainerNumbers []string   `json:"container_numbers"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

type floorRunIn struct {
	Route            string   `json:"route"`
	Number           string   `json:"number"`
	Direction        string   `json:"direction"`
	DepartedAt       string   `json:"departed_at"`
	ArrivedAt        *string  `json:"arrived_at"`
	Status           string   `json:"status"`
	Containers       int      `json:"containers"`
	TEU              int      `json:"teu"`
	Cargo            *string  `json:"cargo"`
	ContainerNumbers []string `json:"container_numbers"`
}

// floorServer is a bare Echo (no middleware) answering POST and GET
// /api/v1/runs with one prepared statement per step (the list: one for the
// page of runs, one for their container numbers). POST inserts the run and
// a row per container number, in one transaction when there are any. With
// sameJob, POST also does the rest of what banlie's create does today, in
// the least work: check the bearer token (SHA-256 and one SELECT), then in
// one transaction look up the route, insert the run, check that no other
// run holds its containers at the time (one SELECT), insert its audit entry
// (the run as JSON) and mark its day dirty for the roll-ups.
func floorServer(b *testing.B, db *sql.DB, sameJob bool) string {
	b.Helper()
	loc := shanghai
	selToken := mustPrepare(b, db, `SELECT id, name, role, revoked_at FROM tokens WHERE hash = ?`)
	selRoute := mustPrepare(b, db, `SELECT id, mode FROM routes WHERE code = ?`)
	const insRunSQL = `INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day,
		arrived_at, status, containers, teu, cargo, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insRun := mustPrepare(b, db, insRunSQL)
	// The benchmark's runs list one container each.
	insBox := mustPrepare(b, db, `INSERT INTO run_containers (run_id, seq, number) VALUES (?, 0, ?)`)
	heldBox := mustPrepare(b, db, `SELECT COUNT(*) FROM run_containers JOIN runs ON runs.id = run_containers.run_id
		WHERE run_containers.number = ? AND run_containers.run_id <> ? AND runs.status <> 'cancelled'
		AND (runs.status <> 'arrived' OR runs.arrived_at > ?)`)
	insAudit := mustPrepare(b, db, `INSERT INTO audit_log (at, actor, action, entity, entity_id, before_value, after_value, request_id)
		VALUES (?, ?, 'runs.create', 'run', ?, NULL, ?, '')`)
	markDirty := mustPrepare(b, db, `INSERT INTO rollup_dirty (day, gen) VALUES (?, 1)
		ON CONFLICT (day) DO UPDATE SET gen = rollup_dirty.gen + 1`)
	bumpVersion := mustPrepare(b, db, `UPDATE data_version SET v = v + 1 WHERE id = 1`)
	insEvent := mustPrepare(b, db, `INSERT INTO outbox (type, at, data) VALUES ('run.created', ?, ?)`)
	list := mustPrepare(b, db, `SELECT runs.id, routes.code, routes.mode, runs.number, runs.direction,
		runs.departed_at, runs.arrived_at, runs.status, runs.containers, runs.teu, runs.cargo,
		runs.created_at, runs.updated_at
		FROM runs JOIN routes ON routes.id = runs.route_id
		ORDER BY runs.departed_at DESC, runs.id DESC LIMIT ?`)
	// The page's container numbers, for at most 501 runs (the page and the
	// one that tells whether another follows).
	listBoxes := mustPrepare(b, db, `SELECT run_id, number FROM run_containers
		WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, seq`)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/api/v1/runs", func(c echo.Context) error {
		ctx := c.Request().Context()
		actor := ""
		if sameJob {
			secret, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
			sum := sha256.Sum256([]byte(secret))
			var id int64
			var role string
			var revoked sql.NullTime
			if !ok || selToken.QueryRowContext(ctx, hex.EncodeToString(sum[:])).Scan(&id, &actor, &role, &revoked) != nil ||
				revoked.Valid || (role != "operator" && role != "admin") {
				return c.JSON(http.StatusUnauthorized, map[string]string{"error": "token"})
			}
		}
		var in floorRunIn
		if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
		}
		dep, err := time.Parse(time.RFC3339Nano, in.DepartedAt)
		if err != nil {
			return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": "departed_at"})
		}
		dep = dep.UTC()
		day := dep.In(loc).Format(time.DateOnly)
		var arr *time.Time
		if in.ArrivedAt != nil {
			a, err := time.Parse(time.RFC3339Nano, *in.ArrivedAt)
			if err != nil {
				return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": "arrived_at"})
			}
			a = a.UTC()
			arr = &a
		}
		if in.ContainerNumbers == nil {
			in.ContainerNumbers = []string{}
		}
		if len(in.ContainerNumbers) > 1 {
			return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": "container_numbers"})
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		out := floorRun{Route: in.Route, Number: in.Number, Direction: in.Direction,
			DepartedAt: dep.In(loc), Status: in.Status, Containers: in.Containers, TEU: in.TEU,
			Cargo: in.Cargo, ContainerNumbers: in.ContainerNumbers, CreatedAt: now.In(loc), UpdatedAt: now.In(loc)}
		if arr != nil {
			a := arr.In(loc)
			out.ArrivedAt = &a
		}
		var routeID int64
		write := func(q interface {
			Stmt(*sql.Stmt) *sql.Stmt
		}) error {
			if err := q.Stmt(selRoute).QueryRowContext(ctx, in.Route).Scan(&routeID, &out.Mode); err != nil {
				return err
			}
			res, err := q.Stmt(insRun).ExecContext(ctx, routeID, in.Number, strings.ToUpper(in.Number), in.Direction, dep, day,
				arr, in.Status, in.Containers, in.TEU, in.Cargo, now, now)
			if err != nil {
				return err
			}
			out.ID, _ = res.LastInsertId()
			for _, n := range in.ContainerNumbers {
				if sameJob {
					var held int
					if err := q.Stmt(heldBox).QueryRowContext(ctx, n, out.ID, dep).Scan(&held); err != nil {
						return err
					}
					if held > 0 {
						return errHeld
					}
				}
				if _, err := q.Stmt(insBox).ExecContext(ctx, out.ID, n); err != nil {
					return err
				}
			}
			if !sameJob {
				return nil
			}
			after, _ := json.Marshal(out)
			if _, err := q.Stmt(insAudit).ExecContext(ctx, now, actor, strconv.FormatInt(out.ID, 10), string(after)); err != nil {
				return err
			}
			if _, err = q.Stmt(markDirty).ExecContext(ctx, day); err != nil {
				return err
			}
			if _, err = q.Stmt(bumpVersion).ExecContext(ctx); err != nil {
				return err
			}
			_, err = q.Stmt(insEvent).ExecContext(ctx, now, string(after))
			return err
		}
		if sameJob || len(in.ContainerNumbers) > 0 {
			// A run and its containers are stored together or not at all:
			// one transaction, one commit.
			tx, berr := db.BeginTx(ctx, nil)
			if berr != nil {
				return berr
			}
			if err = write(tx); err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
		} else {
			err = write(noTx{}) // no containers: two autocommit statements, the least work
		}
		if errors.Is(err, sql.ErrNoRows) {
			return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": "route"})
		} else if errors.Is(err, errHeld) {
			return c.JSON(http.StatusConflict, map[string]string{"error": "container_numbers"})
		} else if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/runs/"+strconv.FormatInt(out.ID, 10))
		return c.JSON(http.StatusCreated, out)
	})
	e.GET("/api/v1/runs", func(c echo.Context) error {
		limit := 50
		if v := c.QueryParam("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return c.JSON(http.StatusBadRequest, map[string]string{"error": "limit"})
			}
			limit = min(n, 500)
		}
		rows, err := list.QueryContext(c.Request().Context(), limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		items := make([]floorRun, 0, limit+1)
		ids := make([]byte, 0, 8*(limit+1))
		ids = append(ids, '[')
		for rows.Next() {
			var r floorRun
			var arr sql.NullTime
			if err := rows.Scan(&r.ID, &r.Route, &r.Mode, &r.Number, &r.Direction, &r.DepartedAt, &arr,
				&r.Status, &r.Containers, &r.TEU, &r.Cargo, &r.CreatedAt, &r.UpdatedAt); err != nil {
				return err
			}
			if len(items) > 0 {
				ids = append(ids, ',')
			}
			ids = strconv.AppendInt(ids, r.ID, 10)
			r.ContainerNumbers = []string{}
			r.DepartedAt, r.CreatedAt, r.UpdatedAt = r.DepartedAt.In(loc), r.CreatedAt.In(loc), r.UpdatedAt.In(loc)
			if arr.Valid {
				a := arr.Time.In(loc)
				r.ArrivedAt = &a
			}
			items = append(items, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		boxes, err := listBoxes.QueryContext(c.Request().Context(), string(append(ids, ']')))
		if err != nil {
			return err
		}
		defer boxes.Close()
		at := make(map[int64]int, len(items))
		for i, r := range items {
			at[r.ID] = i
		}
		for boxes.Next() {
			var id int64
			var n string
			if err := boxes.Scan(&id, &n); err != nil {
				return err
			}
			items[at[id]].ContainerNumbers = append(items[at[id]].ContainerNumbers, n)
		}
		if err := boxes.Err(); err != nil {
			return err
		}
		page := struct {
			Items      []floorRun `json:"items"`
			NextCursor *string    `json:"next_cursor"`
		}{Items: items}
		if len(items) > limit {
			page.Items = items[:limit]
			last := items[limit-1]
			cur, _ := json.Marshal(struct {
				D time.Time `json:"d"`
				I int64     `json:"i"`
			}{last.DepartedAt.UTC(), last.ID})
			s := base64.RawURLEncoding.EncodeToString(append([]byte("runs."), cur...))
			page.NextCursor = &s
		}
		return c.JSON(http.StatusOK, page)
	})
	srv := httptest.NewServer(e)
	b.Cleanup(srv.Close)
	return srv.URL
}

// errHeld: the floor's run lists a container another run holds.
var errHeld = errors.New("container held by another run")

// noTx runs prepared statements as they are, outside any transaction.
type noTx struct{}

func (noTx) Stmt(s *sql.Stmt) *sql.Stmt { return s }

// ------------------------------------------------------------------- client

func benchClient(b *testing.B) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// exchange sends one request, with a bearer token unless token is empty, and
// answers the status and body.
func exchange(b *testing.B, c *http.Client, method, url, token string, body []byte) (int, []byte) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		b.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	return res.StatusCode, got
}

// benchRouteHTTP creates a route through banlie's API; benchRouteSQL by raw
// SQL on a floor database.
func benchRouteHTTP(b *testing.B, c *http.Client, srv banlieServer, code string) {
	b.Helper()
	body, _ := json.Marshal(routeBody(code))
	if st, got := exchange(b, c, "POST", srv.URL+"/api/v1/routes", srv.Admin, body); st != http.StatusCreated {
		b.Fatalf("create route: %d %s", st, got)
	}
}

func benchRouteSQL(b *testing.B, db *sql.DB, code string) {
	b.Helper()
	now := time.Now().UTC()
	if _, err := db.Exec(`INSERT INTO routes (code, name, mode, active, created_at, updated_at) VALUES (?, ?, 'rail', TRUE, ?, ?)`,
		code, "Route "+code, now, now); err != nil {
		b.Fatal(err)
	}
}

// benchTokenSQL stores an operator token on a floor database and answers
// its secret; only the SHA-256 is stored, as banlie does.
func benchTokenSQL(b *testing.B, db *sql.DB) string {
	b.Helper()
	secret := "bnl_floorbenchmarksecret"
	sum := sha256.Sum256([]byte(secret))
	if _, err := db.Exec(`INSERT INTO tokens (name, role, hash, prefix, created_at) VALUES ('floor', 'operator', ?, 'bnl_floo', ?)`,
		hex.EncodeToString(sum[:]), time.Now().UTC()); err != nil {
		b.Fatal(err)
	}
	return secret
}

// runNumbers keeps run numbers unique across every iteration of every run.
var runNumbers atomic.Int64

// createBody is a valid run with a fresh number and a fresh container (a
// box is on one train at a time), built without reflection so the client's
// own cost stays small and equal on both sides.
func createBody(buf []byte) []byte {
	buf = append(buf[:0], `{"route":"SCO-TJ-MOW","number":"X`...)
	n := runNumbers.Add(1)
	buf = strconv.AppendInt(buf, n, 10)
	buf = append(buf, `","direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00","arrived_at":null,`+
		`"status":"departed","containers":55,"teu":110,"cargo":"auto parts, household appliances",`+
		`"container_numbers":["`...)
	buf = append(buf, models.ContainerNumber("CSQ", 'U', int(n))...)
	buf = append(buf, `"]}`...)
	return buf
}

// comparableRun strips what legitimately differs between two answers for the
// same create (the id, the number, the container and the clock).
func comparableRun(b *testing.B, body []byte) map[string]any {
	b.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		b.Fatalf("answer is not JSON: %s", body)
	}
	if boxes, ok := m["container_numbers"].([]any); !ok || len(boxes) != 1 {
		b.Fatalf("container_numbers of the answer: %v", m["container_numbers"])
	}
	delete(m, "container_numbers")
	delete(m, "id")
	delete(m, "number")
	delete(m, "created_at")
	delete(m, "updated_at")
	return m
}

// ------------------------------------------------------------- benchmarks

// BenchmarkCreateRun: POST /api/v1/runs, one new run per iteration, with an
// operator token. The plain names use synchronous=FULL (banlie's default);
// the _normal ones synchronous=NORMAL on every side. "floor" is the least
// work that stores a run (decode, look the route up, insert, answer);
// "floor_samejob" adds what banlie's create also does today (token check,
// one transaction, audit entry, roll-up dirty mark). "paired" sends one
// request to each of the three in turn every iteration and reports their
// times as metrics: the background load of a shared machine then weighs on
// all three alike, so its ratios are the steadiest figures.
func BenchmarkCreateRun(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		suffix := ""
		if sync == "NORMAL" {
			suffix = "_normal"
		}
		setups := []struct {
			name  string
			setup func(*testing.B) createSide
		}{
			{"banlie", func(b *testing.B) createSide { return banlieCreateSide(b, sync) }},
			{"floor", func(b *testing.B) createSide { return floorCreateSide(b, sync, false) }},
			{"floor_samejob", func(b *testing.B) createSide { return floorCreateSide(b, sync, true) }},
		}
		for _, s := range setups {
			b.Run(s.name+suffix, func(b *testing.B) {
				side := s.setup(b)
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cpuTime()
				for b.Loop() {
					side.post(b)
				}
				reportCPU(b, cpu)
			})
		}
		b.Run("paired"+suffix, func(b *testing.B) {
			var sides []createSide
			for _, s := range setups {
				sides = append(sides, s.setup(b))
			}
			var answers []map[string]any
			for _, side := range sides {
				answers = append(answers, comparableRun(b, side.post(b)))
			}
			for _, a := range answers[1:] {
				if !reflect.DeepEqual(answers[0], a) {
					b.Fatalf("banlie and a floor answer differently:\n%v\n%v", answers[0], a)
				}
			}
			took := make([]time.Duration, len(sides))
			n := 0
			b.ResetTimer()
			for b.Loop() {
				for i, side := range sides {
					t0 := time.Now()
					side.post(b)
					took[i] += time.Since(t0)
				}
				n++
			}
			reportPaired(b, n, took, setups[0].name, setups[1].name, setups[2].name)
		})
	}
}

// pairedGETs sends a GET to each of urls in turn every iteration, timing
// each, and reports their mean times and the rate ratio of the first to
// each other one (reportPaired). bump, when not nil, runs untimed before
// the first url's request (so that banlie computes its answer, as after a
// write); check, when not nil, sees each of the first url's answers.
func pairedGETs(b *testing.B, c *http.Client, urls []string, bump func(*testing.B), check func([]byte)) {
	took := make([]time.Duration, len(urls))
	n := 0
	for b.Loop() {
		for i, url := range urls {
			if i == 0 && bump != nil {
				bump(b)
			}
			t0 := time.Now()
			st, got := exchange(b, c, "GET", url, "", nil)
			took[i] += time.Since(t0)
			if st != http.StatusOK {
				b.Fatalf("status %d: %s", st, got)
			}
			if i == 0 && check != nil {
				check(got)
			}
		}
		n++
	}
	reportPaired(b, n, took, "banlie", "floor")
}

// reportPaired reports each side's mean time and the rate ratio of the first
// side to each other one (the rate ratio banlie/floor is floor time / banlie time).
func reportPaired(b *testing.B, n int, took []time.Duration, names ...string) {
	for i, name := range names {
		b.ReportMetric(float64(took[i].Microseconds())/float64(n), name+"-us/op")
	}
	for i := 1; i < len(names); i++ {
		b.ReportMetric(float64(took[i])/float64(took[0]), "ratio-vs-"+names[i])
	}
}

// cpuTime is the CPU time (user and system, every thread: server, client,
// SQLite, GC) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start. On a machine
// shared with other work it moves far less than the wall-clock ns/op, so the
// ratio of two sides' cpu-us/op is a steadier view of their overhead; it
// leaves out time spent waiting (fsync under synchronous=FULL).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-us/op")
}

// createSide is one server under the create benchmark, ready for POSTs.
type createSide struct {
	c          *http.Client
	url, token string
	buf        []byte
}

// post creates one run with a fresh number and answers the body.
func (s *createSide) post(b *testing.B) []byte {
	s.buf = createBody(s.buf)
	st, got := exchange(b, s.c, "POST", s.url, s.token, s.buf)
	if st != http.StatusCreated {
		b.Fatalf("status %d: %s", st, got)
	}
	return got
}

func banlieCreateSide(b *testing.B, sync string) createSide {
	srv := benchBanlie(b, sync)
	c := benchClient(b)
	benchRouteHTTP(b, c, srv, "SCO-TJ-MOW")
	s := createSide{c: c, url: srv.URL + "/api/v1/runs", token: srv.Operator, buf: make([]byte, 0, 512)}
	s.post(b) // warm the connection, the pool and the caches
	return s
}

func floorCreateSide(b *testing.B, sync string, sameJob bool) createSide {
	db := openFloorDB(b, filepath.Join(b.TempDir(), "floor.db"), sync, true)
	benchRouteSQL(b, db, "SCO-TJ-MOW")
	token := benchTokenSQL(b, db)
	s := createSide{c: benchClient(b), url: floorServer(b, db, sameJob) + "/api/v1/runs", token: token, buf: make([]byte, 0, 512)}
	s.post(b)
	return s
}

// listSeed is how many runs the list benchmarks read from.
const listSeed = 10_000

// seedRuns inserts n runs over five routes in one transaction, in the shape
// CreateRun stores them (UTC instants, day in the reporting zone, two
// container numbers of its own each, rows of run_containers).
func seedRuns(b *testing.B, db *sql.DB, n int) {
	b.Helper()
	rows, err := db.Query(`SELECT id FROM routes ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	var routes []int64
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
	ins, err := tx.Prepare(`INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day,
		arrived_at, status, containers, teu, cargo, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	box, err := tx.Prepare(`INSERT INTO run_containers (run_id, seq, number) VALUES (?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Now().UTC().Truncate(time.Microsecond)
	cargo := "auto parts, household appliances"
	for i := range n {
		dep := start.Add(time.Duration(i) * 97 * time.Minute)
		var arr *time.Time
		status, dir := "departed", "outbound"
		if i%3 == 0 {
			a := dep.Add(14 * 24 * time.Hour)
			arr, status = &a, "arrived"
		}
		if i%2 == 1 {
			dir = "inbound"
		}
		var cg *string
		if i%4 != 0 {
			cg = &cargo
		}
		res, err := ins.Exec(routes[i%len(routes)], fmt.Sprintf("X%05d", i), fmt.Sprintf("X%05d", i), dir, dep, dep.In(shanghai).Format(time.DateOnly),
			arr, status, 55, 110, cg, now, now)
		if err != nil {
			b.Fatal(err)
		}
		id, _ := res.LastInsertId()
		for k, n := range []string{models.ContainerNumber("CSQ", 'U', i), models.ContainerNumber("MSK", 'U', i)} {
			if _, err := box.Exec(id, k, n); err != nil {
				b.Fatal(err)
			}
		}
	}
	ins.Close()
	box.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListRuns: GET /api/v1/runs?limit=50 (the first page, newest
// first) from 10,000 runs, without a token (reads are public by default).
// Both sides read the same database file, synchronous=FULL (which does not
// matter for reads).
func BenchmarkListRuns(b *testing.B) {
	srv := benchBanlie(b, "FULL")
	base := srv.URL
	c := benchClient(b)
	for _, code := range []string{"SCO-TJ-MOW", "XIAN-DUIS", "CHONGQING-LODZ", "YIWU-MAD", "HEFEI-HAM"} {
		benchRouteHTTP(b, c, srv, code)
	}
	db := openFloorDB(b, srv.DB, "FULL", false)
	seedRuns(b, db, listSeed)
	floor := floorServer(b, db, false)

	const q = "/api/v1/runs?limit=50"
	var answers [2]any
	for i, u := range []string{base, floor} {
		st, got := exchange(b, c, "GET", u+q, "", nil)
		if st != http.StatusOK {
			b.Fatalf("status %d: %s", st, got)
		}
		if err := json.Unmarshal(got, &answers[i]); err != nil {
			b.Fatal(err)
		}
	}
	if !reflect.DeepEqual(answers[0], answers[1]) {
		b.Fatalf("banlie and floor answer differently:\n%v\n%v", answers[0], answers[1])
	}
	if items := answers[0].(map[string]any)["items"].([]any); len(items) != 50 {
		b.Fatalf("%d items, want 50", len(items))
	}

	// banlie keeps a polled answer until the next committed write. "banlie"
	// and "paired" raise the data version before each of banlie's requests
	// (untimed) so that it computes every answer, as after a write; the
	// "_kept" variants measure the poll between writes.
	bump := func(b *testing.B) {
		if _, err := db.Exec(`UPDATE data_version SET v = v + 1 WHERE id = 1`); err != nil {
			b.Fatal(err)
		}
	}
	for _, side := range []struct {
		name, base string
		fresh      bool
	}{{"banlie", base, true}, {"banlie_kept", base, false}, {"floor", floor, false}} {
		b.Run(side.name, func(b *testing.B) {
			url := side.base + q
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
			pairedGETs(b, c, []string{base + q, floor + q}, before, nil)
		})
	}
}

// BenchmarkRunDetail: GET /api/v1/runs/{id} of a run with 30 journey events
// (an arrival at the border, 28 holds, the departure), among 10,000 runs:
// its position and its ETA from the route's last 20 arrivals. Paired with
// the list benchmark's floor (GET /api/v1/runs?limit=50 on a bare Echo), so
// that its ratio reads against the list's; banlie computes every answer
// (the data version is raised before each request). "events" is GET
// /api/v1/runs/{id}/events of the same run, for context.
func BenchmarkRunDetail(b *testing.B) {
	srv := benchBanlie(b, "FULL")
	c := benchClient(b)
	for _, code := range []string{"SCO-TJ-MOW", "XIAN-DUIS", "CHONGQING-LODZ", "YIWU-MAD", "HEFEI-HAM"} {
		benchRouteHTTP(b, c, srv, code)
	}
	db := openFloorDB(b, srv.DB, "FULL", false)
	seedRuns(b, db, listSeed)
	floor := floorServer(b, db, false)

	// A departed run of SCO-TJ-MOW (Jiaozhou – Tongjiang – Moscow) with 30 events.
	st, got := exchange(b, c, "GET", srv.URL+"/api/v1/runs?route=SCO-TJ-MOW&status=departed&direction=outbound&limit=1", "", nil)
	var page struct {
		Items []struct {
			ID         int64     `json:"id"`
			DepartedAt time.Time `json:"departed_at"`
		} `json:"items"`
	}
	if st != http.StatusOK || json.Unmarshal(got, &page) != nil || len(page.Items) != 1 {
		b.Fatalf("a departed run: %d %s", st, got)
	}
	run := page.Items[0]
	events := fmt.Sprintf("%s/api/v1/runs/%d/events", srv.URL, run.ID)
	at := run.DepartedAt.Add(24 * time.Hour)
	post := func(ev map[string]any) {
		body, _ := json.Marshal(ev)
		if st, got := exchange(b, c, "POST", events, srv.Admin, body); st != http.StatusCreated {
			b.Fatalf("event %v: %d %s", ev, st, got)
		}
	}
	post(map[string]any{"type": "arrived", "at": at.Format(time.RFC3339), "stop": 1})
	for i := range 28 {
		post(map[string]any{"type": "held", "at": at.Add(time.Duration(i+1) * time.Hour).Format(time.RFC3339), "stop": 1, "reason": "wagon shortage"})
	}
	post(map[string]any{"type": "departed", "at": at.Add(30 * time.Hour).Format(time.RFC3339), "stop": 1})

	detail := fmt.Sprintf("%s/api/v1/runs/%d", srv.URL, run.ID)
	check := func(body []byte) {
		var d struct {
			Position struct {
				LastEvent struct {
					Type string `json:"type"`
					Stop int    `json:"stop"`
				} `json:"last_event"`
				NextStop struct {
					Name string `json:"name"`
				} `json:"next_stop"`
			} `json:"position"`
			ETABasis *string `json:"eta_basis"`
		}
		if err := json.Unmarshal(body, &d); err != nil || d.Position.LastEvent.Type != "departed" || d.Position.LastEvent.Stop != 1 ||
			d.Position.NextStop.Name != "Moscow" || d.ETABasis == nil || *d.ETABasis != "route_history" {
			b.Fatalf("run detail: %s", body)
		}
	}
	st, got = exchange(b, c, "GET", detail, "", nil)
	if st != http.StatusOK {
		b.Fatalf("status %d: %s", st, got)
	}
	check(got)
	st, got = exchange(b, c, "GET", events, "", nil)
	var evs struct{ Items []any }
	if st != http.StatusOK || json.Unmarshal(got, &evs) != nil || len(evs.Items) != 31 {
		b.Fatalf("events: %d, want 30 and the run's departure: %s", len(evs.Items), got)
	}
	bump := func(b *testing.B) {
		if _, err := db.Exec(`UPDATE data_version SET v = v + 1 WHERE id = 1`); err != nil {
			b.Fatal(err)
		}
	}
	const q = "/api/v1/runs?limit=50"
	for _, side := range []struct{ name, url string }{{"detail", detail}, {"events", events}} {
		b.Run(side.name+"_paired", func(b *testing.B) {
			var see func([]byte)
			if side.name == "detail" {
				see = check
			}
			pairedGETs(b, c, []string{side.url, floor + q}, bump, see)
		})
	}
}

// seedRunsSQL inserts n runs in one statement (a recursive CTE: seconds
// for a million), in the shape CreateRun stores them, over the routes
// present (ids from the lowest up, five of them): run i departs at
// 2020-01-01T00:00Z plus 3i minutes, so ids and departures grow together;
// a third have arrived, a quarter carry no cargo; each lists one container.
// The same statements seed the export's measurement (docs/PERFORMANCE.md).
func seedRunsSQL(b *testing.B, db *sql.DB, n int) {
	b.Helper()
	if _, err := db.Exec(seedRunsStatements[0], n); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(seedRunsStatements[1]); err != nil {
		b.Fatal(err)
	}
}

var seedRunsStatements = []string{`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?),
	r AS (SELECT i, (SELECT MIN(id) FROM routes) + i % 5 AS route_id,
		strftime('%Y-%m-%d %H:%M:%S', '2020-01-01', '+' || (3 * i) || ' minutes') AS dep FROM n)
	INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day, arrived_at, arrived_day,
		status, containers, empty_containers, teu, cargo, created_at, updated_at)
	SELECT route_id, 'X' || i, 'X' || i, CASE i % 2 WHEN 0 THEN 'outbound' ELSE 'inbound' END,
		dep || '+00:00', date(dep, '+8 hours'),
		CASE i % 3 WHEN 0 THEN datetime(dep, '+14 days') || '+00:00' END,
		CASE i % 3 WHEN 0 THEN date(dep, '+14 days', '+8 hours') END,
		CASE i % 3 WHEN 0 THEN 'arrived' ELSE 'departed' END, 55, 5, 110,
		CASE i % 4 WHEN 0 THEN NULL ELSE 'auto parts, household appliances' END,
		'2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00'
	FROM r`,
	`INSERT INTO run_containers (run_id, seq, number) SELECT id, 0, 'CSQU' || printf('%07d', id) FROM runs ORDER BY id`,
}

// depthSeed is how many runs the depth benchmark lists from: 200,000, or
// BANLIE_BENCH_RUNS (e.g. 1000000).
func depthSeed(b *testing.B) int {
	if v := os.Getenv("BANLIE_BENCH_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100_000 {
			b.Fatalf("BANLIE_BENCH_RUNS=%q: want a count of at least 100000", v)
		}
		return n
	}
	return 200_000
}

// BenchmarkListRunsDepth: GET /api/v1/runs?limit=50, the first page and a
// page about 150,000 runs deep (its cursor), among 200,000 runs (or 950,000
// among BANLIE_BENCH_RUNS=1000000): a keyset
// page is a range of runs_departed, so both cost the same. Paired; both
// computed (the data version is raised, untimed, before each request);
// ratio-vs-deep is the deep page's time over the first page's (goal:
// 0.8–1.2). Also with the filters whose plans were once a sort (mode,
// counted). Each answer's runs are checked: 50, consecutive, newest first.
func BenchmarkListRunsDepth(b *testing.B) {
	srv := benchBanlie(b, "FULL")
	c := benchClient(b)
	for _, code := range []string{"SCO-TJ-MOW", "XIAN-DUIS", "CHONGQING-LODZ", "YIWU-MAD", "HEFEI-HAM"} {
		benchRouteHTTP(b, c, srv, code)
	}
	db := openFloorDB(b, srv.DB, "FULL", false)
	seeded := depthSeed(b)
	seedRunsSQL(b, db, seeded)
	var newest int64
	if err := db.QueryRow(`SELECT MAX(id) FROM runs`).Scan(&newest); err != nil {
		b.Fatal(err)
	}
	type page struct {
		Items []struct {
			ID               int64     `json:"id"`
			DepartedAt       time.Time `json:"departed_at"`
			ContainerNumbers []string  `json:"container_numbers"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	decode := func(st int, got []byte) page {
		var p page
		if st != http.StatusOK || json.Unmarshal(got, &p) != nil {
			b.Fatalf("%d %s", st, got)
		}
		return p
	}
	get := func(u string) page { return decode(exchange(b, c, "GET", u, "", nil)) }
	// check: 50 runs, ids down from first one by one, each listing its box.
	check := func(p page, first int64) {
		if len(p.Items) != 50 || p.NextCursor == nil {
			b.Fatalf("%d runs, cursor %v", len(p.Items), p.NextCursor)
		}
		for k, r := range p.Items {
			if r.ID != first-int64(k) || len(r.ContainerNumbers) != 1 || r.ContainerNumbers[0] != fmt.Sprintf("CSQU%07d", r.ID) {
				b.Fatalf("run %d of the page: %+v, want id %d", k, r, first-int64(k))
			}
		}
	}
	// A day 50,000 runs after the first: the page of runs up to it ends
	// 150,000 deep, and its cursor leads deeper.
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(3 * 50_000 * time.Minute).In(shanghai).Format(time.DateOnly)
	upTo := get(srv.URL + "/api/v1/runs?limit=50&to=" + day)
	cursor := url.QueryEscape(*upTo.NextCursor)
	deepFirst := upTo.Items[49].ID - 1
	if newest-deepFirst < int64(seeded)*7/10 {
		b.Fatalf("the deep page starts %d runs deep", newest-deepFirst)
	}
	bump := func() {
		if _, err := db.Exec(`UPDATE data_version SET v = v + 1 WHERE id = 1`); err != nil {
			b.Fatal(err)
		}
	}
	// Every route is rail, every run counted and departed before the
	// 30th of November 2026: the filtered lists hold
	// the same runs, read through their own plans.
	for _, f := range []struct{ name, query string }{{"paired", ""}, {"paired_mode", "&mode=rail"}, {"paired_counted", "&counted=true"}, {"paired_to", "&to=2026-11-30"}} {
		firstURL, deepURL := srv.URL+"/api/v1/runs?limit=50"+f.query, srv.URL+"/api/v1/runs?limit=50&cursor="+cursor+f.query
		check(get(firstURL), newest)
		check(get(deepURL), deepFirst)
		b.Run(f.name, func(b *testing.B) {
			took := make([]time.Duration, 2)
			n := 0
			for b.Loop() {
				for i, u := range []string{firstURL, deepURL} {
					bump()
					t0 := time.Now()
					st, got := exchange(b, c, "GET", u, "", nil)
					took[i] += time.Since(t0)
					check(decode(st, got), []int64{newest, deepFirst}[i])
				}
				n++
			}
			reportPaired(b, n, took, "first", "deep")
		})
	}
}

// keptFloor is a bare Echo answering GET path with body (JSON) and its
// ETag, 304 when If-None-Match names it: the least a server does to
// answer a poll of unchanged data.
func keptFloor(b *testing.B, path string, body []byte, etag string) string {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET(path, func(c echo.Context) error {
		c.Response().Header().Set("ETag", etag)
		if c.Request().Header.Get("If-None-Match") == etag {
			return c.NoContent(http.StatusNotModified)
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
	})
	srv := httptest.NewServer(e)
	b.Cleanup(srv.Close)
	return srv.URL
}

// BenchmarkKeptAnswers: a dashboard's poll of unchanged data, GET
// /api/v1/totals/yearly?year=2026 with the If-None-Match of its last
// answer (304; "_200" without it: the kept body), on banlie with SQLite,
// with PostgreSQL reading the data version per poll, and with PostgreSQL
// listening for writes (the version in memory, store.ListenForWrites),
// paired with a bare Echo floor that answers the same bytes from memory.
// Each side reports its rate over the floor's (<side>-vs-floor) and
// pg_listen-vs-sqlite is the listening PostgreSQL's rate over SQLite's
// (goal: at least 0.5).
func BenchmarkKeptAnswers(b *testing.B) {
	limit := func(c *handlers.Config) { c.RateLimit = benchRate }
	lite := newTestServerWith(b, shanghai, limit)
	pgQuery := newTestServerOn(b, postgresDB(b), shanghai, limit)
	pgListen := newTestServerOn(b, postgresDB(b), shanghai, limit)
	ctx, cancel := context.WithCancel(context.Background())
	live := make(chan struct{})
	stopped := make(chan struct{})
	var once atomic.Bool
	go func() {
		defer close(stopped)
		pgListen.Store.ListenForWrites(ctx, nil, func(l store.Listening) {
			if l.Live && once.CompareAndSwap(false, true) {
				close(live)
			}
		})
	}()
	b.Cleanup(func() { cancel(); <-stopped })
	c := benchClient(b)
	const path = "/api/v1/totals/yearly"
	const q = path + "?year=2026"
	type side struct {
		name, url string
		etag      string
		body      []byte
	}
	sides := []*side{{name: "floor"}, {name: "sqlite", url: lite.URL}, {name: "pg_query", url: pgQuery.URL}, {name: "pg_listen", url: pgListen.URL}}
	for _, ts := range []*testServer{lite, pgQuery, pgListen} {
		ts.mustDo(b, http.StatusCreated, "POST", "/api/v1/routes", routeBody("SCO-TJ-MOW"))
		ts.mustDo(b, http.StatusCreated, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8001", "2026-11-20T08:00:00+08:00"))
		if _, err := ts.Store.Rollup(context.Background(), true); err != nil {
			b.Fatal(err)
		}
	}
	<-live
	get := func(s *side, conditional bool) (int, []byte) {
		req, err := http.NewRequest("GET", s.url+q, nil)
		if err != nil {
			b.Fatal(err)
		}
		if conditional {
			req.Header.Set("If-None-Match", s.etag)
		}
		res, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		if s.etag == "" {
			s.etag = res.Header.Get("ETag")
		}
		return res.StatusCode, got
	}
	for _, s := range sides[1:] {
		st, got := get(s, false)
		if st != http.StatusOK || s.etag == "" {
			b.Fatalf("%s: %d %s", s.name, st, got)
		}
		s.body = got
	}
	for _, s := range sides[2:] {
		if !bytes.Equal(s.body, sides[1].body) {
			b.Fatalf("%s answers otherwise than sqlite:\n%s\n%s", s.name, s.body, sides[1].body)
		}
	}
	sides[0].etag, sides[0].body = sides[1].etag, sides[1].body
	sides[0].url = keptFloor(b, path, sides[0].body, sides[0].etag)
	for _, conditional := range []bool{true, false} {
		name, want := "paired_304", http.StatusNotModified
		if !conditional {
			name, want = "paired_200", http.StatusOK
		}
		b.Run(name, func(b *testing.B) {
			took := make([]time.Duration, len(sides))
			n := 0
			for b.Loop() {
				for i, s := range sides {
					t0 := time.Now()
					st, got := get(s, conditional)
					took[i] += time.Since(t0)
					if st != want || want == http.StatusOK && !bytes.Equal(got, s.body) {
						b.Fatalf("%s: %d %s", s.name, st, got)
					}
				}
				n++
			}
			for i, s := range sides {
				b.ReportMetric(float64(took[i].Microseconds())/float64(n), s.name+"-us/op")
				if i > 0 {
					b.ReportMetric(float64(took[0])/float64(took[i]), s.name+"-vs-floor")
				}
			}
			b.ReportMetric(float64(took[1])/float64(took[3]), "pg_listen-vs-sqlite")
		})
	}
}
