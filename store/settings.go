package store

import (
	"banlie/models"
	"context"
	"errors"
	"fmt"
	"gorm.io/gorm"
)

type settingRow struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

func (settingRow) TableName() string { return "settings" }

const settingZone = "reporting_time_zone"

// StoredReportingZone answers the reporting zone a database was last used
// with, or "" for a database that has none yet.
func StoredReportingZone(ctx context.Context, db *gorm.DB) (string, error) {
	var row settingRow
	err := db.WithContext(ctx).Take(&row, "key = ?", settingZone).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("settings.zone: %w", err)
	}
	return row.Value, nil
}

// EnsureReportingZone makes the stored reporting days agree with s.Loc. A
// database last used with another zone has every run's departure day
// recomputed, in one transaction; if that makes two runs collide under the
// duplicate rule, nothing changes and the error says so. It reports whether it
// recomputed anything.
func (s *Store) EnsureReportingZone(ctx context.Context) (bool, error) {
	changed := false
	err := s.Tx(ctx, System, func(tx *Store) error {
		var row settingRow
		err := tx.db.Take(&row, "key = ?", settingZone).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
		case err != nil:
			return err
		case row.Value == s.Loc.String():
			return tx.fillArrivalDays(false)
		default:
			changed = true
			var runs []runRow
			if err := tx.db.Select("id, departed_at").Find(&runs).Error; err != nil {
				return err
			}
			// Park every day on a unique value first, so that moving one run
			// never collides with another that has not moved yet.
			if err := tx.db.Exec(`UPDATE runs SET departed_day = 'tz-' || id`).Error; err != nil {
				return err
			}
			for _, r := range runs {
				if err := tx.db.Model(&runRow{}).Where("id = ?", r.ID).Update("departed_day", models.DayOf(r.DepartedAt, s.Loc).String()).Error; err != nil {
					if errors.Is(err, gorm.ErrDuplicatedKey) {
						return fmt.Errorf("changing the reporting time zone from %s to %s makes run %d a duplicate of another run on the same day; fix the runs or keep the old zone", row.Value, s.Loc, r.ID)
					}
					return err
				}
			}
		}
		if err := tx.fillArrivalDays(changed); err != nil {
			return err
		}
		if changed {
			// Every roll-up was bucketed in the old zone: the next roll-up
			// must recompute them all.
			if err := tx.db.Where("key = ?", settingWatermark).Delete(&settingRow{}).Error; err != nil {
				return err
			}
		}
		return tx.db.Save(&settingRow{Key: settingZone, Value: s.Loc.String()}).Error
	})
	return changed, err
}

// fillArrivalDays stores each arrival's day in the reporting zone: all of
// them (the zone changed), or those not filled yet (runs stored before
// arrived_day existed). A run whose arrival day is filled so is marked
// dirty, so that the next roll-up counts it toward 到发.
func (s *Store) fillArrivalDays(all bool) error {
	q := s.db.Select("id, arrived_at").Where("arrived_at IS NOT NULL")
	if !all {
		q = q.Where("arrived_day IS NULL")
	}
	var arrived []runRow
	if err := q.Find(&arrived).Error; err != nil {
		return err
	}
	days := make([]string, 0, len(arrived))
	for _, r := range arrived {
		d := models.DayOf(*r.ArrivedAt, s.Loc).String()
		if err := s.db.Model(&runRow{}).Where("id = ?", r.ID).Update("arrived_day", d).Error; err != nil {
			return err
		}
		days = append(days, d)
	}
	for len(days) > 0 {
		n := min(len(days), 500)
		if err := s.markDirty(days[:n]...); err != nil {
			return err
		}
		days = days[n:]
	}
	return nil
}
