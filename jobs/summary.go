package jobs

import (
	"context"
	"log/slog"

	"banlie/models"
	"banlie/store"
)

// NameSummary is the job that writes monthly summaries.
const NameSummary = "summary"

// SummaryMonths is how many months with data the summary job keeps written.
const SummaryMonths = 24

// SummaryJob brings the roll-ups up to date, then writes the summary of the
// last completed month (reporting zone) and any missing summary of the last
// 24 months that have data. Writing is idempotent: an unchanged summary is
// left as it is.
func SummaryJob(st *store.Store, log *slog.Logger, spec string) Job {
	return Job{Name: NameSummary, Spec: spec, Run: func(ctx context.Context, w store.Write) error {
		if _, err := st.Rollup(ctx, false); err != nil {
			return err
		}
		current := models.MonthOf(st.Now(), st.Loc)
		months, err := st.MonthsWithData(ctx, current, SummaryMonths)
		if err != nil {
			return err
		}
		lastDone := current.Add(-1)
		written := 0
		for _, m := range months {
			if m != lastDone {
				ok, err := st.SummaryExists(ctx, m)
				if err != nil {
					return err
				}
				if ok {
					continue
				}
			}
			_, changed, err := st.WriteSummary(ctx, w, m)
			if err != nil {
				return err
			}
			if changed {
				written++
			}
		}
		if written > 0 {
			log.Info("summaries written", "count", written)
		}
		return nil
	}}
}
