package jobs

import (
	"context"
	"log/slog"

	"banlie/models"
	"banlie/store"
)

// NameSummary is the job that writes monthly summaries.
const NameSummary = "summary"

// SummaryJob brings the roll-ups up to date, then keeps the summary of
// every month that has ended (reporting zone) and has data, or has a
// summary, written: a missing one is written, one whose figures changed
// since (a correction, a month logged late) is written again as a new
// revision, the others are left as they are. Every such month is checked
// each run, however old: a month costs the few roll-up reads of its
// figures and a hash comparison, and ten years are 120 months.
func SummaryJob(st *store.Store, log *slog.Logger, spec string) Job {
	return Job{Name: NameSummary, Spec: spec, Run: func(ctx context.Context, w store.Write) error {
		if _, err := st.Rollup(ctx, false); err != nil {
			return err
		}
		months, err := st.SummaryMonths(ctx, models.MonthOf(st.Now(), st.Loc))
		if err != nil {
			return err
		}
		written := 0
		for _, m := range months {
			_, changed, err := st.WriteSummary(ctx, w, m)
			if err != nil {
				return err
			}
			if changed {
				written++
			}
		}
		if written > 0 {
			log.Info("summaries written", "count", written, "checked", len(months))
		}
		return nil
	}}
}
