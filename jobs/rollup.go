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
		st, err := st.Rollup(ctx, false)
		if err == nil {
			reportRows(ctx, st.Days+st.Months)
		}
		if err == nil && (st.Days > 0 || st.Milestones > 0) {
			log.Info("roll-up", "days", st.Days, "months", st.Months, "full", st.Full, "milestones_changed", st.Milestones)
		}
		return err
	}}
}

// RebuildJob recomputes every roll-up from the raw rows and logs any drift it
// corrected: a non-zero drift means some write did not mark its days dirty.
func RebuildJob(st *store.Store, log *slog.Logger, spec string) Job {
	return Job{Name: NameRebuild, Spec: spec, Run: func(ctx context.Context, w store.Write) error {
		st, err := st.Rollup(ctx, true)
		if err != nil {
			return err
		}
		reportRows(ctx, st.Days+st.Months)
		if st.Drift > 0 {
			log.Warn("full rebuild corrected roll-up drift", "rows", st.Drift, "days", st.Days, "months", st.Months)
		} else {
			log.Info("full rebuild: no drift", "days", st.Days, "months", st.Months)
		}
		return nil
	}}
}
