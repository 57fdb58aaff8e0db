package store_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"banlie/models"
	"banlie/store"
)

// bulkCSV is a file of n lines, each a run of route SCO-TJ-MOW on its own
// number, departing over the days before the test clock's.
func bulkCSV(n int) []string {
	lines := []string{"route,number,direction,departed_at,status,containers,teu,container_numbers\n"}
	for i := range n {
		lines = append(lines, fmt.Sprintf("SCO-TJ-MOW,B%d,outbound,2026-%02d-%02dT09:30:00+08:00,departed,%d,%d,\n", i, 1+i%10, 1+i%28, 40+i%10, 80+i%10))
	}
	return lines
}

func (e *env) importText(t testing.TB, text string, opt store.ImportOptions) (store.ImportResult, error) {
	t.Helper()
	f, err := store.ReadRunsCSV(strings.NewReader(text), store.CharsetUTF8)
	if err != nil {
		t.Fatal(err)
	}
	return e.st.ImportRuns(e.ctx, e.w, f, opt)
}

func (e *env) count(t testing.TB, query string) int {
	t.Helper()
	var n int
	if err := e.st.DB().Raw(query).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A file of thousands of lines is written all or nothing: one bad line in
// the middle writes nothing and is named; fixed, every line is written
// with its audit entry, its event and its days marked; sent again, every
// line is skipped.
func TestImportBulkAllOrNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "SCO-TJ-MOW", "rail")
		lines := bulkCSV(3000)
		good := strings.Join(lines, "")
		bad := slices_replace(lines, 1500, "SCO-TJ-MOW,B1499,westward,2026-05-05T09:30:00+08:00,departed,40,80,\n")
		_, err := e.importText(t, bad, store.ImportOptions{})
		wantFields(t, err, models.EINVALID, "line 1501: direction")
		for _, q := range []string{"SELECT COUNT(*) FROM runs", "SELECT COUNT(*) FROM audit_log WHERE entity = 'run'", "SELECT COUNT(*) FROM outbox", "SELECT COUNT(*) FROM rollup_dirty"} {
			if n := e.count(t, q); n != 0 {
				t.Fatalf("%s: %d after a refused import", q, n)
			}
		}
		res, err := e.importText(t, good, store.ImportOptions{DryRun: true})
		if err != nil || res.Created != 3000 || e.count(t, "SELECT COUNT(*) FROM runs") != 0 {
			t.Fatalf("dry run: %+v %v", res, err)
		}
		res, err = e.importText(t, good, store.ImportOptions{})
		if err != nil || res.Created != 3000 || res.Skipped != 0 {
			t.Fatalf("%+v %v", res, err)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM runs"); n != 3000 {
			t.Fatalf("%d runs", n)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'runs.create' AND actor = 'tester' AND request_id = 'req-test'"); n != 3000 {
			t.Fatalf("%d audit entries", n)
		}
		// Each run's event carries the run as the API shows it.
		evs, err := e.st.Events(e.ctx, 0, 5000)
		if err != nil || len(evs) != 3000 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
		run, err := e.st.GetRun(e.ctx, mustID(t, evs[1234]))
		if err != nil || evs[1234].Type != models.EventRunCreated || !strings.Contains(string(evs[1234].Data), `"number":"`+run.Number+`"`) {
			t.Fatalf("event %+v, run %+v %v", evs[1234], run, err)
		}
		// 140 days (i%10, i%28), each marked once.
		if n := e.count(t, "SELECT COUNT(*) FROM rollup_dirty WHERE gen = 1"); n != 140 {
			t.Fatalf("%d days marked dirty", n)
		}
		e.mustRollup(t, false)
		// The retry skips every line and writes nothing.
		res, err = e.importText(t, good, store.ImportOptions{})
		if err != nil || res.Created != 0 || res.Skipped != 3000 {
			t.Fatalf("retry: %+v %v", res, err)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM outbox WHERE type = 'run.created'"); n != 3000 {
			t.Fatalf("%d events after the retry", n)
		}
	})
}

func mustID(t testing.TB, ev models.OutboxEvent) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(string(ev.Data), `{"id":%d`, &id); err != nil {
		t.Fatalf("%s: %v", ev.Data, err)
	}
	return id
}

func slices_replace(lines []string, i int, line string) string {
	out := append([]string{}, lines...)
	out[i] = line
	return strings.Join(out, "")
}

// Duplicates within a file, in one batch or in two: the same values are
// skipped, other values are a conflict on the later line; a container on
// an earlier line's run at the time is a conflict on the later line only.
func TestImportBulkDuplicatesInFile(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "SCO-TJ-MOW", "rail")
		lines := bulkCSV(1200)
		lines = append(lines,
			lines[3],    // from the first batch
			lines[1100], // from its own batch
			strings.Replace(lines[5], ",departed,44,84,", ",departed,45,84,", 1))
		res, err := e.importText(t, strings.Join(lines, ""), store.ImportOptions{DryRun: true})
		wantFields(t, err, models.EINVALID, "line 1204")
		if e := wantCode(t, err, models.EINVALID); e.Fields[0].Code != models.CodeConflict {
			t.Fatalf("%+v", e.Fields)
		}
		lines = lines[:len(lines)-1]
		res, err = e.importText(t, strings.Join(lines, ""), store.ImportOptions{})
		if err != nil || res.Created != 1200 || res.Skipped != 2 {
			t.Fatalf("%+v %v", res, err)
		}
		// Containers: the second train takes a box the first has until it arrives.
		boxes := "route,number,direction,departed_at,status,containers,teu,container_numbers\n" +
			"SCO-TJ-MOW,C1,outbound,2026-11-01T09:30:00+08:00,departed,1,2,CSQU3054383\n" +
			"SCO-TJ-MOW,C2,outbound,2026-11-02T09:30:00+08:00,departed,1,2,CSQU3054383\n"
		_, err = e.importText(t, boxes, store.ImportOptions{})
		wantFields(t, err, models.EINVALID, "line 3: container_numbers")
		if n := e.count(t, "SELECT COUNT(*) FROM run_containers"); n != 0 {
			t.Fatalf("%d containers stored", n)
		}
	})
}

// A GB18030 file is read as it streams in (a few bytes at a time), and a
// byte that is not GB18030 far into it refuses the whole file.
func TestImportBulkGB18030Streamed(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "SCO-TJ-MOW", "rail")
		var b strings.Builder
		b.WriteString("线路,车次,方向,发车时间,状态,箱数,标箱,货物\n")
		for i := range 1500 {
			fmt.Fprintf(&b, "SCO-TJ-MOW,G%d,去程,2026-%02d-%02dT09:30:00+08:00,已发车,50,100,电子产品%d\n", i, 1+i%10, 1+i%28, i)
		}
		gb, err := simplifiedchinese.GB18030.NewEncoder().String(b.String())
		if err != nil {
			t.Fatal(err)
		}
		imp := func(text string) (store.ImportResult, error) {
			f, err := store.ReadRunsCSV(iotest.HalfReader(strings.NewReader(text)), store.CharsetGB18030)
			if err != nil {
				return store.ImportResult{}, err
			}
			return e.st.ImportRuns(e.ctx, e.w, f, store.ImportOptions{})
		}
		// 0xFF is no GB18030 character.
		broken := gb[:len(gb)-20] + "\xff" + gb[len(gb)-19:]
		_, err = imp(broken)
		wantFields(t, err, models.EBADREQUEST, "csv")
		if n := e.count(t, "SELECT COUNT(*) FROM runs"); n != 0 {
			t.Fatalf("%d runs", n)
		}
		res, err := imp(gb)
		if err != nil || res.Created != 1500 || res.Format.Charset != store.CharsetGB18030 {
			t.Fatalf("%+v %v", res, err)
		}
		page, err := e.st.ListRuns(e.ctx, models.RunFilter{Number: ptr("G1499"), Limit: 10})
		if err != nil || len(page.Items) != 1 || *page.Items[0].Cargo != "电子产品1499" {
			t.Fatalf("%+v %v", page, err)
		}
	})
}

// The progress callback is called as batches are written, ending with
// every line and byte.
func TestImportBulkProgress(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "SCO-TJ-MOW", "rail")
		text := strings.Join(bulkCSV(2100), "")
		var calls, lastLines int
		var lastBytes int64
		res, err := e.importText(t, text, store.ImportOptions{Progress: func(lines int, read int64) {
			if lines < lastLines || read < lastBytes {
				t.Errorf("progress went back: %d lines %d bytes after %d, %d", lines, read, lastLines, lastBytes)
			}
			calls, lastLines, lastBytes = calls+1, lines, read
		}})
		if err != nil || res.Created != 2100 {
			t.Fatalf("%+v %v", res, err)
		}
		if calls < 4 || lastLines != 2100 || lastBytes != int64(len(text)) {
			t.Fatalf("%d calls, last %d lines %d bytes (of %d)", calls, lastLines, lastBytes, len(text))
		}
	})
}

// An import of OptimizeAfterRows runs or more refreshes the planner's
// statistics once it has committed.
func TestImportBulkOptimizes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "SCO-TJ-MOW", "rail")
		analyzed := func() int {
			if e.st.DB().Dialector.Name() == "postgres" {
				return e.count(t, "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = 'runs' AND last_analyze IS NOT NULL")
			}
			return e.count(t, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
		}
		if n := analyzed(); n != 0 {
			t.Fatalf("analyzed before any import: %d", n)
		}
		res, err := e.importText(t, strings.Join(bulkCSV(store.OptimizeAfterRows), ""), store.ImportOptions{})
		if err != nil || res.Created != store.OptimizeAfterRows {
			t.Fatalf("%+v %v", res, err)
		}
		if n := analyzed(); n != 1 {
			t.Fatal("the statistics were not refreshed")
		}
		if err := e.st.Optimize(e.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// An all-wrong file lists its first problems and counts the rest.
func TestImportBulkErrorCap(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var b bytes.Buffer
		b.WriteString("route,number,direction,departed_at\n")
		for i := range 1500 {
			fmt.Fprintf(&b, "NOPE,X%d,outbound,2026-01-01T09:30:00+08:00\n", i)
		}
		f, err := store.ReadRunsCSV(io.Reader(&b), store.CharsetUTF8)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.st.ImportRuns(e.ctx, e.w, f, store.ImportOptions{})
		ce := wantCode(t, err, models.EINVALID)
		if len(res.Errors) != store.MaxImportErrors || len(ce.Fields) != store.MaxImportErrors || !strings.Contains(ce.Message, "1500 problems") ||
			ce.Fields[0].Field != "line 2: route" || ce.Fields[999].Field != "line 1001: route" {
			t.Fatalf("%d errors, %s, %+v", len(res.Errors), ce.Message, ce.Fields[0])
		}
	})
}

// On PostgreSQL another writer may store a line's train between the
// batch's look-up and its INSERT: the INSERT waits for it, is refused by
// the unique index, and the batch is redone line by line, which finds the
// line stored with the same values and skips it.
func TestImportBulkRedoesARefusedBatch(t *testing.T) {
	t.Parallel()
	e := openEnv(t, "postgres")
	e.mustRoute(t, "SCO-TJ-MOW", "rail")
	routeID := e.count(t, "SELECT id FROM routes WHERE code = 'SCO-TJ-MOW'")
	db, err := e.st.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	// Line 12 of the file: B10, 2026-01-11 09:30 in Shanghai, 40 boxes, 80 TEU.
	dep := time.Date(2026, 1, 11, 1, 30, 0, 0, time.UTC)
	now := time.Now().UTC()
	if _, err := other.Exec(`INSERT INTO runs (route_id, number, number_key, direction, departed_at, departed_day, status, containers, empty_containers, teu, created_at, updated_at)
		VALUES ($1, 'B10', 'B10', 'outbound', $2, '2026-01-11', 'departed', 40, 0, 80, $3, $3)`, routeID, dep, now); err != nil {
		t.Fatal(err)
	}
	type result struct {
		res store.ImportResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := store.ReadRunsCSV(strings.NewReader(strings.Join(bulkCSV(600), "")), store.CharsetUTF8)
		if err != nil {
			done <- result{err: err}
			return
		}
		res, err := e.st.ImportRuns(e.ctx, e.w, f, store.ImportOptions{})
		done <- result{res, err}
	}()
	// The import's INSERT waits for the other writer's row lock.
	for {
		var waiting int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the import did not wait: %+v %v", r.res, r.err)
		case <-time.After(10 * time.Millisecond): // polling: a lock wait is seen in pg_stat_activity only
		}
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.res.Created != 599 || r.res.Skipped != 1 {
		t.Fatalf("%+v %v", r.res, r.err)
	}
	if n := e.count(t, "SELECT COUNT(*) FROM runs"); n != 600 {
		t.Fatalf("%d runs", n)
	}
	if n := e.count(t, "SELECT COUNT(*) FROM outbox WHERE type = 'run.created'"); n != 599 {
		t.Fatalf("%d events", n)
	}
}

// The batches answer exactly what writing every line through CreateRun
// answers (as imports did before them): the same counts and the same
// problems, in the same order, with the same codes, words and params, for
// files mixing new lines, invalid ones, lines stored already (with the
// same values or others), duplicates within the file and containers held
// by an earlier line or a stored run.
func TestImportBulkMatchesLineByLine(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "SCO-TJ-MOW", "rail")
		e.mustRoute(t, "XIAN-DUI", "rail")
		var makeLine func(r *rand.Rand) string
		boxes := []string{"CSQU3054383", "CSQU0000001", "CSQU0000017", "CSQU0000022", "CSQU0000038", "CSQU0000043", "CSQU0000059"}
		head := "route,number,direction,departed_at,arrived_at,status,containers,teu,cargo,container_numbers\n"
		var prev []string // every line made: some are made again
		line := func(r *rand.Rand, i int) string {
			if len(prev) > 0 && r.IntN(8) == 0 {
				return prev[r.IntN(len(prev))]
			}
			l := makeLine(r)
			prev = append(prev, l)
			return l
		}
		makeLine = func(r *rand.Rand) string {
			route := []string{"SCO-TJ-MOW", "XIAN-DUI"}[r.IntN(2)]
			day := 1 + r.IntN(28)
			number := fmt.Sprintf("N%d", r.IntN(400))
			status, arrived := "departed", ""
			if r.IntN(4) == 0 {
				status, arrived = "arrived", fmt.Sprintf("2026-03-%02dT10:00:00+03:00", day)
			}
			c := 40 + r.IntN(3)
			box := ""
			if r.IntN(10) == 0 {
				box = boxes[r.IntN(len(boxes))]
			}
			l := fmt.Sprintf("%s,%s,outbound,2026-02-%02dT09:30:00+08:00,%s,%s,%d,%d,cargo %d,%s\n", route, number, day, arrived, status, c, 2*c, r.IntN(2), box)
			switch r.IntN(40) {
			case 0:
				return strings.Replace(l, "outbound", "west", 1)
			case 1:
				return strings.Replace(l, route, "NOPE", 1)
			case 2:
				return strings.Replace(l, fmt.Sprintf(",%d,", c), ",many,", 1)
			case 3:
				return strings.TrimSuffix(l, "\n") + ",extra\n"
			case 4:
				return strings.Replace(l, "2026-02-", "2027-02-", 1) // departed in the future
			case 5:
				return ",,,,,,,,,\n"
			}
			return l
		}
		// Stored already: some of the trains the files name.
		r := rand.New(rand.NewPCG(1, 2))
		var stored strings.Builder
		stored.WriteString(head)
		seen := map[string]bool{}
		for i := range 300 {
			l := line(r, i)
			cells := strings.Split(l, ",")
			if len(cells) != 10 || cells[0] == "NOPE" || cells[2] != "outbound" || strings.HasPrefix(cells[3], "2027") || cells[6] == "many" || cells[9] != "\n" {
				continue
			}
			if k := cells[0] + cells[1] + cells[3][:10]; !seen[k] {
				seen[k] = true
				stored.WriteString(l)
			}
		}
		if res, err := e.importText(t, stored.String(), store.ImportOptions{}); err != nil || res.Created == 0 {
			t.Fatalf("stored: %+v %v", res, err)
		}
		for seed := range uint64(4) {
			r := rand.New(rand.NewPCG(seed, 7))
			var b strings.Builder
			b.WriteString(head)
			n := 1300
			if seed == 0 {
				n = 3 // one batch, short
			}
			for i := range n {
				b.WriteString(line(r, i))
			}
			text := b.String()
			bulk, berr := e.importText(t, text, store.ImportOptions{DryRun: true})
			ref, rerr := e.importText(t, text, store.LineByLine(store.ImportOptions{DryRun: true}))
			// The ids of runs the file writes may differ (a batch takes its
			// ids before a line of it is refused); all else is the same.
			ids := regexp.MustCompile(`run \d+,|id:\d+`)
			for i := range min(len(bulk.Errors), len(ref.Errors)) {
				if got, want := ids.ReplaceAllString(fmt.Sprintf("%+v", bulk.Errors[i]), "#"), ids.ReplaceAllString(fmt.Sprintf("%+v", ref.Errors[i]), "#"); got != want {
					t.Fatalf("seed %d, problem %d:\n batches      %s\n line by line %s", seed, i, got, want)
				}
			}
			if fmt.Sprint(berr) != fmt.Sprint(rerr) {
				t.Fatalf("seed %d: batches answer %v, line by line %v", seed, berr, rerr)
			}
			if bulk.Created != ref.Created || bulk.Skipped != ref.Skipped || bulk.SkippedBlank != ref.SkippedBlank || len(bulk.Errors) != len(ref.Errors) {
				t.Fatalf("seed %d: batches %d created, %d skipped, %d blank, %d problems; line by line %d, %d, %d, %d", seed,
					bulk.Created, bulk.Skipped, bulk.SkippedBlank, len(bulk.Errors), ref.Created, ref.Skipped, ref.SkippedBlank, len(ref.Errors))
			}
			codes := map[string]int{}
			for _, f := range bulk.Errors {
				codes[f.Code]++
			}
			t.Logf("seed %d: %d created, %d skipped, %d blank, problems %v", seed, bulk.Created, bulk.Skipped, bulk.SkippedBlank, codes)
			if seed > 0 && (bulk.Skipped == 0 || len(bulk.Errors) == 0 || bulk.Created == 0) {
				t.Fatalf("seed %d: the file tests little: %d created, %d skipped, %d problems", seed, bulk.Created, bulk.Skipped, len(bulk.Errors))
			}
		}
	})
}
