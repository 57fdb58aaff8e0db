package store

import (
	"banlie/models"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Store reads and writes banlie's data. Every period it derives is taken in
// Loc; every "now" comes from Now, so tests can set the day.
type Store struct {
	db  *gorm.DB
	Loc *time.Location
	Now func() time.Time
	// writeMu serialises write transactions on SQLite, which has one
	// writer at a time: waiting here is fair and cheap, where waiting in
	// SQLite's busy handler is neither. Readers never take it.
	writeMu *sync.Mutex
	inTx    bool
	// w is what the caller of Tx said of this transaction's write.
	w Write
	// servedUnchanged: this transaction changes nothing an API read serves
	// (job bookkeeping, idempotency records, tokens), so the data version
	// stays and kept answers stay valid.
	servedUnchanged bool
	// pending are the outbox events this transaction emitted (emit); Tx
	// writes them last. Shared with the transactions nested in it.
	pending *[]outboxRow
	// bus tells this process's outbox readers of commits with events.
	bus *eventBus
	// depth is how many transactions this one is nested in (0: the
	// outermost), which names its savepoint.
	depth int
	// group commits the writes queued for SQLite's writer together; nil
	// on PostgreSQL, where writers do not wait for one another.
	group *writeGroup
	// ver is the data version as this process's listener knows it
	// (PostgreSQL; nil on SQLite and in transactions).
	ver *versionWatch
	// transit keeps computed transit times until the next roll-up;
	// staleTransit lets this store answer the roll-up before's (Polled).
	transit      *transitMemo
	staleTransit bool
}

// Write is what the caller of a write says of it: who writes (audited as
// the actor), when, and the Idempotency-Key claim recorded in the same
// transaction. Nothing of it is read from the context.
type Write struct {
	Actor models.Actor
	// Now is the instant the write is made at; zero takes the store's clock.
	Now time.Time
	// Claim, when set, is recorded by the first transaction that carries it,
	// so that the key and the write commit together or not at all.
	Claim *IdemClaim
	// alone: never grouped with other writes (a bulk import, a roll-up):
	// see writeGroup.
	alone bool
}

// System is a write by banlie itself (a scheduled job, a migration step).
var System = Write{Actor: models.Actor{Name: "system"}}

// WriteBy is a write by actor now, under claim (nil for none).
func (s *Store) WriteBy(actor models.Actor, claim *IdemClaim) Write {
	return Write{Actor: actor, Now: s.now(), Claim: claim}
}

// Unclaimed is w without its Idempotency-Key claim: for writes that follow
// the request's own (a job run by hand).
func (w Write) Unclaimed() Write {
	w.Claim = nil
	return w
}

// leavesServedDataAlone marks the transaction as one that changes nothing
// an API read answers from.
func (s *Store) leavesServedDataAlone() { s.servedUnchanged = true }

// NewStore wraps an open, migrated database.
func NewStore(db *gorm.DB, loc *time.Location, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	st := &Store{db: db, Loc: loc, Now: now, bus: newEventBus(), transit: newTransitMemo()}
	if db.Dialector.Name() == "sqlite" {
		st.writeMu = &sync.Mutex{}
		st.group = &writeGroup{}
	} else {
		st.ver = &versionWatch{}
	}
	return st
}

// DB is the underlying handle, for wiring (migrations, health checks, closing).
func (s *Store) DB() *gorm.DB { return s.db }

// Tx runs fn in one transaction: everything fn writes is kept, or nothing.
// w says who writes and when, and carries the Idempotency-Key claim to
// record; a transaction inside another keeps the outer one's. On SQLite,
// writes that queue up for the single writer meanwhile are committed
// together (see group.go), each still all or nothing on its own.
func (s *Store) Tx(ctx context.Context, w Write, fn func(tx *Store) error) error {
	if s.inTx {
		return s.nested(fn)
	}
	if s.group != nil {
		return s.group.do(s, ctx, w, fn)
	}
	return s.txAlone(ctx, w, fn)
}

// txAlone runs fn in a transaction of its own.
func (s *Store) txAlone(ctx context.Context, w Write, fn func(tx *Store) error) error {
	if s.writeMu != nil {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	claimedHere := false
	var committed int64 // the data version this transaction commits (PostgreSQL)
	pending := &[]outboxRow{}
	err := s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
		tx := &Store{db: gtx, Loc: s.Loc, Now: s.Now, writeMu: s.writeMu, inTx: true, w: w, pending: pending, bus: s.bus}
		var err error
		if claimedHere, err = tx.claimIdempotencyKey(w.Claim); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		if !tx.servedUnchanged {
			// Last but the outbox, just before the commit: on PostgreSQL
			// this row's lock is the last one a write takes, so it cannot
			// close a cycle of waits; and as it is held to the commit, the
			// outbox rows written after it get their ids in commit order.
			var err error
			if committed, err = tx.raiseVersion(); err != nil {
				return err
			}
		}
		return tx.writePending()
	})
	if err == nil && committed > 0 && s.ver != nil {
		s.ver.see(committed, false, time.Now()) // this instance's readers see it at once
	}
	if err == nil && len(*pending) > 0 && s.bus != nil {
		s.bus.publish()
	}
	if err != nil && claimedHere {
		// The transaction rolled back, and with it the key it recorded.
		w.Claim.claimed = false
	}
	return err
}

// queryRow runs a one-row query straight on the connection or the
// transaction, past GORM's callbacks: for the lookups that every request
// makes (a token, a run's route), where those cost more than the query.
// Placeholders are written ? and numbered for PostgreSQL.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if ctx == nil {
		ctx = context.Background()
	}
	return s.db.Statement.ConnPool.QueryRowContext(ctx, s.dialectSQL(query), args...)
}

// exec is queryRow for a statement that answers no rows, in the store's
// transaction: the audit entry, the dirty-day mark and the data version
// that every write adds.
func (s *Store) exec(query string, args ...any) error {
	ctx := s.db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	_, err := s.db.Statement.ConnPool.ExecContext(ctx, s.dialectSQL(query), args...)
	return err
}

// insert runs an INSERT of one row in the store's transaction and answers
// the new row's id: through RETURNING id on PostgreSQL, through the
// connection's last insert rowid on SQLite, where RETURNING makes the
// statement one that may fail halfway (a trigger, in SQLite's terms), which
// then keeps a journal of every page it changes (seen: 47 µs an insert
// into runs with RETURNING, 29 µs without).
func (s *Store) insert(ctx context.Context, query string, args ...any) (int64, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if s.db.Dialector.Name() == "postgres" {
		var id int64
		err := s.db.Statement.ConnPool.QueryRowContext(ctx, s.dialectSQL(query+" RETURNING id"), args...).Scan(&id)
		return id, err
	}
	res, err := s.db.Statement.ConnPool.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// translate turns a driver's error into GORM's portable ones (a unique
// violation into gorm.ErrDuplicatedKey), as GORM does for its own calls.
func (s *Store) translate(err error) error {
	if t, ok := s.db.Dialector.(gorm.ErrorTranslator); ok && err != nil {
		return t.Translate(err)
	}
	return err
}

// dialectSQL numbers the ? placeholders of query for PostgreSQL ($1, $2, …).
func (s *Store) dialectSQL(query string) string {
	if s.db.Dialector.Name() != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DataVersion answers the number every committed write raises: equal
// numbers mean equal stored data. On PostgreSQL with ListenForWrites
// running it answers from memory while the listener is connected (a commit
// of another instance is seen when its notification arrives), reading the
// table when it is not and every few seconds in any case.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	if s.ver != nil {
		if v, ok := s.ver.known(time.Now()); ok {
			return v, nil
		}
	}
	var v int64
	err := s.queryRow(ctx, `SELECT v FROM data_version WHERE id = 1`).Scan(&v)
	if err == nil && s.ver != nil {
		s.ver.see(v, true, time.Now())
	}
	return v, err
}

// now is the write's instant when its caller gave one, the clock's otherwise.
func (s *Store) now() time.Time {
	if !s.w.Now.IsZero() {
		return s.w.Now.UTC().Truncate(time.Microsecond)
	}
	return s.Now().UTC().Truncate(time.Microsecond)
}

// storeErr turns storage errors into coded errors; anything unexpected stays
// internal (logged, never shown).
func storeErr(op string, err error, notFound, conflict string) error {
	var coded *models.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &coded):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound) && notFound != "":
		return &models.Error{Code: models.ENOTFOUND, Message: notFound}
	case errors.Is(err, gorm.ErrDuplicatedKey) && conflict != "":
		return &models.Error{Code: models.ECONFLICT, Message: conflict}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// foldKey is the case-insensitive key of a normalized value; ASCII-only
// folding, as SQLite's LOWER does.
func foldKey(s string) string {
	b := []byte(strings.Join(strings.Fields(s), " "))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// forUpdate locks the rows a read-modify-write transaction reads, on
// PostgreSQL (where concurrent transactions would otherwise both read the old
// values); SQLite transactions are serialised already.
func (s *Store) forUpdate(db *gorm.DB, table string) *gorm.DB {
	if s.db.Dialector.Name() != "postgres" {
		return db
	}
	return db.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: table}})
}

// nested runs fn in a savepoint of the caller's transaction: what fn wrote,
// and the events it emitted, are undone when it fails, and the rest of the
// transaction goes on. The savepoint is released either way, so that a
// long transaction (an import of thousands of lines, one nested write each)
// does not pile them up: SQLite's cost per statement grows with the
// savepoints open.
func (s *Store) nested(fn func(tx *Store) error) error {
	name := fmt.Sprintf("banlie_sp%d", s.depth+1)
	if err := s.exec("SAVEPOINT " + name); err != nil {
		return err
	}
	emitted := len(*s.pending)
	tx := &Store{db: s.db, Loc: s.Loc, Now: s.Now, writeMu: s.writeMu, inTx: true, w: s.w, pending: s.pending, bus: s.bus, depth: s.depth + 1}
	if err := fn(tx); err != nil {
		*s.pending = (*s.pending)[:emitted]
		if rerr := s.exec("ROLLBACK TO SAVEPOINT " + name); rerr != nil {
			return errors.Join(err, rerr)
		}
		if rerr := s.exec("RELEASE SAVEPOINT " + name); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return s.exec("RELEASE SAVEPOINT " + name)
}
