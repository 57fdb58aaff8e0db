package store

import (
	"banlie/models"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"slices"
	"sort"
	"strings"
	"time"
)

type summaryRow struct {
	Period      string `gorm:"primaryKey"`
	GeneratedAt time.Time
	Figures     string
	TextZh      string
	TextEn      string
	Hash        string
}

func (summaryRow) TableName() string { return "summaries" }

// ComputeSummaryFigures gathers a month's figures through the totals and
// progress code.
func (s *Store) ComputeSummaryFigures(ctx context.Context, period models.Month) (models.SummaryFigures, error) {
	year, month := int(period.Year), int(period.Month)
	mode := models.SummaryScope
	sc := models.Scope{Mode: &mode}
	f := models.SummaryFigures{Period: period.String(), Scope: sc, Targets: []models.Progress{}, RoutesOpened: []models.RouteRef{}, BusiestRoutes: []models.RouteRef{}}
	this, err := s.MonthlyTotals(ctx, year, sc)
	if err != nil {
		return f, err
	}
	last, err := s.MonthlyTotals(ctx, year-1, sc)
	if err != nil {
		return f, err
	}
	m, lm := this.Months[month-1], last.Months[month-1]
	f.Month = models.MonthFigures{Runs: m.Runs, Containers: m.Containers, TEU: m.TEU,
		RunsLastYear: lm.Runs, ContainersLastYear: lm.Containers, TEULastYear: lm.TEU,
		YoYPct: growth(models.Figures{Runs: m.Runs, Containers: m.Containers, TEU: m.TEU}, models.Figures{Runs: lm.Runs, Containers: lm.Containers, TEU: lm.TEU})}
	for i := 0; i < 12; i++ {
		f.MonthlyRuns = append(f.MonthlyRuns, models.MonthRuns{Month: this.Months[i].Month, Runs: this.Months[i].Runs, RunsLastYear: this.Months[i].RunsLastYear})
	}
	if f.YearToDate, err = s.YearlyTotals(ctx, year, month, sc); err != nil {
		return f, err
	}
	all, err := s.MonthlyTotals(ctx, year, models.Scope{})
	if err != nil {
		return f, err
	}
	allLast, err := s.MonthlyTotals(ctx, year-1, models.Scope{})
	if err != nil {
		return f, err
	}
	ytdAll, err := s.YearlyTotals(ctx, year, month, models.Scope{})
	if err != nil {
		return f, err
	}
	f.SeaRail = models.SeaRailFigures{Month: *all.Months[month-1].SeaRailTEU, MonthLastYear: *allLast.Months[month-1].SeaRailTEU,
		YearToDate: *ytdAll.SeaRailTEU, YearToDateLastYear: *ytdAll.SamePeriodLastYear.SeaRailTEU, YearToDateYoYPct: ytdAll.YoYPct.SeaRailTEU}
	f.SeaRail.MonthYoYPct = models.YoY(f.SeaRail.Month, f.SeaRail.MonthLastYear)
	if f.SeaRail.Ports, err = s.seaRailPorts(ctx, (period.Year - 1).First().String(), period.End().String()); err != nil {
		return f, err
	}

	lastDay := period.End()
	targets, err := s.ListTargets(ctx, &year)
	if err != nil {
		return f, err
	}
	for _, t := range targets {
		p, err := s.ProgressAsOf(ctx, t, lastDay)
		if err != nil {
			return f, err
		}
		f.Targets = append(f.Targets, p)
	}
	if f.RoutesOpened, err = s.routesOpened(ctx, period); err != nil {
		return f, err
	}
	if f.BusiestRoutes, err = s.busiestRoutes(ctx, period, 3); err != nil {
		return f, err
	}
	if f.Transit, err = s.transitTimes(ctx, period.First(), period.End(), sc); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Store) routesOpened(ctx context.Context, month models.Month) ([]models.RouteRef, error) {
	var rows []routeRow
	err := s.db.WithContext(ctx).Where("opened_on >= ? AND opened_on <= ?", month.First().String(), month.End().String()).Order("opened_on, code").Find(&rows).Error
	out := []models.RouteRef{}
	for _, r := range rows {
		out = append(out, models.RouteRef{Code: r.Code, Name: r.Name, NameZh: r.NameZh, Mode: r.Mode, OpenedOn: r.OpenedOn})
	}
	return out, err
}

// busiestRoutes reads the month's per-route roll-ups (the rows behind
// /totals/monthly?route=) and answers the n routes of the summary's mode
// with the most runs.
func (s *Store) busiestRoutes(ctx context.Context, month models.Month, n int) ([]models.RouteRef, error) {
	var rows []rollupMonthlyRow
	if err := s.db.WithContext(ctx).Where("month = ? AND direction = ? AND scope LIKE ?", month.String(), "", "route:%").Find(&rows).Error; err != nil {
		return nil, err
	}
	runs := map[string]int64{}
	for _, r := range rows {
		runs[strings.TrimPrefix(r.Scope, "route:")] = r.Runs
	}
	var routes []routeRow
	if err := s.db.WithContext(ctx).Where("mode = ?", models.SummaryScope).Find(&routes).Error; err != nil {
		return nil, err
	}
	out := []models.RouteRef{}
	for _, r := range routes {
		if k := runs[fmt.Sprint(r.ID)]; k > 0 {
			out = append(out, models.RouteRef{Code: r.Code, Name: r.Name, NameZh: r.NameZh, Mode: r.Mode, OpenedOn: r.OpenedOn, Runs: k})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Runs != out[j].Runs {
			return out[i].Runs > out[j].Runs
		}
		return out[i].Code < out[j].Code
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// GenerateSummary writes a month's summary now, as asked for by a person
// (the generate endpoint, the summary command): the month must have ended,
// its year must have figures, and the roll-ups are brought up to date first.
func (s *Store) GenerateSummary(ctx context.Context, w Write, period models.Month) (models.Summary, error) {
	current := models.MonthOf(s.Now(), s.Loc)
	if !period.Before(current) {
		return models.Summary{}, &models.Error{Code: models.EINVALID, Message: "the month has not ended yet",
			Fields: []models.FieldError{models.NewFieldError("period", models.CodeOrder, models.Params{"before": current.String()}, "must be a month before %s", current)}}
	}
	if _, err := s.Rollup(ctx, false); err != nil {
		return models.Summary{}, err
	}
	years, _, err := s.DataYears(ctx)
	if err != nil {
		return models.Summary{}, err
	}
	if !slices.Contains(years, int(period.Year)) {
		return models.Summary{}, &models.Error{Code: models.EINVALID, Message: "there are no figures for that year",
			Fields: []models.FieldError{models.NewFieldError("period", models.CodeNoData, models.Params{"year": int(period.Year)}, "%d has no runs or sea-rail counts", period.Year)}}
	}
	sum, _, err := s.WriteSummary(ctx, w, period)
	return sum, err
}

// WriteSummary computes a month's summary and stores it. When the figures
// and texts are those already stored, nothing changes (not even
// generated_at) and changed is false.
func (s *Store) WriteSummary(ctx context.Context, w Write, period models.Month) (models.Summary, bool, error) {
	f, err := s.ComputeSummaryFigures(ctx, period)
	if err != nil {
		return models.Summary{}, false, fmt.Errorf("summary %s: %w", period, err)
	}
	zh, en, err := s.SummaryTexts(ctx, f)
	if err != nil {
		return models.Summary{}, false, fmt.Errorf("summary %s: %w", f.Period, err)
	}
	fj, err := json.Marshal(f)
	if err != nil {
		return models.Summary{}, false, err
	}
	sum := sha256.Sum256([]byte(string(fj) + "\x00" + zh + "\x00" + en))
	hash := hex.EncodeToString(sum[:])
	changed := false
	var out summaryRow
	err = s.Tx(ctx, w, func(tx *Store) error {
		err := tx.db.Take(&out, "period = ?", f.Period).Error
		if err == nil && out.Hash == hash {
			return nil
		}
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		changed = true
		var before any
		if err == nil {
			before = models.SummaryListItem{Period: out.Period, GeneratedAt: out.GeneratedAt}
		}
		out = summaryRow{Period: f.Period, GeneratedAt: tx.now(), Figures: string(fj), TextZh: zh, TextEn: en, Hash: hash}
		if err := tx.db.Save(&out).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "summaries.write", "summary", f.Period, before, models.SummaryListItem{Period: out.Period, GeneratedAt: out.GeneratedAt})
	})
	if err != nil {
		return models.Summary{}, false, fmt.Errorf("summary %s: %w", f.Period, err)
	}
	res, err := out.toSummary(s.Loc)
	return res, changed, err
}

func (r summaryRow) toSummary(loc *time.Location) (models.Summary, error) {
	out := models.Summary{Period: r.Period, GeneratedAt: r.GeneratedAt.In(loc), TextZh: r.TextZh, TextEn: r.TextEn}
	if err := json.Unmarshal([]byte(r.Figures), &out.Figures); err != nil {
		return out, fmt.Errorf("summary %s: stored figures: %w", r.Period, err)
	}
	// Summaries written before transit times were kept have none.
	for _, t := range []*models.TransitTimes{&out.Figures.Transit, &out.Figures.YearToDate.Transit} {
		if t.Routes == nil {
			t.Routes = []models.RouteTransit{}
		}
	}
	return out, nil
}

// GetSummary answers a stored summary.
func (s *Store) GetSummary(ctx context.Context, period string) (models.Summary, error) {
	if _, err := models.ParsePeriod(period); err != nil {
		return models.Summary{}, err
	}
	var row summaryRow
	err := s.db.WithContext(ctx).Take(&row, "period = ?", period).Error
	if err != nil {
		return models.Summary{}, storeErr("summaries.get", err, fmt.Sprintf("no summary for %s yet; it is written after the month ends, or on POST /api/v1/summaries/%s/generate", period, period), "")
	}
	return row.toSummary(s.Loc)
}

// summaryPager pages summaries newest period first.
var summaryPager = pager[summaryRow]{list: "summaries", desc: true,
	keys: []sortKey{{"p", "period", stringKey}},
	of:   func(r summaryRow) []any { return []any{r.Period} }}

// ListSummaries answers the stored summaries, newest period first, a page at a time.
func (s *Store) ListSummaries(ctx context.Context, limit int, cursor string) (models.Page[models.SummaryListItem], error) {
	q := s.db.WithContext(ctx).Model(&summaryRow{}).Select("period, generated_at")
	rows, next, err := summaryPager.page(q, cursor, limit)
	if err != nil {
		return models.Page[models.SummaryListItem]{}, storeErr("summaries.list", err, "", "")
	}
	page := models.Page[models.SummaryListItem]{Items: make([]models.SummaryListItem, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, models.SummaryListItem{Period: r.Period, GeneratedAt: r.GeneratedAt.In(s.Loc)})
	}
	return page, nil
}

// RecentSummaries answers the stored summaries with their texts, newest first.
func (s *Store) RecentSummaries(ctx context.Context, n int) ([]models.Summary, error) {
	var rows []summaryRow
	if err := s.db.WithContext(ctx).Order("period DESC").Limit(n).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("summaries.recent: %w", err)
	}
	out := make([]models.Summary, 0, len(rows))
	for _, r := range rows {
		sm, err := r.toSummary(s.Loc)
		if err != nil {
			return nil, err
		}
		out = append(out, sm)
	}
	return out, nil
}

// MonthsWithData answers the months before `before` (YYYY-MM) that have
// any figure in the roll-ups, newest first, at most n.
func (s *Store) MonthsWithData(ctx context.Context, before models.Month, n int) ([]models.Month, error) {
	var stored []string
	err := s.db.WithContext(ctx).Model(&rollupMonthlyRow{}).Distinct("month").
		Where("month < ? AND (runs > 0 OR teu > 0)", before.String()).Order("month DESC").Limit(n).Pluck("month", &stored).Error
	if err != nil {
		return nil, err
	}
	months := make([]models.Month, 0, len(stored))
	for _, ms := range stored {
		m, err := models.ParseMonth(ms)
		if err != nil {
			return nil, fmt.Errorf("summary.months: stored month %q: %w", ms, err)
		}
		months = append(months, m)
	}
	return months, nil
}

// SummaryExists reports whether a period has a stored summary.
func (s *Store) SummaryExists(ctx context.Context, period models.Month) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&summaryRow{}).Where("period = ?", period.String()).Count(&n).Error
	return n > 0, err
}

// seaRailPorts answers the ports with sea-rail counts between two days,
// with their names, in code order.
func (s *Store) seaRailPorts(ctx context.Context, from, to string) ([]models.PortRef, error) {
	ports := []models.PortRef{}
	err := s.db.WithContext(ctx).Raw(`SELECT p.code, p.name_en, p.name_zh FROM ports p
		WHERE p.code IN (SELECT port FROM sea_rail_counts WHERE date >= ? AND date <= ?) ORDER BY p.code`, from, to).Scan(&ports).Error
	if err != nil {
		return nil, fmt.Errorf("summary.ports: %w", err)
	}
	return ports, nil
}
