package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"banlie/models"
)

// ExportRuns writes runs (filtered like the list) as CSV, newest departure
// first, in the format ImportRuns reads back. Cells that a spreadsheet would
// run as formulas are neutralised with a leading apostrophe, which
// ImportRuns takes off again (see neutralizeCell).
//
// One query walks the list's index (runs_departed, or the filtered
// column's) once, each run's container numbers aggregated beside it from
// run_containers' primary key; every row is written as it is read, so
// memory stays bounded however many runs there are, and the file is one
// snapshot of the data. The list's cursor and limit do not apply.
func (s *Store) ExportRuns(ctx context.Context, f models.RunFilter, w io.Writer) (int, error) {
	f.Cursor, f.Limit = "", 0
	agg := "group_concat(number, ';' ORDER BY seq)"
	if s.db.Dialector.Name() == "postgres" {
		agg = "string_agg(number, ';' ORDER BY seq)"
	}
	q := s.runsFiltered(s.db.WithContext(ctx).Table("runs").
		// The columns the CSV has, no more: each instant read costs a parse.
		Select(`runs.id, routes.code, runs.number, runs.direction, runs.departed_at, runs.arrived_at,
			runs.status, runs.containers, runs.empty_containers, runs.teu, runs.cargo,
			(SELECT `+agg+` FROM run_containers WHERE run_containers.run_id = runs.id) AS container_numbers`).
		Joins("JOIN routes ON routes.id = runs.route_id"), f).
		Order("runs.departed_at DESC, runs.id DESC")
	rows, err := q.Rows()
	if err != nil {
		return 0, storeErr("runs.export", err, "", "")
	}
	defer rows.Close()
	// Written out 64 KiB at a time (csv.Writer writes into this buffer
	// itself): a few syscalls, chunks or packets per megabyte.
	cw := csv.NewWriter(bufio.NewWriterSize(w, 64<<10))
	if err := cw.Write(RunCSVHeader); err != nil {
		return 0, err
	}
	n := 0
	rec := make([]string, len(runColumns))
	for rows.Next() {
		var r runRow
		var code string
		var arrived sql.NullTime
		var boxes sql.NullString
		if err := rows.Scan(&r.ID, &code, &r.Number, &r.Direction, &r.DepartedAt, &arrived, &r.Status,
			&r.Containers, &r.EmptyContainers, &r.TEU, &r.Cargo, &boxes); err != nil {
			return n, fmt.Errorf("runs.export: %w", err)
		}
		if arrived.Valid {
			r.ArrivedAt = &arrived.Time
		}
		r.ContainerNumbers = []string{}
		if boxes.String != "" {
			r.ContainerNumbers = strings.Split(boxes.String, ";")
		}
		run := r.toRun(code, "", s.Loc) // the mode and the row's own times are no column
		for i, c := range runColumns {
			rec[i] = neutralizeCell(c.cell(run))
		}
		if err := cw.Write(rec); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("runs.export: %w", err)
	}
	cw.Flush()
	return n, cw.Error()
}
