package web_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"banlie/app"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// runsTile is the API's China–Europe trains of 2024 through December, the
// figure the overview's runs tile shows.
func (s server) runsTile(t *testing.T) int64 {
	t.Helper()
	var y yearly
	s.getJSON(t, "/api/v1/totals/yearly?year=2024&through=2024-12&mode=rail&by=corridor", &y)
	return y.Runs
}

// logRun logs a China–Europe run departing on 31 December 2024 evening, after
// the demo's newest run: it counts in the runs tile and heads the latest runs.
func (s server) logRun(t *testing.T, number string) {
	t.Helper()
	if status, p := s.post(t, "/api/v1/runs", map[string]any{
		"route": "SCO-TJ-MOW", "number": number, "direction": "outbound", "status": "departed",
		"departed_at": "2024-12-31T22:00:00+08:00", "containers": 50, "teu": 100, "cargo": "auto parts",
	}); status != http.StatusCreated {
		t.Fatalf("logging run %s: %d %+v", number, status, p)
	}
}

// countSoon has the roll-up job run every second (it brings the totals up
// to date; every minute by default).
func countSoon(c *app.Config) { c.RollupSchedule = "@every 1s" }

// TestLiveUpdates: with polling off (?refresh=0), a run logged through the
// API reaches the open overview by the event stream, without a reload: the
// latest runs at once, the runs tile once the roll-up counted it.
func TestLiveUpdates(t *testing.T) {
	s := startServerWith(t, countSoon)
	tb := newTab(t, 1280, 800)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en"))
	tb.wait("the whole overview", overviewLoaded, 20*time.Second)
	tb.wait("the stream to be live", `document.getElementById("refresh-info").dataset.live === "live"`, 20*time.Second)
	if got := tb.text("#refresh-info"); got != "Live" {
		t.Errorf("the footer says %q while the stream is live, want Live", got)
	}
	if p := eval[string](tb, `document.querySelector("#tiles").dataset.period`); p != "2024-12" {
		t.Fatalf("the overview opened on %s, want 2024-12", p)
	}
	before := s.runsTile(t)
	if got := eval[string](tb, `document.getElementById("tile-runs").dataset.value`); got != fmt.Sprint(before) {
		t.Fatalf("the runs tile shows %s, the API %d", got, before)
	}

	s.logRun(t, "X9961")
	after := before + 1
	tb.wait("the new run in the latest runs", `document.querySelector('#latest tr[data-number="X9961"]')`, 15*time.Second)
	tb.wait("the runs tile to show the new run", fmt.Sprintf(`document.getElementById("tile-runs").dataset.value === "%d"`, after), 20*time.Second)
	if got := s.runsTile(t); got != after {
		t.Fatalf("the API's runs went from %d to %d, want one more", before, got)
	}
	if got := tb.text("#tile-runs .n"); got != enNum(after) {
		t.Errorf("the runs tile reads %q, want %s", got, enNum(after))
	}

	// The run log, opened after, shows it; a run logged while it is open
	// comes in too.
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/runs"))
	tb.wait("the run log with the new run", `document.querySelector('#runs-list tr[data-number="X9961"]')`, 20*time.Second)
	tb.wait("the stream to be live", `document.getElementById("refresh-info").dataset.live === "live"`, 20*time.Second)
	s.logRun(t, "X9962")
	tb.wait("the second run in the run log", `document.querySelector('#runs-list tr[data-number="X9962"]')`, 15*time.Second)
}

// TestLiveFallback: when the stream cannot be opened (here it answers 503,
// as a server at its --max-streams does), the page says so and polls by
// itself.
func TestLiveFallback(t *testing.T) {
	s := startServerWith(t, countSoon)
	tb := newTab(t, 1280, 800)
	var refused atomic.Int32
	if err := chromedp.Listen(tb.base, func(ev any) {
		if ev, ok := ev.(*fetch.EventRequestPaused); ok {
			refused.Add(1)
			go chromedp.Call(tb.base, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID:    ev.RequestID,
				ResponseCode: http.StatusServiceUnavailable,
				ResponseHeaders: []*fetch.HeaderEntry{
					{Name: "Content-Type", Value: "application/problem+json"},
					{Name: "Retry-After", Value: "10"},
				},
				Body: []byte(`{"status":503,"detail":"busy"}`),
			})
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tb.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/stream*"}}}); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.Navigate(s.url + "/?refresh=1&lang=en"))
	tb.wait("the tiles", `document.querySelector("#tiles").dataset.period === "2024-12"`, 20*time.Second)
	tb.wait("the fallback to polling", `document.getElementById("refresh-info").dataset.live === "fallback"`, 20*time.Second)
	if refused.Load() == 0 {
		t.Fatal("the page fell back without asking for the stream")
	}
	if got, want := tb.text("#refresh-info"), "Refreshes every 1 s (live updates unavailable)"; got != want {
		t.Errorf("the footer says %q, want %q", got, want)
	}
	before := s.runsTile(t)
	s.logRun(t, "X9963")
	tb.wait("the runs tile to show the new run, by polling", fmt.Sprintf(`document.getElementById("tile-runs").dataset.value === "%d"`, before+1), 15*time.Second)
}
