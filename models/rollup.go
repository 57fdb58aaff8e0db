package models

import ()

// RollupStats says what a roll-up did.
type RollupStats struct {
	Full       bool `json:"full"`
	Days       int  `json:"days"`
	Months     int  `json:"months"`
	Drift      int  `json:"drift"` // rows a full rebuild found wrong
	Milestones int  `json:"milestones_changed"`
}
