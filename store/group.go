package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// maxGroup is the most writes one commit carries.
const maxGroup = 64

// writeGroup commits the writes that queue up for SQLite's single writer
// in one transaction: while a commit waits for the disk, the writes that
// arrive queue in order; the next leader runs them one after another,
// each in a savepoint of its own (rolled back when it fails, released when
// it succeeds), and commits them with one fsync. A write is answered only
// after its commit; a failed commit fails every write of the group, none
// of which was answered yet.
type writeGroup struct {
	mu      sync.Mutex
	queue   []*groupWrite
	leading bool // a leader is running a group; the queue waits for it
	// commits and writes count the group transactions committed and the
	// writes they carried (a write alone is not counted).
	commits, writes atomic.Int64
	// queued, when set (by tests), is told the queue's length after each
	// write joins it.
	queued func(n int)
}

// groupWrite is one caller's write waiting in the queue.
type groupWrite struct {
	ctx context.Context
	w   Write
	fn  func(tx *Store) error
	// wake is closed when the write is done, or signalled (lead set) when
	// its caller is to lead the next group.
	wake chan struct{}
	lead bool
	err  error
	// panicked holds what fn panicked with, re-raised in its caller.
	panicked any
}

// do runs fn as one write of a group, waiting its turn in the queue.
func (g *writeGroup) do(s *Store, ctx context.Context, w Write, fn func(tx *Store) error) error {
	me := &groupWrite{ctx: ctx, w: w, fn: fn, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, me)
	if g.queued != nil {
		g.queued(len(g.queue))
	}
	lead := !g.leading
	if lead {
		g.leading, me.lead = true, true
	}
	g.mu.Unlock()
	for !lead {
		select {
		case <-me.wake:
		case <-ctx.Done():
			g.mu.Lock()
			if i := g.indexOf(me); i >= 0 && !me.lead {
				// Not taken by a group yet: it leaves the queue unwritten.
				g.queue = append(g.queue[:i], g.queue[i+1:]...)
				g.mu.Unlock()
				return ctx.Err()
			}
			g.mu.Unlock()
			<-me.wake // taken: its group answers it
		}
		// Read after the wake-up, which the leader sends after setting it.
		if lead = me.lead; !lead {
			if me.panicked != nil {
				panic(me.panicked)
			}
			return me.err
		}
	}
	// This caller leads: it takes what queued (itself first), runs it and
	// hands the lead to the first write that queued meanwhile.
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	for i, gw := range g.queue[:n] {
		if gw.w.alone {
			n = max(i, 1) // the writes before it; or it, on its own
			break
		}
	}
	batch := append([]*groupWrite(nil), g.queue[:n]...)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	g.mu.Unlock()
	s.runGroup(batch)
	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		next.lead = true
		next.wake <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	for _, gw := range batch {
		if gw != me {
			close(gw.wake)
		}
	}
	if me.panicked != nil {
		panic(me.panicked)
	}
	return me.err
}

func (g *writeGroup) indexOf(gw *groupWrite) int {
	for i, q := range g.queue {
		if q == gw {
			return i
		}
	}
	return -1
}

// runGroup runs the writes of a group: alone when there is one, else in
// one transaction, each in a savepoint.
func (s *Store) runGroup(batch []*groupWrite) {
	if len(batch) == 1 {
		gw := batch[0]
		func() {
			defer func() {
				if r := recover(); r != nil {
					gw.panicked = r
				}
			}()
			gw.err = s.txAlone(gw.ctx, gw.w, gw.fn)
		}()
		return
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// The group's transaction belongs to no single caller: a caller that
	// goes away must not cancel (and so roll back) the others' writes.
	// Every statement of the group runs without its caller's cancellation.
	bg := context.Background()
	fail := func(err error) {
		for _, gw := range batch {
			gw.err = err
		}
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		fail(err)
		return
	}
	conn, err := sqlDB.Conn(bg)
	if err != nil {
		fail(err)
		return
	}
	defer conn.Close()
	if s.db.Dialector.Name() == "sqlite" {
		// Each write's savepoint keeps the pages it changes in a journal
		// of its own, which SQLite moves to a temporary file past 64 KiB:
		// a run, its audit entry and its event pass that, so every group
		// created, wrote and deleted a file (an insert into runs in a
		// savepoint: 83 µs, 37 µs with the journal in memory). The group's
		// transaction keeps it in memory (decided when it begins), holding
		// at most the pages one small write changed; bulk writes, whose
		// journals and sorts may be large, are never grouped (alone) and
		// keep SQLite's default.
		if _, err := conn.ExecContext(bg, "PRAGMA temp_store = MEMORY"); err != nil {
			fail(err)
			return
		}
		defer func() { _, _ = conn.ExecContext(bg, "PRAGMA temp_store = DEFAULT") }()
	}
	sqlTx, err := conn.BeginTx(bg, nil)
	if err != nil {
		fail(err)
		return
	}
	gtx := s.db.WithContext(bg)
	gtx.Statement.ConnPool = uncancelled{sqlTx}
	root := &Store{db: gtx, Loc: s.Loc, Now: s.Now, writeMu: s.writeMu, inTx: true, bus: s.bus}
	claimed := make([]bool, len(batch))
	served, events := false, false
	var broken error // the transaction can no longer be used
	for i, gw := range batch {
		if err := gw.ctx.Err(); err != nil {
			gw.err = err // its caller went away before it was written
			continue
		}
		pending := &[]outboxRow{}
		tx := &Store{db: gtx, Loc: s.Loc, Now: s.Now, writeMu: s.writeMu, inTx: true, w: gw.w, pending: pending, bus: s.bus}
		if err := root.exec("SAVEPOINT banlie_group"); err != nil {
			broken = err
			break
		}
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					gw.panicked = r
					err = fmt.Errorf("write panicked: %v", r)
				}
			}()
			if claimed[i], err = tx.claimIdempotencyKey(gw.w.Claim); err != nil {
				return err
			}
			if err := gw.fn(tx); err != nil {
				return err
			}
			return tx.writePending()
		}()
		if err != nil {
			gw.err = err
			if claimed[i] {
				gw.w.Claim.claimed, claimed[i] = false, false
			}
			if rerr := root.exec("ROLLBACK TO SAVEPOINT banlie_group"); rerr != nil {
				broken = rerr
				break
			}
		} else {
			served = served || !tx.servedUnchanged
			events = events || len(*pending) > 0
		}
		if rerr := root.exec("RELEASE SAVEPOINT banlie_group"); rerr != nil {
			broken = rerr
			break
		}
	}
	if broken == nil && served {
		broken = root.exec(`UPDATE data_version SET v = v + 1 WHERE id = 1`)
	}
	if broken == nil {
		broken = sqlTx.Commit()
	} else {
		_ = sqlTx.Rollback()
	}
	if broken != nil {
		// Nothing of the group was kept: every write not refused already
		// fails with the reason, its claim undone.
		for i, gw := range batch {
			if gw.err == nil {
				gw.err = broken
			}
			if claimed[i] {
				gw.w.Claim.claimed = false
			}
		}
		return
	}
	s.group.commits.Add(1)
	for _, gw := range batch {
		if gw.err == nil {
			s.group.writes.Add(1)
		}
	}
	if events && s.bus != nil {
		s.bus.publish()
	}
}

// GroupCommits answers how many transactions committed writes of more
// than one caller together, and how many writes they carried (0, 0 on
// PostgreSQL).
func (s *Store) GroupCommits() (commits, writes int64) {
	if s.group == nil {
		return 0, 0
	}
	return s.group.commits.Load(), s.group.writes.Load()
}

// uncancelled passes statements on to the transaction without their
// context's cancellation (values, such as GORM's, are kept): SQLite
// interrupts a cancelled statement, which may roll back the whole
// transaction, and with it the other callers' writes.
type uncancelled struct{ tx *sql.Tx }

func (u uncancelled) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return u.tx.PrepareContext(context.WithoutCancel(ctx), query)
}

func (u uncancelled) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return u.tx.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (u uncancelled) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return u.tx.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (u uncancelled) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return u.tx.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// Commit and Rollback let GORM see a transaction (it then nests its own
// in savepoints); the group commits or rolls back itself.
func (u uncancelled) Commit() error   { return fmt.Errorf("group commit: commit by the group") }
func (u uncancelled) Rollback() error { return fmt.Errorf("group commit: rollback by the group") }

var _ gorm.TxCommitter = uncancelled{}
