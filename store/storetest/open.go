package storetest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"banlie/store"
)

// Backends a store test runs on.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Backends lists every backend, for a table of subtests.
var Backends = []string{SQLite, Postgres}

// Shanghai is the default reporting time zone.
var Shanghai = mustLoc("Asia/Shanghai")

// DefaultNow is the instant a test store's clock starts at, as in the HTTP
// suite: 2026-11-26T12:00:00+08:00.
var DefaultNow = time.Date(2026, 11, 26, 12, 0, 0, 0, Shanghai)

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Clock is a settable clock for a store's Now; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock answers a clock that says t until it is set or advanced.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now answers the clock's instant.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// MustOpen opens a migrated store on backend (SQLite or Postgres) in the
// Shanghai zone, with a clock at DefaultNow.
func MustOpen(t testing.TB, backend string) *store.Store {
	t.Helper()
	return MustOpenAt(t, backend, Shanghai, NewClock(DefaultNow))
}

// MustOpenAt opens a migrated store on backend in zone loc whose Now is
// clock's: SQLite on a new file in t.TempDir(), PostgreSQL on a scratch
// database that is dropped when the test ends. Without a PostgreSQL server
// the test is skipped, except under CI=true, where it fails.
func MustOpenAt(t testing.TB, backend string, loc *time.Location, clock *Clock) *store.Store {
	t.Helper()
	db, err := store.Open(NewDSN(t, backend), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the drop, so it runs before it.
	t.Cleanup(func() {
		if err := store.Close(db); err != nil {
			t.Errorf("closing the test database: %v", err)
		}
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := store.Migrate(context.Background(), db, log); err != nil {
		t.Fatal(err)
	}
	st := store.NewStore(db, loc, clock.Now)
	if _, err := st.EnsureReportingZone(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// NewDSN answers the DSN of a new, empty database on backend for one
// test, as MustOpenAt opens: a file in t.TempDir(), or a scratch PostgreSQL
// database dropped when the test ends (skipped without a server, except
// under CI=true).
func NewDSN(t testing.TB, backend string) string {
	t.Helper()
	switch backend {
	case SQLite:
		return filepath.Join(t.TempDir(), "banlie.db")
	case Postgres:
		return scratchPostgres(t)
	}
	t.Fatalf("storetest: unknown backend %q", backend)
	return ""
}

func scratchPostgres(t testing.TB) string {
	t.Helper()
	dsn, drop, err := CreateScratchDatabase(TestPostgresURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		t.Skipf("no PostgreSQL at %s: %v", TestPostgresURL(), err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("dropping the scratch database: %v", err)
		}
	})
	return dsn
}
