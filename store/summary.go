package store

import (
	"banlie/models"
	"banlie/summary"
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
	Period           string `gorm:"primaryKey"`
	GeneratedAt      time.Time
	Revision         int
	FirstGeneratedAt *time.Time
	RevisedAt        *time.Time
	Figures          string
	TextZh           string
	TextEn           string
	Hash             string
}

func (summaryRow) TableName() string { return "summaries" }

// summaryRevisionRow is an earlier version of a summary.
type summaryRevisionRow struct {
	ID           int64 `gorm:"primaryKey"`
	Period       string
	Revision     int
	GeneratedAt  time.Time
	SupersededAt time.Time
	Figures      string
	TextZh       string
	TextEn       string
}

func (summaryRevisionRow) TableName() string { return "summary_revisions" }

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
	byCorridor := "corridor"
	if f.YearToDate, err = s.YearlyTotalsBy(ctx, year, month, sc, &byCorridor); err != nil {
		return f, err
	}
	// The corridors are figures of their own: year_to_date stays the
	// answer of /totals/yearly without a split.
	f.Corridors, f.YearToDate.ByCorridor, f.YearToDate.By = f.YearToDate.ByCorridor, nil, nil
	for dir, fig := range map[string]*models.Figures{models.DirOutbound: &f.Directions.Outbound, models.DirInbound: &f.Directions.Inbound} {
		ds := sc
		ds.Direction = &dir
		yt, err := s.YearlyTotals(ctx, year, month, ds)
		if err != nil {
			return f, err
		}
		*fig = yt.Figures
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
// generated_at) and changed is false. When the figures changed, the stored
// summary becomes an earlier revision (kept in summary_revisions, in the
// same transaction) and the new one, revision one more, says so in a last
// sentence. When only the wording changed (figures this code did not yet
// gather, new sentences), the texts are written again under the same
// revision: the data they state has not changed.
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
	// The hash covers the figures and the texts before any revision note,
	// so that a revised summary whose figures stay put is not written again.
	sum := sha256.Sum256([]byte(string(fj) + "\x00" + zh + "\x00" + en))
	hash := hex.EncodeToString(sum[:])
	changed := false
	var out summaryRow
	err = s.Tx(ctx, w, func(tx *Store) error {
		err := tx.forUpdate(tx.db, "summaries").Take(&out, "period = ?", f.Period).Error
		if err == nil && out.Hash == hash {
			return nil
		}
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		found := err == nil
		changed = true
		now := tx.now()
		var before any
		next := summaryRow{Period: f.Period, GeneratedAt: now, Revision: 1, FirstGeneratedAt: &now, Figures: string(fj), TextZh: zh, TextEn: en, Hash: hash}
		var rev *models.Revised
		revisedNow := false
		if found {
			before = out.listItem()
			next.Revision, next.FirstGeneratedAt, next.RevisedAt = out.Revision, out.firstGenerated(), out.RevisedAt
			revised, err := figuresChanged(out.Figures, string(fj))
			if err != nil {
				return fmt.Errorf("stored figures: %w", err)
			}
			if revised {
				old := summaryRevisionRow{Period: out.Period, Revision: out.Revision, GeneratedAt: out.GeneratedAt, SupersededAt: now,
					Figures: out.Figures, TextZh: out.TextZh, TextEn: out.TextEn}
				if err := tx.db.Create(&old).Error; err != nil {
					return err
				}
				runsBefore, err := monthRuns(out.Figures)
				if err != nil {
					return err
				}
				next.Revision, next.RevisedAt = out.Revision+1, &now
				revisedNow = true
				rev = &models.Revised{At: now, RunsBefore: runsBefore, RunsAfter: f.Month.Runs}
			} else if out.RevisedAt != nil {
				// The same revision in new words keeps its note.
				var prev summaryRevisionRow
				if err := tx.db.Take(&prev, "period = ? AND revision = ?", out.Period, out.Revision-1).Error; err != nil {
					return fmt.Errorf("revision %d: %w", out.Revision-1, err)
				}
				runsBefore, err := monthRuns(prev.Figures)
				if err != nil {
					return err
				}
				rev = &models.Revised{At: *out.RevisedAt, RunsBefore: runsBefore, RunsAfter: f.Month.Runs}
			}
		}
		if rev != nil {
			rev.At = rev.At.In(tx.Loc)
			nzh, nen, err := summary.RevisionNote(f.Period, *rev)
			if err != nil {
				return err
			}
			next.TextZh, next.TextEn = zh+"\n"+nzh, en+"\n"+nen
		}
		out = next
		if err := tx.db.Save(&out).Error; err != nil {
			return err
		}
		if !found || revisedNow {
			typ := models.EventSummaryPublished
			if found {
				typ = models.EventSummaryRevised
			}
			sum, err := out.toSummary(tx.Loc)
			if err != nil {
				return err
			}
			if err := tx.emit(typ, sum); err != nil {
				return err
			}
		}
		return tx.audit(ctx, "summaries.write", "summary", f.Period, before, out.listItem())
	})
	if err != nil {
		return models.Summary{}, false, fmt.Errorf("summary %s: %w", f.Period, err)
	}
	res, err := out.toSummary(s.Loc)
	return res, changed, err
}

func (r summaryRow) listItem() models.SummaryListItem {
	return models.SummaryListItem{Period: r.Period, GeneratedAt: r.GeneratedAt}
}

// firstGenerated is when revision 1 was written (generated_at for rows
// the migration could not tell it for).
func (r summaryRow) firstGenerated() *time.Time {
	if r.FirstGeneratedAt != nil {
		return r.FirstGeneratedAt
	}
	t := r.GeneratedAt
	return &t
}

// monthRuns reads the month's runs from stored figures.
func monthRuns(figures string) (int64, error) {
	var f struct {
		Month struct {
			Runs int64 `json:"runs"`
		} `json:"month"`
	}
	if err := json.Unmarshal([]byte(figures), &f); err != nil {
		return 0, fmt.Errorf("stored figures: %w", err)
	}
	return f.Month.Runs, nil
}

// figuresChanged tells whether the figures a summary was written with
// differ from new ones in any figure both have. A figure only one of them
// has is a change of what summaries quote, not of the data: the summaries
// written before it are not revised for it. An empty list and null are
// the same.
func figuresChanged(stored, fresh string) (bool, error) {
	var a, b any
	if err := json.Unmarshal([]byte(stored), &a); err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(fresh), &b); err != nil {
		return false, err
	}
	return !sameFigures(a, b), nil
}

func sameFigures(a, b any) bool {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, x := range av {
			if y, ok := bv[k]; ok && !sameFigures(x, y) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok {
			return len(av) == 0 && b == nil
		}
		if len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !sameFigures(av[i], bv[i]) {
				return false
			}
		}
		return true
	case nil:
		if bv, ok := b.([]any); ok {
			return len(bv) == 0
		}
		return b == nil
	}
	return a == b
}

func (r summaryRow) toSummary(loc *time.Location) (models.Summary, error) {
	out := models.Summary{Period: r.Period, GeneratedAt: r.GeneratedAt.In(loc), Revision: max(r.Revision, 1),
		FirstGeneratedAt: r.firstGenerated().In(loc), TextZh: r.TextZh, TextEn: r.TextEn}
	if r.RevisedAt != nil {
		t := r.RevisedAt.In(loc)
		out.RevisedAt = &t
	}
	if err := json.Unmarshal([]byte(r.Figures), &out.Figures); err != nil {
		return out, fmt.Errorf("summary %s: stored figures: %w", r.Period, err)
	}
	normalizeFigures(&out.Figures)
	return out, nil
}

// normalizeFigures gives figures stored before some were kept the empty
// lists a client expects.
func normalizeFigures(f *models.SummaryFigures) {
	for _, t := range []*models.TransitTimes{&f.Transit, &f.YearToDate.Transit} {
		if t.Routes == nil {
			t.Routes = []models.RouteTransit{}
		}
	}
	if f.Corridors == nil {
		f.Corridors = []models.CorridorFigures{}
	}
}

// SummaryRevisions answers a summary's earlier versions, newest first.
func (s *Store) SummaryRevisions(ctx context.Context, period string) (models.SummaryRevisions, error) {
	cur, err := s.GetSummary(ctx, period)
	if err != nil {
		return models.SummaryRevisions{}, err
	}
	var rows []summaryRevisionRow
	if err := s.db.WithContext(ctx).Where("period = ?", period).Order("revision DESC").Find(&rows).Error; err != nil {
		return models.SummaryRevisions{}, storeErr("summaries.revisions", err, "", "")
	}
	out := models.SummaryRevisions{Period: period, Revision: cur.Revision, Items: make([]models.SummaryRevision, 0, len(rows))}
	for _, r := range rows {
		it := models.SummaryRevision{Period: r.Period, Revision: r.Revision, GeneratedAt: r.GeneratedAt.In(s.Loc),
			SupersededAt: r.SupersededAt.In(s.Loc), TextZh: r.TextZh, TextEn: r.TextEn}
		if err := json.Unmarshal([]byte(r.Figures), &it.Figures); err != nil {
			return out, fmt.Errorf("summary %s revision %d: stored figures: %w", r.Period, r.Revision, err)
		}
		normalizeFigures(&it.Figures)
		out.Items = append(out.Items, it)
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

// SummaryMonths answers the months before `before` that have any figure
// in the roll-ups or a stored summary, newest first: the months the
// summary job keeps written.
func (s *Store) SummaryMonths(ctx context.Context, before models.Month) ([]models.Month, error) {
	var withData, written []string
	if err := s.db.WithContext(ctx).Model(&rollupMonthlyRow{}).Distinct("month").
		Where("month < ? AND (runs > 0 OR teu > 0)", before.String()).Pluck("month", &withData).Error; err != nil {
		return nil, fmt.Errorf("summary.months: %w", err)
	}
	if err := s.db.WithContext(ctx).Model(&summaryRow{}).Where("period < ?", before.String()).Pluck("period", &written).Error; err != nil {
		return nil, fmt.Errorf("summary.months: %w", err)
	}
	all := append(withData, written...)
	slices.Sort(all)
	all = slices.Compact(all)
	months := make([]models.Month, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		m, err := models.ParseMonth(all[i])
		if err != nil {
			return nil, fmt.Errorf("summary.months: stored month %q: %w", all[i], err)
		}
		months = append(months, m)
	}
	return months, nil
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
