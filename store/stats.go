package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// OptimizeAfterRows is how many rows an import writes before it refreshes
// the planner's statistics (Optimize) once it has committed.
const OptimizeAfterRows = 5000

// Optimize refreshes the statistics the database plans queries with, at
// start-up and after a bulk write: SQLite's PRAGMA optimize, bounded by
// analysis_limit so that it reads a sample of each index and stays quick
// on a large database, and PostgreSQL's ANALYZE (a sample of each table).
// Without them SQLite picks indexes by rules of thumb, which choose badly
// on tables of a million runs.
func (s *Store) Optimize(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	var stmts []string
	switch db.Dialector.Name() {
	case "sqlite":
		// 0x10002: analyse every table (not only those the connection
		// used), where it helps; analysis_limit reads at most that many
		// rows of each index.
		stmts = []string{`PRAGMA analysis_limit = 1000`, `PRAGMA optimize = 0x10002`}
		// It writes the statistics (sqlite_stat1): a write, in turn.
		if s.writeMu != nil && !s.inTx {
			s.writeMu.Lock()
			defer s.writeMu.Unlock()
		}
	case "postgres":
		stmts = []string{`ANALYZE`}
	}
	// One connection: analysis_limit is the connection's own.
	err := db.Connection(func(c *gorm.DB) error {
		for _, q := range stmts {
			if err := c.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	return nil
}
