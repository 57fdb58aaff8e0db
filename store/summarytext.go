package store

import (
	"context"
	"fmt"

	"banlie/models"
	"banlie/summary"
)

// SummaryTexts writes the Chinese and English texts of a summary.
func (s *Store) SummaryTexts(ctx context.Context, f models.SummaryFigures) (zh, en string, err error) {
	facts, err := s.targetFacts(ctx, f)
	if err != nil {
		return "", "", err
	}
	return summary.Texts(f, facts)
}

// targetFacts gathers what the summary of f says of each target beyond its
// progress.
func (s *Store) targetFacts(ctx context.Context, f models.SummaryFigures) ([]models.TargetFacts, error) {
	out := make([]models.TargetFacts, 0, len(f.Targets))
	for _, p := range f.Targets {
		tf := models.TargetFacts{Progress: p}
		if p.ReachedBy != nil {
			r, err := s.GetRoute(ctx, p.ReachedBy.Route)
			if err == nil {
				tf.TrainRoute = models.RouteRef{Code: r.Code, Name: r.Name, NameZh: r.NameZh, Mode: r.Mode}
			} else {
				tf.TrainRoute = models.RouteRef{Code: p.ReachedBy.Route, Name: p.ReachedBy.Route}
			}
		}
		best, any, err := s.bestEarlierYear(ctx, p.Target)
		if err != nil {
			return nil, err
		}
		tf.BestEarlierYear, tf.EarlierData = best, any
		out = append(out, tf)
	}
	return out, nil
}

// bestEarlierYear answers the highest full-year figure of the target's
// metric and scope in the years before the target's, and whether any earlier
// year has data at all: "for the first time" needs both.
func (s *Store) bestEarlierYear(ctx context.Context, t models.Target) (int64, bool, error) {
	scope, _, ok, err := s.targetScope(ctx, t)
	if err != nil || !ok {
		return 0, false, err
	}
	var rows []rollupMonthlyRow
	if err := s.db.WithContext(ctx).Where("scope = ? AND direction = ? AND month < ?", scope, "", models.Year(t.Year).Month(1).String()).
		Find(&rows).Error; err != nil {
		return 0, false, err
	}
	perYear := map[models.Year]int64{}
	for _, r := range rows {
		m, err := models.ParseMonth(r.Month)
		if err != nil {
			return 0, false, fmt.Errorf("summary: stored month %q: %w", r.Month, err)
		}
		perYear[m.Year] += metricOf(rollupDailyRow{Runs: r.Runs, Containers: r.Containers, TEU: r.TEU, ArrivalsDepartures: r.ArrivalsDepartures}, t.Metric)
	}
	var best int64
	anyData := false
	for _, v := range perYear {
		if v > 0 {
			anyData = true
		}
		best = max(best, v)
	}
	return best, anyData, nil
}
