package store

import (
	"context"
	"log/slog"

	"gorm.io/gorm"
)

// MigrateTo brings db up to schema version v only, so that a test can
// store data as the schema before a step holds it and then take the step.
func MigrateTo(ctx context.Context, db *gorm.DB, log *slog.Logger, v int) (int, error) {
	return migrate(ctx, db, log, v)
}

// LineByLine is opt writing every line through CreateRun, as imports did
// before batches.
func LineByLine(opt ImportOptions) ImportOptions {
	opt.lineByLine = true
	return opt
}

// TransitRefreshed waits for the transit times being computed aside
// (Store.Polled) to be in.
func (s *Store) TransitRefreshed() { s.transit.done.Wait() }

// SetImportCacheKiB sets the page cache an import enlarges its connection's
// to (0: leave it), for the import benchmark to compare.
func SetImportCacheKiB(kib int64) { importCacheKiB = kib }
