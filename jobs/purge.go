package jobs

import (
	"context"
	"log/slog"

	"banlie/models"
)

// NamePurge is the job that deletes expired Idempotency-Key answers.
const NamePurge = "idempotency-purge"

// PurgeJob deletes Idempotency-Key answers older than models.IdempotencyRetention (24 h).
func PurgeJob(store *models.Store, log *slog.Logger, spec string) Job {
	return Job{Name: NamePurge, Spec: spec, Run: func(ctx context.Context) error {
		n, err := store.PurgeIdempotencyKeys(ctx)
		if n > 0 {
			log.Info("expired idempotency keys purged", "count", n)
		}
		return err
	}}
}
