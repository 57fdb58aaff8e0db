package store

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

// Options tune how Open opens a database.
type Options struct {
	// Synchronous is SQLite's synchronous pragma (FULL or NORMAL); empty
	// means FULL.
	Synchronous string
}

// Open opens the database dsn names: a SQLite file path, or a postgres://
// URL. SQLite runs in WAL mode with foreign
// keys on and a busy timeout; every transaction begins IMMEDIATE, so a
// transaction that reads and then writes waits for the write lock up front
// instead of failing later with SQLITE_BUSY_SNAPSHOT.
//
// A postgres:// URL selects PostgreSQL instead, for several instances
// sharing one database.
func Open(dsn string, opts Options) (*gorm.DB, error) {
	if IsPostgres(dsn) {
		return openPostgres(dsn)
	}
	if opts.Synchronous == "" {
		opts.Synchronous = "FULL"
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", opts.Synchronous)
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	// Keep prepared statements per connection: most requests run the same
	// few statements, which SQLite would otherwise parse every time.
	q.Set("_stmt_cache_size", "64")
	// A file: URI, so that SQLite's own parser reads the path; only the
	// characters that URI syntax reserves are escaped.
	path := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(dsn)
	db, err := gorm.Open(sqlite.Open("file:"+path+"?"+q.Encode()), &gorm.Config{
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
		return nil, fmt.Errorf("open database %s: %w", DisplayDB(dsn), err)
	}
	return db, nil
}

// Close closes the pool, checkpointing the WAL into the main file.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ready reports whether the database answers and is at this binary's schema.
func Ready(ctx context.Context, db *gorm.DB) error {
	v, err := CurrentVersion(db.WithContext(ctx))
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
