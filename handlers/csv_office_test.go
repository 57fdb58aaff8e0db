package handlers_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"banlie/models"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// CSV as offices write it: the separator of the header line, headers in
// Chinese or any case, Chinese directions and statuses, blank lines, GB18030
// and GBK; updating runs with mode=upsert from an edited export.

// knownCodes fails unless every error carries a code of models.FieldCodes.
func knownCodes(t testing.TB, errs []models.FieldError) {
	t.Helper()
	for _, e := range errs {
		if !slices.ContainsFunc(models.FieldCodes, func(c models.FieldCode) bool { return c.Code == e.Code }) {
			t.Errorf("%s: code %q is none of the field codes (%s)", e.Field, e.Code, e.Message)
		}
	}
}

func TestImportRunsCSVOfficeFormats(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	type want struct {
		sep     string
		columns map[string]string
		blank   int
	}
	for name, c := range map[string]struct {
		body string
		want want
	}{
		// Excel in a locale with the decimal comma: semicolons, Chinese
		// headers and values, empty rows as separators only.
		"semicolons": {"线路;车次;方向;发车时间;到达时间;状态;箱数;标箱;货物;箱号\r\n" +
			"SCO-TJ-MOW;C001;去程;2024-10-12T09:30:00+08:00;;已发车;55;110;汽车配件, 家电;CSQU3054383\r\n" +
			";;;;;;;;;\r\n" +
			"SCO-TJ-MOW;C002;回程;2024-10-13T09:30:00+08:00;2024-10-28T10:00:00+03:00;已到达;50;100;木材;\r\n" +
			" ; ;;;;;;;; \r\n",
			want{";", map[string]string{"线路": "route", "车次": "number", "方向": "direction", "发车时间": "departed_at", "到达时间": "arrived_at",
				"状态": "status", "箱数": "containers", "标箱": "teu", "货物": "cargo", "箱号": "container_numbers"}, 2}},
		// Tabs (copied from a sheet), headers in other cases and padded.
		"tabs": {" Route \tNUMBER\tDirection\tDeparted_At\tStatus\n" +
			"SCO-TJ-MOW\tC003\toutbound\t2024-10-14T09:30:00+08:00\t计划\n\t\t\t\t\n",
			want{"\t", map[string]string{"Route": "route", "NUMBER": "number", "Direction": "direction", "Departed_At": "departed_at", "Status": "status"}, 1}},
		// A comma file whose cargo holds semicolons: the header decides.
		"commas": {"route,number,direction,departed_at,cargo\nSCO-TJ-MOW,C004,outbound,2024-10-15T09:30:00+08:00,a;b;c;d;e;f\n",
			want{",", map[string]string{"route": "route", "number": "number", "direction": "direction", "departed_at": "departed_at", "cargo": "cargo"}, 0}},
		// A header that splits as well either way is read with commas.
		"tie": {"route\nSCO-TJ-MOW\n", want{",", nil, 0}},
	} {
		if name == "tie" {
			// One column only: a 400 for the missing ones, read with commas
			// (a semicolon reading would name the same column).
			p := importCSV(t, ts, "", c.body).problem(t, http.StatusBadRequest)
			if got := fields(p); !reflect.DeepEqual(got, []string{"header: number", "header: direction", "header: departed_at"}) {
				t.Errorf("%s: %v", name, got)
			}
			knownCodes(t, p.Errors)
			continue
		}
		// Sent as text/plain: the document's checker reads text/csv with
		// commas only (its reader would refuse the semicolon file's cargo).
		r := importCSV(t, ts, "", c.body, "Content-Type", "text/plain")
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
		var got importResult
		r.decode(t, &got)
		if got.Format.Separator != c.want.sep || got.Format.Charset != "utf-8" || !reflect.DeepEqual(got.Format.Columns, c.want.columns) ||
			got.SkippedBlank != c.want.blank || got.Mode != "create" {
			t.Errorf("%s: %s", name, r.Body)
		}
	}
	byNumber := map[string]runJSON{}
	for _, r := range allRuns(t, ts, "", 50) {
		byNumber[r.Number] = r
	}
	if r := byNumber["C001"]; r.Direction != "outbound" || r.Status != "departed" || r.Cargo == nil || *r.Cargo != "汽车配件, 家电" || !reflect.DeepEqual(r.ContainerNumbers, []string{"CSQU3054383"}) {
		t.Errorf("C001: %+v", r)
	}
	if r := byNumber["C002"]; r.Direction != "inbound" || r.Status != "arrived" || r.ArrivedAt == nil || r.Cargo == nil || *r.Cargo != "木材" {
		t.Errorf("C002: %+v", r)
	}
	if r := byNumber["C003"]; r.Status != "planned" {
		t.Errorf("C003: %+v", r)
	}
	if r := byNumber["C004"]; r.Cargo == nil || *r.Cargo != "a;b;c;d;e;f" {
		t.Errorf("C004: %+v", r)
	}
	if len(byNumber) != 4 {
		t.Errorf("%d runs, want 4", len(byNumber))
	}
	// A Chinese value that is none of the listed words is refused as any
	// other value is, with its code; problems are numbered by line, blank
	// lines included.
	bad := "线路;车次;方向;发车时间;状态\n;;;;\nSCO-TJ-MOW;C005;出口;2024-10-16T09:30:00+08:00;已发\n"
	p := importCSV(t, ts, "", bad).problem(t, http.StatusUnprocessableEntity)
	if got := fields(p); !reflect.DeepEqual(got, []string{"line 3: direction", "line 3: status"}) || p.Errors[0].Code != models.CodeInvalidValue {
		t.Errorf("Chinese values not listed: %+v", p.Errors)
	}
	knownCodes(t, p.Errors)
	// The header's problems are all listed, each by code: an unknown column,
	// one twice (in two languages), a missing one.
	p = importCSV(t, ts, "", "route;线路;车次;方向;wagons\n").problem(t, http.StatusBadRequest)
	wantCodes := map[string]string{"header: 线路": models.CodeDuplicate, "header: wagons": models.CodeUnknownField, "header: departed_at": models.CodeRequired}
	got := map[string]string{}
	for _, e := range p.Errors {
		got[e.Field] = e.Code
	}
	if !reflect.DeepEqual(got, wantCodes) || !strings.Contains(p.Detail, "3 problems in the CSV header") {
		t.Errorf("header problems: %s %+v", p.Detail, p.Errors)
	}
	knownCodes(t, p.Errors)
}

// gb encodes s in GB18030, as Chinese Excel saves "CSV".
func gb(t testing.TB, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportRunsCSVGB18030(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	text := "线路,车次,方向,发车时间,箱数,标箱,货物\r\n" +
		"SCO-TJ-MOW,G001,去程,2024-10-12T09:30:00+08:00,55,110,电子产品、汽车配件\r\n" +
		"SCO-TJ-MOW,G002,回程,2024-10-13T09:30:00+08:00,50,100,木材 𠮷\r\n" // 𠮷 is outside GBK: four bytes in GB18030
	body := gb(t, text)
	if body == text || strings.Contains(body, "电子") {
		t.Fatal("the encoder did not encode")
	}
	// Undeclared, the bytes are not UTF-8: 400 naming csv, by code.
	p := importCSV(t, ts, "", body).problem(t, http.StatusBadRequest)
	if !reflect.DeepEqual(fields(p), []string{"csv"}) || p.Errors[0].Code != models.CodeInvalidText || p.Errors[0].Params["reason"] != "utf8" {
		t.Fatalf("undeclared GB18030: %+v", p.Errors)
	}
	r := mustImport(t, ts, "", body, 2, 0, "Content-Type", "text/csv; charset=gb18030")
	var res importResult
	r.decode(t, &res)
	if res.Format.Charset != "gb18030" || res.Format.Columns["货物"] != "cargo" {
		t.Errorf("format %+v", res.Format)
	}
	cargo := map[string]string{}
	for _, run := range allRuns(t, ts, "", 50) {
		if run.Cargo != nil {
			cargo[run.Number] = *run.Cargo
		}
	}
	if !reflect.DeepEqual(cargo, map[string]string{"G001": "电子产品、汽车配件", "G002": "木材 𠮷"}) {
		t.Fatalf("cargo read back as %q", cargo)
	}
	// Again, declared as GBK: the first line is GBK as well, the second not.
	mustImport(t, ts, "", gb(t, strings.SplitAfter(text, "\r\n")[0]+strings.SplitAfter(text, "\r\n")[1]), 0, 1, "Content-Type", "text/plain; charset=GBK")
	p = importCSV(t, ts, "", body, "Content-Type", "text/csv; charset=gbk").problem(t, http.StatusBadRequest)
	if !reflect.DeepEqual(fields(p), []string{"csv"}) || p.Errors[0].Code != models.CodeInvalidText || p.Errors[0].Params["reason"] != "gbk" {
		t.Fatalf("GB18030 declared as GBK: %+v", p.Errors)
	}
	// Bytes that are no GB18030 at all.
	p = importCSV(t, ts, "", "route,number,direction,departed_at\n\xff\xfe,X,outbound,2024-10-12T09:30:00+08:00\n", "Content-Type", "text/csv; charset=gb18030").problem(t, http.StatusBadRequest)
	if p.Errors[0].Code != models.CodeInvalidText {
		t.Fatalf("invalid GB18030: %+v", p.Errors)
	}
	// A UTF-8 BOM before Chinese headers is ignored; the charset named as utf-8.
	mustImport(t, ts, "", "\ufeff"+text, 0, 2, "Content-Type", "text/csv; charset=utf-8")
	// Another charset stays a 415 naming Content-Type, which lists those read.
	p = importCSV(t, ts, "", body, "Content-Type", "text/csv; charset=big5").problem(t, http.StatusUnsupportedMediaType)
	if !reflect.DeepEqual(fields(p), []string{"Content-Type"}) || !reflect.DeepEqual(p.Errors[0].Params["allowed"], []any{"UTF-8", "GB18030", "GBK"}) {
		t.Fatalf("charset=big5: %+v", p.Errors)
	}
	if n := len(allRuns(t, ts, "", 50)); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
}

func TestExportRunsCSVBOM(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	csvRuns(t, ts)
	plain := ts.mustDo(t, 200, "GET", "/api/v1/runs/export", nil)
	withBOM := ts.mustDo(t, 200, "GET", "/api/v1/runs/export?bom=true", nil)
	if !bytes.Equal(withBOM.Body, append([]byte("\ufeff"), plain.Body...)) || bytes.HasPrefix(plain.Body, []byte("\ufeff")) {
		t.Fatalf("bom=true:\n%q\nwithout:\n%q", withBOM.Body[:20], plain.Body[:20])
	}
	if ct := withBOM.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if !bytes.HasPrefix(plain.Body, []byte("id,route,number,")) {
		t.Errorf("the export does not start with the id: %q", plain.Body[:20])
	}
	_, rows := exportCSV(t, ts, "?bom=false")
	if len(rows) != 5 {
		t.Errorf("bom=false: %d rows", len(rows))
	}
	p := ts.do(t, "GET", "/api/v1/runs/export?bom=yes", nil).problem(t, http.StatusBadRequest)
	if !reflect.DeepEqual(fields(p), []string{"bom"}) || p.Errors[0].Code != models.CodeInvalidValue {
		t.Errorf("bom=yes: %+v", p.Errors)
	}
	// The BOM'd file imports back, unchanged.
	mustUpsert(t, ts, string(withBOM.Body), importResult{Unchanged: 5})
}

// auditOf answers the audit entries of action, oldest first.
func auditOf(t testing.TB, ts *testServer, action string) []models.AuditEntry {
	t.Helper()
	var page struct{ Items []models.AuditEntry }
	ts.mustDo(t, 200, "GET", "/api/v1/audit?entity=run&action="+action+"&limit=500", nil).decode(t, &page)
	sort.Slice(page.Items, func(i, j int) bool { return page.Items[i].ID < page.Items[j].ID })
	return page.Items
}

// editCSV parses a CSV, lets edit change its rows (header first) and
// writes it again.
func editCSV(t testing.TB, b []byte, edit func(rows [][]string) [][]string) string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	if err := w.WriteAll(edit(rows)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestImportRunsCSVUpsertSQLite(t *testing.T) {
	t.Parallel()
	testImportUpsert(t, newTestServer(t))
}

func TestImportRunsCSVUpsertPostgres(t *testing.T) {
	t.Parallel()
	testImportUpsert(t, newTestServerPG(t))
}

// testImportUpsert: an export edited in a spreadsheet imports back with
// mode=upsert: the changed runs are updated (audited, by the token), the
// others unchanged, new lines created; any bad line writes nothing.
func testImportUpsert(t *testing.T, ts *testServer) {
	csvRuns(t, ts)
	exported := ts.mustDo(t, 200, "GET", "/api/v1/runs/export", nil)
	runs := map[string]runJSON{}
	for _, r := range allRuns(t, ts, "", 50) {
		runs[r.Number] = r
	}
	x8024, x8026 := runs["X8024"], runs["X8026"]
	// In create mode the id column is refused, naming it.
	p := importCSV(t, ts, "", string(exported.Body)).problem(t, http.StatusBadRequest)
	if !reflect.DeepEqual(fields(p), []string{"header: id"}) || p.Errors[0].Code != models.CodeUnknownField || p.Errors[0].Params["mode"] != "upsert" ||
		!strings.Contains(p.Detail, "mode=upsert") {
		t.Fatalf("id in create mode: %s %+v", p.Detail, p.Errors)
	}
	p = importCSV(t, ts, "?mode=merge", string(exported.Body)).problem(t, http.StatusBadRequest)
	if !reflect.DeepEqual(fields(p), []string{"mode"}) || p.Errors[0].Code != models.CodeInvalidValue || !reflect.DeepEqual(p.Errors[0].Params["allowed"], []any{"create", "upsert"}) {
		t.Fatalf("mode=merge: %+v", p.Errors)
	}
	// As exported: every line unchanged, nothing audited.
	mustUpsert(t, ts, string(exported.Body), importResult{Unchanged: 5})
	if a := auditOf(t, ts, "runs.update"); len(a) != 0 {
		t.Fatalf("an unchanged upsert was audited: %+v", a)
	}
	// Edited: X8024's cargo and teu, X8026 arrives, a new line without an
	// id, a blank line.
	edited := editCSV(t, exported.Body, func(rows [][]string) [][]string {
		for _, row := range rows[1:] {
			switch row[2] {
			case "X8024":
				row[8], row[9] = "120", "家用电器"
			case "X8026":
				row[5], row[6] = "2024-11-20T10:00:00+03:00", "已到达"
			}
		}
		return append(rows, []string{"", "SCO-TJ-MOW", "X8030", "去程", "2024-11-05T09:30:00+08:00", "", "计划", "10", "20", "", "", "0"},
			[]string{"", "", "", "", "", "", "", "", "", "", "", ""})
	})
	mustUpsert(t, ts, edited, importResult{Created: 1, Updated: 2, Unchanged: 3, SkippedBlank: 1, UpdatedIDs: []int64{x8026.ID, x8024.ID}}, "Authorization", "Bearer "+ts.Admin)
	var got runJSON
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/runs/%d", x8024.ID), nil).decode(t, &got)
	if got.Cargo == nil || *got.Cargo != "家用电器" || got.TEU != 120 || got.Number != "X8024" || got.DepartedAt != x8024.DepartedAt {
		t.Fatalf("X8024 after the upsert: %+v", got)
	}
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/runs/%d", x8026.ID), nil).decode(t, &got)
	if got.Status != "arrived" || got.ArrivedAt == nil || *got.ArrivedAt != "2024-11-20T15:00:00+08:00" {
		t.Fatalf("X8026 after the upsert: %+v", got)
	}
	// Each change is in the audit log, by the importing token, before and after.
	a := auditOf(t, ts, "runs.update")
	if len(a) != 2 || a[0].Actor != "test-admin" || a[1].Actor != "test-admin" || a[0].EntityID != fmt.Sprint(x8026.ID) || a[1].EntityID != fmt.Sprint(x8024.ID) {
		t.Fatalf("audit of the upsert: %+v", a)
	}
	var before, after runJSON
	if json.Unmarshal(a[1].Before, &before) != nil || json.Unmarshal(a[1].After, &after) != nil || before.TEU != 110 || after.TEU != 120 || after.Cargo == nil || *after.Cargo != "家用电器" {
		t.Fatalf("audit entry %s → %s", a[1].Before, a[1].After)
	}
	if c := runsCreatedAudit(t, ts); c["test-admin"] != 5+1 {
		t.Fatalf("created audit %v", c)
	}
	// Again: the file now holds the stored values (the new line is skipped).
	mustUpsert(t, ts, edited, importResult{Skipped: 1, Unchanged: 5, SkippedBlank: 1})

	// Problems: an id no run has, an id twice, a value the update refuses,
	// an id that is no number, plus a good change: nothing is written, and
	// every problem has its line and code.
	current := ts.mustDo(t, 200, "GET", "/api/v1/runs/export", nil)
	bad := editCSV(t, current.Body, func(rows [][]string) [][]string {
		for _, row := range rows[1:] {
			switch row[2] {
			case "X8025":
				row[9] = "changed, but the file is refused"
			case "T001":
				row[0] = "999999"
			case "T002":
				row[3] = "westbound"
			}
		}
		return append(rows, []string{fmt.Sprint(x8024.ID), "SCO-TJ-MOW", "X8024", "outbound", "2024-10-12T09:30:00+08:00", "", "departed", "55", "110", "", ""},
			[]string{"x1", "SCO-TJ-MOW", "X8031", "outbound", "2024-11-06T09:30:00+08:00", "", "", "1", "1", "", ""})
	})
	for _, q := range []string{"?mode=upsert", "?mode=upsert&dry_run=true"} {
		p = importCSV(t, ts, q, bad).problem(t, http.StatusUnprocessableEntity)
		codes := map[string]string{}
		for _, e := range p.Errors {
			codes[e.Field] = e.Code
		}
		// Lines, newest departure first: 2 T002, 3 X8030, 4 T001, 5 X8026,
		// 6 X8025, 7 X8024, 8 X8024 again, 9 x1.
		want := map[string]string{"line 2: direction": models.CodeInvalidValue, "line 4: id": models.CodeNotFound,
			"line 8: id": models.CodeDuplicate, "line 9: id": models.CodeInvalidFormat}
		if !reflect.DeepEqual(codes, want) {
			t.Fatalf("import%s: problems %+v\nwant %v", q, p.Errors, want)
		}
		knownCodes(t, p.Errors)
		for _, e := range p.Errors {
			if e.Field == "line 4: id" && (e.Params["resource"] != "run" || e.Params["value"] != float64(999999)) {
				t.Errorf("not_found params %v", e.Params)
			}
			if e.Field == "line 8: id" && e.Params["line"] != float64(7) {
				t.Errorf("duplicate params %v", e.Params)
			}
		}
	}
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/runs/%d", runs["X8025"].ID), nil).decode(t, &got)
	if got.Cargo == nil || *got.Cargo != *runs["X8025"].Cargo {
		t.Fatalf("a refused upsert changed X8025: %+v", got)
	}
	if a := auditOf(t, ts, "runs.update"); len(a) != 2 {
		t.Fatalf("a refused upsert was audited: %d entries", len(a))
	}
	// A dry run says what would change and changes nothing.
	dry := editCSV(t, current.Body, func(rows [][]string) [][]string {
		rows[1][9] = "a dry cargo"
		return rows
	})
	r := importCSV(t, ts, "?mode=upsert&dry_run=true", dry)
	var res importResult
	r.decode(t, &res)
	if r.Status != 200 || res.Updated != 1 || res.Unchanged != 5 {
		t.Fatalf("dry run: %d %s", r.Status, r.Body)
	}
	if a := auditOf(t, ts, "runs.update"); len(a) != 2 {
		t.Fatalf("a dry run was audited: %d entries", len(a))
	}
	// An update the store refuses as a PATCH would: a train on a day another
	// run of the train holds, a container on two trains at once.
	clash := editCSV(t, current.Body, func(rows [][]string) [][]string {
		for _, row := range rows[1:] {
			if row[2] == "X8026" {
				row[2], row[4] = "X8024", x8024.DepartedAt
			}
		}
		return rows
	})
	p = importCSV(t, ts, "?mode=upsert", clash).problem(t, http.StatusUnprocessableEntity)
	if len(p.Errors) != 1 || !strings.HasPrefix(p.Errors[0].Field, "line ") || p.Errors[0].Code != models.CodeConflict {
		t.Fatalf("a clash: %+v", p.Errors)
	}
	// Columns the file lacks are left as stored.
	partial := fmt.Sprintf("id;route;number;direction;departed_at;teu\n%d;SCO-TJ-MOW;X8024;outbound;%s;130\n", x8024.ID, x8024.DepartedAt)
	mustUpsert(t, ts, partial, importResult{Updated: 1})
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/runs/%d", x8024.ID), nil).decode(t, &got)
	if got.TEU != 130 || got.Containers != 55 || got.Cargo == nil || *got.Cargo != "家用电器" || !reflect.DeepEqual(got.ContainerNumbers, x8024.ContainerNumbers) {
		t.Fatalf("a partial upsert: %+v", got)
	}
}
