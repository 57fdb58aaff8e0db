package models

import (
	"time"
)

// Milestone records when a target was first reached, and by which run.
// A later correction that undoes it withdraws it (WithdrawnAt set).
type Milestone struct {
	ID          int64      `json:"id"`
	TargetID    int64      `json:"target_id"`
	Label       string     `json:"label"`
	ReachedOn   string     `json:"reached_on"`
	ReachedBy   *ReachedBy `json:"reached_by"`
	RecordedAt  time.Time  `json:"recorded_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at"`
}
