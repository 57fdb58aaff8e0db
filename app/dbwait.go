package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"gorm.io/gorm"
)

// openDBWait opens the database, and while it cannot be reached retries with
// exponential backoff (250 ms doubling up to 5 s) until cfg.DBWait has
// passed: a container platform starts the database and the service together.
// With no wait it tries once.
func openDBWait(ctx context.Context, cfg Config, log *slog.Logger) (*gorm.DB, error) {
	deadline := time.Now().Add(cfg.DBWait)
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		db, err := openDB(cfg)
		if err == nil {
			if attempt > 1 {
				log.Info("database reachable", "attempt", attempt)
			}
			return db, nil
		}
		left := time.Until(deadline)
		if cfg.DBWait <= 0 {
			return nil, err
		}
		if left <= 0 {
			return nil, fmt.Errorf("database not reachable after waiting %s (%d attempts, --db-wait): %w", cfg.DBWait, attempt, err)
		}
		wait := min(backoff, left)
		log.Warn("database not reachable yet; retrying", "attempt", attempt, "retry_in", wait.String(), "err", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the database: %w (last error: %v)", ctx.Err(), err)
		case <-t.C:
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// envDuration reads a duration's environment twin; a value that does not
// parse leaves the default.
func envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}
