package store

import (
	"banlie/models"
	"context"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"strings"
	"time"
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
			filled, err := tx.fillArrivalDays(false)
			if err == nil && !filled {
				tx.leavesServedDataAlone()
			}
			return err
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
		if _, err := tx.fillArrivalDays(changed); err != nil {
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
// dirty, so that the next roll-up counts it toward 到发. It is set-based
// (the database works the day out, with the zone's offsets over the
// arrivals' span), and when no day is missing it costs one index lookup.
// It reports whether it filled any.
func (s *Store) fillArrivalDays(all bool) (bool, error) {
	cond := "arrived_at IS NOT NULL"
	if !all {
		cond += " AND arrived_day IS NULL"
	}
	var first, last []struct{ ArrivedAt time.Time }
	if !all {
		// Through runs_arrival_day_missing, empty once filled.
		if err := s.db.Raw(`SELECT arrived_at FROM runs WHERE arrived_day IS NULL AND arrived_at IS NOT NULL LIMIT 1`).Scan(&first).Error; err != nil {
			return false, err
		}
		if len(first) == 0 {
			return false, nil
		}
	}
	// The span's ends: the column itself, not MIN() of it, so that
	// SQLite's driver reads a time and not text.
	if err := s.db.Raw(`SELECT arrived_at FROM runs WHERE ` + cond + ` ORDER BY arrived_at LIMIT 1`).Scan(&first).Error; err != nil {
		return false, err
	}
	if len(first) == 0 {
		return false, nil
	}
	if err := s.db.Raw(`SELECT arrived_at FROM runs WHERE ` + cond + ` ORDER BY arrived_at DESC LIMIT 1`).Scan(&last).Error; err != nil {
		return false, err
	}
	day, args := s.dayInZone("arrived_at", first[0].ArrivedAt, last[0].ArrivedAt)
	if err := s.db.Exec(`INSERT INTO rollup_dirty (day, gen, marked_at) SELECT d.day, 1, ? FROM (SELECT DISTINCT `+day+` AS day FROM runs WHERE `+cond+`) d
		WHERE true ON CONFLICT (day) DO UPDATE SET gen = rollup_dirty.gen + 1`, append([]any{time.Now().UTC()}, args...)...).Error; err != nil {
		return false, err
	}
	return true, s.db.Exec(`UPDATE runs SET arrived_day = `+day+` WHERE `+cond, args...).Error
}

// dayInZone is an SQL expression of the reporting day (YYYY-MM-DD in s.Loc)
// of the instant in col, for instants from first to last, with its
// arguments: the zone's UTC offset is constant between its transitions,
// so the expression shifts by the offset of the span the instant is in.
func (s *Store) dayInZone(col string, first, last time.Time) (string, []any) {
	shifted := func(offset int) string {
		if s.db.Dialector.Name() == "postgres" {
			return fmt.Sprintf("to_char((%s AT TIME ZONE 'UTC') + interval '%d seconds', 'YYYY-MM-DD')", col, offset)
		}
		return fmt.Sprintf("strftime('%%Y-%%m-%%d', %s, '%+d seconds')", col, offset)
	}
	var b strings.Builder
	var args []any
	b.WriteString("CASE")
	t := first.In(s.Loc)
	for {
		_, offset := t.Zone()
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(last) {
			if args == nil {
				return shifted(offset), nil
			}
			fmt.Fprintf(&b, " ELSE %s END", shifted(offset))
			return b.String(), args
		}
		fmt.Fprintf(&b, " WHEN %s < ? THEN %s", col, shifted(offset))
		args = append(args, end.UTC())
		t = end.In(s.Loc)
	}
}
