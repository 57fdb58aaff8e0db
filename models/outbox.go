package models

import (
	"encoding/json"
	"time"
)

// Outbox event types: what a committed change announces (webhooks, the
// live stream).
const (
	EventRunCreated        = "run.created"
	EventRunUpdated        = "run.updated"
	EventRunDeleted        = "run.deleted"
	EventRunEvent          = "run.event"
	EventRunEventRetracted = "run.event.retracted"
	EventSeaRailRecorded   = "searail.recorded"
	EventSeaRailDeleted    = "searail.deleted"
	EventTargetReached     = "target.reached"
	EventMilestoneReached  = "milestone.reached"
	EventSummaryPublished  = "summary.published"
	EventSummaryRevised    = "summary.revised"
	// EventTotalsUpdated: a roll-up changed the totals of these months
	// (what /totals and /targets/{id}/progress answer).
	EventTotalsUpdated = "totals.updated"
)

// OutboxEventTypes lists them, in a stable order.
var OutboxEventTypes = []string{EventRunCreated, EventRunUpdated, EventRunDeleted, EventRunEvent, EventRunEventRetracted,
	EventSeaRailRecorded, EventSeaRailDeleted, EventTargetReached, EventMilestoneReached, EventSummaryPublished, EventSummaryRevised, EventTotalsUpdated}

// OutboxEvent is one committed change as it is announced: its id grows with
// every commit, Data is the object as the API shows it.
type OutboxEvent struct {
	ID   int64           `json:"id"`
	Type string          `json:"type"`
	At   time.Time       `json:"timestamp"`
	Data json.RawMessage `json:"data"`
}
