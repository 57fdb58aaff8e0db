package store_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"banlie/models"
)

func TestTargetLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := e.ctx
		e.mustRoute(t, "R-A", "rail")
		e.mustRoute(t, "R-S", "sea")
		tg, err := e.st.CreateTarget(ctx, e.w, models.TargetInput{Year: 2026, Metric: "runs", Scope: &models.TargetScope{Mode: ptr("rail")}, Value: 2, Label: "Two rail runs"})
		if err != nil {
			t.Fatal(err)
		}
		if tg.ID <= 0 || tg.Year != 2026 || tg.Metric != "runs" || *tg.Scope.Mode != "rail" || tg.Scope.Route != nil || tg.Value != 2 ||
			tg.Label != "Two rail runs" || !tg.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("created %+v", tg)
		}
		got, err := e.st.GetTarget(context.Background(), tg.ID)
		if err != nil || !reflect.DeepEqual(got, tg) {
			t.Fatalf("read back %+v %v, want %+v", got, err, tg)
		}
		other, err := e.st.CreateTarget(ctx, e.w, models.TargetInput{Year: 2025, Metric: "teu", Scope: &models.TargetScope{Route: ptr("R-A")}, Value: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			in     models.TargetInput
			fields []string
		}{
			{models.TargetInput{Year: 1999, Metric: "trains", Value: 0}, []string{"year", "metric", "value"}},
			{models.TargetInput{Year: 2026, Metric: "runs", Scope: &models.TargetScope{Mode: ptr("rail"), Route: ptr("R-A")}, Value: 1}, []string{"scope"}},
			{models.TargetInput{Year: 2026, Metric: "runs", Scope: &models.TargetScope{Route: ptr("NOPE")}, Value: 1}, []string{"scope.route"}},
			{models.TargetInput{Year: 2026, Metric: "sea_rail_teu", Scope: &models.TargetScope{Mode: ptr("rail")}, Value: 1}, []string{"scope"}},
		} {
			_, err := e.st.CreateTarget(ctx, e.w, c.in)
			wantFields(t, err, models.EINVALID, c.fields...)
		}
		all, err := e.st.ListTargets(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].ID != other.ID || all[1].ID != tg.ID {
			t.Fatalf("targets %+v, want 2025's then 2026's", all)
		}
		of2026, err := e.st.ListTargets(context.Background(), ptr(2026))
		if err != nil || len(of2026) != 1 || of2026[0].ID != tg.ID {
			t.Fatalf("targets of 2026: %+v %v", of2026, err)
		}
		// A route that is the scope of a target cannot be deleted.
		wantCode(t, e.st.DeleteRoute(ctx, e.w, "R-A"), models.ECONFLICT)

		// Progress: one sea run does not count; the second rail run reaches it.
		e.mustRun(t, runInput("R-A", "X1", at("2026-03-01T08:00:00+08:00"), 10))
		e.mustRun(t, runInput("R-S", "S1", at("2026-03-02T08:00:00+08:00"), 10))
		second := e.mustRun(t, runInput("R-A", "X2", at("2026-03-05T08:00:00+08:00"), 10))
		e.mustRun(t, runInput("R-A", "X3", at("2026-03-06T08:00:00+08:00"), 10))
		if st := e.mustRollup(t, false); st.Milestones != 1 {
			t.Fatalf("roll-up recorded %d milestones, want 1", st.Milestones)
		}
		p, err := e.st.ProgressAsOf(context.Background(), tg, models.Day{Year: 2026, Month: 11, Day: 26})
		if err != nil {
			t.Fatal(err)
		}
		if p.Actual != 3 || !p.Reached || p.ReachedOn == nil || *p.ReachedOn != "2026-03-05" || p.ReachedBy == nil ||
			p.ReachedBy.ID != second.ID || p.ReachedBy.Number != "X2" || p.Remaining != 0 || p.Pct != 150 {
			t.Fatalf("progress %+v", p)
		}
		_, err = e.st.ProgressAsOf(context.Background(), tg, models.Day{Year: 2025, Month: 12, Day: 31})
		wantFields(t, err, models.EINVALID, "as_of")
		ms, err := e.st.ListMilestones(context.Background(), ptr(2026), 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(ms.Items) != 1 || ms.Items[0].TargetID != tg.ID || ms.Items[0].ReachedOn != "2026-03-05" || ms.Items[0].WithdrawnAt != nil ||
			ms.Items[0].ReachedBy == nil || ms.Items[0].ReachedBy.ID != second.ID || ms.Items[0].Label != "Two rail runs" {
			t.Fatalf("milestones %+v", ms.Items)
		}

		if err := e.st.DeleteTarget(ctx, e.w, tg.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.st.GetTarget(context.Background(), tg.ID)
		wantCode(t, err, models.ENOTFOUND)
		wantCode(t, e.st.DeleteTarget(ctx, e.w, tg.ID), models.ENOTFOUND)
		if ms, err := e.st.ListMilestones(context.Background(), nil, 10, ""); err != nil || len(ms.Items) != 0 {
			t.Fatalf("milestones after the target's delete: %+v %v", ms.Items, err)
		}
		if got := actions(e.audit(t, "target", idOf(tg.ID))); !slices.Equal(got, []string{"targets.delete", "targets.create"}) {
			t.Fatalf("audit actions %q", got)
		}
	})
}
