package store

import (
	"banlie/models"
	"context"
	"fmt"
	"gorm.io/gorm"
	"sort"
	"strconv"
	"strings"
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

// settingRollupGen counts the roll-ups that recomputed any day.
const settingRollupGen = "rollup_gen"

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
// counts the rows that were wrong (drift). It then records or withdraws the
// milestones of the targets whose year had a day recomputed (every target's
// when the reporting day changed since the last check).
//
// The figures are computed by the database, set-based (refreshDaily,
// refreshMonthly); a roll-up that finds nothing dirty and no departure or
// arrival passed reads a few index ranges and writes nothing.
func (s *Store) Rollup(ctx context.Context, full bool) (models.RollupStats, error) {
	st := models.RollupStats{Full: full}
	err := s.Tx(ctx, Write{alone: true}, func(tx *Store) error {
		// One roll-up at a time across instances sharing a PostgreSQL
		// database (SQLite writers are serialised already).
		if tx.db.Dialector.Name() == "postgres" {
			if err := tx.db.Exec(`SELECT pg_advisory_xact_lock(7262)`).Error; err != nil {
				return err
			}
		}
		now := s.now()
		var settings []settingRow
		if err := tx.db.Where("key IN ?", []string{settingWatermark, settingMilestoneDay}).Find(&settings).Error; err != nil {
			return err
		}
		var wm, mday *settingRow
		for i := range settings {
			switch settings[i].Key {
			case settingWatermark:
				wm = &settings[i]
			case settingMilestoneDay:
				mday = &settings[i]
			}
		}
		if wm == nil {
			st.Full, full = true, true
		}
		today := models.DayOf(now, s.Loc).String()
		dayChanged := mday == nil || mday.Value != today
		var dirty []dirtyRow
		if err := tx.db.Find(&dirty).Error; err != nil {
			return err
		}
		var days []string
		if !full {
			last, err := time.Parse(time.RFC3339Nano, wm.Value)
			if err != nil {
				return fmt.Errorf("rollup watermark %q: %w", wm.Value, err)
			}
			if days, err = tx.passedDays(last, now); err != nil {
				return err
			}
			set := map[string]bool{}
			for _, d := range days {
				set[d] = true
			}
			for _, d := range dirty {
				set[d.Day] = true
			}
			days = days[:0]
			for d := range set {
				days = append(days, d)
			}
			sort.Strings(days)
			if len(days) == 0 && !dayChanged {
				// Nothing to do. The watermark stays: no counted departure
				// or arrival lies between it and now, so the next roll-up
				// looking from it finds the same as from now.
				tx.leavesServedDataAlone()
				return nil
			}
		}
		var months []string
		years := map[int]bool{}
		scratch := full || len(days) > 0
		if scratch {
			if err := tx.createScratch(); err != nil {
				return err
			}
		}
		if full {
			d, m, drift, err := tx.rebuildAll(now)
			if err != nil {
				return err
			}
			st.Days, st.Months, st.Drift, months = d, len(m), drift, m
		} else {
			seen := map[string]bool{}
			for rest := days; len(rest) > 0; {
				n := min(len(rest), 400)
				if len(rest) < len(days) {
					if err := tx.clearScratch("rollup_base", "rollup_fresh"); err != nil {
						return err
					}
				}
				if _, err := tx.refreshDaily(rest[:n], now, false); err != nil {
					return err
				}
				for _, d := range rest[:n] {
					day, err := models.ParseDay(d)
					if err != nil {
						return fmt.Errorf("rollup: dirty day %q: %w", d, err)
					}
					years[int(day.Year)] = true
					if m := day.Of().String(); !seen[m] {
						seen[m] = true
						months = append(months, m)
					}
				}
				rest = rest[n:]
			}
			sort.Strings(months)
			if _, err := tx.refreshMonthly(months, false); err != nil {
				return err
			}
			st.Days, st.Months = len(days), len(months)
		}
		if scratch {
			if err := tx.dropScratch(); err != nil {
				return err
			}
		}
		// Clear only the marks seen: a write that marked a day again meanwhile
		// (a higher gen) keeps its mark for the next roll-up.
		for _, d := range dirty {
			if err := tx.db.Where("day = ? AND gen = ?", d.Day, d.Gen).Delete(&dirtyRow{}).Error; err != nil {
				return err
			}
		}
		if st.Days > 0 || full {
			if err := tx.db.Save(&settingRow{Key: settingWatermark, Value: now.Format(time.RFC3339Nano)}).Error; err != nil {
				return err
			}
			// A new generation of figures: what was computed from the
			// runs for the previous one (transit times) is old.
			var gen settingRow
			if err := tx.db.Where("key = ?", settingRollupGen).Limit(1).Find(&gen).Error; err != nil {
				return err
			}
			n, _ := strconv.ParseInt(gen.Value, 10, 64)
			if err := tx.db.Save(&settingRow{Key: settingRollupGen, Value: strconv.FormatInt(n+1, 10)}).Error; err != nil {
				return err
			}
		}
		// The totals changed: an incremental roll-up recomputes only days a
		// write or a passing departure changed; a full one says so only
		// when it found rows wrong.
		if (!full && st.Days > 0) || (full && st.Drift > 0) {
			if err := tx.emit(models.EventTotalsUpdated, struct {
				Months []string `json:"months"`
			}{months}); err != nil {
				return err
			}
		}
		// Milestones follow the figures of their target's year, and the
		// calendar (a new year's targets, today's progress).
		var which func(*gorm.DB) *gorm.DB
		switch {
		case dayChanged || (full && st.Drift > 0):
			which = func(q *gorm.DB) *gorm.DB { return q }
		case len(years) > 0:
			ys := make([]int, 0, len(years))
			for y := range years {
				ys = append(ys, y)
			}
			which = func(q *gorm.DB) *gorm.DB { return q.Where("year IN ?", ys) }
		}
		if which != nil {
			changed, err := tx.updateMilestones(ctx, now, which)
			st.Milestones = changed
			if err != nil {
				return err
			}
		}
		if dayChanged {
			if err := tx.db.Save(&settingRow{Key: settingMilestoneDay, Value: today}).Error; err != nil {
				return err
			}
		}
		// A roll-up that found nothing to do changes no figure a read serves.
		// (A full one wrote rows only if it found them wrong.)
		idle := st.Days == 0 && st.Months == 0
		if st.Milestones == 0 && (idle || full && st.Drift == 0) {
			tx.leavesServedDataAlone()
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("rollup: %w", err)
	}
	return st, nil
}

// settingMilestoneDay is the reporting day the milestones were last
// checked on: when the day changes, every target is checked again.
const settingMilestoneDay = "milestones_day"

// passedDays are the days whose figures changed by the clock alone since
// last: runs whose departure time passed now count, and arrivals that
// passed count toward 到发. Both are index ranges (runs_departed or
// runs_status_departed, runs_arrived).
func (s *Store) passedDays(last, now time.Time) ([]string, error) {
	var passed, arrived []string
	if err := s.db.Model(&runRow{}).Distinct("departed_day").
		Where("runs.departed_at > ?", last).Scopes(counted("runs", now)).
		Pluck("departed_day", &passed).Error; err != nil {
		return nil, err
	}
	// Only the arrival instant in the condition: a condition on the
	// status or the day would offer the planner an index that reads a
	// third of the runs. A day of another status's arrival recomputed is
	// recomputed to the same figures.
	if err := s.db.Model(&runRow{}).Distinct("COALESCE(arrived_day, '')").
		Where("runs.arrived_at > ? AND runs.arrived_at <= ?", last, now).
		Pluck("COALESCE(arrived_day, '')", &arrived).Error; err != nil {
		return nil, err
	}
	for _, d := range arrived {
		if d != "" {
			passed = append(passed, d)
		}
	}
	return passed, nil
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

// The roll-up's scratch tables, in the transaction's connection: the
// figures per route, direction and day (rollup_base), and the fresh daily
// and monthly rows computed from them, compared with the stored ones.
const (
	figureCols   = "runs, containers, teu, empty_containers, arrivals_departures"
	scratchTypes = "runs BIGINT NOT NULL, containers BIGINT NOT NULL, teu BIGINT NOT NULL, empty_containers BIGINT NOT NULL, arrivals_departures BIGINT NOT NULL"
)

// They are created by the roll-up's transaction and dropped before it
// commits (a roll-back takes them away as well).
func (s *Store) createScratch() error {
	for _, q := range []string{
		`CREATE TEMP TABLE rollup_base (route_id BIGINT NOT NULL, mode TEXT NOT NULL, direction TEXT NOT NULL, day TEXT NOT NULL, ` + scratchTypes + `)`,
		`CREATE TEMP TABLE rollup_fresh (scope TEXT NOT NULL, direction TEXT NOT NULL, day TEXT NOT NULL, ` + scratchTypes + `, PRIMARY KEY (scope, direction, day))`,
		`CREATE TEMP TABLE rollup_fresh_monthly (scope TEXT NOT NULL, direction TEXT NOT NULL, month TEXT NOT NULL, ` + scratchTypes + `, PRIMARY KEY (scope, direction, month))`,
	} {
		if err := s.db.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// clearScratch empties scratch tables a previous batch filled.
func (s *Store) clearScratch(tables ...string) error {
	for _, t := range tables {
		if err := s.db.Exec(`DELETE FROM ` + t).Error; err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) dropScratch() error {
	for _, q := range []string{`DROP TABLE rollup_base`, `DROP TABLE rollup_fresh`, `DROP TABLE rollup_fresh_monthly`} {
		if err := s.db.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// rebuildAll recomputes every daily and monthly row, writing only those
// that differ, and answers how many days and which months it covered and
// how many rows were wrong.
func (s *Store) rebuildAll(now time.Time) (days int, months []string, drift int, err error) {
	if err := s.freshDaily(nil, now); err != nil {
		return 0, nil, 0, err
	}
	var n int64
	if err := s.db.Raw(`SELECT COUNT(*) FROM (SELECT day FROM rollup_fresh UNION SELECT day FROM rollup_daily) d`).Scan(&n).Error; err != nil {
		return 0, nil, 0, err
	}
	dd, err := s.applyFresh("rollup_daily", "rollup_fresh", "day", nil, true)
	if err != nil {
		return 0, nil, 0, err
	}
	if err := s.db.Exec(`INSERT INTO rollup_fresh_monthly (scope, direction, month, ` + figureCols + `)
		SELECT scope, direction, substr(day, 1, 7), SUM(runs), SUM(containers), SUM(teu), SUM(empty_containers), SUM(arrivals_departures)
		FROM rollup_daily GROUP BY scope, direction, substr(day, 1, 7)`).Error; err != nil {
		return 0, nil, 0, err
	}
	if err := s.db.Raw(`SELECT month FROM rollup_fresh_monthly UNION SELECT month FROM rollup_monthly ORDER BY 1`).Scan(&months).Error; err != nil {
		return 0, nil, 0, err
	}
	md, err := s.applyFresh("rollup_monthly", "rollup_fresh_monthly", "month", nil, true)
	if err != nil {
		return 0, nil, 0, err
	}
	return int(n), months, dd + md, nil
}

// refreshDaily recomputes the daily rows of these days, writing only those
// that differ; with compare, it answers how many rows were wrong.
func (s *Store) refreshDaily(days []string, now time.Time, compare bool) (int, error) {
	if err := s.freshDaily(days, now); err != nil {
		return 0, err
	}
	return s.applyFresh("rollup_daily", "rollup_fresh", "day", days, compare)
}

// refreshMonthly recomputes these months' rows from the daily rows.
func (s *Store) refreshMonthly(months []string, compare bool) (int, error) {
	if len(months) == 0 {
		return 0, nil
	}
	for _, ms := range months {
		m, err := models.ParseMonth(ms)
		if err != nil {
			return 0, fmt.Errorf("rollup: month %q: %w", ms, err)
		}
		if err := s.db.Exec(`INSERT INTO rollup_fresh_monthly (scope, direction, month, `+figureCols+`)
			SELECT scope, direction, ?, SUM(runs), SUM(containers), SUM(teu), SUM(empty_containers), SUM(arrivals_departures)
			FROM rollup_daily WHERE day >= ? AND day <= ? GROUP BY scope, direction`, ms, m.First().String(), m.End().String()).Error; err != nil {
			return 0, err
		}
	}
	return s.applyFresh("rollup_monthly", "rollup_fresh_monthly", "month", months, compare)
}

// freshDaily fills rollup_fresh with the daily rows of these days (every
// day when days is nil) from the runs and sea-rail counts: first the
// figures per route, mode, direction and day (two passes over the runs:
// departures, and inbound arrivals for 到发), then each scope family from
// them, by direction and for both (”).
func (s *Store) freshDaily(days []string, now time.Time) error {
	seaDays, seaArgs := "1 = 1", []any(nil)
	if days != nil {
		seaDays, seaArgs = "date IN ?", []any{days}
	}
	// The passes over the runs read them alone (the floor of this work is
	// a GROUP BY of the runs); the routes' modes are joined to their few
	// groups after.
	cond, cargs := countedCond("runs", now)
	arr, aargs := "runs.direction = ? AND runs.status = ? AND runs.arrived_at <= ?", []any{models.DirInbound, models.StatusArrived, now}
	var dep, arrivals string
	var dargs, arrArgs []any
	if days == nil {
		// Every day: the runs that count, read through.
		dep = `SELECT runs.route_id, '', runs.direction, runs.departed_day, COUNT(*), SUM(runs.containers), SUM(runs.teu), SUM(runs.empty_containers),
			CASE WHEN runs.direction = ? THEN COUNT(*) ELSE 0 END
		FROM runs WHERE ` + cond + `
		GROUP BY runs.route_id, runs.direction, runs.departed_day`
		dargs = append([]any{models.DirOutbound}, cargs...)
		arrivals = `SELECT runs.route_id, '', ?, runs.arrived_day, 0, 0, 0, 0, COUNT(*)
		FROM runs WHERE runs.arrived_day IS NOT NULL AND ` + arr + `
		GROUP BY runs.route_id, runs.arrived_day`
		arrArgs = append([]any{models.DirInbound}, aargs...)
	} else {
		// Some days: the day is the only condition in WHERE, and which
		// runs count is decided in the sums. A condition on the status,
		// direction or departure would offer the planner an index that
		// reads most runs (SQLite without statistics takes it), where the
		// day's index reads the days' runs.
		c := "(" + cond + ")"
		add := func(vs ...any) { dargs = append(dargs, vs...) }
		add(cargs...)           // COUNT
		add(cargs...)           // containers
		add(cargs...)           // teu
		add(cargs...)           // empty containers
		add(models.DirOutbound) // 到发 of an outbound group
		add(cargs...)           // its COUNT
		add(days)               // the days
		add(cargs...)           // HAVING
		dep = `SELECT runs.route_id, '', runs.direction, runs.departed_day, COUNT(CASE WHEN ` + c + ` THEN 1 END),
			SUM(CASE WHEN ` + c + ` THEN runs.containers ELSE 0 END), SUM(CASE WHEN ` + c + ` THEN runs.teu ELSE 0 END),
			SUM(CASE WHEN ` + c + ` THEN runs.empty_containers ELSE 0 END),
			CASE WHEN runs.direction = ? THEN COUNT(CASE WHEN ` + c + ` THEN 1 END) ELSE 0 END
		FROM runs WHERE runs.departed_day IN ?
		GROUP BY runs.route_id, runs.direction, runs.departed_day
		HAVING COUNT(CASE WHEN ` + c + ` THEN 1 END) > 0`
		a := "(" + arr + ")"
		arrivals = `SELECT runs.route_id, '', ?, runs.arrived_day, 0, 0, 0, 0, COUNT(CASE WHEN ` + a + ` THEN 1 END)
		FROM runs WHERE runs.arrived_day IN ?
		GROUP BY runs.route_id, runs.arrived_day
		HAVING COUNT(CASE WHEN ` + a + ` THEN 1 END) > 0`
		arrArgs = append(append(append([]any{models.DirInbound}, aargs...), days), aargs...)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{{dep, dargs}, {arrivals, arrArgs}} {
		if err := s.db.Exec(`INSERT INTO rollup_base (route_id, mode, direction, day, `+figureCols+`) `+q.sql, q.args...).Error; err != nil {
			return err
		}
	}
	// A run's route exists (a foreign key); the groups of a route gone
	// meanwhile would have none.
	if err := s.db.Exec(`DELETE FROM rollup_base WHERE NOT EXISTS (SELECT 1 FROM routes WHERE routes.id = rollup_base.route_id)`).Error; err != nil {
		return err
	}
	if err := s.db.Exec(`UPDATE rollup_base SET mode = (SELECT routes.mode FROM routes WHERE routes.id = rollup_base.route_id)`).Error; err != nil {
		return err
	}
	corridors, err := s.routeCorridors()
	if err != nil {
		return err
	}
	const sums = "SUM(runs), SUM(containers), SUM(teu), SUM(empty_containers), SUM(arrivals_departures)"
	families := []string{
		`SELECT 'all' AS scope, direction, day, ` + figureCols + ` FROM rollup_base`,
		`SELECT 'mode:' || mode, direction, day, ` + figureCols + ` FROM rollup_base`,
		`SELECT 'route:' || CAST(route_id AS TEXT), direction, day, ` + figureCols + ` FROM rollup_base`,
	}
	if len(corridors) > 0 {
		ids := make([]int64, 0, len(corridors))
		for id := range corridors {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		var b strings.Builder
		b.WriteString(`SELECT CASE route_id`)
		for _, id := range ids {
			c := corridors[id]
			if !models.OneOf(c, models.Corridors...) {
				return fmt.Errorf("rollup: route %d has corridor %q", id, c)
			}
			fmt.Fprintf(&b, " WHEN %d THEN '%s'", id, scopeCorridor(c))
		}
		b.WriteString(` END, direction, day, ` + figureCols + ` FROM rollup_base WHERE route_id IN (`)
		for i, id := range ids {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatInt(id, 10))
		}
		b.WriteString(`)`)
		families = append(families, b.String())
	}
	union := strings.Join(families, "\n\t\tUNION ALL ")
	for _, dir := range [][2]string{{"direction", ", direction"}, {"''", ""}} {
		if err := s.db.Exec(`INSERT INTO rollup_fresh (scope, direction, day, ` + figureCols + `)
			SELECT scope, ` + dir[0] + `, day, ` + sums + ` FROM (` + union + `) f
			GROUP BY scope` + dir[1] + `, day`).Error; err != nil {
			return err
		}
	}
	err = s.db.Exec(`INSERT INTO rollup_fresh (scope, direction, day, `+figureCols+`)
		SELECT ?, direction, date, 0, 0, SUM(teu), 0, 0 FROM sea_rail_counts WHERE `+seaDays+` GROUP BY direction, date`,
		append([]any{scopeSeaRail}, seaArgs...)...).Error
	if err != nil {
		return err
	}
	return s.db.Exec(`INSERT INTO rollup_fresh (scope, direction, day, `+figureCols+`)
		SELECT ?, '', date, 0, 0, SUM(teu), 0, 0 FROM sea_rail_counts WHERE `+seaDays+` GROUP BY date`,
		append([]any{scopeSeaRail}, seaArgs...)...).Error
}

// applyFresh makes the stored rows of table (keyed by scope, direction and
// key) equal the fresh ones, for the keys in only (every one when nil):
// rows that differ or are gone are deleted, missing rows are inserted, and
// equal rows are left alone. With compare it answers how many stored rows
// were wrong, as one: a row that differs, is missing, or should not be.
func (s *Store) applyFresh(table, fresh, key string, only []string, compare bool) (int, error) {
	var where string
	var args []any
	if only != nil {
		where, args = " AND t."+key+" IN ?", []any{only}
	}
	same := `f.scope = t.scope AND f.direction = t.direction AND f.` + key + ` = t.` + key
	equal := same + ` AND f.runs = t.runs AND f.containers = t.containers AND f.teu = t.teu AND f.empty_containers = t.empty_containers AND f.arrivals_departures = t.arrivals_departures`
	var differing int64
	if compare {
		if err := s.db.Raw(`SELECT COUNT(*) FROM `+table+` t JOIN `+fresh+` f ON `+same+` WHERE NOT (`+equal+`)`+where, args...).Scan(&differing).Error; err != nil {
			return 0, err
		}
	}
	del := s.db.Exec(`DELETE FROM `+table+` WHERE NOT EXISTS (SELECT 1 FROM `+fresh+` f WHERE `+strings.ReplaceAll(equal, "t.", table+".")+`)`+strings.ReplaceAll(where, "t.", table+"."), args...)
	if del.Error != nil {
		return 0, del.Error
	}
	ins := s.db.Exec(`INSERT INTO ` + table + ` (scope, direction, ` + key + `, ` + figureCols + `)
		SELECT f.scope, f.direction, f.` + key + `, f.runs, f.containers, f.teu, f.empty_containers, f.arrivals_departures FROM ` + fresh + ` f
		WHERE NOT EXISTS (SELECT 1 FROM ` + table + ` t WHERE ` + same + `)`)
	if ins.Error != nil {
		return 0, ins.Error
	}
	return int(del.RowsAffected + ins.RowsAffected - differing), nil
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
