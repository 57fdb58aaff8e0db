package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
)

// A key is recorded with the write it came with, in the same transaction; a
// write that fails leaves no key; a second write with the key is refused.
// claim is the env's write carrying c.
func (e *env) claim(c *store.IdemClaim) store.Write {
	w := e.w
	w.Claim = c
	return w
}

func TestIdempotencyClaim(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		bad := &store.IdemClaim{Scope: "tester", Key: "k-bad", Hash: "h1"}
		_, err := e.st.CreateRun(e.ctx, e.claim(bad), runInput("NOPE", "X1", at("2026-10-01T08:00:00+08:00"), 1))
		wantCode(t, err, models.EINVALID)
		if bad.Claimed() {
			t.Fatal("a refused write kept its claim")
		}
		if a, ok, err := e.st.GetIdempotency(context.Background(), "tester", "k-bad"); err != nil || ok {
			t.Fatalf("a refused write recorded its key: %+v %v", a, err)
		}

		c := &store.IdemClaim{Scope: "tester", Key: "k1", Hash: "h1"}
		if _, err := e.st.CreateRun(e.ctx, e.claim(c), runInput("R-A", "X1", at("2026-10-01T08:00:00+08:00"), 1)); err != nil {
			t.Fatal(err)
		}
		if !c.Claimed() {
			t.Fatal("the write did not claim its key")
		}
		a, ok, err := e.st.GetIdempotency(context.Background(), "tester", "k1")
		if err != nil || !ok || a.Hash != "h1" || a.Status != 0 {
			t.Fatalf("recorded key: %+v %v", a, err)
		}
		if err := e.st.SaveIdempotentAnswer(context.Background(), "tester", "k1", store.IdemAnswer{Hash: "h1", Status: 201, Location: "/api/v1/runs/1",
			ContentType: "application/json", Body: []byte(`{"id":1}`)}); err != nil {
			t.Fatal(err)
		}
		a, ok, err = e.st.GetIdempotency(context.Background(), "tester", "k1")
		if err != nil || !ok || a.Status != 201 || a.Location != "/api/v1/runs/1" || string(a.Body) != `{"id":1}` {
			t.Fatalf("saved answer: %+v %v", a, err)
		}

		// The same key again, from another request: refused, nothing written.
		again := &store.IdemClaim{Scope: "tester", Key: "k1", Hash: "h1"}
		_, err = e.st.CreateRun(e.ctx, e.claim(again), runInput("R-A", "X2", at("2026-10-01T08:00:00+08:00"), 1))
		if !errors.Is(err, models.ErrIdempotencyBusy) {
			t.Fatalf("second write with the key: %v, want ErrIdempotencyBusy", err)
		}
		if page, err := e.st.ListRuns(context.Background(), models.RunFilter{}); err != nil || len(page.Items) != 1 {
			t.Fatalf("runs after the refused write: %d %v", len(page.Items), err)
		}
		// The same key in another scope is another key.
		if _, err := e.st.CreateRun(e.ctx, e.claim(&store.IdemClaim{Scope: "other", Key: "k1", Hash: "h1"}), runInput("R-A", "X2", at("2026-10-01T08:00:00+08:00"), 1)); err != nil {
			t.Fatal(err)
		}
	})
}

// PurgeIdempotencyKeys removes the keys older than IdempotencyRetention by
// the store's clock and keeps the others.
func TestPurgeIdempotencyKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		save := func(key string) {
			t.Helper()
			if err := e.st.SaveIdempotentAnswer(ctx, "tester", key, store.IdemAnswer{Hash: "h", Status: 200, Body: []byte("{}")}); err != nil {
				t.Fatal(err)
			}
		}
		start := e.clock.Now()
		save("old")
		e.clock.Advance(time.Hour)
		save("edge") // exactly the retention period old at the purge
		e.clock.Advance(20 * time.Hour)
		save("new")
		e.clock.Set(start.Add(time.Hour + store.IdempotencyRetention))
		n, err := e.st.PurgeIdempotencyKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("purged %d keys, want 1", n)
		}
		// Read with the clock set back, when no key has expired: GetIdempotency
		// drops an expired key itself, which would hide one the purge kept.
		e.clock.Set(start.Add(time.Hour))
		for key, want := range map[string]bool{"old": false, "edge": true, "new": true} {
			_, ok, err := e.st.GetIdempotency(ctx, "tester", key)
			if err != nil {
				t.Fatal(err)
			}
			if ok != want {
				t.Errorf("key %s present %v after the purge, want %v", key, ok, want)
			}
		}
		e.clock.Set(start.Add(time.Hour + store.IdempotencyRetention + 21*time.Hour + time.Second))
		if n, err := e.st.PurgeIdempotencyKeys(ctx); err != nil || n != 2 {
			t.Fatalf("second purge removed %d keys (%v), want 2", n, err)
		}
	})
}
