package store

import (
	"banlie/models"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The container numbers a run lists are rows of run_containers, one per
// number, in the run's order (seq). A page of runs reads them for all its
// runs in one query (withContainers).

// withContainers reads the container numbers of rows, in one query, into
// each row's ContainerNumbers.
func (s *Store) withContainers(ctx context.Context, rows ...*runRow) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	byID := make(map[int64][]*runRow, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		r.ContainerNumbers = []string{}
		byID[r.ID] = append(byID[r.ID], r)
	}
	// A plain query past GORM's callbacks: every page of runs makes it.
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	got, err := s.db.Statement.ConnPool.QueryContext(ctx, s.dialectSQL(`SELECT run_id, number FROM run_containers
		WHERE run_id IN (`+marks+`) ORDER BY run_id, seq`), args...)
	if err != nil {
		return fmt.Errorf("runs.containers: %w", err)
	}
	defer got.Close()
	for got.Next() {
		var id int64
		var n string
		if err := got.Scan(&id, &n); err != nil {
			return fmt.Errorf("runs.containers: %w", err)
		}
		for _, r := range byID[id] {
			r.ContainerNumbers = append(r.ContainerNumbers, n)
		}
	}
	if err := got.Err(); err != nil {
		return fmt.Errorf("runs.containers: %w", err)
	}
	return nil
}

// joinedContainers is withContainers for joined rows.
func (s *Store) joinedContainers(ctx context.Context, rows []runWithRoute) error {
	ptrs := make([]*runRow, len(rows))
	for i := range rows {
		ptrs[i] = &rows[i].Row
	}
	return s.withContainers(ctx, ptrs...)
}

// writeContainers stores numbers, in their order, as the container numbers
// of run id, replacing those it had when replace is set.
func (s *Store) writeContainers(id int64, numbers []string, replace bool) error {
	if replace {
		if err := s.exec(`DELETE FROM run_containers WHERE run_id = ?`, id); err != nil {
			return fmt.Errorf("runs.containers: %w", err)
		}
	}
	if len(numbers) == 0 {
		return nil
	}
	// One statement: at most models.MaxContainers rows of three values,
	// well within either database's bound on parameters.
	var b strings.Builder
	b.WriteString(`INSERT INTO run_containers (run_id, seq, number) VALUES `)
	args := make([]any, 0, 3*len(numbers))
	for i, n := range numbers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?)")
		args = append(args, id, i, n)
	}
	if err := s.exec(b.String(), args...); err != nil {
		return fmt.Errorf("runs.containers: %w", err)
	}
	return nil
}

// checkHolds refuses row (run row.ID as the write leaves it; the run's own
// stored containers never count) when another run holds one of its
// containers at the same time:
// ECONFLICT, one field error on container_numbers per container taken,
// naming the run that has it. Within the write's transaction, on
// PostgreSQL, it first takes a lock per container number (released at
// commit), so that two writes of the same container check one after the
// other and cannot both pass; SQLite's writes take turns already.
func (s *Store) checkHolds(ctx context.Context, row runRow) error {
	if !models.HoldsContainers(row.Status) || len(row.ContainerNumbers) == 0 {
		return nil
	}
	if err := s.lockContainers(ctx, row.ContainerNumbers); err != nil {
		return err
	}
	// The other run holds the container past this one's departure, and
	// this one holds it past the other's departure. A plain query past
	// GORM's callbacks: every logged run with containers makes it.
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(row.ContainerNumbers)), ", ")
	args := make([]any, 0, len(row.ContainerNumbers)+6)
	for _, n := range row.ContainerNumbers {
		args = append(args, n)
	}
	cond := `run_containers.number IN (` + marks + `) AND run_containers.run_id <> ? AND runs.status <> ?
		AND (runs.status <> ? OR runs.arrived_at > ?)`
	args = append(args, row.ID, models.StatusCancelled, models.StatusArrived, row.DepartedAt)
	if until := models.HoldUntil(row.Status, row.ArrivedAt); until != nil {
		cond += ` AND runs.departed_at < ?`
		args = append(args, until.UTC())
	}
	type holder struct {
		container, route, number, status string
		id                               int64
		departedAt                       time.Time
		arrivedAt                        *time.Time
	}
	var held []holder
	rows, err := s.db.Statement.ConnPool.QueryContext(ctx, s.dialectSQL(`SELECT run_containers.number, runs.id, routes.code,
		runs.number, runs.departed_at, runs.arrived_at, runs.status
		FROM run_containers JOIN runs ON runs.id = run_containers.run_id JOIN routes ON routes.id = runs.route_id
		WHERE `+cond+` ORDER BY runs.departed_at, runs.id`), args...)
	if err != nil {
		return fmt.Errorf("runs.containers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h holder
		var arr sql.NullTime
		if err := rows.Scan(&h.container, &h.id, &h.route, &h.number, &h.departedAt, &arr, &h.status); err != nil {
			return fmt.Errorf("runs.containers: %w", err)
		}
		if arr.Valid {
			h.arrivedAt = &arr.Time
		}
		held = append(held, h)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("runs.containers: %w", err)
	}
	if len(held) == 0 {
		return nil
	}
	// Each container once, in the order the run lists them, with the
	// first run that holds it.
	first := map[string]int{}
	for i, h := range held {
		if _, ok := first[h.container]; !ok {
			first[h.container] = i
		}
	}
	var fields []models.FieldError
	for _, n := range row.ContainerNumbers {
		i, ok := first[n]
		if !ok {
			continue
		}
		h := held[i]
		dep := h.departedAt.In(s.Loc).Format(time.RFC3339)
		until := "until it arrives"
		if t := models.HoldUntil(h.status, h.arrivedAt); t != nil {
			until = "until " + t.In(s.Loc).Format(time.RFC3339)
		}
		fields = append(fields, models.NewFieldError("container_numbers", models.CodeConflict,
			models.Params{"resource": "run", "container": n, "id": h.id, "route": h.route, "number": h.number},
			"container %s is on train %s (run %d, route %s) from %s %s", n, h.number, h.id, h.route, dep, until))
	}
	msg := fields[0].Message
	if len(fields) > 1 {
		msg = fmt.Sprintf("%d of the containers are on other runs at the same time", len(fields))
	}
	return &models.Error{Code: models.ECONFLICT, Message: msg, Fields: fields}
}

// widensHold reports whether a change of a run from old to new makes it
// hold a container it did not, or hold one for longer: only such a change
// is checked against the other runs (checkHolds). One that only narrows
// what the run holds (it arrives, is cancelled, lists fewer containers) is
// never refused, whatever the runs stored before the rule hold.
func widensHold(old, new runRow) bool {
	if !models.HoldsContainers(new.Status) || len(new.ContainerNumbers) == 0 {
		return false
	}
	if !models.HoldsContainers(old.Status) || new.DepartedAt.Before(old.DepartedAt) {
		return true
	}
	for _, n := range new.ContainerNumbers {
		if !slices.Contains(old.ContainerNumbers, n) {
			return true
		}
	}
	was, is := models.HoldUntil(old.Status, old.ArrivedAt), models.HoldUntil(new.Status, new.ArrivedAt)
	return was != nil && (is == nil || is.After(*was))
}

// containerLockSpace is the first key of the advisory locks on container
// numbers (the second is the number's hashtext): two-key locks never meet
// the one-key ones that migrations and roll-ups take.
const containerLockSpace = 6346

// lockContainers takes, on PostgreSQL, a transaction-scoped advisory lock
// per container number, in the order of their keys, so that two writes
// that share numbers cannot wait for each other in a circle.
func (s *Store) lockContainers(ctx context.Context, numbers []string) error {
	if s.db.Dialector.Name() != "postgres" {
		return nil
	}
	var keys []int32
	if err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT hashtext(n) AS k FROM unnest(?::text[]) AS n ORDER BY k`,
		pgTextArray(numbers)).Scan(&keys).Error; err != nil {
		return fmt.Errorf("runs.containers.lock: %w", err)
	}
	for _, k := range keys {
		if err := s.exec(`SELECT pg_advisory_xact_lock(?, ?)`, containerLockSpace, k); err != nil {
			return fmt.Errorf("runs.containers.lock: %w", err)
		}
	}
	return nil
}

// pgTextArray writes strings as a PostgreSQL text[] literal. Container
// numbers hold letters and digits only; quotes and backslashes are escaped
// all the same.
func pgTextArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return "{" + strings.Join(q, ",") + "}"
}

// containerRunPager pages a container's runs, newest departure first.
var containerRunPager = pager[runWithRoute]{list: "container-runs", desc: true,
	keys: []sortKey{{"d", "runs.departed_at", timeKey}, {"i", "runs.id", intKey}},
	of:   func(r runWithRoute) []any { return []any{r.Row.DepartedAt, r.Row.ID} }}

// ContainerRuns answers the runs that list a container (number in any
// spelling writes accept), newest departure first, a page at a time, each
// with its journey's last actual event. A number no run lists is
// ENOTFOUND.
func (s *Store) ContainerRuns(ctx context.Context, number string, limit int, cursor string) (models.ContainerRuns, error) {
	n := models.NormalizeContainerNumber(number)
	out := models.ContainerRuns{Number: n, Runs: []models.ContainerRun{}}
	q := s.withCtx(ctx).runsJoined().Joins("JOIN run_containers ON run_containers.run_id = runs.id").
		Where("run_containers.number = ?", n)
	rows, next, err := containerRunPager.page(q, cursor, limit)
	if err != nil {
		return out, storeErr("containers.runs", err, "", "")
	}
	out.NextCursor = next
	if len(rows) == 0 {
		var seen int64
		if cursor != "" {
			if err := s.queryRow(ctx, `SELECT COUNT(*) FROM run_containers WHERE number = ?`, n).Scan(&seen); err != nil {
				return out, fmt.Errorf("containers.runs: %w", err)
			}
		}
		if seen == 0 {
			return out, &models.Error{Code: models.ENOTFOUND, Message: fmt.Sprintf("no run lists the container %s", n)}
		}
		return out, nil
	}
	journeys, err := s.journeysOf(ctx, rows)
	if err != nil {
		return out, err
	}
	for i, r := range rows {
		run := models.ContainerRun{ID: r.Row.ID, Route: r.RouteCode, Number: r.Row.Number, Direction: r.Row.Direction,
			DepartedAt: r.Row.DepartedAt.In(s.Loc), Status: r.Row.Status, LastEvent: journeys[i].Position().LastEvent}
		if r.Row.ArrivedAt != nil {
			t := r.Row.ArrivedAt.In(s.Loc)
			run.ArrivedAt = &t
		}
		out.Runs = append(out.Runs, run)
	}
	return out, nil
}
