package store

import (
	"banlie/models"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// The create lines of an import are written in batches: each line is
// validated as CreateRun validates a run, then a batch's runs are compared
// with the stored runs of the same train and day (one query) and inserted
// with one multi-row INSERT, their audit entries with another; their
// outbox events are copied from those entries when the transaction
// commits, and each day a batch touches is marked dirty once per import.

// bulkBatch is how many lines a batch holds: a runs INSERT of bulkBatch
// rows binds 15 values a row, well within SQLite's 32,766 and
// PostgreSQL's 65,535 parameters.
const bulkBatch = 500

// runInsertColumns are the columns a run's INSERT writes, in the order of
// runInsertArgs.
const runInsertColumns = `route_id, number, number_key, direction, departed_at, departed_day,
	arrived_at, arrived_day, status, containers, empty_containers, teu, cargo, created_at, updated_at`

func runInsertArgs(args []any, row runRow) []any {
	return append(args, row.RouteID, row.Number, row.NumberKey, row.Direction, row.DepartedAt, row.DepartedDay, row.ArrivedAt, row.ArrivedDay,
		row.Status, row.Containers, row.EmptyContainers, row.TEU, row.Cargo, row.CreatedAt, row.UpdatedAt)
}

// bulkImport writes an import's create lines in batches, in the import's
// transaction tx.
type bulkImport struct {
	tx     *Store
	ctx    context.Context
	w      Write
	dry    bool
	res    *ImportResult
	lines  []importLine
	routes map[string]*routeRow // by code; nil: no such route
	dirty  map[string]bool      // the days marked already
	stmts  map[string]*sql.Stmt // prepared INSERTs, by table and rows
	// lineByLine: see ImportOptions.
	lineByLine bool
	// cacheKiB: the connection's page cache before the import enlarged it
	// (SQLite; 0 when left as it was).
	cacheKiB int64
}

// importCacheKiB is SQLite's page cache, in KiB, for the connection that
// imports. A file of new runs inserts into the runs' unique index and the
// audit log's entity index in the order of its lines, not of the index, so
// each batch touches pages all over them; with SQLite's default (2 MiB)
// those pages leave the cache between batches once the indexes outgrow it,
// and an import slows down as the table grows. The cache is given back when
// the import ends (SQLite frees the pages over the limit).
var importCacheKiB int64 = 32 << 10

func (s *Store) newBulk(ctx context.Context, w Write, dry bool, res *ImportResult) *bulkImport {
	b := &bulkImport{tx: s, ctx: ctx, w: w, dry: dry, res: res, lines: make([]importLine, 0, bulkBatch),
		routes: map[string]*routeRow{}, dirty: map[string]bool{}, stmts: map[string]*sql.Stmt{}}
	if s.db.Dialector.Name() == "sqlite" && importCacheKiB > 0 {
		var pages, pageSize int64
		err := s.queryRow(ctx, "PRAGMA cache_size").Scan(&pages)
		if err == nil {
			err = s.queryRow(ctx, "PRAGMA page_size").Scan(&pageSize)
		}
		if err == nil {
			if cur := cacheKiB(pages, pageSize); cur < importCacheKiB {
				if s.exec(fmt.Sprintf("PRAGMA cache_size = -%d", importCacheKiB)) == nil {
					b.cacheKiB = cur
				}
			}
		}
	}
	return b
}

// cacheKiB is a cache_size pragma's value in KiB: a negative value is KiB
// already, a positive one a number of pages.
func cacheKiB(pages, pageSize int64) int64 {
	if pages < 0 {
		return -pages
	}
	return pages * pageSize / 1024
}

// add takes a line into the batch and reports whether the batch is full.
func (b *bulkImport) add(l importLine) bool {
	b.lines = append(b.lines, l)
	return len(b.lines) >= bulkBatch
}

func (b *bulkImport) close() {
	for _, st := range b.stmts {
		st.Close()
	}
	if b.cacheKiB > 0 {
		// Best effort: a cache left larger costs memory, not correctness.
		_ = b.tx.exec(fmt.Sprintf("PRAGMA cache_size = -%d", b.cacheKiB))
	}
}

// stmt answers the prepared multi-row INSERT of n rows into table: once
// per table and number of rows (a full batch, the last one).
func (b *bulkImport) stmt(table, columns, returning string, width, n int) (*sql.Stmt, error) {
	key := fmt.Sprintf("%s/%d", table, n)
	if st, ok := b.stmts[key]; ok {
		return st, nil
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	q.WriteString(" RETURNING " + returning)
	st, err := b.tx.db.Statement.ConnPool.PrepareContext(b.ctx, b.tx.dialectSQL(q.String()))
	if err != nil {
		return nil, fmt.Errorf("import: prepare %s: %w", table, err)
	}
	b.stmts[key] = st
	return st, nil
}

// route answers the route a code names, nil when there is none, looking
// each code up once per import.
func (b *bulkImport) route(code string) (*routeRow, error) {
	if r, ok := b.routes[code]; ok {
		return r, nil
	}
	var row routeRow
	err := b.tx.queryRow(b.ctx, `SELECT id, code, mode FROM routes WHERE code = ?`, code).Scan(&row.ID, &row.Code, &row.Mode)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		b.routes[code] = nil
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("runs.route: %w", err)
	}
	b.routes[code] = &row
	return &row, nil
}

// bulkRow is a valid line of a batch and the run row it writes.
type bulkRow struct {
	i     int // in the batch
	l     importLine
	route routeRow
	row   runRow
}

// runKey is a run's unique key: its route, number and departure day.
type runKey struct {
	route       int64
	number, day string
}

func keyOf(r runRow) runKey { return runKey{r.RouteID, r.NumberKey, r.DepartedDay} }

// flush writes the batch's lines: each validated as CreateRun validates
// it, skipped when it matches a stored run or an earlier line, refused
// when it conflicts with one; the rest inserted. The batch's problems are
// listed in the order of its lines.
func (b *bulkImport) flush() error {
	lines := b.lines
	defer func() { b.lines = b.lines[:0] }()
	if err := b.ctx.Err(); err != nil {
		return err // the caller went away: its transaction (savepoint) is rolled back
	}
	errs := make([][]models.FieldError, len(lines))
	defer func() {
		for _, line := range errs {
			for _, f := range line {
				b.res.addError(f)
			}
		}
	}()
	if b.lineByLine {
		for i, l := range lines {
			errs[i] = l.errs
			if !l.dead {
				if err := b.createLine(l, &errs[i]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	tx, now := b.tx, b.tx.now()
	rows := make([]bulkRow, 0, len(lines))
	for i, l := range lines {
		errs[i] = l.errs
		if l.dead {
			continue
		}
		var p models.Problems
		v := l.in.Validate(&p)
		v.CheckCalendar(&p, now)
		var route *routeRow
		if !p.Has("route") {
			var err error
			if route, err = b.route(v.Route); err != nil {
				return err
			}
			if route == nil {
				p.Add("route", models.CodeNotFound, models.Params{"resource": "route", "value": v.Route}, "no route with code %q", v.Route)
			}
		}
		if err := p.Err(); err != nil {
			if err := lineErrorsTo(func(f models.FieldError) { errs[i] = append(errs[i], f) }, l.prefix, err); err != nil {
				return err
			}
			continue
		}
		r := bulkRow{i: i, l: l, route: *route, row: runRow{RouteID: route.ID, CreatedAt: now, UpdatedAt: now}}
		fill(&r.row, v, tx.Loc)
		rows = append(rows, r)
	}
	for len(rows) > 0 {
		n, err := b.write(rows, errs)
		if err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// write writes the valid rows of a batch, or the first n of them when one
// repeats the train and day of an earlier one: that one is compared with
// what the earlier one left stored (nothing, if it was refused) by the
// next call. Each line's problems go to errs[its index in the batch].
func (b *bulkImport) write(rows []bulkRow, errs [][]models.FieldError) (n int, err error) {
	tx := b.tx
	n = len(rows)
	stored, err := b.storedRuns(rows)
	if err != nil {
		return n, err
	}
	batch := map[runKey]bool{}
	var insert []bulkRow
	for j, r := range rows {
		k := keyOf(r.row)
		if batch[k] {
			// The same train and day as an earlier line of the batch:
			// from here on, once the lines before are written.
			n = j
			break
		}
		other, ok := stored[k]
		switch {
		case !ok:
			batch[k] = true
			insert = append(insert, r)
		case sameAsRow(r.l.in, other, r.row):
			b.res.Skipped++
		default:
			// As CreateRun refuses it, with the words createLine adds.
			var e *models.Error
			errors.As(tx.runConflict(gorm.ErrDuplicatedKey, r.route.Code, r.row), &e)
			errs[r.i] = append(errs[r.i], models.NewFieldError(r.l.prefix, models.CodeConflict, e.Fields[0].Params, "%s, with other values", e.Message))
		}
	}
	if len(insert) == 0 {
		return n, nil
	}
	ok, err := b.insertRuns(insert)
	if err != nil {
		return n, err
	}
	if !ok {
		// A constraint refused the batch: its lines go one at a time, as
		// CreateRun writes them, to find the line.
		for _, r := range insert {
			if err := b.createLine(r.l, &errs[r.i]); err != nil {
				return n, err
			}
		}
		return n, nil
	}
	written := insert[:0]
	for _, r := range insert {
		if len(r.row.ContainerNumbers) > 0 {
			// In the file's order: a line's containers are checked against
			// the runs stored and the lines before it, as CreateRun does.
			if err := tx.checkHolds(b.ctx, r.row); err != nil {
				if lerr := lineErrorsTo(func(f models.FieldError) { errs[r.i] = append(errs[r.i], f) }, r.l.prefix, err); lerr != nil {
					return n, lerr
				}
				if err := tx.exec(`DELETE FROM runs WHERE id = ?`, r.row.ID); err != nil {
					return n, fmt.Errorf("import: %w", err)
				}
				continue
			}
			if err := tx.writeContainers(r.row.ID, r.row.ContainerNumbers, false); err != nil {
				return n, err
			}
		}
		written = append(written, r)
	}
	b.res.Created += len(written)
	if b.dry {
		return n, nil // rolled back: no audit entries, events or dirty days needed
	}
	if err := b.audit(written); err != nil {
		return n, err
	}
	var days []string
	for _, r := range written {
		for _, d := range r.row.days() {
			if !b.dirty[d] {
				b.dirty[d] = true
				days = append(days, d)
			}
		}
	}
	return n, tx.markDirty(days...)
}

// createLine writes a line as CreateRun does, counting it and adding its
// problems to errs.
func (b *bulkImport) createLine(l importLine, errs *[]models.FieldError) error {
	one := ImportResult{Errors: []models.FieldError{}}
	if err := b.tx.createLine(b.ctx, b.w, l, &one); err != nil {
		return err
	}
	b.res.Created += one.Created
	b.res.Skipped += one.Skipped
	*errs = append(*errs, one.Errors...)
	return nil
}

// storedRuns answers the stored runs of the same trains and days as rows,
// with their containers, by key: one query for the batch.
func (b *bulkImport) storedRuns(rows []bulkRow) (map[runKey]runRow, error) {
	out := map[runKey]runRow{}
	if len(rows) == 0 {
		return out, nil
	}
	// The batch's keys, found through the unique index (route_id,
	// number_key, departed_day): a row-value IN on SQLite, a join with
	// the keys' VALUES (whose columns are column1…) on PostgreSQL, which
	// needs their types said.
	var q strings.Builder
	pg := b.tx.db.Dialector.Name() == "postgres"
	if pg {
		q.WriteString(`SELECT runs.* FROM runs JOIN (VALUES `)
	} else {
		q.WriteString(`SELECT * FROM runs WHERE (route_id, number_key, departed_day) IN (VALUES `)
	}
	args := make([]any, 0, 3*len(rows))
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		if pg {
			q.WriteString(`(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT))`)
		} else {
			q.WriteString(`(?, ?, ?)`)
		}
		args = append(args, r.row.RouteID, r.row.NumberKey, r.row.DepartedDay)
	}
	if pg {
		q.WriteString(`) AS k ON runs.route_id = k.column1 AND runs.number_key = k.column2 AND runs.departed_day = k.column3`)
	} else {
		q.WriteString(`)`)
	}
	var found []runRow
	if err := b.tx.db.WithContext(b.ctx).Raw(q.String(), args...).Scan(&found).Error; err != nil {
		return nil, fmt.Errorf("import: stored runs: %w", err)
	}
	want := map[runKey]bool{}
	for _, r := range rows {
		want[keyOf(r.row)] = true
	}
	var ptrs []*runRow
	for i := range found {
		if want[keyOf(found[i])] {
			ptrs = append(ptrs, &found[i])
		}
	}
	for start := 0; start < len(ptrs); start += bulkBatch {
		if err := b.tx.withContainers(b.ctx, ptrs[start:min(start+bulkBatch, len(ptrs))]...); err != nil {
			return nil, err
		}
	}
	for _, p := range ptrs {
		out[keyOf(*p)] = *p
	}
	return out, nil
}

// insertRuns inserts the rows with one statement, in a savepoint, and
// sets their ids; false (and nothing written) when a constraint refuses
// the statement.
func (b *bulkImport) insertRuns(rows []bulkRow) (bool, error) {
	tx := b.tx
	st, err := b.stmt("runs", runInsertColumns, "id, route_id, number_key, departed_day", 15, len(rows))
	if err != nil {
		return false, err
	}
	args := make([]any, 0, 15*len(rows))
	byKey := make(map[runKey]*runRow, len(rows))
	for i := range rows {
		args = runInsertArgs(args, rows[i].row)
		byKey[keyOf(rows[i].row)] = &rows[i].row
	}
	if err := tx.exec("SAVEPOINT banlie_bulk"); err != nil {
		return false, err
	}
	// Without the import's cancellation: SQLite interrupts a cancelled
	// statement, which in a group commit (group.go) may roll back the
	// other callers' writes; a cancelled import stops between batches.
	ids, err := st.QueryContext(context.WithoutCancel(b.ctx), args...)
	if err == nil {
		err = func() error {
			defer ids.Close()
			for ids.Next() {
				var id int64
				var k runKey
				if err := ids.Scan(&id, &k.route, &k.number, &k.day); err != nil {
					return err
				}
				if r := byKey[k]; r != nil {
					r.ID = id
				}
			}
			return ids.Err()
		}()
	}
	if err != nil {
		if rerr := tx.exec("ROLLBACK TO SAVEPOINT banlie_bulk"); rerr != nil {
			return false, errors.Join(err, rerr)
		}
		if rerr := tx.exec("RELEASE SAVEPOINT banlie_bulk"); rerr != nil {
			return false, errors.Join(err, rerr)
		}
		if errors.Is(tx.translate(err), gorm.ErrDuplicatedKey) || isConstraint(err) {
			return false, nil
		}
		return false, fmt.Errorf("import: insert runs: %w", err)
	}
	for i := range rows {
		if rows[i].row.ID == 0 {
			return false, fmt.Errorf("import: insert runs: no id returned for line %d", rows[i].l.line)
		}
	}
	return true, tx.exec("RELEASE SAVEPOINT banlie_bulk")
}

// isConstraint reports whether err is a refusal by a constraint of the
// schema (a CHECK, a foreign key, NOT NULL), which the line-by-line path
// reports on its line.
func isConstraint(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "constraint") || strings.Contains(m, "sqlstate 23")
}

// audit writes the audit entries of the runs written, as CreateRun writes
// one, with one INSERT, and leaves the copy of those entries into the
// outbox (run.created, the run as the API shows it) to the commit.
func (b *bulkImport) audit(rows []bulkRow) error {
	if len(rows) == 0 {
		return nil
	}
	tx := b.tx
	st, err := b.stmt("audit_log", "at, actor, action, entity, entity_id, before_value, after_value, request_id", "id", 8, len(rows))
	if err != nil {
		return err
	}
	at, a := tx.now(), tx.w.Actor
	args := make([]any, 0, 8*len(rows))
	for _, r := range rows {
		data, err := json.Marshal(r.row.toRun(r.route.Code, r.route.Mode, tx.Loc))
		if err != nil {
			return err
		}
		args = append(args, at, a.Name, "runs.create", "run", idString(r.row.ID), nil, string(data), a.RequestID)
	}
	got, err := st.QueryContext(context.WithoutCancel(b.ctx), args...) // as insertRuns does
	if err != nil {
		return fmt.Errorf("import: audit: %w", err)
	}
	defer got.Close()
	ids := make([]int64, 0, len(rows))
	for got.Next() {
		var id int64
		if err := got.Scan(&id); err != nil {
			return fmt.Errorf("import: audit: %w", err)
		}
		ids = append(ids, id)
	}
	if err := got.Err(); err != nil {
		return fmt.Errorf("import: audit: %w", err)
	}
	// The entries' ids, in runs of consecutive ones: on PostgreSQL other
	// transactions may take ids in between.
	slices.Sort(ids)
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		*tx.pending = append(*tx.pending, outboxRow{Type: models.EventRunCreated, At: at, auditFrom: ids[i], auditTo: ids[j]})
		i = j + 1
	}
	return nil
}
