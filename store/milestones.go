package store

import (
	"banlie/models"
	"context"
	"gorm.io/gorm"
	"time"
)

type milestoneRow struct {
	ID            int64 `gorm:"primaryKey"`
	TargetID      int64
	ReachedOn     string
	RunID         *int64
	RunNumber     *string
	RunRoute      *string
	RunDepartedAt *time.Time
	RecordedAt    time.Time
	WithdrawnAt   *time.Time
}

func (milestoneRow) TableName() string { return "milestones" }

// updateMilestones compares the progress of the targets which selects (as
// of today, or the year's end) with their recorded milestones: it records
// new ones and withdraws those a correction undid. It answers how many it
// changed.
func (s *Store) updateMilestones(ctx context.Context, now time.Time, which func(*gorm.DB) *gorm.DB) (int, error) {
	var targets []targetRow
	if err := s.db.Scopes(which).Where("year <= ?", now.In(s.Loc).Year()).Find(&targets).Error; err != nil {
		return 0, err
	}
	today := models.DayOf(now, s.Loc)
	changed := 0
	for _, tr := range targets {
		t := tr.toTarget(s.Loc)
		p, err := s.ProgressAsOf(ctx, t, today)
		if err != nil {
			return changed, err
		}
		var active []milestoneRow
		if err := s.db.Where("target_id = ? AND withdrawn_at IS NULL", t.ID).Find(&active).Error; err != nil {
			return changed, err
		}
		want := milestoneRow{TargetID: t.ID, RecordedAt: now}
		if p.Reached && p.ReachedOn != nil {
			want.ReachedOn = *p.ReachedOn
			if rb := p.ReachedBy; rb != nil {
				at := rb.DepartedAt.UTC()
				want.RunID, want.RunNumber, want.RunRoute, want.RunDepartedAt = &rb.ID, &rb.Number, &rb.Route, &at
			}
		}
		keep := false
		for _, m := range active {
			if p.Reached && sameMilestone(m, want) {
				keep = true
				continue
			}
			if err := s.db.Model(&milestoneRow{}).Where("id = ?", m.ID).Update("withdrawn_at", now).Error; err != nil {
				return changed, err
			}
			changed++
		}
		if p.Reached && p.ReachedOn != nil && !keep {
			if err := s.db.Create(&want).Error; err != nil {
				return changed, err
			}
			changed++
			// A target reached for the first time (not a correction of
			// the train that reached it) is news of its own.
			if len(active) == 0 {
				if err := s.emit(models.EventTargetReached, p); err != nil {
					return changed, err
				}
			}
			if err := s.emit(models.EventMilestoneReached, want.toMilestone(t.Label, s.Loc)); err != nil {
				return changed, err
			}
		}
	}
	return changed, nil
}

func sameMilestone(a, b milestoneRow) bool {
	if a.ReachedOn != b.ReachedOn || (a.RunID == nil) != (b.RunID == nil) {
		return false
	}
	return a.RunID == nil || (*a.RunID == *b.RunID && *a.RunNumber == *b.RunNumber && *a.RunRoute == *b.RunRoute && a.RunDepartedAt.Equal(*b.RunDepartedAt))
}

// Today is the current day in the reporting zone.
func (s *Store) Today() models.Day { return models.DayOf(s.Now(), s.Loc) }

// milestoneWithLabel is a milestone row with its target's label.
type milestoneWithLabel struct {
	Row   milestoneRow `gorm:"embedded"`
	Label string
}

// milestonePager pages milestones newest first.
var milestonePager = pager[milestoneWithLabel]{list: "milestones", desc: true,
	keys: []sortKey{{"i", "milestones.id", intKey}},
	of:   func(r milestoneWithLabel) []any { return []any{r.Row.ID} }}

// ListMilestones answers the recorded milestones of a year's targets (all
// years when year is nil), withdrawn ones included, newest first, a page at a time.
func (s *Store) ListMilestones(ctx context.Context, year *int, limit int, cursor string) (models.Page[models.Milestone], error) {
	q := s.db.WithContext(ctx).Table("milestones").
		Select("milestones.*, targets.label").Joins("JOIN targets ON targets.id = milestones.target_id")
	if year != nil {
		q = q.Where("targets.year = ?", *year)
	}
	rows, next, err := milestonePager.page(q, cursor, limit)
	if err != nil {
		return models.Page[models.Milestone]{}, err
	}
	page := models.Page[models.Milestone]{Items: make([]models.Milestone, 0, len(rows)), NextCursor: next}
	for _, x := range rows {
		page.Items = append(page.Items, x.Row.toMilestone(x.Label, s.Loc))
	}
	return page, nil
}

// toMilestone is a milestone as the API shows it.
func (r milestoneRow) toMilestone(label string, loc *time.Location) models.Milestone {
	m := models.Milestone{ID: r.ID, TargetID: r.TargetID, Label: label, ReachedOn: r.ReachedOn, RecordedAt: r.RecordedAt.In(loc)}
	if r.WithdrawnAt != nil {
		w := r.WithdrawnAt.In(loc)
		m.WithdrawnAt = &w
	}
	if r.RunID != nil {
		m.ReachedBy = &models.ReachedBy{ID: *r.RunID, Number: *r.RunNumber, Route: *r.RunRoute, DepartedAt: r.RunDepartedAt.In(loc)}
	}
	return m
}
