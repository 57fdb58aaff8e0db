package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// OptimizeAfterRows is how many rows an import writes before it refreshes
// the planner's statistics (Optimize) once it has committed.
const OptimizeAfterRows = 5000

// Optimize refreshes what the query planner knows of the tables' sizes
// and values, after a bulk write or at start-up: PRAGMA optimize on
// SQLite (which analyzes the tables whose statistics are stale, a bounded
// sample of each), ANALYZE of the tables writes grow on PostgreSQL.
func (s *Store) Optimize(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	if s.db.Dialector.Name() == "postgres" {
		if err := db.Exec(`ANALYZE runs, run_containers, audit_log, outbox, rollup_dirty`).Error; err != nil {
			return fmt.Errorf("optimize: %w", err)
		}
		return nil
	}
	// It writes the statistics (sqlite_stat1): a write, in turn.
	if s.writeMu != nil && !s.inTx {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	// One connection: analysis_limit is a setting of the connection.
	err := db.Connection(func(c *gorm.DB) error {
		if err := c.Exec(`PRAGMA analysis_limit = 1000`).Error; err != nil {
			return err
		}
		return c.Exec(`PRAGMA optimize`).Error
	})
	if err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	return nil
}
