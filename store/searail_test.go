package store_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"banlie/models"
)

func seaInput(date, port, dir string, teu int) models.SeaRailInput {
	return models.SeaRailInput{Date: date, Port: port, Direction: dir, TEU: &teu}
}

func TestSeaRailLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := e.ctx
		in := seaInput("2026-10-31", "  cn qin ", "import", 120)
		in.Note = ptr("from the port's report")
		c, err := e.st.CreateSeaRailCount(ctx, e.w, in)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID <= 0 || c.Port != "CNQIN" || c.PortName != (models.PortName{Zh: "青岛港", En: "Qingdao"}) || c.Date != "2026-10-31" || c.TEU != 120 || c.Note != "from the port's report" ||
			!c.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("created %+v", c)
		}
		got, err := e.st.GetSeaRailCount(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("read back %+v, want %+v", got, c)
		}
		// The same port (by an alias too), day and direction is a conflict naming the date.
		_, err = e.st.CreateSeaRailCount(ctx, e.w, seaInput("2026-10-31", "CNTAO", "import", 1))
		wantFields(t, err, models.ECONFLICT, "date")
		other, err := e.st.CreateSeaRailCount(ctx, e.w, seaInput("2026-10-31", "CNQIN", "export", 7))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.st.UpdateSeaRailCount(ctx, e.w, other.ID, models.SeaRailPatch{Direction: ptr("import")})
		wantFields(t, err, models.ECONFLICT, "date")
		_, err = e.st.CreateSeaRailCount(ctx, e.w, models.SeaRailInput{Date: "2026-02-30", Direction: "both"})
		wantFields(t, err, models.EINVALID, "date", "port", "direction", "teu")

		e.mustRollup(t, false)
		if got := seaMonth(t, e, 2026, 10); got != 127 {
			t.Fatalf("October sea-rail TEU %d, want 127", got)
		}
		// Moving a count to another month moves its TEU.
		e.clock.Advance(time.Minute)
		upd, err := e.st.UpdateSeaRailCount(ctx, e.w, c.ID, models.SeaRailPatch{Date: ptr("2026-11-01"), TEU: ptr(100)})
		if err != nil {
			t.Fatal(err)
		}
		if upd.Date != "2026-11-01" || upd.TEU != 100 || !upd.UpdatedAt.Equal(e.clock.Now()) || upd.Note != "from the port's report" {
			t.Fatalf("updated %+v", upd)
		}
		e.mustRollup(t, false)
		if oct, nov := seaMonth(t, e, 2026, 10), seaMonth(t, e, 2026, 11); oct != 7 || nov != 100 {
			t.Fatalf("sea-rail TEU October %d, November %d, want 7 and 100", oct, nov)
		}
		// Unchanged: no audit entry, updated_at stays.
		e.clock.Advance(time.Minute)
		same, err := e.st.UpdateSeaRailCount(ctx, e.w, c.ID, models.SeaRailPatch{TEU: ptr(100)})
		if err != nil || !same.UpdatedAt.Equal(upd.UpdatedAt) {
			t.Fatalf("no-op update: %+v %v", same, err)
		}

		if err := e.st.DeleteSeaRailCount(ctx, e.w, c.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.st.GetSeaRailCount(context.Background(), c.ID)
		wantCode(t, err, models.ENOTFOUND)
		wantCode(t, e.st.DeleteSeaRailCount(ctx, e.w, c.ID), models.ENOTFOUND)
		_, err = e.st.UpdateSeaRailCount(ctx, e.w, c.ID, models.SeaRailPatch{TEU: ptr(1)})
		wantCode(t, err, models.ENOTFOUND)
		e.mustRollup(t, false)
		if got := seaMonth(t, e, 2026, 11); got != 0 {
			t.Fatalf("November sea-rail TEU %d after the delete, want 0", got)
		}
		if got := actions(e.audit(t, "sea_rail_count", idOf(c.ID))); !slices.Equal(got,
			[]string{"sea_rail_counts.delete", "sea_rail_counts.update", "sea_rail_counts.create"}) {
			t.Fatalf("audit actions %q", got)
		}
	})
}

func seaMonth(t testing.TB, e *env, year, month int) int64 {
	t.Helper()
	mt, err := e.st.MonthlyTotals(context.Background(), year, models.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	return *mt.Months[month-1].SeaRailTEU
}

// Counts page newest date first, by id within a date.
func TestListSeaRailPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		if _, err := e.st.CreatePort(e.ctx, e.w, models.PortInput{Code: "CNLYG", NameEn: "Lianyungang", NameZh: "连云港"}); err != nil {
			t.Fatal(err)
		}
		var want []int64
		// Three on one date, so that the page boundary falls among them.
		for _, x := range []struct{ date, port string }{{"2026-10-03", "CNQIN"}, {"2026-10-02", "CNQIN"}, {"2026-10-02", "CNRZH"}, {"2026-10-02", "CNLYG"}, {"2026-10-01", "CNQIN"}} {
			c, err := e.st.CreateSeaRailCount(e.ctx, e.w, seaInput(x.date, x.port, "import", 1))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, c.ID)
		}
		// Same date: higher id first.
		want[1], want[3] = want[3], want[1]
		var got []int64
		cursor := ""
		for range 3 {
			page, err := e.st.ListSeaRailCounts(context.Background(), models.SeaRailFilter{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				got = append(got, c.ID)
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages hold %v, want %v", got, want)
		}
		page, err := e.st.ListSeaRailCounts(context.Background(), models.SeaRailFilter{Port: ptr("cnrzh"), From: &models.Day{Year: 2026, Month: 10, Day: 2}})
		if err != nil || len(page.Items) != 1 || page.Items[0].Port != "CNRZH" {
			t.Fatalf("port CNRZH from October 2nd: %+v %v", page, err)
		}
	})
}
