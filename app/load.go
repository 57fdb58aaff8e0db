package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// LoadOptions drive `banlie load`: a closed-loop load from a second process
// against a running server, the way dashboards and operators use it.
type LoadOptions struct {
	URL      string        // the server, e.g. http://127.0.0.1:8080
	Token    string        // an operator token: the write scenario runs only with one
	Clients  int           // concurrent clients per scenario
	Duration time.Duration // per scenario, unless Requests is set
	Requests int           // per scenario; 0: run for Duration
	Year     int           // the dashboard's year; 0: the latest year with data
	// KeepRuns keeps the runs the write scenario logged; by default the
	// command deletes them again once it has measured.
	KeepRuns bool
}

// LoadResult is one scenario's measurement.
type LoadResult struct {
	Scenario      string
	Requests      int
	Errors        int // transport errors and statuses other than the expected ones
	NotModified   int // 304 answers (conditional dashboard polls)
	Elapsed       time.Duration
	P50, P95, P99 time.Duration
}

// Rate is requests per second.
func (r LoadResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// loadRequest is one request a scenario makes; ok says which statuses count
// as success.
type loadRequest struct {
	method, path string
	header       http.Header
	body         func(n int64) []byte
	ok           func(status int) bool
	// check, if set, sees every answer whose status is ok and says what is
	// wrong with its content (nil: right); a wrong answer is an error.
	check func(status int, body []byte) error
	// before, if set, runs untimed before each of this request's sends (a
	// write, so that the read after it is computed afresh).
	before func(ctx context.Context, n int64) error
	// created, if set, is told the Location of every 201 answer.
	created func(location string)
}

func is2xx(s int) bool { return s >= 200 && s < 300 }

// RunLoad measures the scenarios one after another against o.URL:
//   - floor: GET /healthz, the same middleware chain with no database work;
//   - dashboard-poll: a dashboard's refresh (yearly and monthly totals, every
//     target's progress, the latest 50 runs, the network), each with the
//     If-None-Match of its last answer, as the dashboard sends them;
//   - dashboard-cold: the same requests without If-None-Match;
//   - dashboard-after-write (with a token): each of those requests right
//     after a run was logged (untimed), so that every answer is computed
//     afresh, as the first poll after an operator's entry is;
//   - log-run (with a token): POST /api/v1/runs with unique numbers and an
//     Idempotency-Key, as the departure form sends them. The runs it logs are
//     dated today; unless o.KeepRuns, they are deleted again afterwards (the
//     audit log keeps both the creation and the deletion).
//
// Every timed answer is checked: a poll's 200 must be the very answer of the
// refresh before the load (nothing was written meanwhile), an answer after
// a write must be well-formed JSON of the request's shape, and a logged
// run must come back with the number sent. It answers how many logged runs
// it deleted afterwards.
func RunLoad(ctx context.Context, o LoadOptions) ([]LoadResult, int, error) {
	if o.Clients <= 0 {
		o.Clients = 16
	}
	if o.Requests <= 0 && o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	base := strings.TrimRight(o.URL, "/")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: o.Clients * 2, MaxIdleConnsPerHost: o.Clients * 2, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()

	auth := http.Header{}
	if o.Token != "" {
		auth.Set("Authorization", "Bearer "+o.Token) // reads may be private
	}
	dash, route, err := dashboardRequests(ctx, client, base, o.Year, auth)
	if err != nil {
		return nil, 0, err
	}
	var (
		createdMu sync.Mutex
		created   []string
	)
	scenarios := []struct {
		name string
		reqs []loadRequest
	}{
		{"floor (GET /healthz)", []loadRequest{{method: "GET", path: "/healthz", header: auth, ok: is2xx}}},
		{"dashboard-poll (If-None-Match)", dash},
		{"dashboard-cold", withoutETags(dash)},
	}
	if o.Token != "" {
		if route == "" {
			return nil, 0, errors.New("load: the server has no route to log runs on")
		}
		stamp := strconv.FormatInt(time.Now().UnixNano(), 36) // numbers unique to this run of the command
		writeHeader := http.Header{"Authorization": {"Bearer " + o.Token}, "Content-Type": {"application/json"}}
		runBody := func(prefix string, n int64) ([]byte, string) {
			number := prefix + stamp + "-" + strconv.FormatInt(n, 10)
			b, _ := json.Marshal(map[string]any{
				"route": route, "number": number, "direction": "outbound",
				"departed_at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), "status": "departed",
				"containers": 50, "teu": 100,
			})
			return b, number
		}
		// A write before each read, untimed; its run is deleted afterwards
		// like the log-run scenario's.
		logOne := func(ctx context.Context, n int64) error {
			b, number := runBody("W", n)
			req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/runs", bytes.NewReader(b))
			if err != nil {
				return err
			}
			req.Header = writeHeader.Clone()
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				return fmt.Errorf("load: logging run %s before a read answered %d: %.200s", number, res.StatusCode, body)
			}
			createdMu.Lock()
			created = append(created, res.Header.Get("Location"))
			createdMu.Unlock()
			return nil
		}
		after := withoutETags(dash)
		for i := range after {
			after[i].check = wellFormed(after[i].path)
			after[i].before = logOne
		}
		scenarios = append(scenarios, struct {
			name string
			reqs []loadRequest
		}{"dashboard-after-write", after})
		scenarios = append(scenarios, struct {
			name string
			reqs []loadRequest
		}{"log-run (POST /api/v1/runs)", []loadRequest{{
			method: "POST", path: "/api/v1/runs",
			header: writeHeader,
			body: func(n int64) []byte {
				b, _ := runBody("L", n)
				return b
			},
			check: func(_ int, body []byte) error {
				var run struct {
					ID     int64  `json:"id"`
					Number string `json:"number"`
				}
				if err := json.Unmarshal(body, &run); err != nil || run.ID <= 0 || !strings.HasPrefix(run.Number, "L"+stamp+"-") {
					return fmt.Errorf("load: a logged run came back as %.200s", body)
				}
				return nil
			},
			ok: func(s int) bool { return s == http.StatusCreated },
			created: func(loc string) {
				createdMu.Lock()
				created = append(created, loc)
				createdMu.Unlock()
			},
		}}})
	}
	var out []LoadResult
	for _, sc := range scenarios {
		r, err := runScenario(ctx, client, base, sc.name, sc.reqs, o)
		if err != nil {
			return out, 0, err
		}
		out = append(out, r)
	}
	if o.KeepRuns || len(created) == 0 {
		return out, 0, nil
	}
	deleted, err := deleteRuns(ctx, client, base, o.Token, o.Clients, created)
	return out, deleted, err
}

// deleteRuns deletes the runs at the given locations (paths under base),
// o.Clients at a time, and answers how many it deleted. Any answer but 204
// is an error: the command must not say it cleaned up when it did not.
func deleteRuns(ctx context.Context, client *http.Client, base, token string, clients int, locations []string) (int, error) {
	var (
		next, done atomic.Int64
		firstErr   atomic.Value
		wg         sync.WaitGroup
	)
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && firstErr.Load() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(locations)) {
					return
				}
				req, err := http.NewRequestWithContext(ctx, "DELETE", base+locations[i], nil)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := client.Do(req)
				if err != nil {
					firstErr.CompareAndSwap(nil, fmt.Errorf("load: deleting the logged run %s: %w", locations[i], err))
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusNoContent {
					firstErr.CompareAndSwap(nil, fmt.Errorf("load: deleting the logged run %s answered %d", locations[i], res.StatusCode))
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return int(done.Load()), fmt.Errorf("%w (%d of %d logged runs deleted; the rest stay)", err, done.Load(), len(locations))
	}
	if err := ctx.Err(); err != nil {
		return int(done.Load()), err
	}
	return int(done.Load()), nil
}

// dashboardRequests lists the requests of one dashboard refresh, each with
// the ETag its answer carries now, and a rail route's code for writes.
func dashboardRequests(ctx context.Context, client *http.Client, base string, year int, auth http.Header) ([]loadRequest, string, error) {
	var meta struct {
		YearsWithData []int `json:"years_with_data"`
	}
	if year == 0 {
		if err := getJSON(ctx, client, base+"/api/v1/meta", auth, &meta); err != nil {
			return nil, "", err
		}
		if len(meta.YearsWithData) == 0 {
			return nil, "", errors.New("load: the server has no data yet; seed it (banlie seed --demo) or log some runs first")
		}
		year = slices.Max(meta.YearsWithData)
	}
	var targets struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	y := strconv.Itoa(year)
	if err := getJSON(ctx, client, base+"/api/v1/targets?year="+y, auth, &targets); err != nil {
		return nil, "", err
	}
	var routes struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	if err := getJSON(ctx, client, base+"/api/v1/routes?mode=rail&active=true&limit=1", auth, &routes); err != nil {
		return nil, "", err
	}
	paths := []string{
		"/api/v1/totals/yearly?year=" + y + "&mode=rail",
		"/api/v1/totals/yearly?year=" + y,
		"/api/v1/totals/monthly?year=" + y + "&mode=rail",
		"/api/v1/runs?limit=50",
		"/api/v1/network",
	}
	for _, t := range targets.Items {
		paths = append(paths, "/api/v1/targets/"+strconv.FormatInt(t.ID, 10)+"/progress")
	}
	var reqs []loadRequest
	for _, p := range paths {
		req, err := http.NewRequestWithContext(ctx, "GET", base+p, nil)
		if err != nil {
			return nil, "", err
		}
		req.Header = auth.Clone()
		res, err := client.Do(req)
		if err != nil {
			return nil, "", fmt.Errorf("load: GET %s: %w", p, err)
		}
		ref, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, "", fmt.Errorf("load: GET %s: %w", p, err)
		}
		if res.StatusCode != http.StatusOK {
			return nil, "", fmt.Errorf("load: GET %s answered %d", p, res.StatusCode)
		}
		h := auth.Clone()
		if tag := res.Header.Get("ETag"); tag != "" {
			h.Set("If-None-Match", tag)
		}
		reqs = append(reqs, loadRequest{method: "GET", path: p, header: h,
			ok:    func(s int) bool { return s == http.StatusOK || s == http.StatusNotModified },
			check: sameAs(p, ref)})
	}
	code := ""
	if len(routes.Items) > 0 {
		code = routes.Items[0].Code
	}
	return reqs, code, nil
}

// sameAs checks that a 200 answer is ref, the answer before the load:
// nothing is written while the dashboard scenarios run.
func sameAs(path string, ref []byte) func(int, []byte) error {
	return func(status int, body []byte) error {
		if status == http.StatusOK && !bytes.Equal(body, ref) {
			return fmt.Errorf("load: GET %s answered other content than before the load:\n%.300s\nwas\n%.300s", path, body, ref)
		}
		return nil
	}
}

// wellFormed checks that an answer computed after a write is a JSON object
// of the shape of path's answers: a list page with its items (at most the
// limit asked), totals with their figures, a target's progress, the
// network's routes.
func wellFormed(path string) func(int, []byte) error {
	return func(status int, body []byte) error {
		var m map[string]json.RawMessage
		if status != http.StatusOK || json.Unmarshal(body, &m) != nil {
			return fmt.Errorf("load: GET %s after a write answered %d: %.300s", path, status, body)
		}
		var need string
		switch {
		case strings.HasPrefix(path, "/api/v1/runs"):
			var page struct{ Items []json.RawMessage }
			if json.Unmarshal(body, &page) != nil || len(page.Items) == 0 || len(page.Items) > 50 {
				return fmt.Errorf("load: GET %s after a write: not a page of 1 to 50 runs: %.300s", path, body)
			}
			return nil
		case strings.HasPrefix(path, "/api/v1/totals/monthly"):
			need = "months"
		case strings.HasPrefix(path, "/api/v1/totals/yearly"):
			need = "year"
		case strings.HasSuffix(path, "/progress"):
			need = "actual"
		case strings.HasPrefix(path, "/api/v1/network"):
			need = "routes"
		}
		if _, ok := m[need]; need != "" && !ok {
			return fmt.Errorf("load: GET %s after a write lacks %q: %.300s", path, need, body)
		}
		return nil
	}
}

func withoutETags(reqs []loadRequest) []loadRequest {
	out := make([]loadRequest, len(reqs))
	for i, r := range reqs {
		r.header = r.header.Clone()
		r.header.Del("If-None-Match")
		r.ok = func(s int) bool { return s == http.StatusOK }
		out[i] = r
	}
	return out
}

func getJSON(ctx context.Context, client *http.Client, url string, auth http.Header, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	req.Header = auth.Clone()
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("load: GET %s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("load: GET %s answered %d", url, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// runScenario runs o.Clients clients in a closed loop over reqs, each taking
// the next request in turn, until o.Requests are done or o.Duration passed.
func runScenario(ctx context.Context, client *http.Client, base, name string, reqs []loadRequest, o LoadOptions) (LoadResult, error) {
	var (
		next       atomic.Int64
		errs, n304 atomic.Int64
		n429       atomic.Int64
		mu         sync.Mutex
		lat        []time.Duration
		wg         sync.WaitGroup
		firstErr   atomic.Value
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Requests <= 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, o.Duration)
		defer stop()
	}
	start := time.Now()
	for w := 0; w < o.Clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1024)
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if o.Requests > 0 && i >= int64(o.Requests) {
					return
				}
				lr := reqs[i%int64(len(reqs))]
				if lr.before != nil {
					if err := lr.before(ctx, i); err != nil {
						if ctx.Err() != nil {
							return
						}
						firstErr.CompareAndSwap(nil, err)
						return
					}
				}
				var body io.Reader
				if lr.body != nil {
					body = bytes.NewReader(lr.body(i))
				}
				req, err := http.NewRequestWithContext(ctx, lr.method, base+lr.path, body)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				for k, v := range lr.header {
					req.Header[k] = v
				}
				if lr.method == "POST" {
					req.Header.Set("Idempotency-Key", "load-"+strconv.FormatInt(start.UnixNano(), 36)+"-"+strconv.FormatInt(i, 10))
				}
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return // the scenario's time is up mid-request: not an error
					}
					errs.Add(1)
					continue
				}
				got, rerr := io.ReadAll(res.Body)
				res.Body.Close()
				mine = append(mine, time.Since(t0))
				if rerr != nil {
					if ctx.Err() != nil {
						return
					}
					errs.Add(1)
					continue
				}
				if lr.check != nil && lr.ok(res.StatusCode) {
					if err := lr.check(res.StatusCode, got); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
				}
				if lr.created != nil && res.StatusCode == http.StatusCreated {
					lr.created(res.Header.Get("Location"))
				}
				switch res.StatusCode {
				case http.StatusNotModified:
					n304.Add(1)
				case http.StatusTooManyRequests:
					n429.Add(1)
				}
				if !lr.ok(res.StatusCode) {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return LoadResult{}, err
	}
	if n := n429.Load(); n > 0 {
		return LoadResult{}, fmt.Errorf("load: the server rate-limited %d requests of %s, so the figures would measure its 429s: start it with --rate-limit 0 (BANLIE_RATE_LIMIT=0) for a load test", n, name)
	}
	r := LoadResult{Scenario: name, Requests: len(lat), Errors: int(errs.Load()), NotModified: int(n304.Load()), Elapsed: time.Since(start)}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	r.P50, r.P95, r.P99 = pct(0.50), pct(0.95), pct(0.99)
	return r, nil
}

// writeLoadReport prints the results as a table with each scenario's rate
// as a share of the floor's, measured in the same run.
func writeLoadReport(w io.Writer, rs []LoadResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trequests\terrors\t304s\treq/s\tp50\tp95\tp99\trate / floor\t")
	var floor float64
	for i, r := range rs {
		if i == 0 {
			floor = r.Rate()
		}
		ratio := "—"
		if floor > 0 {
			ratio = fmt.Sprintf("%.2f", r.Rate()/floor)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", r.Scenario, r.Requests, r.Errors, r.NotModified, r.Rate(),
			r.P50.Round(time.Microsecond), r.P95.Round(time.Microsecond), r.P99.Round(time.Microsecond), ratio)
	}
	tw.Flush()
}

func cmdLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o LoadOptions
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: banlie load [flags]

Measures a running server from this process: first GET /healthz (the floor:
the same middleware, no database), then a dashboard's refresh with and
without If-None-Match, then, given an operator token, logging runs. Prints
requests per second, latency percentiles and each rate as a share of the
floor's. The log-run scenario adds runs dated today, then deletes them again
once it has measured (the audit log keeps both); --keep-runs keeps them.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "the server to measure")
	fs.StringVar(&o.Token, "token", envOr("BANLIE_TOKEN", ""), "an operator token; without one the write scenario is left out [BANLIE_TOKEN]")
	fs.IntVar(&o.Clients, "clients", 16, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each scenario runs")
	fs.IntVar(&o.Requests, "requests", 0, "requests per scenario instead of a duration")
	fs.IntVar(&o.Year, "year", 0, "the dashboard's year (default: the latest with data)")
	fs.BoolVar(&o.KeepRuns, "keep-runs", false, "keep the runs the write scenario logged instead of deleting them afterwards")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	rs, deleted, err := RunLoad(ctx, o)
	if err != nil {
		return err
	}
	writeLoadReport(stdout, rs)
	if deleted > 0 {
		fmt.Fprintf(stdout, "deleted the %d runs the log-run scenario logged\n", deleted)
	}
	for _, r := range rs {
		if r.Errors > 0 {
			return fmt.Errorf("load: %d unexpected answers in %s", r.Errors, r.Scenario)
		}
	}
	return nil
}
