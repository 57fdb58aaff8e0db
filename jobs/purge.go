package jobs

import (
	"banlie/store"
	"context"
	"log/slog"
)

// NamePurge is the job that deletes expired Idempotency-Key answers.
const NamePurge = "idempotency-purge"

// PurgeJob deletes Idempotency-Key answers older than store.IdempotencyRetention (24 h).
func PurgeJob(st *store.Store, log *slog.Logger, spec string) Job {
	return Job{Name: NamePurge, Spec: spec, Run: func(ctx context.Context, w store.Write) error {
		n, err := st.PurgeIdempotencyKeys(ctx)
		if n > 0 {
			log.Info("expired idempotency keys purged", "count", n)
		}
		return err
	}}
}
