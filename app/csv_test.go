package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

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
	res, err := st.ImportRuns(ctx, store.System, strings.NewReader(good), false)
	if err != nil || res.Created != 2 || res.Skipped != 0 || count() != 2 {
		t.Fatalf("first import: %+v %v (%d runs)", res, err, count())
	}
	// The same file again (a retry over a flaky link): nothing new.
	res, err = st.ImportRuns(ctx, store.System, strings.NewReader(good), false)
	if err != nil || res.Created != 0 || res.Skipped != 2 || count() != 2 {
		t.Fatalf("second import: %+v %v (%d runs)", res, err, count())
	}
	// One bad line: nothing of the file is written, every problem is named by line.
	mixed := "route,number,direction,departed_at,containers,teu\n" +
		"SCO-TJ-MOW,X9001,outbound,2024-11-01T10:00:00+08:00,55,110\n" +
		"SCO-TJ-MOW,X8024,outbound,2024-10-12T20:00:00+08:00,40,80\n" + // same train and day, other values
		"NOPE,X9002,west,2024-11-01,many,1\n"
	_, err = st.ImportRuns(ctx, store.System, strings.NewReader(mixed), false)
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
	res, err = st.ImportRuns(ctx, store.System, strings.NewReader("route,number,direction,departed_at\nSCO-TJ-MOW,X9001,outbound,2024-11-01T10:00:00+08:00\n"), true)
	if err != nil || res.Created != 1 || count() != 2 {
		t.Fatalf("dry run: %+v %v (%d runs)", res, err, count())
	}
	// Export writes what import reads back.
	var buf bytes.Buffer
	n, err := st.ExportRuns(ctx, models.RunFilter{}, &buf)
	if err != nil || n != 2 {
		t.Fatalf("export: %d %v", n, err)
	}
	res, err = st.ImportRuns(ctx, store.System, &buf, false)
	if err != nil || res.Skipped != 2 || res.Created != 0 {
		t.Fatalf("re-import of the export: %+v %v", res, err)
	}
	if _, err := st.ImportRuns(ctx, store.System, strings.NewReader("route,wagons\n"), false); models.ErrorCode(err) != models.EBADREQUEST {
		t.Fatalf("unknown column: %v", err)
	}
}

func asError(err error, target **models.Error) bool {
	e, ok := err.(*models.Error)
	if ok {
		*target = e
	}
	return ok
}
