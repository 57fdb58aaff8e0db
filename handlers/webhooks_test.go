package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"banlie/handlers"
	"banlie/jobs"
	"banlie/store"
)

// receiver is a webhook receiver that verifies every request's signature
// as the Standard Webhooks specification says, with its own code, and
// answers as its script says for the n-th attempt (from 1) at a message.
type receiver struct {
	t       testing.TB
	srv     *httptest.Server
	secret  atomic.Value // string
	mu      sync.Mutex
	tries   map[string]int
	got     chan string // webhook-id of each request answered 2xx
	badSigs atomic.Int64
	script  func(id string, n int, w http.ResponseWriter) int
}

func newReceiver(t testing.TB, script func(id string, n int, w http.ResponseWriter) int) *receiver {
	r := &receiver{t: t, tries: map[string]int{}, got: make(chan string, 100), script: script}
	r.secret.Store("")
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// verify checks the headers as a receiver following the specification
// would: the signed content is id.timestamp.body, the key the bytes the
// secret's base64 after whsec_ encodes, and one of the space-separated
// signatures must be v1,<base64 HMAC-SHA256>.
func verify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return false
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get("webhook-id")
	ts, err := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute || req.Header.Get("Content-Type") != "application/json" ||
		!verify(r.secret.Load().(string), req.Header, body) {
		r.badSigs.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.tries[id]++
	n := r.tries[id]
	r.mu.Unlock()
	status := 200
	if r.script != nil {
		status = r.script(id, n, w)
	}
	w.WriteHeader(status)
	if status/100 == 2 {
		r.got <- id
	}
}

// next waits for the next message the receiver accepted.
func (r *receiver) next(t testing.TB) string {
	t.Helper()
	select {
	case id := <-r.got:
		return id
	case <-time.After(15 * time.Second):
		t.Fatal("no delivery within 15 s")
		return ""
	}
}

// attempts is how many requests with a valid signature carried id.
func (r *receiver) attempts(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tries[id]
}

// fastWebhooks delivers with a 200 ms timeout and 20 ms backoff, to
// receivers on 127.0.0.1.
var fastWebhooks = jobs.WebhookConfig{AllowPrivate: true, Timeout: 200 * time.Millisecond, Backoff: 20 * time.Millisecond, Poll: 20 * time.Millisecond}

// startDeliverer runs a deliverer on st until the test ends.
func startDeliverer(t testing.TB, st *store.Store, cfg jobs.WebhookConfig) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d := jobs.NewDeliverer(st, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func allowPrivate(c *handlers.Config) { c.WebhookAllowPrivate = true }

type webhookJSON struct {
	ID             int64    `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Active         bool     `json:"active"`
	Secret         string   `json:"secret"`
	DisabledReason *string  `json:"disabled_reason"`
}

type deliveryJSON struct {
	ID             int64   `json:"id"`
	EventID        int64   `json:"event_id"`
	Status         string  `json:"status"`
	Attempts       int     `json:"attempts"`
	LastStatusCode *int    `json:"last_status_code"`
	LastResponse   *string `json:"last_response"`
	NextAttemptAt  *string `json:"next_attempt_at"`
	LastError      *string `json:"last_error"`
}

func createWebhook(t testing.TB, ts *testServer, url string, events ...string) webhookJSON {
	t.Helper()
	var wh webhookJSON
	ts.mustDo(t, 201, "POST", "/api/v1/webhooks", map[string]any{"url": url, "events": events, "description": "test"}).decode(t, &wh)
	if !strings.HasPrefix(wh.Secret, "whsec_") || !wh.Active {
		t.Fatalf("created %+v", wh)
	}
	return wh
}

func deliveries(t testing.TB, ts *testServer, id int64) []deliveryJSON {
	t.Helper()
	var page struct{ Items []deliveryJSON }
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", id), nil).decode(t, &page)
	return page.Items
}

// waitDelivery polls a webhook's deliveries until ok says one is as
// expected (the receiver's answer is recorded just after it is sent).
func waitDelivery(t testing.TB, ts *testServer, id int64, ok func(deliveryJSON) bool) deliveryJSON {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, d := range deliveries(t, ts, id) {
			if ok(d) {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery as expected: %+v", deliveries(t, ts, id))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	testWebhooks(t, newTestServerWith(t, shanghai, allowPrivate))
}

func TestWebhooksPostgres(t *testing.T) {
	t.Parallel()
	testWebhooks(t, newTestServerOn(t, postgresDB(t), shanghai, allowPrivate))
}

func testWebhooks(t *testing.T, ts *testServer) {
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	// Before any webhook: not sent to the one created after.
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8000", "2024-10-11T09:30:00+08:00"))

	// First attempts: event 1 a 500, event 2 a 429 asking for 1 s, event
	// 3 a hang past the 200 ms timeout; each then succeeds.
	var order []string
	var omu sync.Mutex
	r := newReceiver(t, func(id string, n int, w http.ResponseWriter) int {
		omu.Lock()
		if n == 1 {
			order = append(order, id)
		}
		k := len(order)
		omu.Unlock()
		if n > 1 {
			return 204
		}
		switch k {
		case 1:
			return 500
		case 2:
			w.Header().Set("Retry-After", "1")
			return 429
		case 3:
			time.Sleep(400 * time.Millisecond)
		}
		return 200
	})
	wh := createWebhook(t, ts, r.srv.URL+"/hook", "*")
	r.secret.Store(wh.Secret)
	startDeliverer(t, ts.Store, fastWebhooks)

	run := createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", run.ID), map[string]any{"cargo": "timber"})
	// A refused (rolled-back) write in between sends nothing.
	ts.do(t, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00")).problem(t, 409)
	ts.mustDo(t, 204, "DELETE", fmt.Sprintf("/api/v1/runs/%d", run.ID), nil)
	evs, err := ts.Store.Events(context.Background(), 0, 100)
	if err != nil || len(evs) != 4 {
		t.Fatalf("outbox %d events (%v)", len(evs), err)
	}
	start := time.Now()
	var seen []string
	dup := map[string]bool{}
	for len(seen) < 3 {
		id := r.next(t)
		if !dup[id] {
			dup[id] = true
			seen = append(seen, id)
		}
	}
	for i, id := range seen {
		if want := strconv.FormatInt(evs[i+1].ID, 10); id != want {
			t.Fatalf("delivered %v, want the events after the webhook's creation in order (%d…)", seen, evs[1].ID)
		}
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("all delivered in %v: Retry-After: 1 not honoured", took)
	}
	for _, id := range seen {
		if n := r.attempts(id); n != 2 {
			t.Errorf("event %s: %d attempts, want 2 (one failed, one delivered)", id, n)
		}
	}
	if n := r.badSigs.Load(); n != 0 {
		t.Fatalf("%d requests with a bad signature", n)
	}
	last := waitDelivery(t, ts, wh.ID, func(d deliveryJSON) bool { return d.EventID == evs[3].ID && d.Status == "delivered" })
	if last.Attempts != 2 || last.LastStatusCode == nil || *last.LastStatusCode != 204 || last.NextAttemptAt != nil {
		t.Fatalf("last delivery %+v", last)
	}
	if got := deliveries(t, ts, wh.ID); len(got) != 3 || got[0].EventID != evs[3].ID {
		t.Fatalf("deliveries, newest first: %+v", got)
	}

	// The secret rotates: the next event is signed with the new one only.
	var rot webhookJSON
	ts.mustDo(t, 200, "POST", fmt.Sprintf("/api/v1/webhooks/%d/rotate-secret", wh.ID), nil).decode(t, &rot)
	if rot.Secret == wh.Secret || !strings.HasPrefix(rot.Secret, "whsec_") {
		t.Fatalf("rotated to %q", rot.Secret)
	}
	r.secret.Store(rot.Secret)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8025", "2024-10-13T09:30:00+08:00"))
	r.next(t)
	if n := r.badSigs.Load(); n != 0 {
		t.Fatalf("after the rotation: %d requests not signed with the new secret", n)
	}
	var got webhookJSON
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID), nil).decode(t, &got)
	if got.Secret != "" {
		t.Fatal("GET shows the secret")
	}

	// A 404 fails at once, and the next event is still delivered; a
	// failed delivery retried by hand is sent again.
	var gone atomic.Bool
	gone.Store(true)
	r404 := newReceiver(t, func(id string, n int, w http.ResponseWriter) int {
		if gone.Load() {
			return 404
		}
		return 200
	})
	wh2 := createWebhook(t, ts, r404.srv.URL, "run.created")
	r404.secret.Store(wh2.Secret)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8026", "2024-10-14T09:30:00+08:00"))
	failed := waitDelivery(t, ts, wh2.ID, func(d deliveryJSON) bool { return d.Status == "failed" })
	if failed.Attempts != 1 || *failed.LastStatusCode != 404 {
		t.Fatalf("404: %+v", failed)
	}
	gone.Store(false)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8027", "2024-10-15T09:30:00+08:00"))
	r404.next(t)
	ts.mustDo(t, 200, "POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%d/retry", wh2.ID, failed.ID), nil)
	if id := r404.next(t); id != strconv.FormatInt(failed.EventID, 10) {
		t.Fatalf("retried: got %s, want %d", id, failed.EventID)
	}
	ts.do(t, "POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries/999999/retry", wh2.ID), nil).problem(t, 404)

	// A delivery waiting on Retry-After is pending: retrying it is 409.
	r503 := newReceiver(t, func(id string, n int, w http.ResponseWriter) int {
		w.Header().Set("Retry-After", "3600")
		return 503
	})
	wh3 := createWebhook(t, ts, r503.srv.URL, "run.created")
	r503.secret.Store(wh3.Secret)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8028", "2024-10-16T09:30:00+08:00"))
	waiting := waitDelivery(t, ts, wh3.ID, func(d deliveryJSON) bool { return d.Attempts == 1 && d.LastStatusCode != nil })
	if waiting.Status != "pending" || waiting.NextAttemptAt == nil {
		t.Fatalf("after a 503 with Retry-After: %+v", waiting)
	}
	if at, _ := time.Parse(time.RFC3339Nano, *waiting.NextAttemptAt); time.Until(at) < 50*time.Minute {
		t.Fatalf("next attempt at %s, want in an hour", *waiting.NextAttemptAt)
	}
	ts.do(t, "POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%d/retry", wh3.ID, waiting.ID), nil).problem(t, 409)

	// CRUD: list, patch, delete; the audit log has each.
	var page struct{ Items []webhookJSON }
	ts.mustDo(t, 200, "GET", "/api/v1/webhooks", nil).decode(t, &page)
	ts.mustDo(t, 200, "HEAD", "/api/v1/webhooks", nil)
	if len(page.Items) != 3 || page.Items[0].Secret != "" {
		t.Fatalf("list %+v", page.Items)
	}
	var patched webhookJSON
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", wh3.ID), map[string]any{"active": false, "events": []string{"run.deleted"}}).decode(t, &patched)
	if patched.Active || len(patched.Events) != 1 {
		t.Fatalf("patched %+v", patched)
	}
	ts.mustDo(t, 204, "DELETE", fmt.Sprintf("/api/v1/webhooks/%d", wh3.ID), nil)
	ts.do(t, "GET", fmt.Sprintf("/api/v1/webhooks/%d", wh3.ID), nil).problem(t, 404)
	var audit struct{ Items []struct{ Action string } }
	ts.mustDo(t, 200, "GET", "/api/v1/audit?entity=webhook", nil).decode(t, &audit)
	if len(audit.Items) < 6 || audit.Items[0].Action != "webhooks.delete" {
		t.Fatalf("audit %+v", audit.Items)
	}
	// Operators may not.
	ts.do(t, "GET", "/api/v1/webhooks", nil, "Authorization", "Bearer "+ts.Operator).problem(t, 403)
}

// TestWebhookValidation: URLs and event lists are checked, with stable
// codes; without --webhook-allow-private a private address is refused.
func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, c := range []struct {
		body        map[string]any
		field, code string
	}{
		{map[string]any{"url": "ftp://example.com/x", "events": []string{"*"}}, "url", "invalid_value"},
		{map[string]any{"url": "https://user:pw@example.com/x", "events": []string{"*"}}, "url", "invalid_format"},
		{map[string]any{"url": "/relative", "events": []string{"*"}}, "url", "invalid_format"},
		{map[string]any{"url": "https://example.com/" + strings.Repeat("a", 2000), "events": []string{"*"}}, "url", "too_long"},
		{map[string]any{"url": "http://127.0.0.1:8080/hook", "events": []string{"*"}}, "url", "private_address"},
		{map[string]any{"url": "http://10.1.2.3/hook", "events": []string{"*"}}, "url", "private_address"},
		{map[string]any{"url": "http://[::1]/hook", "events": []string{"*"}}, "url", "private_address"},
		{map[string]any{"url": "http://169.254.169.254/latest", "events": []string{"*"}}, "url", "private_address"},
		{map[string]any{"url": "http://localhost/hook", "events": []string{"*"}}, "url", "private_address"},
		{map[string]any{"url": "https://93.184.215.14/hook", "events": []string{}}, "events", "too_few"},
		{map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"run.created", "nope"}}, "events[1]", "invalid_value"},
		{map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"run.created", "run.created"}}, "events[1]", "duplicate"},
		{map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"*", "run.created"}}, "events[0]", "invalid_value"},
	} {
		p := ts.do(t, "POST", "/api/v1/webhooks", c.body).problem(t, 422)
		if len(p.Errors) == 0 || p.Errors[0].Field != c.field || p.Errors[0].Code != c.code {
			t.Errorf("%v: %+v, want %s %s", c.body, p.Errors, c.field, c.code)
		}
	}
	// A public address literal is accepted (nothing is sent: no events).
	wh := createWebhook(t, ts, "https://93.184.215.14/hook", "run.created")
	p := ts.do(t, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID), map[string]any{"url": "http://192.168.1.1/"}).problem(t, 422)
	if len(p.Errors) == 0 || p.Errors[0].Code != "private_address" {
		t.Fatalf("PATCH to a private address: %+v", p.Errors)
	}
}

// TestWebhookDialRefusesPrivate: a webhook stored while private
// addresses were allowed is not delivered by a deliverer that refuses
// them: the address dialled is checked.
func TestWebhookDialRefusesPrivate(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, allowPrivate)
	r := newReceiver(t, nil)
	wh := createWebhook(t, ts, r.srv.URL, "*")
	cfg := fastWebhooks
	cfg.AllowPrivate = false
	startDeliverer(t, ts.Store, cfg)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	d := waitDelivery(t, ts, wh.ID, func(d deliveryJSON) bool { return d.LastError != nil })
	if n := r.attempts(strconv.FormatInt(d.EventID, 10)); n != 0 {
		t.Fatalf("the receiver on 127.0.0.1 got %d requests", n)
	}
	if d.Status != "pending" || !strings.Contains(*d.LastError, "not a public address") {
		t.Fatalf("last error %v", d.LastError)
	}
}

// TestWebhooksAcrossInstances: two instances, each with its deliverer, on
// one PostgreSQL database send each event once.
func TestWebhooksAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := postgresDB(t)
	a := newTestServerOn(t, dsn, shanghai, allowPrivate)
	db, err := store.Open(dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(db) })
	b := store.NewStore(db, shanghai, func() time.Time { return a.now })
	r := newReceiver(t, func(id string, n int, w http.ResponseWriter) int {
		if n == 1 && id[len(id)-1]%3 == 0 {
			return 503 // some retried, by either instance
		}
		return 200
	})
	wh := createWebhook(t, a, r.srv.URL, "*")
	r.secret.Store(wh.Secret)
	startDeliverer(t, a.Store, fastWebhooks)
	startDeliverer(t, b, fastWebhooks)
	createRoute(t, a, "SCO-TJ-MOW", nil)
	const runs = 30
	for i := range runs {
		createRun(t, a, runBody("SCO-TJ-MOW", fmt.Sprintf("X%d", 8000+i), "2024-10-12T09:30:00+08:00"))
		b.Announce() // the other instance hears of it as its watcher would
	}
	var got []string
	for len(got) < runs {
		got = append(got, r.next(t))
	}
	for i := 1; i < len(got); i++ {
		x, _ := strconv.Atoi(got[i-1])
		y, _ := strconv.Atoi(got[i])
		if y <= x {
			t.Fatalf("delivered out of order: %v", got)
		}
	}
	// Nothing more arrives: every event was delivered once.
	select {
	case id := <-r.got:
		t.Fatalf("event %s delivered twice", id)
	case <-time.After(300 * time.Millisecond):
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, n := range r.tries {
		last := id[len(id)-1]
		if want := map[bool]int{true: 2, false: 1}[last%3 == 0]; n != want {
			t.Errorf("event %s: %d requests, want %d", id, n, want)
		}
	}
}

// TestWebhookDisabledAfterThreeDays: a webhook whose attempts all fail
// for 3 days is made inactive, and the audit log says why.
func TestWebhookDisabledAfterThreeDays(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, allowPrivate)
	r := newReceiver(t, func(string, int, http.ResponseWriter) int { return 500 })
	wh := createWebhook(t, ts, r.srv.URL, "*")
	r.secret.Store(wh.Secret)
	var skew atomic.Int64
	cfg := fastWebhooks
	cfg.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	startDeliverer(t, ts.Store, cfg)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	waitDelivery(t, ts, wh.ID, func(d deliveryJSON) bool { return d.Attempts >= 1 && d.LastStatusCode != nil })
	// The deliverer's clock moves 73 hours on: the next attempt is past
	// the 24 hours of retries (failed) and the webhook failing for 3 days.
	skew.Store(int64(73 * time.Hour))
	waitDelivery(t, ts, wh.ID, func(d deliveryJSON) bool { return d.Status == "failed" })
	deadline := time.Now().Add(10 * time.Second)
	var got webhookJSON
	for ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID), nil).decode(t, &got); got.Active; ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID), nil).decode(t, &got) {
		if time.Now().After(deadline) {
			t.Fatal("still active")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.DisabledReason == nil || !strings.Contains(*got.DisabledReason, "no attempt to deliver succeeded") {
		t.Fatalf("disabled: %+v %v", got, *got.DisabledReason)
	}
	var audit struct {
		Items []struct{ Actor, Action string }
	}
	ts.mustDo(t, 200, "GET", "/api/v1/audit?action=webhooks.disable", nil).decode(t, &audit)
	if len(audit.Items) != 1 || audit.Items[0].Actor != "system" {
		t.Fatalf("audit %+v", audit.Items)
	}
	// Made active again, it is clear of it.
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID), map[string]any{"active": true}).decode(t, &got)
	if !got.Active || got.DisabledReason != nil {
		t.Fatalf("reactivated: %+v", got)
	}
}
