package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

type runRef struct {
	ID       int64  `json:"id"`
	Number   string `json:"number"`
	Route    string `json:"route"`
	Status   string `json:"status"`
	Position struct {
		LastStop *struct {
			Index int    `json:"index"`
			Name  string `json:"name"`
		} `json:"last_stop"`
		NextStop *struct {
			Index int    `json:"index"`
			Name  string `json:"name"`
		} `json:"next_stop"`
	} `json:"position"`
	TransitDays *float64 `json:"transit_days"`
}

// TestSearchAndJourneyPage: an operator finds a train by its number from
// any view, sees its journey along the route, and the arrived train's
// transit time.
func TestSearchAndJourneyPage(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 900)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/routes"))
	tb.wait("the routes", `document.querySelector("#routes .route")`, 20*time.Second)

	// A number that several trains carry: the run log, filtered by it.
	tb.do(chromedp.SendKeys(chromedp.ID("search-q"), "x8024"), chromedp.Click(`#search button[type="submit"]`))
	tb.wait("the run log of X8024", `location.hash.startsWith("#/runs") && document.querySelector("#runs-list tbody tr")`, 15*time.Second)
	if bad := eval[int](tb, `[...document.querySelectorAll("#runs-list tbody tr")].filter(tr => tr.dataset.number !== "X8024").length`); bad != 0 {
		t.Errorf("the search listed %d runs of other numbers", bad)
	}
	if v := eval[string](tb, `document.getElementById("f-number").value`); v != "x8024" {
		t.Errorf("the number filter reads %q", v)
	}

	// One of them: its page, from the list.
	var page struct{ Items []runRef }
	s.getJSON(t, "/api/v1/runs?number=X8024&route=SCO-MLX-MOW&from=2024-10-24&to=2024-10-24", &page)
	if len(page.Items) != 1 || page.Items[0].Status != "arrived" {
		t.Fatalf("the demo's X8024 of 24 October 2024: %+v", page.Items)
	}
	var run runRef
	s.getJSON(t, fmt.Sprintf("/api/v1/runs/%d", page.Items[0].ID), &run)
	tb.do(chromedp.Navigate(fmt.Sprintf("%s/?refresh=0&lang=en#/run/%d", s.url, run.ID)))
	tb.wait("the journey", fmt.Sprintf(`document.getElementById("view-run").dataset.runId === "%d" && document.querySelectorAll("#journey .stop").length > 0`, run.ID), 15*time.Second)
	stops := eval[[]string](tb, `[...document.querySelectorAll("#journey .stop .stop-name")].map(e => e.textContent)`)
	if strings.Join(stops, ",") != "Jiaozhou (SCO Zone),Manzhouli,Zabaikalsk,Moscow" {
		t.Errorf("stops drawn: %v", stops)
	}
	if here := tb.text("#journey .stop.here .stop-name"); here != "Moscow" {
		t.Errorf("an arrived train is at %q, want Moscow", here)
	}
	if got, want := tb.text("#run-transit"), fmt.Sprintf("%.1f days", *run.TransitDays); got != want {
		t.Errorf("transit time %q, want %q", got, want)
	}
	if evs := tb.text(`#journey .stop[data-stop="2"] .evs`); !strings.Contains(evs, "changed gauge") || !strings.Contains(evs, "crossed the border") {
		t.Errorf("events at Zabaikalsk: %q", evs)
	}

	// In Chinese.
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("Chinese", `document.body.dataset.lang === "zh"`, 5*time.Second)
	if evs := tb.text(`#journey .stop[data-stop="2"] .evs`); !strings.Contains(evs, "换装") || !strings.Contains(evs, "通关过境") {
		t.Errorf("events at Zabaikalsk in Chinese: %q", evs)
	}
	if here := tb.text("#journey .stop.here .stop-name"); here != "莫斯科" {
		t.Errorf("in Chinese the train is at %q", here)
	}
}

// TestRecordJourneyEvents: on a train in transit an operator records an
// event at a stop where it cannot happen (the server's error shows next to
// the stop), then its arrival at the next stop and at the final one.
func TestRecordJourneyEvents(t *testing.T) {
	s := startServer(t)
	var moving struct{ Items []runRef }
	s.getJSON(t, "/api/v1/runs/in-transit?limit=1", &moving)
	if len(moving.Items) != 1 || moving.Items[0].Position.NextStop == nil {
		t.Fatalf("the demo has no train in transit: %+v", moving)
	}
	run := moving.Items[0]
	tb := newTab(t, 1280, 900)

	// The overview's board lists it.
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en"))
	tb.wait("the in-transit board", fmt.Sprintf(`document.querySelector('#in-transit tr[data-id="%d"]')`, run.ID), 20*time.Second)

	tb.click(fmt.Sprintf(`#in-transit tr[data-id="%d"] a.run-link`, run.ID))
	tb.wait("the run's page", fmt.Sprintf(`document.getElementById("view-run").dataset.runId === "%d" && document.querySelector("#ev-stop option")`, run.ID), 15*time.Second)
	if here := tb.text("#journey .stop.here .stop-name"); here != run.Position.LastStop.Name {
		t.Errorf("drawn at %q, the API says %q", here, run.Position.LastStop.Name)
	}

	// A border crossing at the origin: refused, next to the stop.
	tb.do(chromedp.SendKeys(chromedp.ID("ev-token"), s.token))
	tb.choose("#ev-type", "border_crossed")
	tb.choose("#ev-stop", "0")
	tb.do(chromedp.Click(chromedp.ID("ev-submit")))
	tb.wait("the error next to the stop", `!document.getElementById("ev-stop-err").hidden`, 10*time.Second)
	if got := tb.text("#ev-stop-err"); !strings.Contains(got, "must be") {
		t.Errorf("next to the stop: %q", got)
	}

	// Its arrival at the next stop, now.
	next := run.Position.NextStop
	tb.choose("#ev-type", "arrived")
	tb.choose("#ev-stop", fmt.Sprint(next.Index))
	tb.do(chromedp.Click(chromedp.ID("ev-submit")))
	tb.wait("the arrival recorded", `!document.getElementById("ev-ok").hidden`, 10*time.Second)
	tb.wait("the train drawn at the next stop", fmt.Sprintf(`(document.querySelector("#journey .stop.here") || {}).dataset?.stop === "%d"`, next.Index), 10*time.Second)
	if !eval[bool](tb, `document.getElementById("ev-stop-err").hidden`) {
		t.Error("the stop's error is still shown after a good answer")
	}

	// Arrived at the final stop: the run has arrived, with its transit time.
	tb.do(chromedp.Click(chromedp.ID("ev-arrival")), chromedp.Click(chromedp.ID("ev-submit")))
	tb.wait("the run arrived", `document.getElementById("run-status").textContent === "arrived"`, 10*time.Second)
	var after runRef
	s.getJSON(t, fmt.Sprintf("/api/v1/runs/%d", run.ID), &after)
	if after.Status != "arrived" || after.TransitDays == nil {
		t.Fatalf("the API after the arrival: %+v", after)
	}
	if got, want := tb.text("#run-transit"), fmt.Sprintf("%.1f days", *after.TransitDays); got != want {
		t.Errorf("transit time %q, want %q", got, want)
	}

	// Edited, then deleted (the browser's confirmation answered yes).
	tb.do(chromedp.SetValue(chromedp.ID("ed-cargo"), "tyres"), chromedp.Click(chromedp.ID("ed-submit")))
	tb.wait("the change saved", `!document.getElementById("ed-ok").hidden`, 10*time.Second)
	eval[bool](tb, `(window.confirm = () => true, true)`)
	tb.do(chromedp.Click(chromedp.ID("run-delete")))
	tb.wait("back on the run log", `location.hash === "#/runs"`, 10*time.Second)
	if st := s.status(t, fmt.Sprintf("/api/v1/runs/%d", run.ID)); st != 404 {
		t.Errorf("the deleted run answers %d", st)
	}
}

// TestRouteTransitFigures: each rail route's card gives its median transit
// times as the API computes them.
func TestRouteTransitFigures(t *testing.T) {
	s := startServer(t)
	var tr struct {
		MedianDays *float64 `json:"median_days"`
	}
	s.getJSON(t, "/api/v1/routes/SCO-MLX-MOW/transit?direction=outbound", &tr)
	if tr.MedianDays == nil {
		t.Fatal("the demo's Moscow trains have no transit times")
	}
	tb := newTab(t, 1280, 900)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/routes"))
	tb.wait("the transit figures", `document.querySelector('.route-transit[data-code="SCO-MLX-MOW"]:not([hidden])')`, 20*time.Second)
	got := tb.text(`.route-transit[data-code="SCO-MLX-MOW"]`)
	if want := fmt.Sprintf("outbound %.1f days", *tr.MedianDays); !strings.Contains(got, want) || !strings.Contains(got, "within the planned 18 days") {
		t.Errorf("SCO-MLX-MOW reads %q, want it to say %q and the planned days", got, want)
	}
}

// status answers the status of a GET.
func (s server) status(t *testing.T, path string) int {
	t.Helper()
	res, err := http.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
