package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"banlie/handlers"
	"banlie/store"
	"banlie/web"
)

// sse is one event of a stream as a client reads it.
type sse struct {
	ID, Event, Data string
	Comment         bool
}

// streamClient reads a Server-Sent Events stream line by line, as a
// browser's EventSource does.
type streamClient struct {
	t      testing.TB
	res    *http.Response
	events chan sse
	cancel context.CancelFunc
}

func openStream(t testing.TB, url, token, lastID string) *streamClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/stream", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &streamClient{t: t, res: res, events: make(chan sse, 100), cancel: cancel}
	t.Cleanup(c.close)
	if res.StatusCode != http.StatusOK {
		return c
	}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(res.Body)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sse{}) {
					c.events <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, ":"):
				c.events <- sse{Comment: true, Data: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			case strings.HasPrefix(line, "retry: "):
				ev.Event, ev.Data = "retry", line[7:]
			}
		}
	}()
	return c
}

func (c *streamClient) close() {
	c.cancel()
	c.res.Body.Close()
}

// next answers the next event (comments skipped unless comments).
func (c *streamClient) next(comments bool) sse {
	c.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				c.t.Fatal("the stream ended")
			}
			if ev.Comment && !comments {
				continue
			}
			return ev
		case <-timeout:
			c.t.Fatal("no event within 10 s")
		}
	}
}

type streamEnvelope struct {
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

func (c *streamClient) nextEvent() (sse, streamEnvelope) {
	c.t.Helper()
	ev := c.next(false)
	var env streamEnvelope
	if err := json.Unmarshal([]byte(ev.Data), &env); err != nil {
		c.t.Fatalf("event %+v: data is not JSON: %v", ev, err)
	}
	if env.Type != ev.Event {
		c.t.Fatalf("event %q carries type %q", ev.Event, env.Type)
	}
	return ev, env
}

func TestStream(t *testing.T) {
	t.Parallel()
	testStream(t, newTestServer(t))
}

func TestStreamPostgres(t *testing.T) {
	t.Parallel()
	testStream(t, newTestServerPG(t))
}

func testStream(t *testing.T, ts *testServer) {
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	s := openStream(t, ts.URL, ts.Viewer, "")
	if ct := s.res.Header.Get("Content-Type"); s.res.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream answered %d %q", s.res.StatusCode, ct)
	}
	if ev := s.next(false); ev.Event != "retry" || ev.Data != "3000" {
		t.Fatalf("first %+v, want retry: 3000", ev)
	}
	// A run logged, corrected, and a refused write in between: the stream
	// carries the two commits, in order, with the run as the API shows it.
	run := createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	ts.do(t, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00")).problem(t, 409)
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", run.ID), map[string]any{"cargo": "timber"})
	first, env := s.nextEvent()
	var got runJSON
	if err := json.Unmarshal(env.Data, &got); err != nil || first.Event != "run.created" || got.ID != run.ID || got.Number != "X8024" {
		t.Fatalf("first event %+v: %+v (%v)", first, got, err)
	}
	if _, err := time.Parse(time.RFC3339Nano, env.Timestamp); err != nil {
		t.Fatalf("timestamp %q: %v", env.Timestamp, err)
	}
	second, env := s.nextEvent()
	if err := json.Unmarshal(env.Data, &got); err != nil || second.Event != "run.updated" || got.Cargo == nil || *got.Cargo != "timber" {
		t.Fatalf("second event %+v: %+v (%v)", second, got, err)
	}
	a, _ := strconv.ParseInt(first.ID, 10, 64)
	b, _ := strconv.ParseInt(second.ID, 10, 64)
	if b <= a {
		t.Fatalf("ids %d then %d", a, b)
	}
	s.close()

	// Reconnecting with Last-Event-ID gives what came after it, once.
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1520))
	r := openStream(t, ts.URL, ts.Viewer, first.ID)
	r.next(false) // retry
	if ev, _ := r.nextEvent(); ev.ID != second.ID || ev.Event != "run.updated" {
		t.Fatalf("after reconnecting: %+v, want event %s", ev, second.ID)
	}
	if ev, _ := r.nextEvent(); ev.Event != "searail.recorded" {
		t.Fatalf("then %+v, want searail.recorded", ev)
	}
	r.close()

	// Events no longer kept: the client is told to reload.
	if _, err := ts.Store.PurgeOutbox(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r = openStream(t, ts.URL, ts.Viewer, first.ID)
	r.next(false)
	if ev := r.next(false); ev.Event != "reset" {
		t.Fatalf("after the purge: %+v, want reset", ev)
	}
	r.close()

	// A Last-Event-ID that is not an id is refused; HEAD opens nothing.
	bad, _ := http.NewRequest("GET", ts.URL+"/api/v1/stream", nil)
	bad.Header.Set("Last-Event-ID", "abc")
	if res, err := http.DefaultClient.Do(bad); err != nil || res.StatusCode != 400 {
		t.Fatalf("Last-Event-ID abc: %v %v", res.StatusCode, err)
	} else {
		res.Body.Close()
	}
	head, _ := http.NewRequest("HEAD", ts.URL+"/api/v1/stream", nil)
	if res, err := http.DefaultClient.Do(head); err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("HEAD: %+v %v", res, err)
	} else {
		res.Body.Close()
	}
}

// TestStreamLimitsAndHeartbeat: a heartbeat comment keeps an idle stream
// alive past the server's write timeout; above the bound of open streams
// the answer is 503 with Retry-After; private reads need a token.
func TestStreamLimitsAndHeartbeat(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) {
		c.MaxStreams, c.StreamHeartbeat, c.PrivateReads = 1, 50*time.Millisecond, true
	})
	if res, err := http.Get(ts.URL + "/api/v1/stream"); err != nil || res.StatusCode != 401 {
		t.Fatalf("without a token under private reads: %v %v", res.StatusCode, err)
	} else {
		res.Body.Close()
	}
	s := openStream(t, ts.URL, ts.Viewer, "")
	s.next(false)
	if ev := s.next(true); !ev.Comment || ev.Data != "heartbeat" {
		t.Fatalf("idle stream sent %+v, want a heartbeat", ev)
	}
	over := openStream(t, ts.URL, ts.Viewer, "")
	if over.res.StatusCode != 503 || over.res.Header.Get("Retry-After") == "" {
		t.Fatalf("a second stream over the bound of 1: %d, Retry-After %q", over.res.StatusCode, over.res.Header.Get("Retry-After"))
	}
	body, _ := io.ReadAll(over.res.Body)
	if !strings.Contains(string(body), "streams are open") {
		t.Fatalf("503 says %s", body)
	}
	s.close()

	// The write timeout of a real server does not end a stream: heartbeats
	// keep arriving after it has passed. (The closed stream's place is
	// free once the server notices the client is gone, at its next write:
	// a heartbeat away.)
	srv := httptest.NewUnstartedServer(ts.handler)
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	var ts2 *streamClient
	for deadline := time.Now().Add(10 * time.Second); ; {
		if ts2 = openStream(t, srv.URL, ts.Viewer, ""); ts2.res.StatusCode == 200 {
			break
		}
		ts2.close()
		if time.Now().After(deadline) {
			t.Fatal("the closed stream's place was not freed")
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
	opened := time.Now()
	ts2.next(false)
	for time.Since(opened) < 600*time.Millisecond {
		if ev := ts2.next(true); !ev.Comment {
			t.Fatalf("idle stream sent %+v", ev)
		}
	}
}

// TestStreamAcrossInstances: two servers on one PostgreSQL database; a run
// logged through one is announced on a stream of the other (which polls
// for events its own process did not commit).
func TestStreamAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := postgresDB(t)
	a := newTestServerOn(t, dsn, shanghai, nil)
	db, err := store.Open(dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(db) })
	st := store.NewStore(db, shanghai, func() time.Time { return a.now })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := httptest.NewServer(handlers.New(handlers.Config{Store: st, Log: log, Web: web.FS(), StreamPoll: 50 * time.Millisecond,
		Ready: func(ctx context.Context) error { return nil }}))
	t.Cleanup(b.Close)
	createRoute(t, a, "SCO-TJ-MOW", nil)
	s := openStream(t, b.URL, a.Viewer, "")
	s.next(false)
	run := createRun(t, a, runBody("SCO-TJ-MOW", "X8024", "2024-10-12T09:30:00+08:00"))
	ev, env := s.nextEvent()
	var got runJSON
	if err := json.Unmarshal(env.Data, &got); err != nil || ev.Event != "run.created" || got.ID != run.ID {
		t.Fatalf("on the other instance: %+v %+v (%v)", ev, got, err)
	}
}
