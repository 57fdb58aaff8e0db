package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// OpenDB opens the configured database. SQLite runs in WAL mode with foreign
// keys on and a busy timeout; every transaction begins IMMEDIATE, so a
// transaction that reads and then writes waits for the write lock up front
// instead of failing later with SQLITE_BUSY_SNAPSHOT.
//
// A postgres:// URL selects PostgreSQL instead, for several instances
// sharing one database.
func OpenDB(cfg Config) (*gorm.DB, error) {
	if IsPostgres(cfg.DB) {
		return openPostgres(cfg.DB)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", cfg.Synchronous)
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	// Keep prepared statements per connection: most requests run the same
	// few statements, which SQLite would otherwise parse every time.
	q.Set("_stmt_cache_size", "64")
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
		return nil, fmt.Errorf("open database %s: %w", DisplayDB(cfg.DB), err)
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

// IsPostgres reports whether a --db value names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// DisplayDB is a --db value fit for logs and messages: a PostgreSQL URL
// loses its password.
func DisplayDB(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

func openPostgres(dsn string) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		TranslateError: true,
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", redactDSN(err, dsn))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open database: %w", redactDSN(err, dsn))
	}
	return db, nil
}

// redactDSN keeps a password in the URL out of error messages.
func redactDSN(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "***"))
	}
	return err
}
