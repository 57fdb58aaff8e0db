package models

import (
	"time"
)

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
	// end of the month), in code order; the texts name the port when there
	// is one.
	Ports []PortRef `json:"ports"`
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
	Period     string       `json:"period"`
	Scope      Scope        `json:"scope"`
	Month      MonthFigures `json:"month"`
	YearToDate YearlyTotals `json:"year_to_date"`
	// Corridors are January to the month of each corridor's rail runs,
	// this year and last, in the order of Corridors (/totals/yearly?by=corridor).
	Corridors []CorridorFigures `json:"corridors"`
	// Directions are January to the month of the outbound and the inbound
	// (return) runs: the releases' 去程 and 回程.
	Directions    DirectionFigures `json:"directions"`
	SeaRail       SeaRailFigures   `json:"sea_rail"`
	Targets       []Progress       `json:"targets"`
	RoutesOpened  []RouteRef       `json:"routes_opened"`
	BusiestRoutes []RouteRef       `json:"busiest_routes"`
	MonthlyRuns   []MonthRuns      `json:"monthly_runs"`
	// Transit is the median transit time of the trains that arrived in
	// the month.
	Transit TransitTimes `json:"transit"`
}

// DirectionFigures are a period's figures of each direction.
type DirectionFigures struct {
	Outbound Figures `json:"outbound"`
	Inbound  Figures `json:"inbound"`
}

// Summary is a month's written summary.
type Summary struct {
	Period string `json:"period"`
	// GeneratedAt is when the texts were last written: a new revision, or
	// a new wording of the same figures.
	GeneratedAt time.Time `json:"generated_at"`
	// Revision counts the versions of the figures: 1, and one more each
	// time the month's figures changed after its summary was written.
	Revision int `json:"revision"`
	// FirstGeneratedAt is when revision 1 was written.
	FirstGeneratedAt time.Time `json:"first_generated_at"`
	// RevisedAt is when the current revision was written; nil for revision 1.
	RevisedAt *time.Time     `json:"revised_at"`
	Figures   SummaryFigures `json:"figures"`
	TextZh    string         `json:"text_zh"`
	TextEn    string         `json:"text_en"`
}

// SummaryRevision is an earlier version of a summary, as it was until
// SupersededAt.
type SummaryRevision struct {
	Period       string         `json:"period"`
	Revision     int            `json:"revision"`
	GeneratedAt  time.Time      `json:"generated_at"`
	SupersededAt time.Time      `json:"superseded_at"`
	Figures      SummaryFigures `json:"figures"`
	TextZh       string         `json:"text_zh"`
	TextEn       string         `json:"text_en"`
}

// SummaryRevisions are a summary's earlier versions, newest first.
type SummaryRevisions struct {
	Period   string            `json:"period"`
	Revision int               `json:"revision"`
	Items    []SummaryRevision `json:"items"`
}

// Revised is what a revised summary says of its revision: when, and the
// month's runs before and after.
type Revised struct {
	At                    time.Time
	RunsBefore, RunsAfter int64
}

// SummaryScope is the scope of a summary's train figures: China–Europe
// trains, which the hub's releases count, are its rail runs.
const SummaryScope = "rail"

// SummaryListItem is one entry of the summaries list.
type SummaryListItem struct {
	Period      string    `json:"period"`
	GeneratedAt time.Time `json:"generated_at"`
}

// ParsePeriod parses a summary period YYYY-MM.
func ParsePeriod(s string) (Month, error) {
	t, err := ParseMonth(s)
	if err != nil {
		return t, Errorf(ENOTFOUND, "no summary period %q: periods are months YYYY-MM", s)
	}
	return t, nil
}

// TargetFacts is what a summary says of one target beside its progress:
// the route of the train that reached it, and the best full year before the
// target's (for "for the first time").
type TargetFacts struct {
	Progress   Progress
	TrainRoute RouteRef
	// BestEarlierYear is the highest full-year figure of the target's metric
	// and scope before its year; EarlierData tells whether any earlier year
	// has data at all.
	BestEarlierYear int64
	EarlierData     bool
}
