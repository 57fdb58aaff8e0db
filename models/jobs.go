package models

import (
	"time"
)

// Job run statuses.
const (
	JobRunning = "running"
	JobOK      = "ok"
	JobFailed  = "failed"
	// JobAbandoned: the process running it died, or its instance stopped
	// renewing the run's heartbeat, before the run ended.
	JobAbandoned = "abandoned"
)

// JobRun is one recorded run of a scheduled job.
type JobRun struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	ScheduledAt *time.Time `json:"scheduled_at"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	Status      string     `json:"status"`
	Error       *string    `json:"error"`
	Instance    string     `json:"instance"`
}

// JobInfo is a job with its schedule, its last run and its next one.
type JobInfo struct {
	Name      string     `json:"name"`
	Schedule  string     `json:"schedule"`
	LastRun   *JobRun    `json:"last_run"`
	NextRunAt *time.Time `json:"next_run_at"`
}
