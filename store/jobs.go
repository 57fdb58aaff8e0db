package store

import (
	"banlie/models"
	"context"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"time"
)

type jobRunRow struct {
	ID          int64 `gorm:"primaryKey"`
	Name        string
	ScheduledAt *time.Time
	StartedAt   time.Time
	FinishedAt  *time.Time
	Status      string
	Error       *string
	Instance    string
	HeartbeatAt *time.Time
}

func (jobRunRow) TableName() string { return "job_runs" }

func (r jobRunRow) toJobRun(loc *time.Location) models.JobRun {
	out := models.JobRun{ID: r.ID, Name: r.Name, StartedAt: r.StartedAt.In(loc), Status: r.Status, Error: r.Error, Instance: r.Instance}
	if r.ScheduledAt != nil {
		t := r.ScheduledAt.In(loc)
		out.ScheduledAt = &t
	}
	if r.FinishedAt != nil {
		t := r.FinishedAt.In(loc)
		out.FinishedAt = &t
	}
	return out
}

// ClaimJobRun records that a job starts. For a scheduled tick (scheduledAt
// not nil) only one instance can claim it: the others get claimed == false.
func (s *Store) ClaimJobRun(ctx context.Context, w Write, name string, scheduledAt *time.Time, instance string) (models.JobRun, bool, error) {
	beat := time.Now().UTC()
	row := jobRunRow{Name: name, Status: models.JobRunning, Instance: instance, HeartbeatAt: &beat}
	if scheduledAt != nil {
		t := scheduledAt.UTC().Truncate(time.Microsecond)
		row.ScheduledAt = &t
	}
	err := s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		row.StartedAt = tx.now()
		if err := tx.db.Create(&row).Error; err != nil {
			return err
		}
		if scheduledAt != nil {
			return nil
		}
		// A run asked for by hand is a write someone did.
		return tx.audit(ctx, "jobs.run", "job", name, nil, map[string]any{"job_run_id": row.ID})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return models.JobRun{}, false, nil
	}
	if err != nil {
		return models.JobRun{}, false, fmt.Errorf("jobs.claim: %w", err)
	}
	return row.toJobRun(s.Loc), true, nil
}

// FinishJobRun records how a run ended.
func (s *Store) FinishJobRun(ctx context.Context, id int64, runErr error) (models.JobRun, error) {
	var out models.JobRun
	err := s.Tx(ctx, Write{}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		var row jobRunRow
		if err := tx.db.Take(&row, id).Error; err != nil {
			return storeErr("jobs.finish", err, fmt.Sprintf("no job run with id %d", id), "")
		}
		now := s.now()
		row.FinishedAt, row.Status, row.Error = &now, models.JobOK, nil
		if runErr != nil {
			msg := runErr.Error()
			row.Status, row.Error = models.JobFailed, &msg
		}
		out = row.toJobRun(s.Loc)
		return tx.db.Save(&row).Error
	})
	if err != nil {
		return out, fmt.Errorf("jobs.finish: %w", err)
	}
	return out, nil
}

// HeartbeatJobRuns renews the heartbeat of these running runs: a run whose
// heartbeat is older than the lease is taken for abandoned.
func (s *Store) HeartbeatJobRuns(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.Tx(ctx, Write{}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		return tx.db.Model(&jobRunRow{}).Where("id IN ? AND status = ?", ids, models.JobRunning).
			Update("heartbeat_at", time.Now().UTC()).Error
	})
	if err != nil {
		return fmt.Errorf("jobs.heartbeat: %w", err)
	}
	return nil
}

// AbandonJobRuns marks abandoned the runs left running but those in keep
// (the caller's own): with staleBefore nil, every one (no other process
// runs jobs on this database); otherwise those whose heartbeat is older
// than staleBefore. It answers the runs marked.
func (s *Store) AbandonJobRuns(ctx context.Context, keep []int64, staleBefore *time.Time) ([]models.JobRun, error) {
	var out []models.JobRun
	err := s.Tx(ctx, Write{}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		q := tx.db.Where("status = ?", models.JobRunning)
		if len(keep) > 0 {
			q = q.Where("id NOT IN ?", keep)
		}
		if staleBefore != nil {
			q = q.Where("COALESCE(heartbeat_at, started_at) < ?", staleBefore.UTC())
		}
		var rows []jobRunRow
		if err := q.Order("id").Find(&rows).Error; err != nil {
			return err
		}
		now := s.now()
		for _, r := range rows {
			msg := fmt.Sprintf("abandoned: instance %s stopped before the run ended", r.Instance)
			// Only if still running: its instance may have finished it meanwhile.
			res := tx.db.Model(&jobRunRow{}).Where("id = ? AND status = ?", r.ID, models.JobRunning).
				Updates(map[string]any{"status": models.JobAbandoned, "finished_at": now, "error": msg})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 1 {
				r.Status, r.FinishedAt, r.Error = models.JobAbandoned, &now, &msg
				out = append(out, r.toJobRun(s.Loc))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("jobs.abandon: %w", err)
	}
	return out, nil
}

// LastJobRun answers a job's newest recorded run, and false when it never ran.
func (s *Store) LastJobRun(ctx context.Context, name string) (models.JobRun, bool, error) {
	var row jobRunRow
	err := s.db.WithContext(ctx).Where("name = ?", name).Order("id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.JobRun{}, false, nil
	}
	if err != nil {
		return models.JobRun{}, false, fmt.Errorf("jobs.last: %w", err)
	}
	return row.toJobRun(s.Loc), true, nil
}

// GetJobRun answers one recorded run of a job.
func (s *Store) GetJobRun(ctx context.Context, name string, id int64) (models.JobRun, error) {
	var row jobRunRow
	err := s.db.WithContext(ctx).Where("id = ? AND name = ?", id, name).Take(&row).Error
	if err != nil {
		return models.JobRun{}, storeErr("jobs.run", err, fmt.Sprintf("job %s has no run with id %d", name, id), "")
	}
	return row.toJobRun(s.Loc), nil
}

// ListJobRuns answers a job's recorded runs, newest first, a page at a time.
func (s *Store) ListJobRuns(ctx context.Context, name string, limit int, cursor string) (models.Page[models.JobRun], error) {
	q := s.db.WithContext(ctx).Model(&jobRunRow{}).Where("name = ?", name)
	p := pager[jobRunRow]{list: "job_runs:" + name, desc: true, keys: []sortKey{{"i", "id", intKey}},
		of: func(r jobRunRow) []any { return []any{r.ID} }}
	rows, next, err := p.page(q, cursor, limit)
	if err != nil {
		return models.Page[models.JobRun]{}, storeErr("jobs.runs", err, "", "")
	}
	page := models.Page[models.JobRun]{Items: make([]models.JobRun, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, r.toJobRun(s.Loc))
	}
	return page, nil
}
