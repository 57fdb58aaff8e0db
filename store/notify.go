package store

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/driver/postgres"
)

// On PostgreSQL every write transaction notifies dataChannel with the data
// version it commits (Tx), delivered on commit. A process that listens
// (ListenForWrites) keeps the version in memory, and DataVersion answers
// from it, without a round trip per kept answer, while the listening
// connection is up and has caught up; otherwise, and every
// versionRecheck in any case (a notification lost without the connection
// failing), it reads the table.
const (
	dataChannel    = "banlie_data"
	versionRecheck = 5 * time.Second
	// listenerName is the listening session's application_name, as
	// pg_stat_activity shows it.
	listenerName = "banlie-listener"
)

// versionWatch is what the listener knows of the data version.
type versionWatch struct {
	mu sync.Mutex
	// live: the listening connection is up and v was read after LISTEN,
	// so that every later commit raises it.
	live bool
	v    int64
	// checked is when v was last read from the table.
	checked time.Time
}

// known answers the version in memory when it may be used: live and read
// from the table less than versionRecheck ago. When the recheck is due it
// answers false, once, for the caller to read the table.
func (w *versionWatch) known(now time.Time) (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.live {
		return 0, false
	}
	if now.Sub(w.checked) >= versionRecheck {
		w.checked = now // this caller reads the table; the others go on
		return 0, false
	}
	return w.v, true
}

// see takes a version read or told: versions only grow, so the larger one
// is the newer.
func (w *versionWatch) see(v int64, read bool, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.v = max(w.v, v)
	if read {
		w.checked = now
	}
}

func (w *versionWatch) setLive(live bool, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.live = live
	if live {
		w.checked = now
	}
}

// Listening is what ListenForWrites tells its caller of (tests): the
// listener caught up (Live, at version V) or was told of a commit (V), or
// lost its connection (not Live).
type Listening struct {
	Live bool
	V    int64
}

// ListenForWrites keeps one connection listening for the commits of every
// instance on the same PostgreSQL database until ctx ends, so that
// DataVersion answers from memory; on a lost connection it reconnects
// (at once, then waiting up to 5 s between tries) and reads the version
// again. On SQLite it returns at once: the version is one cheap query
// there. seen, when not nil, is told of every change of what it knows, in
// order, from the listener's goroutine.
func (s *Store) ListenForWrites(ctx context.Context, log *slog.Logger, seen func(Listening)) {
	dial, ok := s.db.Dialector.(*postgres.Dialector)
	if !ok || s.ver == nil || dial.Config == nil || dial.DSN == "" {
		return
	}
	tell := func(l Listening) {
		if seen != nil {
			seen(l)
		}
	}
	wait := time.Duration(0)
	for ctx.Err() == nil {
		wasLive, err := s.listen(ctx, dial.DSN, tell)
		s.ver.setLive(false, time.Now())
		if ctx.Err() != nil {
			return
		}
		tell(Listening{})
		if wasLive {
			wait = 0 // a connection that served: try again at once
		}
		if log != nil {
			log.Warn("listening for writes: no connection; kept answers read the data version until it is back", "err", err, "retry_in", wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(max(2*wait, 100*time.Millisecond), 5*time.Second)
	}
}

// listen connects, listens, catches up and takes notifications until the
// connection fails or ctx ends; wasLive says whether it caught up.
func (s *Store) listen(ctx context.Context, dsn string, tell func(Listening)) (wasLive bool, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return wasLive, err
	}
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return wasLive, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+dataChannel); err != nil {
		return wasLive, err
	}
	// Read after LISTEN: every commit after this read is notified.
	var v int64
	if err := conn.QueryRow(ctx, `SELECT v FROM data_version WHERE id = 1`).Scan(&v); err != nil {
		return wasLive, err
	}
	now := time.Now()
	s.ver.see(v, true, now)
	s.ver.setLive(true, now)
	wasLive = true
	tell(Listening{Live: true, V: v})
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return wasLive, err
		}
		v, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			return true, errors.Join(errors.New("a notification that is no data version: "+n.Payload), err)
		}
		s.ver.see(v, false, time.Now())
		tell(Listening{Live: true, V: v})
	}
}

// raiseVersion raises the data version in the transaction, last but the
// outbox (Tx), and answers the version it commits. On PostgreSQL the same
// statement notifies the listeners of every instance, on commit.
func (s *Store) raiseVersion() (int64, error) {
	if s.db.Dialector.Name() != "postgres" {
		return 0, s.exec(`UPDATE data_version SET v = v + 1 WHERE id = 1`)
	}
	var v int64
	var void string
	err := s.queryRow(s.db.Statement.Context, `WITH u AS (UPDATE data_version SET v = v + 1 WHERE id = 1 RETURNING v)
		SELECT v, pg_notify('`+dataChannel+`', v::text)::text FROM u`).Scan(&v, &void)
	return v, err
}
