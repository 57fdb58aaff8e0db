package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"banlie/handlers"
	"banlie/store"
	"banlie/web"
)

// secondServer is another instance on a's PostgreSQL database dsn (its own
// pool and store), with a's tokens and clock.
func secondServer(t testing.TB, a *testServer, dsn string) *testServer {
	t.Helper()
	db, err := store.Open(dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(db) })
	st := store.NewStore(db, shanghai, func() time.Time { return a.now })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := handlers.New(handlers.Config{Store: st, Log: log, Web: web.FS(), Ready: func(ctx context.Context) error { return nil }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b := &testServer{URL: srv.URL, Store: st, now: a.now, handler: h, Admin: a.Admin, Operator: a.Operator, Viewer: a.Viewer}
	if tt, ok := t.(*testing.T); ok {
		b.t = tt
	}
	return b
}

// TestKeptAnswersFollowOtherInstances: two servers on one PostgreSQL
// database, the second listening for writes (its data version in memory).
// A run logged through the first makes the second's next conditional GET
// answer 200 with it, once the notification has arrived; with the
// listener's connection killed, the second reads the version from the
// table and still answers the new data; back and caught up, it answers 304
// for unchanged data and follows the next write.
func TestKeptAnswersFollowOtherInstances(t *testing.T) {
	t.Parallel()
	dsn := postgresDB(t)
	a := newTestServerOn(t, dsn, shanghai, nil)
	b := secondServer(t, a, dsn)

	events := make(chan store.Listening, 16)
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Store.ListenForWrites(ctx, nil, func(l store.Listening) {
			select {
			case events <- l:
			case <-ctx.Done():
			}
			if !l.Live {
				// Held until the test has read through the table.
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	await := func(what string, ok func(store.Listening) bool) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l := <-events:
				if ok(l) {
					return
				}
			case <-timeout:
				t.Fatalf("the listener never %s", what)
			}
		}
	}
	// seen awaits the listener's knowing a's latest commit.
	seen := func() {
		t.Helper()
		v, err := a.Store.DataVersion(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		await("was told of the write", func(l store.Listening) bool { return l.Live && l.V >= v })
	}
	const list = "/api/v1/runs?route=SCO-TJ-MOW"
	// poll is b's conditional GET of the list: its status, body and ETag.
	poll := func(etag string) (int, string, string) {
		t.Helper()
		r := b.do(t, "GET", list, nil, "If-None-Match", etag)
		return r.Status, string(r.Body), r.Header.Get("ETag")
	}

	await("caught up", func(l store.Listening) bool { return l.Live })
	a.mustDo(t, http.StatusCreated, "POST", "/api/v1/routes", routeBody("SCO-TJ-MOW"))
	seen()
	st, _, etag := poll("")
	if st != http.StatusOK || etag == "" {
		t.Fatalf("first poll: %d, ETag %q", st, etag)
	}
	if st, _, _ := poll(etag); st != http.StatusNotModified {
		t.Fatalf("unchanged: %d, want 304", st)
	}

	// A write through a: b's next poll answers it.
	a.mustDo(t, http.StatusCreated, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8001", "2026-11-20T08:00:00+08:00"))
	seen()
	st, body, next := poll(etag)
	if st != http.StatusOK || !strings.Contains(body, "X8001") {
		t.Fatalf("after a write through the other server: %d %s", st, body)
	}
	etag = next

	// The listener's connection killed: b reads the table meanwhile.
	var killed []bool
	if err := b.Store.DB().Raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'banlie-listener' AND datname = current_database()`).Scan(&killed).Error; err != nil {
		t.Fatal(err)
	}
	if len(killed) != 1 || !killed[0] {
		t.Fatalf("terminated listeners: %v, want one", killed)
	}
	await("noticed its connection was lost", func(l store.Listening) bool { return !l.Live })
	a.mustDo(t, http.StatusCreated, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8002", "2026-11-21T08:00:00+08:00"))
	st, body, next = poll(etag)
	if st != http.StatusOK || !strings.Contains(body, "X8002") {
		t.Fatalf("after a write while b's listener is down: %d %s", st, body)
	}
	etag = next
	if st, _, _ := poll(etag); st != http.StatusNotModified {
		t.Fatalf("unchanged, listener down: %d, want 304", st)
	}

	// Back: caught up with the write it was not told of.
	close(release)
	seen()
	if st, _, _ := poll(etag); st != http.StatusNotModified {
		t.Fatalf("unchanged, listener back: %d, want 304", st)
	}
	a.mustDo(t, http.StatusCreated, "POST", "/api/v1/runs", runBody("SCO-TJ-MOW", "X8003", "2026-11-22T08:00:00+08:00"))
	seen()
	if st, body, _ := poll(etag); st != http.StatusOK || !strings.Contains(body, "X8003") {
		t.Fatalf("after a write, listener back: %d %s", st, body)
	}
}
