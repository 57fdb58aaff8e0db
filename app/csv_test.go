package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"banlie/models"
	"banlie/store"
)

func TestImportRunsIsAllOrNothingAndRepeatable(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	if _, err := st.CreateRoute(ctx, store.System, models.RouteInput{Code: "SCO-TJ-MOW", Name: "SCO Zone – Tongjiang – Moscow", Mode: "rail",
		Stops: []models.Stop{{Name: "Jiaozhou", Country: "CN", Role: "origin"}, {Name: "Moscow", Country: "RU", Role: "destination"}}}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		p, err := st.ListRuns(ctx, models.RunFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Items)
	}
	good := "\ufeffroute,number,direction,departed_at,arrived_at,status,containers,teu,cargo,container_numbers\n" +
		"SCO-TJ-MOW,X8024,outbound,2024-10-12T09:30:00+08:00,,departed,55,110,\"auto parts, appliances\",CSQU3054383\n" +
		"SCO-TJ-MOW,X8025,inbound,2024-10-13T09:30:00+08:00,2024-10-28T10:00:00+03:00,arrived,50,100,,\n"
	res, err := importText(t, st, good, false)
	if err != nil || res.Created != 2 || res.Skipped != 0 || count() != 2 {
		t.Fatalf("first import: %+v %v (%d runs)", res, err, count())
	}
	// The same file again (a retry over a flaky link): nothing new.
	res, err = importText(t, st, good, false)
	if err != nil || res.Created != 0 || res.Skipped != 2 || count() != 2 {
		t.Fatalf("second import: %+v %v (%d runs)", res, err, count())
	}
	// One bad line: nothing of the file is written, every problem is named by line.
	mixed := "route,number,direction,departed_at,containers,teu\n" +
		"SCO-TJ-MOW,X9001,outbound,2024-11-01T10:00:00+08:00,55,110\n" +
		"SCO-TJ-MOW,X8024,outbound,2024-10-12T20:00:00+08:00,40,80\n" + // same train and day, other values
		"NOPE,X9002,west,2024-11-01,many,1\n"
	_, err = importText(t, st, mixed, false)
	var e *models.Error
	if !asError(err, &e) || e.Code != models.EINVALID {
		t.Fatalf("mixed import: %v", err)
	}
	got := []string{}
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	want := "line 3|line 4: containers|line 4: direction|line 4: departed_at|line 4: route"
	if strings.Join(got, "|") != want {
		t.Fatalf("problems %v, want %s", got, want)
	}
	if count() != 2 {
		t.Fatalf("a refused import wrote runs: %d", count())
	}
	// Dry run: says what would happen, writes nothing.
	res, err = importText(t, st, "route,number,direction,departed_at\nSCO-TJ-MOW,X9001,outbound,2024-11-01T10:00:00+08:00\n", true)
	if err != nil || res.Created != 1 || count() != 2 {
		t.Fatalf("dry run: %+v %v (%d runs)", res, err, count())
	}
	// Export writes what import reads back.
	var buf bytes.Buffer
	n, err := st.ExportRuns(ctx, models.RunFilter{}, &buf)
	if err != nil || n != 2 {
		t.Fatalf("export: %d %v", n, err)
	}
	// Its id column is refused in create mode, read in upsert mode: every
	// line holds the stored values.
	if _, err := importText(t, st, buf.String(), false); models.ErrorCode(err) != models.EBADREQUEST || !strings.Contains(err.Error(), "mode=upsert") {
		t.Fatalf("re-import of the export in create mode: %v", err)
	}
	f, err := store.ReadRunsCSV(bytes.NewReader(buf.Bytes()), store.CharsetUTF8)
	if err != nil {
		t.Fatal(err)
	}
	res, err = st.ImportRuns(ctx, store.System, f, store.ImportOptions{Mode: store.ImportUpsert})
	if err != nil || res.Unchanged != 2 || res.Updated != 0 || res.Created != 0 || res.Skipped != 0 {
		t.Fatalf("re-import of the export: %+v %v", res, err)
	}
	if _, err := importText(t, st, "route,wagons\n", false); models.ErrorCode(err) != models.EBADREQUEST {
		t.Fatalf("unknown column: %v", err)
	}
}

// importText imports a UTF-8 CSV in create mode, as the system.
func importText(t *testing.T, st *store.Store, text string, dry bool) (store.ImportResult, error) {
	t.Helper()
	f, err := store.ReadRunsCSV(strings.NewReader(text), store.CharsetUTF8)
	if err != nil {
		return store.ImportResult{}, err
	}
	return st.ImportRuns(context.Background(), store.System, f, store.ImportOptions{DryRun: dry})
}

func asError(err error, target **models.Error) bool {
	e, ok := err.(*models.Error)
	if ok {
		*target = e
	}
	return ok
}

// The commands as an office uses them: a GB18030 file with Chinese headers
// and semicolons, then an export with a byte order mark that is edited and
// imported back with --mode upsert.
func TestImportExportCommandsOfficeCSV(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateRoute(ctx, store.System, models.RouteInput{Code: "SCO-TJ-MOW", Name: "SCO Zone – Tongjiang – Moscow", Mode: "rail",
		Stops: []models.Stop{{Name: "Jiaozhou", Country: "CN", Role: "origin"}, {Name: "Moscow", Country: "RU", Role: "destination"}}}); err != nil {
		t.Fatal(err)
	}
	store.Close(st.DB())
	dir := t.TempDir()
	db := []string{"--db", cfg.DB, "--tz", "Asia/Shanghai"}
	cli := func(args ...string) (string, error) {
		var out, errs bytes.Buffer
		err := Run(ctx, append(args, db...), &out, &errs)
		return out.String() + errs.String(), err
	}
	gb, err := simplifiedchinese.GB18030.NewEncoder().String("线路;车次;方向;发车时间;状态;箱数;标箱;货物\r\n" +
		"SCO-TJ-MOW;X8024;去程;2024-10-12T09:30:00+08:00;已发车;55;110;汽车配件\r\n;;;;;;;\r\n")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "office.csv")
	if err := os.WriteFile(path, []byte(gb), 0o600); err != nil {
		t.Fatal(err)
	}
	// Undeclared, the file is not UTF-8: refused, with the code.
	if out, err := cli("import", "--runs", path); err == nil || !strings.Contains(out, "csv: ") || !strings.Contains(out, "[invalid_text]") {
		t.Fatalf("a GB18030 file read as UTF-8: %v\n%s", err, out)
	}
	if out, err := cli("import", "--runs", path, "--encoding", "big5"); err == nil || !strings.Contains(err.Error(), "--encoding") {
		t.Fatalf("--encoding big5: %v\n%s", err, out)
	}
	out, err := cli("import", "--runs", path, "--encoding", "gb18030")
	if err != nil || !strings.Contains(out, "read as gb18030, separator semicolon; columns: 线路=route, 车次=number, 方向=direction") ||
		!strings.Contains(out, "imported 1 runs; 0 already stored with the same values; 1 blank lines skipped") {
		t.Fatalf("import --encoding gb18030: %v\n%s", err, out)
	}
	// The export, with a BOM, holds the id first and the cargo in UTF-8.
	exported := filepath.Join(dir, "runs.csv")
	if out, err := cli("export", "--runs", "--bom", "--out", exported); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	b := must(os.ReadFile(exported))
	if !bytes.HasPrefix(b, []byte("\ufeffid,route,number,")) || !bytes.Contains(b, []byte(",汽车配件,")) {
		t.Fatalf("export --bom:\n%s", b)
	}
	// Edited: the cargo changes. In create mode the id column is refused.
	edited := filepath.Join(dir, "edited.csv")
	if err := os.WriteFile(edited, bytes.Replace(b, []byte("汽车配件"), []byte("家用电器"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := cli("import", "--runs", edited); err == nil || !strings.Contains(out, "header: id: ") || !strings.Contains(out, "mode=upsert") {
		t.Fatalf("an id column in create mode: %v\n%s", err, out)
	}
	if out, err := cli("import", "--runs", edited, "--mode", "merge"); err == nil || !strings.Contains(err.Error(), "--mode") {
		t.Fatalf("--mode merge: %v\n%s", err, out)
	}
	if out, err := cli("import", "--runs", edited, "--mode", "upsert", "--dry-run"); err != nil || !strings.Contains(out, "would update 1 runs, 0 unchanged") {
		t.Fatalf("upsert, dry run: %v\n%s", err, out)
	}
	if out, err := cli("import", "--runs", edited, "--mode", "upsert"); err != nil || !strings.Contains(out, "updated 1 runs, 0 unchanged") {
		t.Fatalf("upsert: %v\n%s", err, out)
	}
	if out, err := cli("import", "--runs", edited, "--mode", "upsert"); err != nil || !strings.Contains(out, "updated 0 runs, 1 unchanged") {
		t.Fatalf("upsert again: %v\n%s", err, out)
	}
	st, err = openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	p, err := st.ListRuns(ctx, models.RunFilter{Limit: 10})
	if err != nil || len(p.Items) != 1 || p.Items[0].Cargo == nil || *p.Items[0].Cargo != "家用电器" {
		t.Fatalf("after the upsert: %+v %v", p.Items, err)
	}
	action := "runs.update"
	a, err := st.ListAudit(ctx, models.AuditFilter{Action: &action, Limit: 10})
	if err != nil || len(a.Items) != 1 || a.Items[0].Actor != "cli-import" {
		t.Fatalf("audit of the upsert: %+v %v", a.Items, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// banlie import tells its progress on stderr: plain lines at every tenth
// of the file when stderr is no terminal, a bar redrawn in place on one.
func TestImportCommandProgress(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateRoute(ctx, store.System, models.RouteInput{Code: "SCO-TJ-MOW", Name: "SCO Zone – Tongjiang – Moscow", Mode: "rail",
		Stops: []models.Stop{{Name: "Jiaozhou", Country: "CN", Role: "origin"}, {Name: "Moscow", Country: "RU", Role: "destination"}}}); err != nil {
		t.Fatal(err)
	}
	store.Close(st.DB())
	var b strings.Builder
	b.WriteString("route,number,direction,departed_at\n")
	for i := range 6000 {
		fmt.Fprintf(&b, "SCO-TJ-MOW,P%d,outbound,2024-%02d-%02dT09:30:00+08:00\n", i, 1+i%12, 1+i%28)
	}
	path := filepath.Join(t.TempDir(), "runs.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if err := Run(ctx, []string{"import", "--runs", path, "--db", cfg.DB, "--tz", "Asia/Shanghai"}, &out, &errs); err != nil {
		t.Fatalf("%v: %s", err, errs.String())
	}
	if !strings.Contains(out.String(), "imported 6000 runs") {
		t.Fatalf("stdout: %s", out.String())
	}
	var tenths []string
	for _, l := range strings.Split(strings.TrimSpace(errs.String()), "\n") {
		if strings.HasPrefix(l, "import: ") {
			tenths = append(tenths, l)
		}
	}
	// 12 batches of 500 lines, the file read 64 KiB at a time: a line at
	// most every tenth.
	if len(tenths) < 3 || len(tenths) > 9 || !strings.Contains(tenths[0], "lines/s") || !strings.Contains(tenths[0], "left") {
		t.Fatalf("progress lines: %q", tenths)
	}

	// On a terminal: the bar, with the share, the rate and the time left.
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tty bytes.Buffer
	p := &importProgress{w: &tty, tty: true, size: 1000, now: func() time.Time { return clock }, start: clock, last: clock}
	clock = clock.Add(2 * time.Second)
	p.update(500, 250)
	p.end()
	want := "\r\033[K[=======                       ]  25% 500 lines, 250 lines/s, 6s left\r\033[K"
	if tty.String() != want {
		t.Fatalf("bar %q, want %q", tty.String(), want)
	}
}
