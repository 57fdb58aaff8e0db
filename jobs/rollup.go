package jobs

import (
	"banlie/store"
	"context"
	"log/slog"
)

// Names of the jobs.
const (
	NameRollup  = "rollup"
	NameRebuild = "rebuild"
)

// RollupJob recomputes the roll-ups of the days that writes marked dirty (and
// of runs whose departure time has passed), then records or withdraws milestones.
func RollupJob(st *store.Store, log *slog.Logger, spec string) Job {
	return Job{Name: NameRollup, Spec: spec, Run: func(ctx context.Context, w store.Write) error {
		stats, err := st.Rollup(ctx, false)
		if err != nil {
			return err
		}
		reportRows(ctx, stats.Days+stats.Months)
		if stats.Full {
			// Everything was recomputed (no watermark: a database filled
			// offline): the statistics the planner uses are refreshed.
			optimize(ctx, st, log)
		}
		if stats.Days > 0 || stats.Milestones > 0 {
			log.Info("roll-up", "days", stats.Days, "months", stats.Months, "full", stats.Full, "milestones_changed", stats.Milestones)
		}
		return nil
	}}
}

// RebuildJob recomputes every roll-up from the raw rows and logs any drift it
// corrected: a non-zero drift means some write did not mark its days dirty.
// It then refreshes the planner's statistics.
func RebuildJob(st *store.Store, log *slog.Logger, spec string) Job {
	return Job{Name: NameRebuild, Spec: spec, Run: func(ctx context.Context, w store.Write) error {
		stats, err := st.Rollup(ctx, true)
		if err != nil {
			return err
		}
		reportRows(ctx, stats.Days+stats.Months)
		if stats.Drift > 0 {
			log.Warn("full rebuild corrected roll-up drift", "rows", stats.Drift, "days", stats.Days, "months", stats.Months)
		} else {
			log.Info("full rebuild: no drift", "days", stats.Days, "months", stats.Months)
		}
		optimize(ctx, st, log)
		return nil
	}}
}

// optimize refreshes the planner's statistics; a failure is logged, the
// roll-up it follows stands.
func optimize(ctx context.Context, st *store.Store, log *slog.Logger) {
	if err := st.Optimize(ctx); err != nil {
		log.Error("planner statistics not refreshed", "err", err)
	}
}
