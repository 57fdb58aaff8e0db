package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// OpenDB opens the configured database. SQLite runs in WAL mode with foreign
// keys on and a busy timeout; every transaction begins IMMEDIATE, so a
// transaction that reads and then writes waits for the write lock up front
// instead of failing later with SQLITE_BUSY_SNAPSHOT.
func OpenDB(cfg Config) (*gorm.DB, error) {
	if strings.HasPrefix(cfg.DB, "postgres://") || strings.HasPrefix(cfg.DB, "postgresql://") {
		return nil, fmt.Errorf("open database: PostgreSQL is not supported by this version; use a SQLite file path")
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", cfg.Synchronous)
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	// A file: URI, so that SQLite's own parser reads the path; only the
	// characters that URI syntax reserves are escaped.
	path := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(cfg.DB)
	dsn := "file:" + path + "?" + q.Encode()
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		TranslateError: true,
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// Readers run concurrently in WAL mode; keeping connections open saves
	// re-running the connection pragmas on every request.
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(16)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open database %s: %w", cfg.DB, err)
	}
	return db, nil
}

// closeDB closes the pool, checkpointing the WAL into the main file.
func closeDB(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// ready reports whether the database answers and is at this binary's schema.
func ready(ctx context.Context, db *gorm.DB) error {
	v, err := currentVersion(db.WithContext(ctx))
	if err != nil {
		return err
	}
	if v != SchemaVersion() {
		return fmt.Errorf("schema version %d, want %d", v, SchemaVersion())
	}
	return nil
}
