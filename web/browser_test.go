package web_test

// Browser tests of the dashboard: the real server runs in-process on the demo
// data set, and Chromium (headless, driven by chromedp) loads the page.
//
// Without Chromium the tests are skipped, except under CI=true, where they
// fail. BANLIE_CHROMIUM names another browser binary.
//
//	go test ./web/ -count=1 -v
//	go test ./web/ -run TestOverviewBudget -count=1 -v     # transfer size and time to tiles
//	go test ./web/ -run TestScreenshot -count=1 -args -update-screenshot   # writes docs/overview.png
//	go test ./web/ -run TestScreenshot -count=1 -args -screenshot-dir=/tmp/shots   # every view, both languages, 1280 and 375 px

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"banlie/app"
	"banlie/models"
	"banlie/store"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

var (
	updateScreenshot = flag.Bool("update-screenshot", false, "write docs/overview.png (1280×800, English, January–October 2024)")
	screenshotDir    = flag.String("screenshot-dir", "", "also write screenshots of every view in both languages at 1280 and 375 px into this folder")
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// ---------------------------------------------------------------------------
// The server

// seeded is a database with the demo data set, an operator token and an
// admin token, made once and copied for each test, so that every test
// starts from the same data.
var seeded struct {
	once  sync.Once
	dir   string
	token string
	admin string
	err   error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if seeded.dir != "" {
		os.RemoveAll(seeded.dir)
	}
	os.Exit(code)
}

func config(db string) (app.Config, error) {
	cfg := app.Config{DB: db, TZ: "Asia/Shanghai", Synchronous: "NORMAL", Addr: "127.0.0.1:0", RateLimit: 0}
	loc, err := time.LoadLocation(cfg.TZ)
	cfg.Loc = loc
	return cfg, err
}

func seed() (string, string, error) {
	seeded.once.Do(func() {
		seeded.dir, seeded.err = os.MkdirTemp("", "banlie-web-test-")
		if seeded.err != nil {
			return
		}
		cfg, err := config(filepath.Join(seeded.dir, "banlie.db"))
		if err != nil {
			seeded.err = err
			return
		}
		ctx := context.Background()
		db, err := store.Open(cfg.DB, store.Options{Synchronous: cfg.Synchronous})
		if err != nil {
			seeded.err = err
			return
		}
		sqlDB, err := db.DB()
		if err != nil {
			seeded.err = err
			return
		}
		defer sqlDB.Close() // checkpoints the WAL into the file that is copied
		if _, err := store.Migrate(ctx, db, quiet); err != nil {
			seeded.err = err
			return
		}
		st := store.NewStore(db, cfg.Loc, nil)
		if _, err := app.SeedDemo(ctx, st); err != nil {
			seeded.err = err
			return
		}
		seeded.token, _, seeded.err = st.CreateToken(ctx, store.System, "browser", "operator")
		if seeded.err == nil {
			seeded.admin, _, seeded.err = st.CreateToken(ctx, store.System, "browser-admin", "admin")
		}
	})
	return filepath.Join(seeded.dir, "banlie.db"), seeded.token, seeded.err
}

type server struct {
	url   string
	token string // an operator's
	admin string // an admin's (the seeded database only)
}

// startServer runs app.Serve on a copy of the seeded database and waits for
// /readyz; the server stops when the test ends.
func startServer(t *testing.T) server {
	t.Helper()
	return startServerWith(t, nil)
}

// startServerWith lets a test change the server's configuration.
func startServerWith(t *testing.T, configure func(*app.Config)) server {
	t.Helper()
	src, token, err := seed()
	if err != nil {
		t.Fatalf("seeding the demo database: %v", err)
	}
	db := filepath.Join(t.TempDir(), "banlie.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(src + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(db+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := serve(t, db, token, configure)
	s.admin = seeded.admin
	return s
}

// startEmptyServer runs app.Serve on a new, empty database (no routes, runs
// or summaries), as a fresh installation has.
func startEmptyServer(t *testing.T) server {
	t.Helper()
	return serve(t, filepath.Join(t.TempDir(), "empty.db"), "", nil)
}

func serve(t *testing.T, db, token string, configure func(*app.Config)) server {
	t.Helper()
	cfg, err := config(db)
	if err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	warmed := make(chan struct{})
	go func() {
		done <- app.Serve(ctx, cfg, quiet, app.ServeHooks{Listening: func(a string) { addrc <- a }, Warmed: func() { close(warmed) }})
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("the server ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the server did not listen within 30 s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the server did not stop within 30 s")
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 after 30 s (last error %v)", err)
		}
		time.Sleep(25 * time.Millisecond) // polling interval
	}
	// The pages the tests read show the start-up roll-up's figures and the
	// summaries it catches up on: wait for those jobs to end.
	select {
	case <-warmed:
	case <-time.After(120 * time.Second):
		t.Fatal("the start-up roll-up and summaries did not end within 120 s")
	}
	return server{url: base, token: token}
}

func (s server) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	res, err := http.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (s server) post(t *testing.T, path string, body any) (int, problem) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p problem
	_ = json.NewDecoder(res.Body).Decode(&p)
	return res.StatusCode, p
}

// ---------------------------------------------------------------------------
// The browser

var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

func chromiumPath() string {
	for _, p := range []string{os.Getenv("BANLIE_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser starts one headless Chromium for the whole run; each test
// opens its own tab.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is not installed (/usr/bin/chromium): the browser tests must run under CI=true; install it with apt-get install -y chromium")
		}
		t.Skip("Chromium is not installed (/usr/bin/chromium); install it with apt-get install -y chromium to run the browser tests")
	}
	browser.once.Do(func() {
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-default-apps", true),
			chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
			chromedp.Flag("metrics-recording-only", true),
			chromedp.Flag("password-st", "basic"),
			chromedp.Flag("use-mock-keychain", true),
			chromedp.Flag("lang", "en-GB"),
			chromedp.WindowSize(1280, 800),
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(allocCtx)
		browser.ctx = ctx
		browser.cancel = func() { cancelCtx(); cancelAlloc() }
		browser.err = chromedp.Do(ctx) // starts the browser, with no timeout
	})
	if browser.err != nil {
		t.Fatalf("starting Chromium %s: %v", path, browser.err)
	}
	return browser.ctx
}

// tab is one browser tab of a test.
type tab struct {
	t    *testing.T
	ctx  context.Context // the tab, with the test's deadline
	base context.Context // the tab, without a deadline

	mu       sync.Mutex
	problems []string // uncaught exceptions, CSP violations and other console errors
}

// newTab opens a tab of width×height. When the test fails, a screenshot of
// the whole page is written to a folder that outlives the test and its path
// is logged (t.TempDir() is deleted when the test ends).
func newTab(t *testing.T, width, height int64) *tab {
	t.Helper()
	bctx := startBrowser(t)
	base, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(base, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(base, 45*time.Second)
	t.Cleanup(cancelTimeout)
	tb := &tab{t: t, ctx: ctx, base: base}

	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		sctx, scancel := context.WithTimeout(base, 10*time.Second)
		defer scancel()
		buf, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // PNG
		if err != nil {
			t.Logf("no failure screenshot: %v", err)
			return
		}
		dir := os.Getenv("BANLIE_SCREENSHOTS")
		if dir == "" {
			dir, err = os.MkdirTemp("", "banlie-browser-")
			if err != nil {
				t.Logf("no failure screenshot: %v", err)
				return
			}
		}
		path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".png")
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			t.Logf("no failure screenshot: %v", err)
			return
		}
		t.Logf("failure screenshot: %s", path)
	})
	// Registered after the screenshot, so it runs before it.
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("browser console: %s", p)
		}
	})

	messages := chromedp.Console(base)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleException && m.Type != chromedp.ConsoleError {
				continue
			}
			// A failed request (the form's 422 on purpose) is reported by the page itself.
			if strings.Contains(m.Text, "Failed to load resource") {
				continue
			}
			tb.mu.Lock()
			tb.problems = append(tb.problems, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
			tb.mu.Unlock()
		}
	}()
	return tb
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatal(err)
	}
}

// click clicks the element sel names with the mouse, as chromedp.Click
// does. A page that re-renders a list between chromedp's finding the node
// and clicking it (the webhook cards, the trains in transit) detaches the
// node before any mouse event is sent; the click is then made again on the
// element now named by sel.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	for attempt := 1; ; attempt++ {
		err := chromedp.Do(tb.ctx, chromedp.Click(sel))
		if err == nil {
			return
		}
		if attempt == 5 || !strings.Contains(err.Error(), "Could not find node with given id") {
			tb.t.Fatalf("clicking %s: %v", sel, err)
		}
	}
}

// eval runs a JavaScript expression and decodes its value.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// wait polls a JavaScript predicate until it is truthy, failing the test
// after timeout with what.
func (tb *tab) wait(what, js string, timeout time.Duration) {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(timeout))); err != nil {
		tb.t.Fatalf("waiting for %s (%s): %v", what, js, err)
	}
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`(document.querySelector(%s) || {textContent: "<missing %s>"}).textContent.trim()`, jsString(sel), strings.ReplaceAll(sel, `"`, "'")))
}

// choose sets a select (or input) and dispatches change, as a person's choice does.
func (tb *tab) choose(sel, value string) {
	tb.t.Helper()
	got := eval[string](tb, fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s; e.dispatchEvent(new Event("change", {bubbles: true})); return e.value; })()`, jsString(sel), jsString(value)))
	if got != value {
		tb.t.Fatalf("%s offers no %q (value is %q)", sel, value, got)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// overviewLoaded is true once every part of the overview shows data.
const overviewLoaded = `document.documentElement.dataset.tilesMs && document.querySelector("#chart canvas") && document.querySelector("#latest tbody tr") && document.querySelector("#targets .target, #targets p")`

// enNum formats a count as en-GB does: 1,723,153.
func enNum(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

type yearly struct {
	Runs, Containers, TEU int64
	SeaRailTEU            *int64 `json:"sea_rail_teu"`
	YoY                   struct {
		Runs, Containers, TEU *float64
		SeaRailTEU            *float64 `json:"sea_rail_teu"`
	} `json:"yoy_pct"`
}

// ---------------------------------------------------------------------------
// The tests

// TestOverviewPeriod: the overview opens on the newest year with data; year
// 2024 through October shows the API's 915 China–Europe trains, +18.1%.
func TestOverviewPeriod(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 800)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en"))
	tb.wait("the tiles", `document.querySelector("#tiles").dataset.period`, 20*time.Second)
	// The demo's newest counted run departs on 31 December 2024.
	if p := eval[string](tb, `document.querySelector("#tiles").dataset.period`); p != "2024-12" {
		t.Errorf("the overview opened on %s, want the newest month with data, 2024-12", p)
	}

	tb.choose("#year", "2024")
	tb.choose("#through", "10")
	tb.wait("January–October 2024", `document.querySelector("#tiles").dataset.period === "2024-10"`, 15*time.Second)
	if h := eval[string](tb, `location.hash`); h != "#/?year=2024&through=10" {
		t.Errorf("address hash %q does not keep the period", h)
	}

	var rail, all yearly
	s.getJSON(t, "/api/v1/totals/yearly?year=2024&through=2024-10&mode=rail", &rail)
	s.getJSON(t, "/api/v1/totals/yearly?year=2024&through=2024-10", &all)
	if rail.Runs != 915 || rail.YoY.Runs == nil || *rail.YoY.Runs != 18.1 {
		t.Fatalf("the API answers %d runs, %v%%; the demo data set should give 915, +18.1%%", rail.Runs, rail.YoY.Runs)
	}
	tiles := []struct {
		id   string
		n    int64
		yoy  *float64
		name string
	}{
		{"runs", rail.Runs, rail.YoY.Runs, "runs"},
		{"containers", rail.Containers, rail.YoY.Containers, "containers"},
		{"teu", rail.TEU, rail.YoY.TEU, "TEU"},
		{"sea_rail_teu", *all.SeaRailTEU, all.YoY.SeaRailTEU, "sea-rail TEU"},
	}
	for _, tile := range tiles {
		if got, want := tb.text("#tile-"+tile.id+" .n"), enNum(tile.n); got != want {
			t.Errorf("%s tile shows %q, the API says %s", tile.name, got, want)
		}
		if got, want := tb.text("#tile-"+tile.id+" .yoy-text"), fmt.Sprintf("%+.1f%%", *tile.yoy); !strings.Contains(got, want) {
			t.Errorf("%s tile's growth reads %q, want it to contain %s", tile.name, got, want)
		}
	}
	if got := tb.text("#tile-runs .n") + " " + tb.text("#tile-runs .yoy-text"); got != "915 +18.1% year on year" {
		t.Errorf("runs tile reads %q", got)
	}
	if h := tb.text("#tile-runs-h"); !strings.Contains(h, "China–Europe") {
		t.Errorf("the runs tile is labelled %q; it should say China–Europe trains", h)
	}
	// The target of 1,000 trains as of 31 October, with its projection.
	tb.wait("the 2024 targets as of 31 October", `document.querySelector("#targets").textContent.includes("915 / 1,000")`, 15*time.Second)
	if tx := tb.text("#targets"); !strings.Contains(tx, "30 Nov 2024") {
		t.Errorf("target text lacks the projected reach date 30 Nov 2024: %q", tx)
	}
	// Away from the chart its legend gives the totals of the months shown.
	if got := tb.text("#chart .u-legend"); !strings.Contains(got, "915") || !strings.Contains(got, "775") {
		t.Errorf("the chart's legend reads %q; want the period's totals 915 and 775", got)
	}
	// The footer says the shown data changed with the period.
	if got := tb.text("#updated"); !strings.HasPrefix(got, "Data updated") {
		t.Errorf("after choosing a period the footer reads %q", got)
	}
	// Three-letter months throughout: Sep, not Sept.
	if got := eval[string](tb, `[...document.querySelectorAll("#through option")].map((o) => o.textContent).join(" ")`); !strings.Contains(got, "Jan–Sep") || strings.Contains(got, "Sept") {
		t.Errorf("the month picker offers %q", got)
	}
	// The latest departures are those of the period: up to 31 October 2024.
	tb.wait("the latest departures up to October", `document.querySelector("#latest").dataset.upTo === "2024-10-31" && document.querySelector("#latest tbody tr")`, 15*time.Second)
	if got := tb.text("#latest tbody tr"); !strings.Contains(got, "Oct 2024") {
		t.Errorf("the latest departure up to October 2024 reads %q", got)
	}

	// December: the target was reached by a named train.
	tb.choose("#through", "12")
	tb.wait("the reached target", `document.querySelector("#targets").textContent.includes("X8065")`, 15*time.Second)

	// 2023: its latest departures are of December 2023, and 2022 has no
	// data, so the chart draws no line for it.
	tb.choose("#year", "2023")
	tb.wait("2023", `document.querySelector("#tiles").dataset.period === "2023-12" && document.querySelector("#latest").dataset.upTo === "2023-12-31" && document.querySelector("#latest tbody tr") && document.querySelector("#chart").dataset.year === "2023"`, 15*time.Second)
	if got := eval[[]string](tb, `[...document.querySelectorAll("#latest tbody tr td:first-child")].map((td) => td.textContent)`); len(got) == 0 || !strings.Contains(got[0], "Dec 2023") || strings.Contains(strings.Join(got, " "), "2024") {
		t.Errorf("2023's latest departures: %q", got)
	}
	if got := eval[string](tb, `document.querySelector("#chart").dataset.lastYear`); got != "none" {
		t.Errorf("2022 has no data, yet the chart marks last year as %q", got)
	}
	if got := tb.text("#chart .u-legend"); !strings.Contains(got, "no data") {
		t.Errorf("the legend for 2022 reads %q; want no data", got)
	}
}

// TestChineseFigures: in Chinese, TEU from models.WanFrom up are written in
// 万 as the monthly summaries write them, smaller figures as integers.
func TestChineseFigures(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 800)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=zh#/?year=2024&through=10"))
	tb.wait("the tiles", `document.querySelector("#tiles").dataset.period === "2024-10"`, 20*time.Second)
	var all yearly
	s.getJSON(t, "/api/v1/totals/yearly?year=2024&through=2024-10", &all)
	n := *all.SeaRailTEU
	wan := strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%d.%02d", (n+50)/10000, (n+50)/100%100), "0"), ".0") + "万"
	if got := tb.text("#tile-sea_rail_teu .n"); got != wan {
		t.Errorf("sea-rail tile reads %q for %d TEU; want %q", got, n, wan)
	}
	if got := eval[string](tb, `document.documentElement.dataset.wanFrom`); got != strconv.Itoa(models.WanFrom) {
		t.Errorf("the page says figures from %q are written in 万; the summaries write from %d", got, models.WanFrom)
	}
	if got := tb.text("#tile-runs .n"); got != "915" {
		t.Errorf("runs tile reads %q", got)
	}
	// Under the tiles, the releases' other figures, from the same answer.
	var rail struct {
		ArrivalsDepartures int64   `json:"arrivals_departures"`
		LadenRatioPct      float64 `json:"laden_ratio_pct"`
		ByCorridor         []struct {
			Runs int64 `json:"runs"`
		} `json:"by_corridor"`
	}
	s.getJSON(t, "/api/v1/totals/yearly?year=2024&through=2024-10&mode=rail&by=corridor", &rail)
	want := fmt.Sprintf("到发%d列；西、中、东通道分别开行%d列、%d列、%d列；综合重箱率%.1f%%", rail.ArrivalsDepartures,
		rail.ByCorridor[0].Runs, rail.ByCorridor[1].Runs, rail.ByCorridor[2].Runs, rail.LadenRatioPct)
	if got := tb.text("#tiles-bases"); got != want {
		t.Errorf("under the tiles: %q, want %q", got, want)
	}
	tb.wait("the targets", `document.querySelector("#targets .target")`, 15*time.Second)
	if got := tb.text("#targets"); !strings.Contains(got, "200万") || strings.Contains(got, "2,000,000") {
		t.Errorf("the TEU target is not written in 万: %q", got)
	}
}

// TestRoutesChinese: in Chinese the corridors and stops carry their Chinese
// names and tags read as words; the mode shown is kept in the address.
func TestRoutesChinese(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 800)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=zh#/routes"))
	tb.wait("the routes", `document.querySelector("#schematic svg") && document.querySelector("#routes .route")`, 20*time.Second)
	heads := eval[string](tb, `[...document.querySelectorAll("#schematic .sg-head")].map((e) => e.textContent).join(" ")`)
	if !strings.Contains(heads, "经阿拉山口") || strings.Contains(heads, "Alashankou") {
		t.Errorf("corridor headings in Chinese: %q", heads)
	}
	card := tb.text(`#routes .route[data-code="SCO-TJ-MOW"]`)
	for _, want := range []string{"同江", "莫斯科", "胶州（上合示范区）", "省内首条"} {
		if !strings.Contains(card, want) {
			t.Errorf("the SCO-TJ-MOW card lacks %q: %q", want, card)
		}
	}
	tb.choose("#rt-mode", "sea")
	if h := eval[string](tb, `location.hash`); h != "#/routes?mode=sea" {
		t.Errorf("the address keeps the mode as %q", h)
	}
	tb.do(chromedp.Reload())
	tb.wait("the sea routes after a reload", `document.querySelector("#rt-mode").value === "sea" && document.querySelector('#routes .route[data-mode="sea"]')`, 20*time.Second)
	if n := eval[int](tb, `document.querySelectorAll('#routes .route:not([data-mode="sea"])').length`); n != 0 {
		t.Errorf("%d routes of other modes shown after the reload", n)
	}
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("English", `document.documentElement.lang === "en-GB"`, 5*time.Second)
	tb.choose("#rt-mode", "rail")
	tb.wait("the rail routes", `document.querySelector('#routes .route[data-code="SCO-TJ-MOW"]')`, 5*time.Second)
	if got := tb.text(`#routes .route[data-code="SCO-TJ-MOW"]`); !strings.Contains(got, "Tongjiang") || !strings.Contains(got, "first in province") {
		t.Errorf("the SCO-TJ-MOW card in English: %q", got)
	}
}

// TestLanguageSwitch: the button switches every label between Chinese and
// English, and the choice outlives a reload.
func TestLanguageSwitch(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 800)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0"))
	tb.wait("the tiles", `document.querySelector("#tiles").dataset.period`, 20*time.Second)
	headings := map[string]string{"zh-CN": "概览", "en-GB": "Overview"}
	tiles := map[string]string{"zh-CN": "中欧班列开行", "en-GB": "China–Europe trains"}

	before := eval[string](tb, `document.documentElement.lang`)
	if got := tb.text("#ov-h"); got != headings[before] {
		t.Fatalf("lang %s, heading %q", before, got)
	}
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("the other language", fmt.Sprintf(`document.documentElement.lang !== %s`, jsString(before)), 5*time.Second)
	after := eval[string](tb, `document.documentElement.lang`)
	if after == before || headings[after] == "" {
		t.Fatalf("lang went from %s to %s", before, after)
	}
	if got := tb.text("#ov-h"); got != headings[after] {
		t.Errorf("after the switch to %s the heading reads %q, want %q", after, got, headings[after])
	}
	if got := tb.text("#tile-runs-h"); got != tiles[after] {
		t.Errorf("after the switch to %s the runs tile reads %q, want %q", after, got, tiles[after])
	}
	if got := tb.text("nav a[href='#/runs']"); got == "" || (after == "en-GB") != (got == "Runs") {
		t.Errorf("navigation not switched: %q", got)
	}
	// Numbers follow the language too: the period caption.
	caption := tb.text("#period-caption")
	if after == "en-GB" && !strings.Contains(caption, "January–December 2024") || after == "zh-CN" && !strings.Contains(caption, "2024年1—12月") {
		t.Errorf("period caption in %s: %q", after, caption)
	}

	tb.do(chromedp.Navigate(s.url + "/?refresh=0"))
	tb.wait("the tiles after a reload", `document.querySelector("#tiles").dataset.period`, 20*time.Second)
	if got := eval[string](tb, `document.documentElement.lang`); got != after {
		t.Errorf("after a reload the page is in %s, want the chosen %s", got, after)
	}
	if got := eval[string](tb, `localStorage.getItem("banlie.lang")`); got != strings.Split(after, "-")[0] {
		t.Errorf("localStorage banlie.lang = %q", got)
	}
}

// TestDepartureForm: an invalid value shows the server's message next to its
// field; a valid departure shows up in the list at once.
func TestDepartureForm(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 900)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/runs"))
	tb.wait("the run log and the form", `document.querySelector("#runs-list tbody tr") && document.querySelector("#r-route option[value='SCO-TJ-MOW']")`, 20*time.Second)

	loc, _ := time.LoadLocation("Asia/Shanghai")
	departed := time.Now().In(loc).Add(-2 * time.Hour).Truncate(time.Minute)

	// An unknown token: the server's 401 detail shows next to the token field.
	tb.do(chromedp.SendKeys(chromedp.ID("r-token"), "not-a-token"), chromedp.SendKeys(chromedp.ID("r-number"), "X9901"))
	tb.choose("#r-departed", departed.Format("2006-01-02T15:04"))
	tb.do(chromedp.Click(chromedp.ID("r-submit")))
	tb.wait("the error next to the token", `!document.getElementById("r-token-err").hidden`, 10*time.Second)
	if got := tb.text("#r-token-err"); !strings.Contains(got, "unknown or revoked") {
		t.Errorf("next to the token: %q", got)
	}

	// The refused token stays in its field, to be corrected.
	if got := eval[string](tb, `document.getElementById("r-token").value`); got != "not-a-token" {
		t.Errorf("the refused token was not kept in its field: %q", got)
	}
	eval[bool](tb, `(document.getElementById("r-token").value = "", true)`)

	tb.do(
		chromedp.SendKeys(chromedp.ID("r-token"), s.token),
		chromedp.SendKeys(chromedp.ID("r-containers"), "50"),
		chromedp.SendKeys(chromedp.ID("r-teu"), "5000"),
		chromedp.SendKeys(chromedp.ID("r-cargo"), "auto parts"),
	)
	tb.choose("#r-route", "SCO-TJ-MOW")
	tb.choose("#r-direction", "outbound")
	tb.choose("#r-departed", departed.Format("2006-01-02T15:04"))
	tb.do(chromedp.Click(chromedp.ID("r-submit")))
	tb.wait("the error next to teu", `!document.getElementById("r-teu-err").hidden`, 10*time.Second)

	// The same body straight to the API: what the server says about teu.
	status, p := s.post(t, "/api/v1/runs", map[string]any{
		"route": "SCO-TJ-MOW", "number": "X9901", "direction": "outbound",
		"departed_at": departed.Format("2006-01-02T15:04:05") + "+08:00", "containers": 50, "teu": 5000, "cargo": "auto parts",
	})
	if status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "teu" {
		t.Fatalf("the API answers %d %+v; want 422 naming teu", status, p)
	}
	if got := tb.text("#r-teu-err"); got != p.Errors[0].Message {
		t.Errorf("next to teu: %q, the server says %q", got, p.Errors[0].Message)
	}
	if got := eval[string](tb, `document.getElementById("r-teu").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("teu aria-invalid = %q", got)
	}
	if got := eval[string](tb, `document.getElementById("r-teu").getAttribute("aria-describedby") || ""`); !strings.Contains(got, "r-teu-err") {
		t.Errorf("teu aria-describedby = %q", got)
	}
	if got := eval[bool](tb, `document.getElementById("r-containers").hasAttribute("aria-invalid")`); got {
		t.Error("containers marked invalid though the server did not name it")
	}
	if tx := tb.text("#r-form-err"); !strings.Contains(tx, "422") {
		t.Errorf("form-level message %q lacks the status", tx)
	}
	// The token is kept for the tab only.
	if ok := eval[bool](tb, fmt.Sprintf(`sessionStorage.getItem("banlie.token") === %[1]s && Object.keys(localStorage).every(k => !String(localStorage.getItem(k)).includes(%[1]s))`, jsString(s.token))); !ok {
		t.Error("the token is not in sessionStorage only")
	}

	tb.do(chromedp.SetValue(chromedp.ID("r-teu"), "100"), chromedp.Click(chromedp.ID("r-submit")))
	tb.wait("the new run in the list", `document.querySelector('#runs-list tr[data-number="X9901"]')`, 10*time.Second)
	if got := eval[bool](tb, `document.getElementById("r-teu").hasAttribute("aria-invalid") || !document.getElementById("r-teu-err").hidden`); got {
		t.Error("the teu error is still shown after a good answer")
	}
	if tx := tb.text("#r-form-ok"); !strings.Contains(tx, "X9901") {
		t.Errorf("confirmation %q", tx)
	}
	if tx := tb.text(`#runs-list tr[data-number="X9901"]`); !strings.Contains(tx, "100") || !strings.Contains(tx, "SCO-TJ-MOW") {
		t.Errorf("the new row reads %q", tx)
	}
	// The same train on the same route and day again: the 409 detail shows
	// next to the train number.
	tb.do(chromedp.SendKeys(chromedp.ID("r-number"), "X9901"), chromedp.SetValue(chromedp.ID("r-teu"), "100"), chromedp.Click(chromedp.ID("r-submit")))
	tb.wait("the conflict next to the train number", `!document.getElementById("r-number-err").hidden`, 10*time.Second)
	if got := tb.text("#r-number-err"); !strings.Contains(got, "already departs") {
		t.Errorf("next to the train number: %q", got)
	}
	if n := eval[int](tb, `document.querySelectorAll('#runs-list tr[data-number="X9901"]').length`); n != 1 {
		t.Errorf("the run is listed %d times", n)
	}
	// In Chinese the errors shown are said again in Chinese: the 409 in
	// words, with the server's English kept folded away.
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("Chinese", `document.documentElement.lang === "zh-CN"`, 5*time.Second)
	if got := tb.text("#r-number-err"); !strings.Contains(got, "不能重复登记") {
		t.Errorf("in Chinese, next to the train number: %q", got)
	}
	if got := tb.text("#r-form-err > span"); !strings.Contains(got, "409") || strings.Contains(got, "already") {
		t.Errorf("in Chinese, the form's message reads %q", got)
	}
	if got := tb.text("#r-form-err details code"); !strings.Contains(got, "already departs") {
		t.Errorf("the server's own detail is not kept: %q", got)
	}

	var page struct {
		Items []struct {
			Number string `json:"number"`
			TEU    int    `json:"teu"`
		} `json:"items"`
	}
	s.getJSON(t, "/api/v1/runs?route=SCO-TJ-MOW&limit=1", &page)
	if len(page.Items) != 1 || page.Items[0].Number != "X9901" || page.Items[0].TEU != 100 {
		t.Errorf("the API's newest SCO-TJ-MOW run is %+v", page.Items)
	}
}

// TestFormChecks: the form sends numbers as JSON integers and checks what it
// can before sending; every field error of the server's answer is shown at
// its field, and a language switch says them again.
func TestFormChecks(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 900)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/runs"))
	tb.wait("the form", `document.querySelector("#r-route option[value='SCO-TJ-MOW']")`, 20*time.Second)
	if got := eval[[]int](tb, `[document.getElementById("r-number").maxLength, document.getElementById("r-cargo").maxLength]`); got[0] != 32 || got[1] != 500 {
		t.Errorf("maxlength of number and cargo: %v; the server takes 32 and 500 characters", got)
	}

	// Checked in the page: no number, no time, containers -3, TEU 2.5.
	tb.do(chromedp.SendKeys(chromedp.ID("r-token"), s.token), chromedp.SendKeys(chromedp.ID("r-containers"), "-3"), chromedp.SendKeys(chromedp.ID("r-teu"), "2.5"))
	tb.do(chromedp.Click(chromedp.ID("r-submit")))
	tb.wait("the errors", `!document.getElementById("r-teu-err").hidden`, 10*time.Second)
	for _, id := range []string{"r-number", "r-departed", "r-containers", "r-teu"} {
		if got := eval[string](tb, `document.getElementById("`+id+`").getAttribute("aria-invalid") || ""`); got != "true" {
			t.Errorf("%s is not marked invalid", id)
		}
	}
	if got := tb.text("#r-containers-err"); got != "must be a whole number, 0 or more" {
		t.Errorf("next to containers: %q", got)
	}
	// The error under containers leaves TEU's input in line with it.
	if d := eval[float64](tb, `Math.abs(document.getElementById("r-containers").getBoundingClientRect().top - document.getElementById("r-teu").getBoundingClientRect().top)`); d > 1 {
		t.Errorf("the containers and TEU inputs are %.0f px out of line", d)
	}

	// Sent: the server names every invalid field of its 422.
	loc, _ := time.LoadLocation("Asia/Shanghai")
	departed := time.Now().In(loc).Add(-3 * time.Hour).Truncate(time.Minute)
	tb.do(chromedp.SendKeys(chromedp.ID("r-number"), "X9902"), chromedp.SetValue(chromedp.ID("r-containers"), "600"), chromedp.SetValue(chromedp.ID("r-teu"), "9999"))
	tb.choose("#r-departed", departed.Format("2006-01-02T15:04"))
	tb.do(chromedp.Click(chromedp.ID("r-submit")))
	tb.wait("the server's errors", `document.getElementById("r-form-err").textContent.includes("422")`, 10*time.Second)
	if got := tb.text("#r-containers-err") + " | " + tb.text("#r-teu-err"); got != "must be between 0 and 500 | must be between 0 and 1250" {
		t.Errorf("the server's field errors read %q", got)
	}
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("Chinese", `document.documentElement.lang === "zh-CN"`, 5*time.Second)
	if got := tb.text("#r-containers-err") + " | " + tb.text("#r-teu-err"); got != "须在0到500之间 | 须在0到1250之间" {
		t.Errorf("after the switch to Chinese the field errors read %q", got)
	}
	if got := tb.text("#r-form-err > span"); !strings.Contains(got, "有字段不符合要求") {
		t.Errorf("after the switch to Chinese the form's message reads %q", got)
	}
}

// TestRunFilters: the filters are kept in the address, an end before the
// start is refused in words, and a long cargo text keeps its row short.
func TestRunFilters(t *testing.T) {
	s := startServer(t)
	cargo := strings.Repeat("machine parts and household appliances, ", 13)[:500]
	if status, p := s.post(t, "/api/v1/runs", map[string]any{
		"route": "SCO-TJ-MOW", "number": "X9903", "direction": "outbound", "status": "planned",
		"departed_at": "2027-01-05T10:00:00+08:00", "containers": 50, "teu": 100, "cargo": cargo,
	}); status != http.StatusCreated {
		t.Fatalf("logging a run with a long cargo text: %d %+v", status, p)
	}
	tb := newTab(t, 1280, 900)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/runs"))
	tb.wait("the run log", `document.querySelector('#runs-list tr[data-number="X9903"]')`, 20*time.Second)
	if h := eval[float64](tb, `document.querySelector('#runs-list tr[data-number="X9903"]').getBoundingClientRect().height`); h > 64 {
		t.Errorf("the row with a 500-character cargo is %.0f px high", h)
	}
	if got := eval[string](tb, `document.querySelector('#runs-list tr[data-number="X9903"] td.cargo [title]').title`); got != cargo {
		t.Errorf("the cargo's title holds %d characters, want all 500", len(got))
	}

	tb.choose("#f-status", "departed")
	tb.choose("#f-route", "SCO-AKL-DUI")
	tb.do(chromedp.Click(`#filters button[type="submit"]`))
	tb.wait("the filtered log", `location.hash.includes("status=departed") && document.querySelector("#runs-list tbody tr") && [...document.querySelectorAll("#runs-list tbody tr td:nth-child(2)")].every((td) => td.textContent === "SCO-AKL-DUI")`, 10*time.Second)
	tb.do(chromedp.Reload())
	tb.wait("the filters after a reload", `document.querySelector("#f-status").value === "departed" && document.querySelector("#f-route").value === "SCO-AKL-DUI" && document.querySelector("#runs-list tbody tr")`, 20*time.Second)
	if got := eval[[]string](tb, `[...new Set([...document.querySelectorAll("#runs-list tbody tr td:nth-child(2)")].map((td) => td.textContent))]`); len(got) != 1 || got[0] != "SCO-AKL-DUI" {
		t.Errorf("after a reload the log lists routes %q", got)
	}

	// An end before the start, in Chinese.
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("Chinese", `document.documentElement.lang === "zh-CN"`, 5*time.Second)
	tb.choose("#f-from", "2024-10-10")
	tb.choose("#f-to", "2024-10-01")
	tb.do(chromedp.Click(`#filters button[type="submit"]`))
	tb.wait("the refusal", `!document.getElementById("runs-error").hidden`, 10*time.Second)
	if got := tb.text("#runs-error"); !strings.Contains(got, "结束日期不能早于开始日期") || strings.Contains(got, "must") {
		t.Errorf("the filter error reads %q", got)
	}
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("English", `document.documentElement.lang === "en-GB"`, 5*time.Second)
	if got := tb.text("#runs-error"); !strings.Contains(got, "end date must not be before the start date") {
		t.Errorf("after the switch to English the filter error reads %q", got)
	}
}

// TestEmptyDatabase: a new installation says plainly that there is nothing
// yet, and why the form cannot be used.
func TestEmptyDatabase(t *testing.T) {
	s := startEmptyServer(t)
	tb := newTab(t, 1280, 800)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en"))
	tb.wait("the latest departures", `document.querySelector("#latest p.empty")`, 20*time.Second)
	if got := tb.text("#latest"); !strings.Contains(got, "No China–Europe train departed") {
		t.Errorf("latest departures: %q", got)
	}
	tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = "#/runs"`))
	tb.wait("the run log", `document.querySelector("#runs-list p.empty")`, 20*time.Second)
	if got := tb.text("#runs-list"); got != "No runs logged yet." {
		t.Errorf("the empty run log says %q", got)
	}
	if got := eval[bool](tb, `!document.getElementById("r-route-hint").hidden`); !got || !strings.Contains(tb.text("#r-route-hint"), "administrator must create routes") {
		t.Errorf("no hint at the empty route select: %q", tb.text("#r-route-hint"))
	}
	tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = "#/summaries"`))
	tb.wait("the summaries", `document.querySelector("#summary p")`, 20*time.Second)
	if got := tb.text("#summary"); !strings.Contains(got, "no summaries yet") {
		t.Errorf("the empty summaries say %q", got)
	}
	if !eval[bool](tb, `document.getElementById("sum-form").hidden`) {
		t.Error("an empty month picker is shown")
	}
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("Chinese", `document.documentElement.lang === "zh-CN"`, 5*time.Second)
	tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = "#/summaries/2019-01"`))
	tb.wait("the missing summary", `document.querySelector("#summary .missing")`, 20*time.Second)
	if got := tb.text("#summary .missing > p"); !strings.Contains(got, "2019年1月的月报还没有生成") || strings.Contains(got, "POST") {
		t.Errorf("a missing summary reads %q", got)
	}
}

// TestSummariesLayout: at 1280 px the summaries line up with the month
// picker; on narrow screens the list of every summary is still there.
func TestSummariesLayout(t *testing.T) {
	s := startServer(t)
	for _, width := range []int64{1280, 375} {
		tb := newTab(t, width, 800)
		tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/summaries/2024-10"))
		tb.wait("the summary", `document.querySelector("#summary .summary-text p") && document.querySelector("#sum-links a")`, 20*time.Second)
		if !eval[bool](tb, `document.querySelector("#sum-links a").getClientRects().length > 0`) {
			t.Errorf("at %d px the list of every summary is hidden", width)
		}
		if d := eval[float64](tb, `Math.abs(document.querySelector(".sum-layout").getBoundingClientRect().right - document.querySelector("#sum-form").getBoundingClientRect().right)`); width > 960 && d > 2 {
			t.Errorf("at %d px the summaries end %.0f px away from the month picker's edge", width, d)
		}
	}
}

// TestNarrowAndLabelled: at 375 px no view is wider than the screen, and
// every control of every view has an accessible name.
func TestNarrowAndLabelled(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) {
		c.WebhookAllowPrivate = true
		c.Webhooks.Backoff = time.Hour
	})
	// A webhook with a delivery, for the admin view.
	recv := webhookReceiver(t)
	if code, b := s.request(t, http.MethodPost, "/api/v1/webhooks", s.admin, map[string]any{
		"url": recv.URL + "/a-rather-long-path/for-a-narrow-screen?with=query", "events": []string{"*"}, "description": "ops board",
	}); code != http.StatusCreated {
		t.Fatalf("creating a webhook: %d %s", code, b)
	}
	s.logRun(t, "X9951")
	tb := newTab(t, 375, 800)
	views := []struct{ name, hash, page, ready string }{
		{"overview", "#/", "", overviewLoaded},
		{"routes", "#/routes", "", `document.querySelector("#schematic svg") && document.querySelector("#routes .route")`},
		{"runs", "#/runs", "", `document.querySelector("#runs-list tbody tr") && document.querySelector("#r-route option")`},
		{"summaries", "#/summaries", "", `document.querySelector("#summary .summary-text p")`},
		// With the admin's token kept, and polling until the delivery is recorded.
		{"admin", "", "/?refresh=1&live=0&lang=zh#/admin", `document.querySelector('#adm-hooks .hook tbody tr[data-status="delivered"]')`},
	}
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=zh"))
	for _, v := range views {
		if v.page != "" {
			tb.do(chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem("banlie.token", ` + jsString(s.admin) + `)`))
			tb.do(chromedp.Navigate(s.url + v.page))
		} else {
			tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = ` + jsString(v.hash)))
		}
		tb.wait("the "+v.name+" view", v.ready, 20*time.Second)
		if w := eval[int](tb, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s: the page is %d px wide at 375 px", v.name, w)
		}
		unnamed := eval[[]string](tb, `[...document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]")]
			.filter((e) => !e.closest("[hidden]") && e.getAttribute("tabindex") !== "-1")
			.filter((e) => {
				const by = e.getAttribute("aria-labelledby");
				const name = (e.labels && e.labels.length ? [...e.labels].map((l) => l.textContent).join(" ") : "")
					|| e.getAttribute("aria-label") || (by && document.getElementById(by) ? document.getElementById(by).textContent : "")
					|| (["A", "BUTTON", "SUMMARY"].includes(e.tagName) ? e.textContent : "");
				return !name.trim();
			}).map((e) => e.id || e.outerHTML.slice(0, 80))`)
		if len(unnamed) > 0 {
			t.Errorf("%s: controls without a name: %q", v.name, unnamed)
		}
	}
}

// TestConditionalPoll: polling unchanged figures sends If-None-Match and gets
// 304 Not Modified, and the page keeps its data.
func TestConditionalPoll(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 800)
	got304 := make(chan string, 1)
	var mu sync.Mutex
	statuses := map[int64]int{}
	if err := chromedp.Listen(tb.base, func(ev any) {
		if ev, ok := ev.(*network.EventResponseReceived); ok && strings.Contains(ev.Response.URL, "/api/") {
			mu.Lock()
			statuses[ev.Response.Status]++
			mu.Unlock()
			if ev.Response.Status == http.StatusNotModified {
				select {
				case got304 <- ev.Response.URL:
				default:
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tb.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	// Without the event stream: while it is live, polling is rare.
	tb.do(chromedp.Navigate(s.url + "/?refresh=1&live=0&lang=en"))
	tb.wait("the tiles", `document.querySelector("#tiles").dataset.period`, 20*time.Second)
	runs := tb.text("#tile-runs .n")
	select {
	case u := <-got304:
		t.Logf("304 Not Modified for %s", strings.TrimPrefix(u, s.url))
	case <-time.After(15 * time.Second):
		mu.Lock()
		t.Fatalf("no 304 on an /api/ URL within 15 s of polling every second; statuses seen: %v", statuses)
	}
	tb.wait("a poll that found nothing new", `document.getElementById("updated").textContent.startsWith("Checked")`, 5*time.Second)
	if got := tb.text("#tile-runs .n"); got != runs || got == "…" {
		t.Errorf("after a 304 the runs tile reads %q, before %q", got, runs)
	}
}

// TestOverviewBudget measures the overview's transfer size (sum of the
// encodedDataLength of every request, cache off) and the time until the tiles
// show data; it asserts the size only, which is deterministic.
func TestOverviewBudget(t *testing.T) {
	s := startServer(t)
	tb := newTab(t, 1280, 800)
	var mu sync.Mutex
	urls := map[network.RequestID]string{}
	sizes := map[string]float64{}
	pending := map[network.RequestID]bool{}
	var total float64
	var requests int
	if err := chromedp.Listen(tb.base, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			urls[ev.RequestID] = ev.Request.URL
			// The event stream stays open: the network is quiet without it.
			if !strings.Contains(ev.Request.URL, "/api/v1/stream") {
				pending[ev.RequestID] = true
			}
		case *network.EventLoadingFinished:
			total += ev.EncodedDataLength
			requests++
			sizes[urls[ev.RequestID]] += ev.EncodedDataLength
			delete(pending, ev.RequestID)
		case *network.EventLoadingFailed:
			delete(pending, ev.RequestID)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tb.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tb.ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.Navigate(s.url + "/?refresh=0"))
	tb.wait("the whole overview", overviewLoaded, 20*time.Second)
	// Then until the network is quiet for half a second.
	quietSince := time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(pending)
		mu.Unlock()
		if n > 0 {
			quietSince = time.Now()
		} else if time.Since(quietSince) > 500*time.Millisecond {
			break
		}
	}
	tilesMs := eval[string](tb, `document.documentElement.dataset.tilesMs`)

	mu.Lock()
	defer mu.Unlock()
	type row struct {
		url  string
		size float64
	}
	var rows []row
	for u, n := range sizes {
		rows = append(rows, row{strings.TrimPrefix(u, s.url), n})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].size > rows[j].size })
	for _, r := range rows {
		t.Logf("%8.0f B  %s", r.size, r.url)
	}
	t.Logf("overview: %d requests, %.0f bytes (%.1f KiB) transferred; tiles showed data %s ms after navigation start", requests, total, total/1024, tilesMs)
	if total >= 500*1024 {
		t.Errorf("the overview transfers %.0f bytes, over the 500 KB budget", total)
	}
	if total < 20*1024 {
		t.Errorf("only %.0f bytes counted: the measurement missed requests", total)
	}
}

// TestScreenshot writes docs/overview.png with -update-screenshot, and with
// -screenshot-dir every view in both languages at 1280 and 375 px.
func TestScreenshot(t *testing.T) {
	if !*updateScreenshot && *screenshotDir == "" {
		t.Skip("pass -args -update-screenshot to write docs/overview.png")
	}
	s := startServer(t)
	shoot := func(width, height int64, lang, hash, ready string, full bool) []byte {
		t.Helper()
		tb := newTab(t, width, height)
		tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=" + lang + hash))
		tb.wait("the page", ready, 20*time.Second)
		tb.do(chromedp.Sleep(300 * time.Millisecond)) // layout after the chart's resize
		var buf []byte
		var err error
		if full {
			buf, err = chromedp.Run(tb.ctx, chromedp.FullScreenshot(100)) // 100: PNG
		} else {
			buf, err = chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
		}
		if err != nil {
			t.Fatal(err)
		}
		return buf
	}
	const period = "#/?year=2024&through=10"
	periodReady := overviewLoaded + ` && document.querySelector("#tiles").dataset.period === "2024-10" && document.querySelector("#targets").textContent.includes("915")`
	if *updateScreenshot {
		png := shoot(1280, 800, "en", period, periodReady, false)
		if err := os.WriteFile(filepath.Join("..", "docs", "overview.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote docs/overview.png (%d bytes)", len(png))
	}
	if *screenshotDir != "" {
		if err := os.MkdirAll(*screenshotDir, 0o755); err != nil {
			t.Fatal(err)
		}
		var x8024 struct{ Items []struct{ ID int64 } }
		s.getJSON(t, "/api/v1/runs?number=X8024&route=SCO-MLX-MOW&from=2024-10-24&to=2024-10-24", &x8024)
		if len(x8024.Items) != 1 {
			t.Fatalf("the demo's X8024 of 24 October 2024: %+v", x8024)
		}
		views := []struct{ name, hash, ready string }{
			{"run", fmt.Sprintf("#/run/%d", x8024.Items[0].ID), `document.querySelectorAll("#journey .stop").length > 0 && document.querySelector("#ev-stop option")`},
			{"overview", period, periodReady},
			{"routes", "#/routes", `document.querySelector("#schematic svg") && document.querySelector("#routes .route")`},
			{"runs", "#/runs", `document.querySelector("#runs-list tbody tr") && document.querySelector("#r-route option")`},
			{"summaries", "#/summaries/2024-10", `document.querySelector("#summary .summary-text p")`},
		}
		for _, v := range views {
			for _, lang := range []string{"zh", "en"} {
				for _, w := range []int64{1280, 375} {
					img := shoot(w, 800, lang, v.hash, v.ready, w == 375)
					path := filepath.Join(*screenshotDir, fmt.Sprintf("%s-%s-%d.png", v.name, lang, w))
					if err := os.WriteFile(path, img, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		t.Logf("screenshots in %s", *screenshotDir)
	}
}

// TestPrivateReadsSignIn: on a server with private reads the page asks for a
// token, refuses a wrong one, and shows the data with a right one.
func TestPrivateReadsSignIn(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) { c.PrivateReads = true })
	tb := newTab(t, 1280, 800)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0"))
	tb.wait("the sign-in form", `!document.querySelector("#signin").hidden`, 20*time.Second)
	tb.do(chromedp.SendKeys(chromedp.ID("signin-token"), "bnl_wrong"), chromedp.Click(chromedp.ID("signin-submit")))
	tb.wait("the refusal", `document.querySelector("#signin-error").textContent !== ""`, 20*time.Second)
	eval[bool](tb, `(document.querySelector("#signin-token").value = "", true)`)
	tb.do(chromedp.SendKeys(chromedp.ID("signin-token"), s.token), chromedp.Click(chromedp.ID("signin-submit")))
	// The page reloads itself with the token: poll across the reload.
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`Boolean(document.querySelector("#tiles") && document.querySelector("#tiles").dataset.period)`))
		if err == nil && v {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tiles did not show data after signing in (last error %v)", err)
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
	if !eval[bool](tb, `document.querySelector("#signin").hidden`) {
		t.Fatal("the sign-in form is still shown after a good token")
	}
}

// TestCSVImportExport: an operator imports a CSV in the run log: the check
// (a dry run) says what would be created and skipped, the confirmed import
// lists the new runs; a file with a bad line lists the line's problem and
// writes nothing; the download carries the filters applied, and with a
// token kept it is fetched with the token and saved from a Blob URL.
func TestCSVImportExport(t *testing.T) {
	// The import limit is 1 MiB here, so that a file over it is small.
	s := startServerWith(t, func(c *app.Config) { c.ImportLimit = "1MiB" })
	dir := t.TempDir()

	// An existing demo run, written as a CSV line that repeats it exactly.
	var page struct {
		Items []models.RunInput `json:"items"` // the fields a run is logged with
	}
	s.getJSON(t, "/api/v1/runs?route=SCO-TJ-MOW&status=departed&limit=1", &page)
	if len(page.Items) != 1 {
		t.Fatalf("no departed SCO-TJ-MOW run in the demo data: %+v", page.Items)
	}
	old := page.Items[0]
	opt := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	optInt := func(p *int) string {
		if p == nil {
			return ""
		}
		return fmt.Sprint(*p)
	}
	writeCSV := func(name string, lines [][]string) string {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write([]string{"route", "number", "direction", "departed_at", "arrived_at", "status", "containers", "teu", "cargo", "container_numbers"})
		_ = w.WriteAll(lines)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := writeCSV("good.csv", [][]string{
		{"SCO-TJ-MOW", "X9951", "outbound", "2027-02-01T10:00:00+08:00", "", "planned", "50", "100", "auto parts", ""},
		{old.Route, old.Number, old.Direction, old.DepartedAt, opt(old.ArrivedAt), old.Status, optInt(old.Containers), optInt(old.TEU), opt(old.Cargo), strings.Join(old.ContainerNumbers, ";")},
		{"SCO-TJ-MOW", "X9952", "inbound", "2027-02-02T11:30:00+08:00", "", "planned", "40", "80", "timber", ""},
	})
	bad := writeCSV("bad.csv", [][]string{
		{"SCO-TJ-MOW", "X9953", "outbound", "2027-02-03T10:00:00+08:00", "", "planned", "50", "100", "", ""},
		{"SCO-TJ-MOW", "X9954", "west", "2027-02-03T12:00:00+08:00", "", "planned", "50", "100", "", ""},
	})
	countRuns := func(from, to string) int {
		var p struct {
			Items []json.RawMessage `json:"items"`
		}
		s.getJSON(t, "/api/v1/runs?route=SCO-TJ-MOW&from="+from+"&to="+to, &p)
		return len(p.Items)
	}

	tb := newTab(t, 375, 900)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/runs"))
	tb.wait("the run log", `document.querySelector("#runs-list tbody tr") && document.querySelector("#r-route option")`, 20*time.Second)
	if got := eval[string](tb, `document.getElementById("imp-file").accept`); got != ".csv,text/csv" {
		t.Errorf("the file input accepts %q", got)
	}

	// The import's requests and their Idempotency-Keys.
	var mu sync.Mutex
	keys := map[string][]string{} // URL path and query -> keys sent
	if err := chromedp.Listen(tb.base, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && strings.Contains(ev.Request.URL, "/runs/import") {
			mu.Lock()
			keys[strings.TrimPrefix(ev.Request.URL, s.url)] = append(keys[strings.TrimPrefix(ev.Request.URL, s.url)], fmt.Sprint(ev.Request.Headers["Idempotency-Key"]))
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tb.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}

	// No token yet: the check says where to type one.
	tb.do(chromedp.SetUploadFiles("#imp-file", []string{good}))
	tb.wait("the request for a token", `document.getElementById("imp-status").textContent.includes("operator token")`, 10*time.Second)
	// A wrong token: the 401 in words.
	tb.do(chromedp.SendKeys(chromedp.ID("r-token"), "bnl_wrong"), chromedp.Click(chromedp.ID("imp-check")))
	tb.wait("the 401", `document.getElementById("imp-status").textContent.includes("unknown or revoked")`, 10*time.Second)
	eval[bool](tb, `(document.getElementById("r-token").value = "", true)`)
	// A file over the import limit (1 MiB here): the 413 in words.
	big := writeCSV("big.csv", nil)
	if err := os.WriteFile(big, append(must(os.ReadFile(big)), bytes.Repeat([]byte("SCO-TJ-MOW,X1,outbound,2027-01-01T00:00:00+08:00,,planned,1,1,,\n"), 20000)...), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.SendKeys(chromedp.ID("r-token"), s.token))
	tb.do(chromedp.SetUploadFiles("#imp-file", []string{big}))
	tb.wait("the 413", `document.getElementById("imp-status").textContent.includes("split it into smaller files")`, 10*time.Second)

	// The check: two to create, one already stored, nothing written yet.
	tb.do(chromedp.SetUploadFiles("#imp-file", []string{good}))
	tb.wait("the check's result", `!document.getElementById("imp-confirm").hidden`, 10*time.Second)
	if got := tb.text("#imp-status"); !strings.Contains(got, "2 new runs to import, 1 already stored") || !strings.Contains(got, "good.csv") {
		t.Errorf("the check says %q", got)
	}
	if got := tb.text("#imp-confirm"); got != "Import 2 runs" {
		t.Errorf("the confirm button reads %q", got)
	}
	if n := countRuns("2027-02-01", "2027-02-02"); n != 0 {
		t.Fatalf("the check wrote %d runs", n)
	}

	// Confirmed with the keyboard: the runs are in the list.
	tb.do(chromedp.Focus("#imp-confirm"), chromedp.KeyEvent("\r"))
	tb.wait("the imported runs in the list", `document.querySelector('#runs-list tr[data-number="X9951"]') && document.querySelector('#runs-list tr[data-number="X9952"]')`, 10*time.Second)
	if got := tb.text("#imp-status"); got != "2 runs imported, 1 already stored." {
		t.Errorf("after the import: %q", got)
	}
	if !eval[bool](tb, `document.activeElement === document.getElementById("imp-status") && document.getElementById("imp-confirm").hidden`) {
		t.Error("after the import the focus is not on its result, or the confirm button is still shown")
	}
	if n := countRuns("2027-02-01", "2027-02-02"); n != 2 {
		t.Errorf("the API lists %d imported runs, want 2", n)
	}
	mu.Lock()
	dry, real := keys["/api/v1/runs/import?dry_run=true"], keys["/api/v1/runs/import"]
	mu.Unlock()
	if len(real) != 1 || len(dry) == 0 || real[0] == "" || dry[len(dry)-1] == "" || real[0] == dry[len(dry)-1] {
		t.Errorf("Idempotency-Keys of the checks %q and the import %q: want one each, different", dry, real)
	}

	// A bad line: its problem is listed by line, nothing is written.
	tb.do(chromedp.SetUploadFiles("#imp-file", []string{bad}))
	tb.wait("the problems", `!document.getElementById("imp-problems").hidden`, 10*time.Second)
	if got := tb.text("#imp-status"); !strings.HasPrefix(got, "1 problem in the file; nothing was imported") {
		t.Errorf("the summary of the problems reads %q", got)
	}
	if got := tb.text("#imp-list li"); got != "Line 3 · direction must be outbound or inbound" {
		t.Errorf("the problem reads %q", got)
	}
	if !eval[bool](tb, `document.getElementById("imp-confirm").hidden`) {
		t.Error("a file with problems can be confirmed")
	}
	if n := countRuns("2027-02-03", "2027-02-03"); n != 0 {
		t.Errorf("a file with a bad line wrote %d runs", n)
	}
	// In Chinese the problem is said in Chinese too, from its code.
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("Chinese", `document.documentElement.lang === "zh-CN"`, 5*time.Second)
	if got := tb.text("#imp-problems-h") + " | " + tb.text("#imp-list li"); got != "bad.csv中的问题 | 第3行 · 方向 须为去程或回程" {
		t.Errorf("in Chinese the problems read %q", got)
	}
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("English", `document.documentElement.lang === "en-GB"`, 5*time.Second)

	if w := eval[int](tb, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the runs view with the import's results is %d px wide at 375 px", w)
	}

	// The download carries the filters applied.
	tb.choose("#f-route", "SCO-TJ-MOW")
	tb.choose("#f-status", "planned")
	tb.do(chromedp.Click(`#filters button[type="submit"]`))
	tb.wait("the filtered log", `location.hash.includes("status=planned") && document.querySelector('#runs-list tr[data-number="X9951"]')`, 10*time.Second)
	if got := eval[string](tb, `document.getElementById("runs-csv").getAttribute("href")`); got != "/api/v1/runs/export?route=SCO-TJ-MOW&status=planned&bom=true" {
		t.Errorf("the download link is %q", got)
	}

	// With the token kept, the file is fetched with it and saved.
	progress := chromedp.Events(tb.ctx, cdpbrowser.DownloadProgress)
	if _, err := chromedp.Call(tb.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true),
	}); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.Click(chromedp.ID("runs-csv")))
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
	}
	tb.wait("the saved status", `document.getElementById("runs-csv-status").textContent === "runs.csv saved."`, 5*time.Second)
	b, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeffid,route,")) {
		t.Errorf("the download does not start with a byte order mark and the id: %q", b[:min(len(b), 20)])
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) < 3 {
		t.Fatalf("the downloaded CSV: %v, %d rows", err, len(rows))
	}
	numbers := map[string]bool{}
	for _, r := range rows[1:] {
		if r[1] != "SCO-TJ-MOW" || r[6] != "planned" {
			t.Errorf("the download holds a run the filters do not select: %q", r)
		}
		numbers[r[2]] = true
	}
	if !numbers["X9951"] || !numbers["X9952"] {
		t.Errorf("the download lacks the imported runs: %v", numbers)
	}
}

func ptr[T any](v T) *T { return &v }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
