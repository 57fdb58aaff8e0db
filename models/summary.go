package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SummaryScope is the scope of a summary's train figures: China–Europe
// trains are the rail runs.
const SummaryScope = "rail"

// MonthFigures are one month's counted rail runs and their YoY change.
type MonthFigures struct {
	Runs               int64  `json:"runs"`
	Containers         int64  `json:"containers"`
	TEU                int64  `json:"teu"`
	RunsLastYear       int64  `json:"runs_last_year"`
	ContainersLastYear int64  `json:"containers_last_year"`
	TEULastYear        int64  `json:"teu_last_year"`
	YoYPct             Growth `json:"yoy_pct"`
}

// SeaRailFigures are sea-rail TEU for the month and the year to date.
type SeaRailFigures struct {
	Month              int64    `json:"month"`
	MonthLastYear      int64    `json:"month_last_year"`
	MonthYoYPct        *float64 `json:"month_yoy_pct"`
	YearToDate         int64    `json:"year_to_date"`
	YearToDateLastYear int64    `json:"year_to_date_last_year"`
	YearToDateYoYPct   *float64 `json:"year_to_date_yoy_pct"`
	// Ports whose counts these figures add up (January of last year to the
	// end of the month), by name; the texts name the port when there is one.
	Ports []string `json:"ports"`
}

// RouteRef names a route in a summary.
type RouteRef struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	NameZh   *string `json:"name_zh"`
	Mode     string  `json:"mode"`
	OpenedOn *string `json:"opened_on"`
	Runs     int64   `json:"runs"`
}

// MonthRuns is one point of the summary's chart.
type MonthRuns struct {
	Month        string `json:"month"`
	Runs         int64  `json:"runs"`
	RunsLastYear int64  `json:"runs_last_year"`
}

// SummaryFigures are every number a summary quotes. Each comes from the code
// that answers /totals and /targets/{id}/progress.
type SummaryFigures struct {
	Period        string         `json:"period"`
	Scope         Scope          `json:"scope"`
	Month         MonthFigures   `json:"month"`
	YearToDate    YearlyTotals   `json:"year_to_date"`
	SeaRail       SeaRailFigures `json:"sea_rail"`
	Targets       []Progress     `json:"targets"`
	RoutesOpened  []RouteRef     `json:"routes_opened"`
	BusiestRoutes []RouteRef     `json:"busiest_routes"`
	MonthlyRuns   []MonthRuns    `json:"monthly_runs"`
}

// Summary is a month's written summary.
type Summary struct {
	Period      string         `json:"period"`
	GeneratedAt time.Time      `json:"generated_at"`
	Figures     SummaryFigures `json:"figures"`
	TextZh      string         `json:"text_zh"`
	TextEn      string         `json:"text_en"`
}

// SummaryListItem is one entry of the summaries list.
type SummaryListItem struct {
	Period      string    `json:"period"`
	GeneratedAt time.Time `json:"generated_at"`
}

type summaryRow struct {
	Period      string `gorm:"primaryKey"`
	GeneratedAt time.Time
	Figures     string
	TextZh      string
	TextEn      string
	Hash        string
}

func (summaryRow) TableName() string { return "summaries" }

// ParsePeriod parses a summary period YYYY-MM.
func ParsePeriod(s string) (time.Time, error) {
	t, err := ParseMonth(s)
	if err != nil {
		return t, Errorf(ENOTFOUND, "no summary period %q: periods are months YYYY-MM", s)
	}
	return t, nil
}

// ComputeSummaryFigures gathers a month's figures through the totals and
// progress code.
func (s *Store) ComputeSummaryFigures(ctx context.Context, period time.Time) (SummaryFigures, error) {
	year, month := period.Year(), int(period.Month())
	mode := SummaryScope
	sc := Scope{Mode: &mode}
	f := SummaryFigures{Period: period.Format(monthLayout), Scope: sc, Targets: []Progress{}, RoutesOpened: []RouteRef{}, BusiestRoutes: []RouteRef{}}
	this, err := s.MonthlyTotals(ctx, year, sc)
	if err != nil {
		return f, err
	}
	last, err := s.MonthlyTotals(ctx, year-1, sc)
	if err != nil {
		return f, err
	}
	m, lm := this.Months[month-1], last.Months[month-1]
	f.Month = MonthFigures{Runs: m.Runs, Containers: m.Containers, TEU: m.TEU,
		RunsLastYear: lm.Runs, ContainersLastYear: lm.Containers, TEULastYear: lm.TEU,
		YoYPct: growth(Figures{Runs: m.Runs, Containers: m.Containers, TEU: m.TEU}, Figures{Runs: lm.Runs, Containers: lm.Containers, TEU: lm.TEU})}
	for i := 0; i < 12; i++ {
		f.MonthlyRuns = append(f.MonthlyRuns, MonthRuns{Month: this.Months[i].Month, Runs: this.Months[i].Runs, RunsLastYear: this.Months[i].RunsLastYear})
	}
	if f.YearToDate, err = s.YearlyTotals(ctx, year, month, sc); err != nil {
		return f, err
	}
	all, err := s.MonthlyTotals(ctx, year, Scope{})
	if err != nil {
		return f, err
	}
	allLast, err := s.MonthlyTotals(ctx, year-1, Scope{})
	if err != nil {
		return f, err
	}
	ytdAll, err := s.YearlyTotals(ctx, year, month, Scope{})
	if err != nil {
		return f, err
	}
	f.SeaRail = SeaRailFigures{Month: *all.Months[month-1].SeaRailTEU, MonthLastYear: *allLast.Months[month-1].SeaRailTEU,
		YearToDate: *ytdAll.SeaRailTEU, YearToDateLastYear: *ytdAll.SamePeriodLastYear.SeaRailTEU, YearToDateYoYPct: ytdAll.YoYPct.SeaRailTEU}
	f.SeaRail.MonthYoYPct = YoY(f.SeaRail.Month, f.SeaRail.MonthLastYear)
	if f.SeaRail.Ports, err = s.seaRailPorts(ctx, fmt.Sprintf("%04d-01-01", year-1), period.AddDate(0, 1, -1).Format(dayLayout)); err != nil {
		return f, err
	}

	lastDay := period.AddDate(0, 1, -1)
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
	if f.RoutesOpened, err = s.routesOpened(ctx, f.Period); err != nil {
		return f, err
	}
	if f.BusiestRoutes, err = s.busiestRoutes(ctx, f.Period, 3); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Store) routesOpened(ctx context.Context, month string) ([]RouteRef, error) {
	var rows []routeRow
	err := s.db.WithContext(ctx).Where("opened_on >= ? AND opened_on <= ?", month+"-01", month+"-31").Order("opened_on, code").Find(&rows).Error
	out := []RouteRef{}
	for _, r := range rows {
		out = append(out, RouteRef{Code: r.Code, Name: r.Name, NameZh: r.NameZh, Mode: r.Mode, OpenedOn: r.OpenedOn})
	}
	return out, err
}

// busiestRoutes reads the month's per-route roll-ups (the rows behind
// /totals/monthly?route=) and answers the n routes of the summary's mode
// with the most runs.
func (s *Store) busiestRoutes(ctx context.Context, month string, n int) ([]RouteRef, error) {
	var rows []rollupMonthlyRow
	if err := s.db.WithContext(ctx).Where("month = ? AND direction = ? AND scope LIKE ?", month, "", "route:%").Find(&rows).Error; err != nil {
		return nil, err
	}
	runs := map[string]int64{}
	for _, r := range rows {
		runs[strings.TrimPrefix(r.Scope, "route:")] = r.Runs
	}
	var routes []routeRow
	if err := s.db.WithContext(ctx).Where("mode = ?", SummaryScope).Find(&routes).Error; err != nil {
		return nil, err
	}
	out := []RouteRef{}
	for _, r := range routes {
		if k := runs[fmt.Sprint(r.ID)]; k > 0 {
			out = append(out, RouteRef{Code: r.Code, Name: r.Name, NameZh: r.NameZh, Mode: r.Mode, OpenedOn: r.OpenedOn, Runs: k})
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

// WriteSummary computes a month's summary and stores it. When the figures
// and texts are those already stored, nothing changes (not even
// generated_at) and changed is false.
// GenerateSummary writes a month's summary now, as asked for by a person
// (the generate endpoint, the summary command): the month must have ended,
// its year must have figures, and the roll-ups are brought up to date first.
func (s *Store) GenerateSummary(ctx context.Context, period time.Time) (Summary, error) {
	current := Month(s.Now(), s.Loc)
	if period.Format(monthLayout) >= current {
		return Summary{}, &Error{Code: EINVALID, Message: "the month has not ended yet",
			Fields: []FieldError{{Field: "period", Message: fmt.Sprintf("must be a month before %s", current)}}}
	}
	if _, err := s.Rollup(ctx, false); err != nil {
		return Summary{}, err
	}
	years, _, err := s.DataYears(ctx)
	if err != nil {
		return Summary{}, err
	}
	if !slices.Contains(years, period.Year()) {
		return Summary{}, &Error{Code: EINVALID, Message: "there are no figures for that year",
			Fields: []FieldError{{Field: "period", Message: fmt.Sprintf("%d has no runs or sea-rail counts", period.Year())}}}
	}
	sum, _, err := s.WriteSummary(ctx, period)
	return sum, err
}

func (s *Store) WriteSummary(ctx context.Context, period time.Time) (Summary, bool, error) {
	f, err := s.ComputeSummaryFigures(ctx, period)
	if err != nil {
		return Summary{}, false, fmt.Errorf("summary %s: %w", period.Format(monthLayout), err)
	}
	zh, en, err := s.SummaryTexts(ctx, f)
	if err != nil {
		return Summary{}, false, fmt.Errorf("summary %s: %w", f.Period, err)
	}
	fj, err := json.Marshal(f)
	if err != nil {
		return Summary{}, false, err
	}
	sum := sha256.Sum256([]byte(string(fj) + "\x00" + zh + "\x00" + en))
	hash := hex.EncodeToString(sum[:])
	changed := false
	var out summaryRow
	err = s.Tx(ctx, func(tx *Store) error {
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
			before = SummaryListItem{Period: out.Period, GeneratedAt: out.GeneratedAt}
		}
		out = summaryRow{Period: f.Period, GeneratedAt: s.now(), Figures: string(fj), TextZh: zh, TextEn: en, Hash: hash}
		if err := tx.db.Save(&out).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "summaries.write", "summary", f.Period, before, SummaryListItem{Period: out.Period, GeneratedAt: out.GeneratedAt})
	})
	if err != nil {
		return Summary{}, false, fmt.Errorf("summary %s: %w", f.Period, err)
	}
	res, err := out.toSummary(s.Loc)
	return res, changed, err
}

func (r summaryRow) toSummary(loc *time.Location) (Summary, error) {
	out := Summary{Period: r.Period, GeneratedAt: r.GeneratedAt.In(loc), TextZh: r.TextZh, TextEn: r.TextEn}
	if err := json.Unmarshal([]byte(r.Figures), &out.Figures); err != nil {
		return out, fmt.Errorf("summary %s: stored figures: %w", r.Period, err)
	}
	return out, nil
}

// GetSummary answers a stored summary.
func (s *Store) GetSummary(ctx context.Context, period string) (Summary, error) {
	if _, err := ParsePeriod(period); err != nil {
		return Summary{}, err
	}
	var row summaryRow
	err := s.db.WithContext(ctx).Take(&row, "period = ?", period).Error
	if err != nil {
		return Summary{}, storeErr("summaries.get", err, fmt.Sprintf("no summary for %s yet; it is written after the month ends, or on POST /api/v1/summaries/%s/generate", period, period), "")
	}
	return row.toSummary(s.Loc)
}

// ListSummaries answers the stored summaries, newest period first, a page at a time.
func (s *Store) ListSummaries(ctx context.Context, limit int, cursor string) (Page[SummaryListItem], error) {
	q := s.db.WithContext(ctx).Select("period, generated_at").Order("period DESC")
	if cursor != "" {
		var c struct {
			P string `json:"p"`
		}
		if err := decodeCursor("summaries", cursor, &c); err != nil || c.P == "" {
			return Page[SummaryListItem]{}, errBadCursor
		}
		q = q.Where("period < ?", c.P)
	}
	limit = normLimit(limit)
	var rows []summaryRow
	if err := q.Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[SummaryListItem]{}, fmt.Errorf("summaries.list: %w", err)
	}
	page := Page[SummaryListItem]{Items: make([]SummaryListItem, 0, len(rows))}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = encodeCursor("summaries", struct {
			P string `json:"p"`
		}{rows[limit-1].Period})
	}
	for _, r := range rows {
		page.Items = append(page.Items, SummaryListItem{Period: r.Period, GeneratedAt: r.GeneratedAt.In(s.Loc)})
	}
	return page, nil
}

// RecentSummaries answers the stored summaries with their texts, newest first.
func (s *Store) RecentSummaries(ctx context.Context, n int) ([]Summary, error) {
	var rows []summaryRow
	if err := s.db.WithContext(ctx).Order("period DESC").Limit(n).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("summaries.recent: %w", err)
	}
	out := make([]Summary, 0, len(rows))
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
func (s *Store) MonthsWithData(ctx context.Context, before string, n int) ([]string, error) {
	var months []string
	err := s.db.WithContext(ctx).Model(&rollupMonthlyRow{}).Distinct("month").
		Where("month < ? AND (runs > 0 OR teu > 0)", before).Order("month DESC").Limit(n).Pluck("month", &months).Error
	return months, err
}

// SummaryExists reports whether a period has a stored summary.
func (s *Store) SummaryExists(ctx context.Context, period string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&summaryRow{}).Where("period = ?", period).Count(&n).Error
	return n > 0, err
}

// seaRailPorts names the ports with sea-rail counts between two days, one
// name per port (the first spelling), in name order.
func (s *Store) seaRailPorts(ctx context.Context, from, to string) ([]string, error) {
	var rows []struct{ Port string }
	err := s.db.WithContext(ctx).Model(&seaRailRow{}).Select("MIN(port) AS port").
		Where("date >= ? AND date <= ?", from, to).Group("port_key").Order("1").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("summary.ports: %w", err)
	}
	ports := make([]string, 0, len(rows))
	for _, r := range rows {
		ports = append(ports, r.Port)
	}
	return ports, nil
}
