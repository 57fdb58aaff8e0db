package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"banlie/models"
)

// mustArrived stores a run of route that departed at departed and arrived
// days later, with 10 containers.
func (e *env) mustArrived(t testing.TB, route, number string, departed time.Time, days int) {
	t.Helper()
	in := runInput(route, number, departed, 10)
	in.Status = models.StatusArrived
	in.ArrivedAt = ptr(departed.Add(time.Duration(days) * 24 * time.Hour).Format(time.RFC3339))
	e.mustRun(t, in)
}

// The transit times the yearly totals quote are read from the arrived runs
// once per roll-up: a second poll does not read the runs again, a run that
// arrives counts once the roll-up has run (like every figure of the
// totals), and a route's new name shows at once.
func TestTransitTimesFollowTheRollup(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		arrive := func(number string, departed time.Time, days int) { e.mustArrived(t, "R-A", number, departed, days) }
		for i, days := range []int{15, 16, 17} {
			arrive(fmt.Sprintf("X80%d", i), at("2026-03-02T08:00:00+08:00").Add(time.Duration(i)*24*time.Hour), days)
		}
		e.mustRollup(t, false)
		sent := captureSQL(t, e.st.DB())
		yearly := func() models.YearlyTotals {
			t.Helper()
			y, err := e.st.YearlyTotals(e.ctx, 2026, 10, models.Scope{})
			if err != nil {
				t.Fatal(err)
			}
			return y
		}
		y := yearly()
		if o := y.Transit.Outbound; o == nil || o.Runs != 3 || o.MedianDays != 16 || len(y.Transit.Routes) != 1 || y.Transit.Routes[0].Route != "R-A" {
			t.Fatalf("transit of three arrivals: %+v", y.Transit)
		}
		if n := len(sent.take("runs")); n != 1 {
			t.Fatalf("the first poll read the runs %d times, want once", n)
		}
		again := yearly()
		if n := len(sent.take("runs")); n != 0 {
			t.Errorf("the second poll read the runs %d times, want none", n)
		}
		if again.Transit.Outbound.MedianDays != 16 {
			t.Errorf("second poll: %+v", again.Transit)
		}

		// A fourth arrival, then a new name: the name shows at once, the
		// arrival once rolled up.
		arrive("X8099", at("2026-04-01T08:00:00+08:00"), 20)
		if _, err := e.st.UpdateRoute(e.ctx, e.w, "R-A", models.RoutePatch{Name: ptr("Renamed")}); err != nil {
			t.Fatal(err)
		}
		y = yearly()
		if y.Transit.Outbound.Runs != 3 || y.Transit.Routes[0].Name != "Renamed" {
			t.Errorf("before the roll-up: %+v (want 3 runs, the new name)", y.Transit)
		}
		e.mustRollup(t, false)
		y = yearly()
		if o := y.Transit.Outbound; o.Runs != 4 || o.MedianDays != 16.5 || y.Transit.Routes[0].Runs != 4 {
			t.Errorf("after the roll-up: %+v (want 4 runs, median 16.5 days)", y.Transit)
		}
	})
}

// A dashboard's poll (Store.Polled) after a roll-up answers the transit
// times of the roll-up before at once while the new ones are computed
// aside; once they are in, the data version has risen (kept answers are
// made anew) and the poll answers them. Other readers wait for them.
func TestPolledTransitTimesRefreshAside(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		arrive := func(number string, departed time.Time, days int) { e.mustArrived(t, "R-A", number, departed, days) }
		arrive("X8001", at("2026-03-02T08:00:00+08:00"), 16)
		e.mustRollup(t, false)
		polled := e.st.Polled()
		yearly := func(st interface {
			YearlyTotals(context.Context, int, int, models.Scope) (models.YearlyTotals, error)
		}) models.YearlyTotals {
			t.Helper()
			y, err := st.YearlyTotals(e.ctx, 2026, 10, models.Scope{})
			if err != nil {
				t.Fatal(err)
			}
			return y
		}
		if y := yearly(polled); y.Transit.Outbound == nil || y.Transit.Outbound.Runs != 1 {
			t.Fatalf("the first poll (nothing kept yet: computed): %+v", y.Transit)
		}
		arrive("X8002", at("2026-03-03T08:00:00+08:00"), 20)
		e.mustRollup(t, false)
		v0, err := e.st.DataVersion(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if y := yearly(polled); y.Transit.Outbound.Runs != 1 {
			t.Errorf("the poll right after the roll-up: %d runs, want the roll-up before's 1", y.Transit.Outbound.Runs)
		}
		e.st.TransitRefreshed()
		if v, err := e.st.DataVersion(e.ctx); err != nil || v <= v0 {
			t.Errorf("data version %d after the refresh, was %d (%v)", v, v0, err)
		}
		if y := yearly(polled); y.Transit.Outbound.Runs != 2 || y.Transit.Outbound.MedianDays != 18 {
			t.Errorf("the poll after the refresh: %+v", y.Transit.Outbound)
		}
		// A reader that is not a poll waits for the new times.
		arrive("X8003", at("2026-03-04T08:00:00+08:00"), 30)
		e.mustRollup(t, false)
		if y := yearly(e.st); y.Transit.Outbound.Runs != 3 {
			t.Errorf("a plain reader after the roll-up: %d runs, want 3", y.Transit.Outbound.Runs)
		}
	})
}
