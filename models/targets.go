package models

import (
	"time"
)

// MaxTargetValue bounds a target: far above any year's figures, and small
// enough that no projection overflows.
const MaxTargetValue = 1_000_000_000_000

// Target metrics: runs counts on the 开行 basis (departures),
// arrivals_departures on the 到发 basis (outbound departures plus inbound
// arrivals).
var Metrics = []string{"runs", "containers", "teu", "sea_rail_teu", "arrivals_departures"}

// TargetScope is {} (everything), {"mode": ...} or {"route": ...}.
type TargetScope struct {
	Mode  *string `json:"mode"`
	Route *string `json:"route"`
}

// Target is a figure to reach in a year, such as 1,000 rail runs.
type Target struct {
	ID        int64       `json:"id"`
	Year      int         `json:"year"`
	Metric    string      `json:"metric"`
	Scope     TargetScope `json:"scope"`
	Value     int64       `json:"value"`
	Label     string      `json:"label"`
	CreatedAt time.Time   `json:"created_at"`
}

// TargetInput is a target as a client sends it.
type TargetInput struct {
	Year   int          `json:"year"`
	Metric string       `json:"metric"`
	Scope  *TargetScope `json:"scope"`
	Value  int64        `json:"value"`
	Label  string       `json:"label"`
}

// ReachedBy names the run that reached a runs target.
type ReachedBy struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"`
	Route      string    `json:"route"`
	DepartedAt time.Time `json:"departed_at"`
}

// Progress is the answer of /targets/{id}/progress.
type Progress struct {
	Target             Target     `json:"target"`
	AsOf               string     `json:"as_of"`
	Actual             int64      `json:"actual"`
	Pct                float64    `json:"pct"`
	Remaining          int64      `json:"remaining"`
	ProjectedYearEnd   int64      `json:"projected_year_end"`
	ProjectionMethod   string     `json:"projection_method"`
	ProjectedReachDate *string    `json:"projected_reach_date"`
	OnTrack            bool       `json:"on_track"`
	Reached            bool       `json:"reached"`
	ReachedOn          *string    `json:"reached_on"`
	ReachedBy          *ReachedBy `json:"reached_by"`
}
