package store_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"banlie/models"
)

// A committed change writes its event in its own transaction, with the
// object as the API shows it; a refused or rolled-back one writes none;
// a change that changes nothing announces nothing.
func TestOutboxFollowsCommits(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		now := e.clock.Now()
		run := e.mustRun(t, runInput("R-A", "X1", now.Add(-time.Hour), 10))
		// Refused: nothing written, no event.
		if _, err := e.st.CreateRun(e.ctx, e.w, runInput("R-A", "X1", now.Add(-time.Hour), 10)); err == nil {
			t.Fatal("a duplicate run was stored")
		}
		if _, err := e.st.UpdateRun(e.ctx, e.w, run.ID, models.RunPatch{Cargo: models.Opt[string]{Set: true, Value: ptr("timber")}}); err != nil {
			t.Fatal(err)
		}
		// The same value again changes nothing.
		if _, err := e.st.UpdateRun(e.ctx, e.w, run.ID, models.RunPatch{Cargo: models.Opt[string]{Set: true, Value: ptr("timber")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.CreateSeaRailCount(e.ctx, e.w, models.SeaRailInput{Date: "2026-11-20", Port: "CNQIN", Direction: "export", TEU: ptr(100)}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.DeleteRun(e.ctx, e.w, run.ID); err != nil {
			t.Fatal(err)
		}
		evs, err := e.st.Events(e.ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for i, ev := range evs {
			types = append(types, ev.Type)
			if i > 0 && ev.ID <= evs[i-1].ID {
				t.Errorf("ids not increasing: %d after %d", ev.ID, evs[i-1].ID)
			}
		}
		want := []string{models.EventRunCreated, models.EventRunUpdated, models.EventSeaRailRecorded, models.EventRunDeleted}
		if fmt.Sprint(types) != fmt.Sprint(want) {
			t.Fatalf("events %v, want %v", types, want)
		}
		var got models.Run
		if err := json.Unmarshal(evs[1].Data, &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != run.ID || got.Cargo == nil || *got.Cargo != "timber" || got.Route != "R-A" {
			t.Fatalf("run.updated carries %+v", got)
		}
		if err := json.Unmarshal(evs[3].Data, &got); err != nil || got.ID != run.ID || got.Cargo == nil {
			t.Fatalf("run.deleted carries %+v (%v): the run as it was", got, err)
		}
		newest, purged, err := e.st.OutboxBounds(e.ctx)
		if err != nil || newest != evs[3].ID || purged != 0 {
			t.Fatalf("bounds %d, %d, %v", newest, purged, err)
		}
		// Purging keeps the newest id known, so that a reader can tell
		// that what it missed is gone.
		if n, err := e.st.PurgeOutbox(e.ctx, now.Add(time.Hour)); err != nil || n != 4 {
			t.Fatalf("purge: %d, %v", n, err)
		}
		newest, purged, err = e.st.OutboxBounds(e.ctx)
		if err != nil || newest != evs[3].ID || purged != evs[3].ID {
			t.Fatalf("bounds after the purge %d, %d, %v", newest, purged, err)
		}
	})
}

// Writers committing at once: a reader that follows the outbox by id (as
// the stream does, "everything after the last id I saw") sees every event,
// because ids are given in the order of commits.
func TestOutboxIDsFollowCommitOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.mustRoute(t, "R-A", "rail")
		now := e.clock.Now()
		const writers, each = 4, 15
		var wg sync.WaitGroup
		done := make(chan struct{})
		seen := map[int64]bool{}
		var last int64
		var readErr error
		go func() {
			defer close(done)
			for {
				select {
				case <-e.st.Committed():
				case <-time.After(20 * time.Millisecond): // writers of other processes are polled so
				}
				evs, err := e.st.Events(e.ctx, last, 1000)
				if err != nil {
					readErr = err
					return
				}
				for _, ev := range evs {
					seen[ev.ID] = true
					last = ev.ID
				}
				if len(seen) == writers*each {
					return
				}
			}
		}()
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					in := runInput("R-A", fmt.Sprintf("W%d-%d", w, i), now.Add(-time.Duration(w*each+i+1)*time.Minute), 1)
					if _, err := e.st.CreateRun(e.ctx, e.w, in); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("the reader saw %d of %d events", len(seen), writers*each)
		}
		if readErr != nil {
			t.Fatal(readErr)
		}
		all, err := e.st.Events(e.ctx, 0, 1000)
		if err != nil || len(all) != writers*each || len(seen) != len(all) {
			t.Fatalf("stored %d events (%v), the reader saw %d", len(all), err, len(seen))
		}
	})
}
