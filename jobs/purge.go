package jobs

import (
	"banlie/store"
	"context"
	"log/slog"
	"time"
)

// NamePurge is the job that deletes expired Idempotency-Key answers and
// outbox events.
const NamePurge = "idempotency-purge"

// OutboxRetention is how long the outbox keeps an event for streams to
// resume from.
const OutboxRetention = 24 * time.Hour

// PurgeJob deletes Idempotency-Key answers older than
// store.IdempotencyRetention (24 h) and outbox events older than
// OutboxRetention.
func PurgeJob(st *store.Store, log *slog.Logger, spec string) Job {
	return Job{Name: NamePurge, Spec: spec, Run: func(ctx context.Context, w store.Write) error {
		n, err := st.PurgeIdempotencyKeys(ctx)
		if n > 0 {
			log.Info("expired idempotency keys purged", "count", n)
		}
		if err != nil {
			return err
		}
		n, err = st.PurgeOutbox(ctx, st.Now().Add(-OutboxRetention))
		if n > 0 {
			log.Info("outbox events purged", "count", n)
		}
		return err
	}}
}
