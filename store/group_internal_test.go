package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// groupStore opens a migrated SQLite store whose write group tells the
// test how long its queue is.
func groupStore(t *testing.T) (*Store, chan int) {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "group.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Close(db) })
	if _, err := Migrate(context.Background(), db, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	st := NewStore(db, time.UTC, nil)
	queued := make(chan int, 100)
	st.group.queued = func(n int) { queued <- n }
	return st, queued
}

// holdWriter starts a write that holds SQLite's writer until release is
// closed, and answers once it holds it.
func holdWriter(t *testing.T, st *Store, queued chan int) (release chan struct{}, done chan error) {
	t.Helper()
	release, done, holding := make(chan struct{}), make(chan error, 1), make(chan struct{})
	go func() {
		done <- st.Tx(context.Background(), System, func(tx *Store) error {
			close(holding)
			<-release
			return tx.db.Save(&settingRow{Key: "holder", Value: "1"}).Error
		})
	}()
	<-queued // the holder itself, which then leads a group of one
	<-holding
	return release, done
}

func settingKeys(t *testing.T, st *Store) []string {
	t.Helper()
	var keys []string
	if err := st.db.Model(&settingRow{}).Where("key LIKE ?", "w%").Order("key").Pluck("key", &keys).Error; err != nil {
		t.Fatal(err)
	}
	return keys
}

// Writes that queue while another holds the writer are committed in one
// transaction, in the order they queued, each all or nothing on its own:
// a failing write leaves no row and no event, one whose caller went away
// while it waited is not written, and the others commit together.
func TestGroupCommitKeepsEachWriteWhole(t *testing.T) {
	ctx := context.Background()
	st, queued := groupStore(t)
	v0, err := st.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release, held := holdWriter(t, st, queued)

	const n = 10
	failed := errors.New("this write is refused")
	gone, cancel := context.WithCancel(ctx)
	errs := make([]error, n)
	finished := make([]chan struct{}, n)
	var wg sync.WaitGroup
	for i := range n {
		finished[i] = make(chan struct{})
		wctx := ctx
		if i == 6 {
			wctx = gone
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(finished[i])
			errs[i] = st.Tx(wctx, System, func(tx *Store) error {
				key := fmt.Sprintf("w%02d", i)
				if err := tx.emit("test.write", map[string]string{"key": key}); err != nil {
					return err
				}
				if err := tx.db.Save(&settingRow{Key: key, Value: "v"}).Error; err != nil {
					return err
				}
				if i%4 == 3 {
					return failed // after writing: its savepoint undoes it
				}
				return nil
			})
		}()
		// One at a time, so that the queue's order is known.
		if got := <-queued; got != i+1 {
			t.Fatalf("queue length %d after write %d joined", got, i)
		}
	}
	cancel() // write 6's caller goes away while it waits
	<-finished[6]
	if st.group.mu.Lock(); len(st.group.queue) != n-1 {
		t.Errorf("%d writes queued once write 6 left, want %d", len(st.group.queue), n-1)
	}
	st.group.mu.Unlock()
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		switch {
		case i == 6:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("write 6, whose caller went away: %v", err)
			}
		case i%4 == 3:
			if !errors.Is(err, failed) {
				t.Errorf("write %d: %v, want its own refusal", i, err)
			}
		case err != nil:
			t.Errorf("write %d: %v", i, err)
		}
	}
	want := []string{"w00", "w01", "w02", "w04", "w05", "w08", "w09"}
	if got := settingKeys(t, st); !slices.Equal(got, want) {
		t.Errorf("rows kept %v, want %v", got, want)
	}
	var events []string
	if err := st.db.Table("outbox").Where("type = ?", "test.write").Order("id").Pluck("data", &events).Error; err != nil {
		t.Fatal(err)
	}
	var wantEvents []string
	for _, k := range want {
		wantEvents = append(wantEvents, fmt.Sprintf(`{"key":%q}`, k))
	}
	if !slices.Equal(events, wantEvents) {
		t.Errorf("events %v, want %v (each kept write's, in the order they queued)", events, wantEvents)
	}
	if commits, writes := st.GroupCommits(); commits != 1 || writes != int64(len(want)) {
		t.Errorf("group commits %d carrying %d writes, want 1 carrying %d", commits, writes, len(want))
	}
	if v, err := st.DataVersion(ctx); err != nil || v <= v0 {
		t.Errorf("data version %d (was %d): %v", v, v0, err)
	}
}

// A group whose transaction breaks keeps nothing, and none of its writes
// is answered as done: each fails, its Idempotency-Key claim undone.
func TestGroupCommitFailsEveryWriteOfABrokenGroup(t *testing.T) {
	ctx := context.Background()
	st, queued := groupStore(t)
	release, held := holdWriter(t, st, queued)
	errs := make([]error, 3)
	claims := make([]*IdemClaim, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		claims[i] = &IdemClaim{Scope: "test", Key: fmt.Sprintf("k%d", i), Hash: "h"}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Tx(ctx, Write{Claim: claims[i]}, func(tx *Store) error {
				if err := tx.db.Save(&settingRow{Key: fmt.Sprintf("w%02d", i), Value: "v"}).Error; err != nil {
					return err
				}
				if i == 1 {
					// The transaction ends under the group's feet.
					return tx.exec("ROLLBACK")
				}
				return nil
			})
		}()
		<-queued
	}
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("write %d of a group that was not committed answered done", i)
		}
		if claims[i].Claimed() {
			t.Errorf("write %d's claim is still marked recorded", i)
		}
	}
	if got := settingKeys(t, st); len(got) != 0 {
		t.Errorf("rows kept of a broken group: %v", got)
	}
	var keys int64
	if err := st.db.Table("idempotency_keys").Count(&keys).Error; err != nil || keys != 0 {
		t.Errorf("idempotency keys kept: %d (%v)", keys, err)
	}
	// The writer is free again: a write after it commits.
	if err := st.Tx(ctx, System, func(tx *Store) error { return tx.db.Save(&settingRow{Key: "w99", Value: "v"}).Error }); err != nil {
		t.Fatal(err)
	}
}

// A write that panics in a group panics in its own caller, not in the
// leader's; the other writes of the group commit.
func TestGroupCommitPanicReachesItsCaller(t *testing.T) {
	ctx := context.Background()
	st, queued := groupStore(t)
	release, held := holdWriter(t, st, queued)
	var wg sync.WaitGroup
	results := make([]any, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { results[i] = recover() }()
			err := st.Tx(ctx, System, func(tx *Store) error {
				if err := tx.db.Save(&settingRow{Key: fmt.Sprintf("w%02d", i), Value: "v"}).Error; err != nil {
					return err
				}
				if i == 1 {
					panic("write 1 panics")
				}
				return nil
			})
			if err != nil {
				results[i] = err
			}
		}()
		<-queued
	}
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if results[0] != nil || results[2] != nil || results[1] != "write 1 panics" {
		t.Errorf("results %v: want nil, the panic, nil", results)
	}
	if got := settingKeys(t, st); !slices.Equal(got, []string{"w00", "w02"}) {
		t.Errorf("rows kept %v", got)
	}
}

// A write marked alone (a bulk import, a roll-up) is never grouped: the
// writes queued before it commit without it, it commits on its own, and
// those queued after it commit together after it. A group's transaction
// keeps SQLite's temporary files in memory; a write alone, and every
// connection after a group, keeps the default (a file).
func TestGroupLeavesBulkWritesAlone(t *testing.T) {
	ctx := context.Background()
	st, queued := groupStore(t)
	release, held := holdWriter(t, st, queued)
	c0, w0 := st.GroupCommits()
	tempStore := func(tx *Store) (n int) {
		if err := tx.db.Raw("PRAGMA temp_store").Scan(&n).Error; err != nil {
			t.Error(err)
		}
		return n
	}
	seen := make([]int, 4) // each write's temp_store: 0 default, 2 memory
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range 4 {
		w := System
		w.alone = i == 1
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Tx(ctx, w, func(tx *Store) error {
				seen[i] = tempStore(tx)
				return tx.db.Save(&settingRow{Key: fmt.Sprintf("w%02d", i), Value: "v"}).Error
			})
		}()
		if got := <-queued; got != i+1 {
			t.Fatalf("queue length %d after write %d joined", got, i)
		}
	}
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got := settingKeys(t, st); !slices.Equal(got, []string{"w00", "w01", "w02", "w03"}) {
		t.Errorf("written: %v", got)
	}
	// [w00] alone (the write after it is alone), [w01] alone, [w02 w03]
	// together.
	if c, w := st.GroupCommits(); c-c0 != 1 || w-w0 != 2 {
		t.Errorf("%d group commits of %d writes, want 1 of 2 (w02 and w03)", c-c0, w-w0)
	}
	if !slices.Equal(seen, []int{0, 0, 2, 2}) {
		t.Errorf("temp_store of each write %v, want [0 0 2 2] (memory in the group only)", seen)
	}
	// Every connection of the pool is back to the default.
	sqlDB, err := st.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*sql.Conn, 0, 4)
	for range 4 {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var n int
		if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&n); err != nil || n != 0 {
			t.Errorf("a connection's temp_store after the group: %d (%v), want 0", n, err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}
