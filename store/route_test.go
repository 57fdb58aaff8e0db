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

func TestRouteLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := e.ctx
		in := models.RouteInput{Code: "SCO-AKL-DUI", Name: "SCO – Alashankou – Duisburg", NameZh: ptr("上合示范区—阿拉山口—杜伊斯堡"),
			Mode: "rail", OpenedOn: ptr("2019-04-02"), Tags: []string{"west", "europe", "west"},
			Stops: []models.Stop{
				{Name: "Jiaozhou", Country: "CN", Locode: ptr("CNJZH"), Role: models.RoleOrigin},
				{Name: "Alashankou", Country: "CN", Role: models.RoleBorder},
				{Name: "Duisburg", Country: "DE", Locode: ptr("DEDUI"), Role: models.RoleDestination},
			}}
		created, err := e.st.CreateRoute(ctx, e.w, in)
		if err != nil {
			t.Fatal(err)
		}
		// Tags come back sorted and without the repeat; active by default.
		if !slices.Equal(created.Tags, []string{"europe", "west"}) || !created.Active || len(created.Stops) != 3 {
			t.Fatalf("created %+v", created)
		}
		if !created.CreatedAt.Equal(e.clock.Now()) || !created.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("created_at %v updated_at %v, want the clock's %v", created.CreatedAt, created.UpdatedAt, e.clock.Now())
		}
		got, err := e.st.GetRoute(context.Background(), "SCO-AKL-DUI")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, created) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, created)
		}
		if got.Stops[1].Name != "Alashankou" || got.Stops[1].Locode != nil || *got.Stops[2].Locode != "DEDUI" || *got.NameZh != *in.NameZh {
			t.Fatalf("stops or name_zh not kept: %+v", got)
		}

		_, err = e.st.CreateRoute(ctx, e.w, routeInput("SCO-AKL-DUI", "sea"))
		wantCode(t, err, models.ECONFLICT)
		_, err = e.st.CreateRoute(ctx, e.w, models.RouteInput{Code: "bad code", Mode: "bike"})
		wantFields(t, err, models.EINVALID, "code", "name", "mode", "stops")

		// Update: new stops and tags replace the old ones; name_zh cleared.
		e.clock.Advance(time.Hour)
		stops := []models.Stop{{Name: "Jiaozhou", Country: "CN", Role: models.RoleOrigin}, {Name: "Hamburg", Country: "DE", Role: models.RoleDestination}}
		upd, err := e.st.UpdateRoute(ctx, e.w, "SCO-AKL-DUI", models.RoutePatch{Name: ptr("SCO – Hamburg"), Stops: &stops,
			Tags: &[]string{"north"}, NameZh: models.Opt[string]{Set: true}, Active: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		got, err = e.st.GetRoute(context.Background(), "SCO-AKL-DUI")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, upd) || got.Name != "SCO – Hamburg" || got.NameZh != nil || got.Active ||
			!slices.Equal(got.Tags, []string{"north"}) || len(got.Stops) != 2 || got.Stops[1].Name != "Hamburg" ||
			!got.UpdatedAt.Equal(e.clock.Now()) || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Fatalf("after update %+v", got)
		}
		_, err = e.st.UpdateRoute(ctx, e.w, "SCO-AKL-DUI", models.RoutePatch{Code: ptr("OTHER")})
		wantFields(t, err, models.EINVALID, "code")
		_, err = e.st.UpdateRoute(ctx, e.w, "NOPE", models.RoutePatch{Name: ptr("x")})
		wantCode(t, err, models.ENOTFOUND)

		// Lists by tag and by active.
		e.mustRoute(t, "B-ROUTE", "sea")
		page, err := e.st.ListRoutes(context.Background(), models.RouteFilter{Tag: ptr("north")})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Code != "SCO-AKL-DUI" || page.NextCursor != nil {
			t.Fatalf("routes tagged north: %+v", page)
		}
		page, err = e.st.ListRoutes(context.Background(), models.RouteFilter{Active: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Code != "B-ROUTE" {
			t.Fatalf("active routes: %+v", page)
		}

		// A route with runs cannot be deleted; without, it can.
		e.mustRun(t, runInput("B-ROUTE", "X1", at("2026-10-01T08:00:00+08:00"), 10))
		wantCode(t, e.st.DeleteRoute(ctx, e.w, "B-ROUTE"), models.ECONFLICT)
		if err := e.st.DeleteRoute(ctx, e.w, "SCO-AKL-DUI"); err != nil {
			t.Fatal(err)
		}
		_, err = e.st.GetRoute(context.Background(), "SCO-AKL-DUI")
		wantCode(t, err, models.ENOTFOUND)
		wantCode(t, e.st.DeleteRoute(ctx, e.w, "SCO-AKL-DUI"), models.ENOTFOUND)

		entries := e.audit(t, "route", "SCO-AKL-DUI")
		if got := actions(entries); !slices.Equal(got, []string{"routes.delete", "routes.update", "routes.create"}) {
			t.Fatalf("audit actions %q", got)
		}
		for _, a := range entries {
			if a.Actor != "tester" || a.RequestID != "req-test" {
				t.Fatalf("audit entry %+v not by the context's actor", a)
			}
		}
		var before, after models.Route
		if err := json.Unmarshal(entries[1].Before, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(entries[1].After, &after); err != nil {
			t.Fatal(err)
		}
		if before.Name != in.Name || after.Name != "SCO – Hamburg" || string(entries[0].After) != "null" || string(entries[2].Before) != "null" {
			t.Fatalf("audit values: update %s → %s, delete after %s, create before %s", entries[1].Before, entries[1].After, entries[0].After, entries[2].Before)
		}
	})
}

// An update that changes nothing writes nothing: no audit entry, and
// updated_at stays.
func TestRouteUpdateUnchanged(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.mustRoute(t, "R-SAME", "rail")
		e.clock.Advance(time.Hour)
		got, err := e.st.UpdateRoute(e.ctx, e.w, "R-SAME", models.RoutePatch{Name: ptr(r.Name), Stops: &r.Stops, Tags: &[]string{}})
		if err != nil {
			t.Fatal(err)
		}
		if !got.UpdatedAt.Equal(r.UpdatedAt) {
			t.Fatalf("updated_at moved from %v to %v", r.UpdatedAt, got.UpdatedAt)
		}
		if got := actions(e.audit(t, "route", "R-SAME")); !slices.Equal(got, []string{"routes.create"}) {
			t.Fatalf("audit actions %q", got)
		}
	})
}
