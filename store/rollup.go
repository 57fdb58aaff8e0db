package store

import (
	"banlie/models"
	"context"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"sort"
	"strconv"
	"time"
)

const (
	scopeAll     = "all"
	scopeSeaRail = "sea_rail"
)

func scopeMode(mode string) string { return "mode:" + mode }

func scopeCorridor(c string) string { return "corridor:" + c }

func scopeRoute(routeID int64) string { return "route:" + strconv.FormatInt(routeID, 10) }

type rollupDailyRow struct {
	Scope      string `gorm:"primaryKey"`
	Direction  string `gorm:"primaryKey"`
	Day        string `gorm:"primaryKey"`
	Runs       int64
	Containers int64
	TEU        int64 `gorm:"column:teu"`
	// EmptyContainers are the empty boxes among Containers.
	EmptyContainers int64
	// ArrivalsDepartures (到发): on a row of direction outbound, the runs
	// that departed on the day (Runs); inbound, the runs that arrived on
	// it; direction '', the sum of both.
	ArrivalsDepartures int64
}

func (rollupDailyRow) TableName() string { return "rollup_daily" }

type rollupMonthlyRow struct {
	Scope              string `gorm:"primaryKey"`
	Direction          string `gorm:"primaryKey"`
	Month              string `gorm:"primaryKey"`
	Runs               int64
	Containers         int64
	TEU                int64 `gorm:"column:teu"`
	EmptyContainers    int64
	ArrivalsDepartures int64
}

func (rollupMonthlyRow) TableName() string { return "rollup_monthly" }

type dirtyRow struct {
	Day string `gorm:"primaryKey"`
	Gen int64
}

func (dirtyRow) TableName() string { return "rollup_dirty" }

const settingWatermark = "rollup_watermark"

// RollupLag answers how long the oldest change not yet rolled up has waited
// (wall-clock time), or 0 when every change is rolled up.
func (s *Store) RollupLag(ctx context.Context) (time.Duration, error) {
	// The column itself, not MIN() of it, so that SQLite's driver reads
	// a time and not text.
	var rows []struct{ MarkedAt time.Time }
	if err := s.db.WithContext(ctx).Raw(`SELECT marked_at FROM rollup_dirty WHERE marked_at IS NOT NULL ORDER BY marked_at LIMIT 1`).Scan(&rows).Error; err != nil {
		return 0, fmt.Errorf("rollup.lag: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return max(time.Since(rows[0].MarkedAt), 0), nil
}

// markDirty records, inside the caller's transaction, that the figures of
// these days (YYYY-MM-DD, reporting time zone) must be recomputed.
func (s *Store) markDirty(days ...string) error {
	seen := map[string]bool{}
	for _, d := range days {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		// Upsert syntax shared by SQLite and PostgreSQL.
		// marked_at keeps the first mark: the roll-up lag is its age.
		if err := s.exec(`INSERT INTO rollup_dirty (day, gen, marked_at) VALUES (?, 1, ?) ON CONFLICT (day) DO UPDATE SET gen = rollup_dirty.gen + 1`, d, time.Now().UTC()); err != nil {
			return err
		}
	}
	return nil
}

// markRouteDirty marks every day on which a route has runs depart or arrive
// (its mode or corridor changed).
func (s *Store) markRouteDirty(routeID int64) error {
	var days, arrived []string
	if err := s.db.Model(&runRow{}).Distinct("departed_day").Where("route_id = ?", routeID).Pluck("departed_day", &days).Error; err != nil {
		return err
	}
	if err := s.db.Model(&runRow{}).Distinct("arrived_day").Where("route_id = ? AND arrived_day IS NOT NULL", routeID).Pluck("arrived_day", &arrived).Error; err != nil {
		return err
	}
	days = append(days, arrived...)
	for len(days) > 0 {
		n := min(len(days), 500)
		if err := s.markDirty(days[:n]...); err != nil {
			return err
		}
		days = days[n:]
	}
	return nil
}

// Rollup brings the roll-up tables up to date: the days marked dirty, and the
// days on which runs have become counted because their departure time has
// passed since the last roll-up. With full, it recomputes everything and
// counts the rows that were wrong (drift). It then records or withdraws
// milestones.
func (s *Store) Rollup(ctx context.Context, full bool) (models.RollupStats, error) {
	st := models.RollupStats{Full: full}
	err := s.Tx(ctx, Write{}, func(tx *Store) error {
		// One roll-up at a time across instances sharing a PostgreSQL
		// database (SQLite writers are serialised already).
		if tx.db.Dialector.Name() == "postgres" {
			if err := tx.db.Exec(`SELECT pg_advisory_xact_lock(7262)`).Error; err != nil {
				return err
			}
		}
		now := s.now()
		var wm settingRow
		err := tx.db.Take(&wm, "key = ?", settingWatermark).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			st.Full, full = true, true
		case err != nil:
			return err
		}
		var days []string
		gens := map[string]int64{}
		if full {
			var err error
			if days, err = tx.allFigureDays(); err != nil {
				return err
			}
			// The marks seen now are covered by the rebuild; a mark made
			// after this point (a write committing meanwhile) is kept.
			var dirty []dirtyRow
			if err := tx.db.Find(&dirty).Error; err != nil {
				return err
			}
			for _, d := range dirty {
				gens[d.Day] = d.Gen
			}
		} else {
			last, err := time.Parse(time.RFC3339Nano, wm.Value)
			if err != nil {
				return fmt.Errorf("rollup watermark %q: %w", wm.Value, err)
			}
			// Runs whose departure time passed since the last roll-up now
			// count, and arrivals that passed count toward 到发.
			var passed, arrived []string
			if err := tx.db.Model(&runRow{}).Distinct("departed_day").
				Where("runs.departed_at > ?", last).Scopes(counted("runs", now)).
				Pluck("departed_day", &passed).Error; err != nil {
				return err
			}
			if err := tx.db.Model(&runRow{}).Distinct("arrived_day").
				Where("runs.arrived_at > ? AND runs.arrived_at <= ? AND runs.status = ? AND runs.arrived_day IS NOT NULL", last, now, models.StatusArrived).
				Pluck("arrived_day", &arrived).Error; err != nil {
				return err
			}
			passed = append(passed, arrived...)
			var dirty []dirtyRow
			if err := tx.db.Find(&dirty).Error; err != nil {
				return err
			}
			set := map[string]bool{}
			for _, d := range dirty {
				gens[d.Day] = d.Gen
				set[d.Day] = true
			}
			for _, d := range passed {
				set[d] = true
			}
			for d := range set {
				days = append(days, d)
			}
		}
		sort.Strings(days)
		months := map[string]bool{}
		for len(days) > 0 {
			n := min(len(days), 400)
			drift, err := tx.recomputeDays(days[:n], now, full)
			if err != nil {
				return err
			}
			st.Drift += drift
			for _, d := range days[:n] {
				day, err := models.ParseDay(d)
				if err != nil {
					return fmt.Errorf("rollup: dirty day %q: %w", d, err)
				}
				months[day.Of().String()] = true
			}
			st.Days += n
			days = days[n:]
		}
		if full {
			// Months that no longer have any figure at all.
			var stale []string
			if err := tx.db.Model(&rollupMonthlyRow{}).Distinct("month").Pluck("month", &stale).Error; err != nil {
				return err
			}
			for _, m := range stale {
				months[m] = true
			}
		}
		for m := range months {
			drift, err := tx.recomputeMonth(m, full)
			if err != nil {
				return err
			}
			st.Drift += drift
		}
		st.Months = len(months)
		// Clear only the marks seen: a write that marked a day again meanwhile
		// (a higher gen) keeps its mark for the next roll-up.
		for d, g := range gens {
			if err := tx.db.Where("day = ? AND gen = ?", d, g).Delete(&dirtyRow{}).Error; err != nil {
				return err
			}
		}
		if err := tx.db.Save(&settingRow{Key: settingWatermark, Value: now.Format(time.RFC3339Nano)}).Error; err != nil {
			return err
		}
		// The totals changed: an incremental roll-up recomputes only days a
		// write or a passing departure changed; a full one says so only
		// when it found rows wrong.
		if (!full && st.Days > 0) || (full && st.Drift > 0) {
			list := make([]string, 0, len(months))
			for m := range months {
				list = append(list, m)
			}
			sort.Strings(list)
			if err := tx.emit(models.EventTotalsUpdated, struct {
				Months []string `json:"months"`
			}{list}); err != nil {
				return err
			}
		}
		changed, err := tx.updateMilestones(ctx, now)
		st.Milestones = changed
		// A roll-up that found nothing to do changes no figure a read serves.
		if st.Milestones == 0 && st.Days == 0 && st.Months == 0 {
			tx.leavesServedDataAlone()
		}
		return err
	})
	if err != nil {
		return st, fmt.Errorf("rollup: %w", err)
	}
	return st, nil
}

// countedCond is the condition of runs that count toward totals at now
// (models.Counts); table names the runs table as the query does.
func countedCond(table string, now time.Time) (string, []any) {
	return table + ".status IN ? AND " + table + ".departed_at <= ?", []any{models.CountedStatuses, now}
}

// counted keeps the runs that count toward totals at now.
func counted(table string, now time.Time) func(*gorm.DB) *gorm.DB {
	cond, args := countedCond(table, now)
	return func(q *gorm.DB) *gorm.DB { return q.Where(cond, args...) }
}

// allFigureDays lists every day that has runs, sea-rail counts or roll-up rows.
func (s *Store) allFigureDays() ([]string, error) {
	set := map[string]bool{}
	for _, q := range []struct {
		model any
		col   string
	}{{&runRow{}, "departed_day"}, {&runRow{}, "arrived_day"}, {&seaRailRow{}, "date"}, {&rollupDailyRow{}, "day"}} {
		var ds []string
		if err := s.db.Model(q.model).Distinct(q.col).Where(q.col+" IS NOT NULL").Pluck(q.col, &ds).Error; err != nil {
			return nil, err
		}
		for _, d := range ds {
			set[d] = true
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	return out, nil
}

type figKey struct{ scope, dir, day string }

// recomputeDays rewrites the daily rows of these days from the raw rows. With
// compare, it counts the rows whose stored figures differed (drift).
func (s *Store) recomputeDays(days []string, now time.Time, compare bool) (int, error) {
	type group struct {
		RouteID    int64
		Mode       string
		Direction  string
		Day        string
		N          int64
		Containers int64
		Empty      int64
		TEU        int64
	}
	var groups []group
	err := s.db.Table("runs").
		Select("runs.route_id, routes.mode, runs.direction, runs.departed_day AS day, COUNT(*) AS n, SUM(runs.containers) AS containers, SUM(runs.empty_containers) AS empty, SUM(runs.teu) AS teu").
		Joins("JOIN routes ON routes.id = runs.route_id").
		Where("runs.departed_day IN ?", days).Scopes(counted("runs", now)).
		Group("runs.route_id, routes.mode, runs.direction, runs.departed_day").
		Scan(&groups).Error
	if err != nil {
		return 0, err
	}
	// Inbound arrivals at the hub, by the day they arrived, for 到发.
	var arrivals []group
	err = s.db.Table("runs").
		Select("runs.route_id, routes.mode, runs.arrived_day AS day, COUNT(*) AS n").
		Joins("JOIN routes ON routes.id = runs.route_id").
		Where("runs.arrived_day IN ? AND runs.direction = ? AND runs.status = ? AND runs.arrived_at <= ?", days, models.DirInbound, models.StatusArrived, now).
		Group("runs.route_id, routes.mode, runs.arrived_day").
		Scan(&arrivals).Error
	if err != nil {
		return 0, err
	}
	corridors, err := s.routeCorridors()
	if err != nil {
		return 0, err
	}
	figs := map[figKey]*rollupDailyRow{}
	add := func(scope, dir, day string, f rollupDailyRow) {
		k := figKey{scope, dir, day}
		r := figs[k]
		if r == nil {
			r = &rollupDailyRow{Scope: scope, Direction: dir, Day: day}
			figs[k] = r
		}
		r.Runs += f.Runs
		r.Containers += f.Containers
		r.EmptyContainers += f.EmptyContainers
		r.TEU += f.TEU
		r.ArrivalsDepartures += f.ArrivalsDepartures
	}
	scopesOf := func(g group) []string {
		sc := []string{scopeAll, scopeMode(g.Mode), scopeRoute(g.RouteID)}
		if c, ok := corridors[g.RouteID]; ok {
			sc = append(sc, scopeCorridor(c))
		}
		return sc
	}
	for _, g := range groups {
		f := rollupDailyRow{Runs: g.N, Containers: g.Containers, EmptyContainers: g.Empty, TEU: g.TEU}
		if g.Direction == models.DirOutbound {
			f.ArrivalsDepartures = g.N
		}
		for _, scope := range scopesOf(g) {
			add(scope, "", g.Day, f)
			add(scope, g.Direction, g.Day, f)
		}
	}
	for _, g := range arrivals {
		f := rollupDailyRow{ArrivalsDepartures: g.N}
		for _, scope := range scopesOf(g) {
			add(scope, "", g.Day, f)
			add(scope, models.DirInbound, g.Day, f)
		}
	}
	var sea []struct {
		Date      string
		Direction string
		TEU       int64
	}
	if err := s.db.Model(&seaRailRow{}).Select("date, direction, SUM(teu) AS teu").
		Where("date IN ?", days).Group("date, direction").Scan(&sea).Error; err != nil {
		return 0, err
	}
	for _, r := range sea {
		add(scopeSeaRail, "", r.Date, rollupDailyRow{TEU: r.TEU})
		add(scopeSeaRail, r.Direction, r.Date, rollupDailyRow{TEU: r.TEU})
	}
	drift := 0
	if compare {
		var old []rollupDailyRow
		if err := s.db.Where("day IN ?", days).Find(&old).Error; err != nil {
			return 0, err
		}
		drift = countDrift(old, figs)
	}
	if err := s.db.Where("day IN ?", days).Delete(&rollupDailyRow{}).Error; err != nil {
		return 0, err
	}
	rows := make([]rollupDailyRow, 0, len(figs))
	for _, r := range figs {
		rows = append(rows, *r)
	}
	if len(rows) > 0 {
		if err := s.db.CreateInBatches(rows, 200).Error; err != nil {
			return 0, err
		}
	}
	return drift, nil
}

func countDrift(old []rollupDailyRow, fresh map[figKey]*rollupDailyRow) int {
	drift := 0
	seen := map[figKey]bool{}
	for _, o := range old {
		k := figKey{o.Scope, o.Direction, o.Day}
		seen[k] = true
		if f := fresh[k]; f == nil || *f != o {
			drift++
		}
	}
	for k := range fresh {
		if !seen[k] {
			drift++
		}
	}
	return drift
}

// recomputeMonth rewrites a month's rows from its daily rows.
func (s *Store) recomputeMonth(month string, compare bool) (int, error) {
	m, err := models.ParseMonth(month)
	if err != nil {
		return 0, fmt.Errorf("rollup: month %q: %w", month, err)
	}
	var fresh []rollupMonthlyRow
	err = s.db.Model(&rollupDailyRow{}).
		Select("scope, direction, SUM(runs) AS runs, SUM(containers) AS containers, SUM(teu) AS teu, SUM(empty_containers) AS empty_containers, SUM(arrivals_departures) AS arrivals_departures").
		Where("day >= ? AND day <= ?", m.First().String(), m.End().String()).
		Group("scope, direction").Scan(&fresh).Error
	if err != nil {
		return 0, err
	}
	drift := 0
	if compare {
		var old []rollupMonthlyRow
		if err := s.db.Where("month = ?", month).Find(&old).Error; err != nil {
			return 0, err
		}
		byKey := map[[2]string]rollupMonthlyRow{}
		for _, f := range fresh {
			f.Month = month
			byKey[[2]string{f.Scope, f.Direction}] = f
		}
		for _, o := range old {
			k := [2]string{o.Scope, o.Direction}
			if f, ok := byKey[k]; !ok || f != o {
				drift++
			}
			delete(byKey, k)
		}
		drift += len(byKey)
	}
	if err := s.db.Where("month = ?", month).Delete(&rollupMonthlyRow{}).Error; err != nil {
		return 0, err
	}
	for i := range fresh {
		fresh[i].Month = month
	}
	if len(fresh) > 0 {
		if err := s.db.CreateInBatches(fresh, 200).Error; err != nil {
			return 0, err
		}
	}
	return drift, nil
}

// rolledUpTo is the instant the roll-ups count runs up to (the last
// roll-up's "now"), so that the run named as a target's value-th is taken
// from the same runs as the figures; now when no roll-up has run.
func (s *Store) rolledUpTo(ctx context.Context) time.Time {
	var wm settingRow
	if err := s.db.WithContext(ctx).Take(&wm, "key = ?", settingWatermark).Error; err == nil {
		if t, err := time.Parse(time.RFC3339Nano, wm.Value); err == nil {
			return t
		}
	}
	return s.now()
}
