package store_test

import (
	"fmt"
	"testing"
	"time"

	"banlie/models"
)

// The transit times the yearly totals quote are read from the arrived runs
// once per roll-up: a second poll does not read the runs again, a run that
// arrives counts once the roll-up has run (like every figure of the
// totals), and a route's new name shows at once.
func TestTransitTimesFollowTheRollup(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		arrive := func(number string, departed time.Time, days int) {
			in := runInput("R-A", number, departed, 10)
			in.Status = models.StatusArrived
			in.ArrivedAt = ptr(departed.Add(time.Duration(days) * 24 * time.Hour).Format(time.RFC3339))
			e.mustRun(t, in)
		}
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
