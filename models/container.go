package models

import "time"

// A container (ISO 6346 box) is on a run from the run's departure until its
// arrival: a run that has arrived holds the containers it lists from
// departed_at up to arrived_at (at arrived_at itself they are free again),
// a planned or departed one from departed_at on, without end; a cancelled
// run holds none. Two runs that hold one container at the same time are a
// conflict.

// HoldsContainers reports whether a run of this status holds the
// containers it lists at all.
func HoldsContainers(status string) bool { return status != StatusCancelled }

// HoldUntil is the instant a run's containers are free again: its
// arrived_at once it has arrived, nil (never, as yet) before.
func HoldUntil(status string, arrivedAt *time.Time) *time.Time {
	if status == StatusArrived {
		return arrivedAt
	}
	return nil
}

// ContainerRun is a run that lists a container, as the container's lookup
// answers it: the train, where it goes, and how far it has got.
type ContainerRun struct {
	ID         int64      `json:"id"`
	Route      string     `json:"route"`
	Number     string     `json:"number"`
	Direction  string     `json:"direction"`
	DepartedAt time.Time  `json:"departed_at"`
	ArrivedAt  *time.Time `json:"arrived_at"`
	Status     string     `json:"status"`
	// LastEvent is the latest actual event of the run's journey (its own
	// departure or arrival included; estimates left out), nil before it
	// departs.
	LastEvent *Event `json:"last_event"`
}

// ContainerRuns is a container number, normalised, with a page of the runs
// that list it, newest departure first.
type ContainerRuns struct {
	Number     string         `json:"number"`
	Runs       []ContainerRun `json:"runs"`
	NextCursor *string        `json:"next_cursor"`
}
