package app

import (
	"banlie/store/storetest"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"banlie/store"
)

// store.Unavailable reads real driver errors: the failures of a database
// that cannot serve now, and not those of a bad statement.
func TestUnavailableClassifiesRealSQLiteErrors(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // the pragmas below hold per connection
	must := func(sql string) {
		t.Helper()
		if err := db.Exec(sql).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	must(`CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)`)
	var pages int
	db.Raw(`PRAGMA page_count`).Scan(&pages)
	must(`PRAGMA max_page_count = ` + strconv.Itoa(pages+2))
	var full error
	for i := 0; i < 100 && full == nil; i++ {
		full = db.Exec(`INSERT INTO t (b) VALUES (randomblob(8192))`).Error
	}
	if reason, ok := store.Unavailable(full); !ok || reason != "the database is full" {
		t.Fatalf("a full database (%v): %q %v", full, reason, ok)
	}
	must(`PRAGMA max_page_count = 1000000`)
	must(`PRAGMA query_only = ON`)
	ro := db.Exec(`INSERT INTO t (b) VALUES (x'00')`).Error
	if reason, ok := store.Unavailable(ro); !ok || reason != "the database is read-only" {
		t.Fatalf("a read-only database (%v): %q %v", ro, reason, ok)
	}
	must(`PRAGMA query_only = OFF`)
	for _, bad := range []string{`SELEC 1`, `INSERT INTO t (id) VALUES (1), (1)`, `SELECT * FROM missing`} {
		if err := db.Exec(bad).Error; err == nil || store.IsUnavailable(err) {
			t.Errorf("%s: %v taken for an unavailable database", bad, err)
		}
	}
}

func TestUnavailableClassifiesRealPostgresErrors(t *testing.T) {
	admin, err := store.Open(storetest.TestPostgresURL(), store.Options{})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		t.Skipf("no PostgreSQL at %s: %v", storetest.TestPostgresURL(), err)
	}
	defer store.Close(admin)

	// Nothing listens on port 1: connection refused.
	u, _ := url.Parse(storetest.TestPostgresURL())
	u.Host = "127.0.0.1:1"
	_, refused := store.Open(u.String(), store.Options{})
	if reason, ok := store.Unavailable(refused); !ok || reason != "the database is unreachable" {
		t.Fatalf("connection refused (%v): %q %v", refused, reason, ok)
	}

	// A role allowed no connections: too many connections.
	buf := make([]byte, 4)
	rand.Read(buf)
	role := "banlie_t_" + hex.EncodeToString(buf)
	if err := admin.Exec(`CREATE ROLE ` + role + ` LOGIN CONNECTION LIMIT 0`).Error; err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(`DROP ROLE IF EXISTS ` + role)
	u, _ = url.Parse(storetest.TestPostgresURL())
	u.User = url.User(role)
	_, limited := store.Open(u.String(), store.Options{})
	if reason, ok := store.Unavailable(limited); !ok || reason != "the database has no free connections" {
		t.Fatalf("connection limit (%v): %q %v", limited, reason, ok)
	}

	// A session ended by the administrator.
	sqlDB, _ := admin.DB()
	ctx := context.Background()
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if err := admin.Exec(`SELECT pg_terminate_backend(?)`, pid).Error; err != nil {
		t.Fatal(err)
	}
	_, ended := conn.ExecContext(ctx, `SELECT 1`)
	if !store.IsUnavailable(ended) {
		t.Fatalf("a terminated session (%v) not taken for an unavailable database", ended)
	}
	if err := admin.Exec(`SELEC 1`).Error; err == nil || store.IsUnavailable(err) {
		t.Errorf("a syntax error (%v) taken for an unavailable database", err)
	}
}
