package store_test

import (
	"context"
	"testing"
	"time"

	"banlie/models"
)

// A write is made at its Write's Now, whatever the store's clock says by
// then: the row's timestamps and its audit entry's agree.
func TestWriteTimeIsTheWritesNow(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		w := e.st.WriteBy(models.Actor{Name: "tester"}, nil)
		made := e.clock.Now()
		e.clock.Advance(time.Hour)
		check := func(what, entity, id string, created, updated time.Time) {
			t.Helper()
			a := e.audit(t, entity, id)
			if len(a) == 0 {
				t.Fatalf("%s: no audit entry", what)
			}
			if !created.Equal(made) || !updated.Equal(made) || !a[0].At.Equal(made) {
				t.Errorf("%s: created_at %v, updated_at %v, audited at %v; the write was made at %v", what, created, updated, a[0].At, made)
			}
		}
		r, err := e.st.CreateRoute(ctx, w, routeInput("R-A", "rail"))
		if err != nil {
			t.Fatal(err)
		}
		check("route", "route", "R-A", r.CreatedAt, r.UpdatedAt)
		run, err := e.st.CreateRun(ctx, w, runInput("R-A", "X1", at("2026-10-01T08:00:00+08:00"), 1))
		if err != nil {
			t.Fatal(err)
		}
		check("run", "run", idOf(run.ID), run.CreatedAt, run.UpdatedAt)
		if run, err = e.st.UpdateRun(ctx, w, run.ID, models.RunPatch{Containers: ptr(2), TEU: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		check("run update", "run", idOf(run.ID), run.CreatedAt, run.UpdatedAt)
		c, err := e.st.CreateSeaRailCount(ctx, w, seaInput("2026-10-01", "CNQIN", "import", 1))
		if err != nil {
			t.Fatal(err)
		}
		check("sea-rail count", "sea_rail_count", idOf(c.ID), c.CreatedAt, c.UpdatedAt)
		tg, err := e.st.CreateTarget(ctx, w, models.TargetInput{Year: 2026, Metric: "runs", Value: 1})
		if err != nil {
			t.Fatal(err)
		}
		check("target", "target", idOf(tg.ID), tg.CreatedAt, tg.CreatedAt)
		_, tok, err := e.st.CreateToken(ctx, w, "bot", models.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		check("token", "token", "bot", tok.CreatedAt, tok.CreatedAt)
	})
}
