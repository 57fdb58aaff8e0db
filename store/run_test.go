package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"banlie/models"
)

func TestRunLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := e.ctx
		e.mustRoute(t, "R-A", "rail")
		e.mustRoute(t, "R-B", "sea_rail")
		in := runInput("R-A", "x 1001", at("2026-10-31T20:00:00+08:00"), 40)
		in.Direction = models.DirInbound
		in.Cargo = ptr("  auto parts ")
		in.ContainerNumbers = []string{"cscu 123456 6"}
		created, err := e.st.CreateRun(ctx, e.w, in)
		if err != nil {
			t.Fatal(err)
		}
		if created.ID <= 0 || created.Route != "R-A" || created.Mode != "rail" || created.Number != "x 1001" ||
			created.Direction != models.DirInbound || created.Status != models.StatusDeparted || created.Containers != 40 || created.TEU != 80 ||
			*created.Cargo != "auto parts" || !slices.Equal(created.ContainerNumbers, []string{"CSCU1234566"}) ||
			!created.DepartedAt.Equal(at("2026-10-31T12:00:00Z")) || created.DepartedAt.Location() != shanghai ||
			!created.CreatedAt.Equal(e.clock.Now()) || !created.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("created %+v", created)
		}
		got, err := e.st.GetRun(context.Background(), created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, created) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, created)
		}

		// Update: the run moves to another route, day and month, and arrives.
		e.clock.Advance(time.Hour)
		upd, err := e.st.UpdateRun(ctx, e.w, created.ID, models.RunPatch{Route: ptr("R-B"), DepartedAt: ptr("2026-11-01T09:00:00+08:00"),
			Status: ptr(models.StatusArrived), ArrivedAt: models.Opt[string]{Set: true, Value: ptr("2026-11-20T10:00:00+08:00")},
			Cargo: models.Opt[string]{Set: true}})
		if err != nil {
			t.Fatal(err)
		}
		got, err = e.st.GetRun(context.Background(), created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, upd) || got.Route != "R-B" || got.Mode != "sea_rail" || !got.DepartedAt.Equal(at("2026-11-01T01:00:00Z")) ||
			got.Status != models.StatusArrived || got.ArrivedAt == nil || !got.ArrivedAt.Equal(at("2026-11-20T02:00:00Z")) || got.Cargo != nil ||
			got.Number != "x 1001" || got.Containers != 40 || !got.UpdatedAt.Equal(e.clock.Now()) || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Fatalf("after update %+v", got)
		}

		// An invalid patch is refused as a whole and names its fields.
		_, err = e.st.UpdateRun(ctx, e.w, created.ID, models.RunPatch{Route: ptr("NOPE"), TEU: ptr(10)})
		wantFields(t, err, models.EINVALID, "route", "teu")
		_, err = e.st.CreateRun(ctx, e.w, runInput("NOPE", "X2", at("2026-10-01T08:00:00+08:00"), 1))
		wantFields(t, err, models.EINVALID, "route")
		if got2, _ := e.st.GetRun(context.Background(), created.ID); !reflect.DeepEqual(got2, upd) {
			t.Fatalf("a refused update changed the run: %+v", got2)
		}

		if err := e.st.DeleteRun(ctx, e.w, created.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.st.GetRun(context.Background(), created.ID)
		wantCode(t, err, models.ENOTFOUND)
		wantCode(t, e.st.DeleteRun(ctx, e.w, created.ID), models.ENOTFOUND)
		_, err = e.st.UpdateRun(ctx, e.w, created.ID, models.RunPatch{Containers: ptr(1)})
		wantCode(t, err, models.ENOTFOUND)

		entries := e.audit(t, "run", idOf(created.ID))
		if got := actions(entries); !slices.Equal(got, []string{"runs.delete", "runs.update", "runs.create"}) {
			t.Fatalf("audit actions %q", got)
		}
		var before, after models.Run
		if err := json.Unmarshal(entries[1].Before, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(entries[1].After, &after); err != nil {
			t.Fatal(err)
		}
		if before.Route != "R-A" || after.Route != "R-B" || after.Status != models.StatusArrived || entries[1].Actor != "tester" ||
			!entries[1].At.Equal(upd.UpdatedAt) {
			t.Fatalf("update audit entry %+v", entries[1])
		}
	})
}

// Moving a run to another day moves it in the figures: out of October,
// into November.
func TestRunUpdateMovesDepartureDay(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		r := e.mustRun(t, runInput("R-A", "X1", at("2026-10-31T23:30:00+08:00"), 10))
		e.mustRollup(t, false)
		oct, nov := monthRuns(t, e, 2026, 10), monthRuns(t, e, 2026, 11)
		if oct != 1 || nov != 0 {
			t.Fatalf("before the move: October %d runs, November %d, want 1 and 0", oct, nov)
		}
		// 23:30+08:00 → 00:30+08:00 the next day: one hour, another month.
		if _, err := e.st.UpdateRun(e.ctx, e.w, r.ID, models.RunPatch{DepartedAt: ptr("2026-10-31T16:30:00Z")}); err != nil {
			t.Fatal(err)
		}
		e.mustRollup(t, false)
		oct, nov = monthRuns(t, e, 2026, 10), monthRuns(t, e, 2026, 11)
		if oct != 0 || nov != 1 {
			t.Fatalf("after the move: October %d runs, November %d, want 0 and 1", oct, nov)
		}
		// The day of the unique rule moves too: another X1 can now depart on October 31st.
		e.mustRun(t, runInput("R-A", "X1", at("2026-10-31T08:00:00+08:00"), 10))
	})
}

func monthRuns(t testing.TB, e *env, year, month int) int64 {
	t.Helper()
	mt, err := e.st.MonthlyTotals(context.Background(), year, models.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	return mt.Months[month-1].Runs
}

// An update that changes nothing writes nothing: no audit entry, and
// updated_at stays.
func TestRunUpdateUnchanged(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		r := e.mustRun(t, runInput("R-A", "X1", at("2026-10-01T08:00:00+08:00"), 10))
		e.clock.Advance(time.Hour)
		version, err := e.st.DataVersion(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The same values, one instant written in another offset.
		got, err := e.st.UpdateRun(e.ctx, e.w, r.ID, models.RunPatch{Number: ptr("X1"), Containers: ptr(10), DepartedAt: ptr("2026-10-01T00:00:00Z"),
			Cargo: models.Opt[string]{Set: true}})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("no-op update answered\n%+v\nwant\n%+v", got, r)
		}
		if stored, _ := e.st.GetRun(context.Background(), r.ID); !stored.UpdatedAt.Equal(r.UpdatedAt) {
			t.Fatalf("updated_at moved from %v to %v", r.UpdatedAt, stored.UpdatedAt)
		}
		if got := actions(e.audit(t, "run", idOf(r.ID))); !slices.Equal(got, []string{"runs.create"}) {
			t.Fatalf("audit actions %q", got)
		}
		// Kept answers stay valid: nothing they answer from changed.
		if after, err := e.st.DataVersion(e.ctx); err != nil || after != version {
			t.Fatalf("data version %d → %d (%v) after an update that changed nothing", version, after, err)
		}
	})
}

// The same train number cannot depart twice on one day (in the reporting
// zone) on one route: ECONFLICT naming the number, on create and update.
func TestRunDuplicateNumberConflict(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		e.mustRoute(t, "R-B", "rail")
		first := e.mustRun(t, runInput("R-A", "X1", at("2026-10-01T08:00:00+08:00"), 10))
		// 23:59 Shanghai is the same reporting day; the number's case does not matter.
		_, err := e.st.CreateRun(e.ctx, e.w, runInput("R-A", "x1", at("2026-10-01T15:59:00Z"), 10))
		wantFields(t, err, models.ECONFLICT, "number")
		// Another day, or another route, is no duplicate.
		other := e.mustRun(t, runInput("R-A", "X1", at("2026-10-01T16:00:00Z"), 10))
		e.mustRun(t, runInput("R-B", "X1", at("2026-10-01T08:00:00+08:00"), 10))
		_, err = e.st.UpdateRun(e.ctx, e.w, other.ID, models.RunPatch{DepartedAt: ptr("2026-10-01T10:00:00+08:00")})
		wantFields(t, err, models.ECONFLICT, "number")
		// Nothing of the refused writes is kept.
		if got, _ := e.st.GetRun(context.Background(), other.ID); !got.DepartedAt.Equal(other.DepartedAt) {
			t.Fatalf("refused update moved the run to %v", got.DepartedAt)
		}
		page, err := e.st.ListRuns(context.Background(), models.RunFilter{Route: ptr("R-A")})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 2 {
			t.Fatalf("%d runs on R-A, want 2", len(page.Items))
		}
		if got := actions(e.audit(t, "run", idOf(first.ID))); !slices.Equal(got, []string{"runs.create"}) {
			t.Fatalf("audit actions %q", got)
		}
	})
}

// ListRuns pages newest departure first; runs departing at the same instant
// are ordered by id, so pages never repeat or skip one.
func TestListRunsPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		base := at("2026-10-10T08:00:00+08:00")
		// Departures (hours after base): 5, 4, then three at 3, then 2, 1.
		hours := []int{3, 5, 3, 1, 4, 3, 2}
		ids := map[int64]int{}
		for i, h := range hours {
			r := e.mustRun(t, runInput("R-A", "X"+idOf(int64(i)), base.Add(time.Duration(h)*time.Hour), 1))
			ids[r.ID] = h
		}
		// The order: by departure descending, then id descending.
		var want []int64
		for id := range ids {
			want = append(want, id)
		}
		slices.SortFunc(want, func(a, b int64) int {
			if ids[a] != ids[b] {
				return ids[b] - ids[a]
			}
			return int(b - a)
		})
		for _, limit := range []int{1, 2, 3, 7} {
			var got []int64
			cursor, pages := "", 0
			for {
				page, err := e.st.ListRuns(context.Background(), models.RunFilter{Limit: limit, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(page.Items) > limit || (page.NextCursor != nil && len(page.Items) != limit) {
					t.Fatalf("limit %d: page %d has %d items, next cursor %v", limit, pages, len(page.Items), page.NextCursor)
				}
				for _, r := range page.Items {
					got = append(got, r.ID)
				}
				if page.NextCursor == nil {
					break
				}
				cursor = *page.NextCursor
				if pages > len(hours) {
					t.Fatalf("limit %d: more pages than runs", limit)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("limit %d: pages hold %v, want %v", limit, got, want)
			}
			// A last page that is exactly full has no next cursor.
			if wantPages := (len(hours) + limit - 1) / limit; pages != wantPages {
				t.Fatalf("limit %d: %d pages, want %d", limit, pages, wantPages)
			}
		}

		// Filters and pages combine.
		page, err := e.st.ListRuns(context.Background(), models.RunFilter{Limit: 2, From: &models.Day{Year: 2026, Month: 10, Day: 10}, To: &models.Day{Year: 2026, Month: 10, Day: 10}})
		if err != nil || len(page.Items) != 2 || page.NextCursor == nil {
			t.Fatalf("filtered page %+v %v", page, err)
		}
		next, err := e.st.ListRuns(context.Background(), models.RunFilter{Limit: 10, Cursor: *page.NextCursor,
			From: &models.Day{Year: 2026, Month: 10, Day: 10}, To: &models.Day{Year: 2026, Month: 10, Day: 10}})
		if err != nil || len(next.Items) != 5 || next.NextCursor != nil {
			t.Fatalf("filtered next page: %d items, next %v, %v", len(next.Items), next.NextCursor, err)
		}

		// Cursors of another list, or made up, are refused.
		if _, err := e.st.CreateSeaRailCount(e.ctx, e.w, seaInput("2026-10-01", "CNQIN", "import", 5)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.CreateSeaRailCount(e.ctx, e.w, seaInput("2026-10-02", "CNQIN", "import", 5)); err != nil {
			t.Fatal(err)
		}
		sea, err := e.st.ListSeaRailCounts(context.Background(), models.SeaRailFilter{Limit: 1})
		if err != nil || sea.NextCursor == nil {
			t.Fatalf("sea-rail page %+v %v", sea, err)
		}
		for _, c := range []string{*sea.NextCursor, "not-a-cursor", "cnVucy57fQ"} {
			_, err := e.st.ListRuns(context.Background(), models.RunFilter{Cursor: c})
			wantFields(t, err, models.EBADREQUEST, "cursor")
		}
		_, err = e.st.ListSeaRailCounts(context.Background(), models.SeaRailFilter{Cursor: *page.NextCursor})
		wantFields(t, err, models.EBADREQUEST, "cursor")
	})
}
