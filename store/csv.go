package store

import (
	"banlie/models"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RunCSVHeader is the header of the runs CSV that import reads and export writes.
var RunCSVHeader = []string{"route", "number", "direction", "departed_at", "arrived_at", "status", "containers", "teu", "cargo", "container_numbers"}

// ImportResult says what an import did (or, in a dry run, would do).
type ImportResult struct {
	Created int                 `json:"created"`
	Skipped int                 `json:"skipped"` // already stored with the same values: a re-import is harmless
	Errors  []models.FieldError `json:"errors"`  // field is "line N: column"
}

// ImportRuns reads runs from CSV (RunCSVHeader, in any column order) and
// logs them in one transaction: if any line is invalid or conflicts with a
// different stored run, nothing is written and every problem is listed with
// its line. A line that matches a stored run exactly (same route, number,
// departure day and values) is skipped, so importing a file twice never
// counts a train twice. A cell's apostrophe that ExportRuns put in front of
// a formula-like value is taken off.
func (s *Store) ImportRuns(ctx context.Context, w Write, r io.Reader, dryRun bool) (ImportResult, error) {
	res := ImportResult{Errors: []models.FieldError{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return res, models.BadRequestf("the CSV has no header line: %s", strings.Join(RunCSVHeader, ","))
	}
	col := map[string]int{}
	for i, h := range head {
		name := strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, twice := col[name]; twice {
			return res, models.BadRequestf("the CSV header has the column %q twice", name)
		}
		col[name] = i
	}
	for _, need := range []string{"route", "number", "direction", "departed_at"} {
		if _, ok := col[need]; !ok {
			return res, models.BadRequestf("the CSV header lacks the column %q (expected %s)", need, strings.Join(RunCSVHeader, ","))
		}
	}
	for name := range col {
		if !models.OneOf(name, RunCSVHeader...) {
			return res, models.BadRequestf("the CSV header has an unknown column %q (expected %s)", name, strings.Join(RunCSVHeader, ","))
		}
	}
	errRollback := errors.New("dry run or invalid lines: roll back")
	err = s.Tx(ctx, w, func(tx *Store) error {
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				// The line as an editor numbers it (a quoted cell may span lines).
				line := 0
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					line = pe.StartLine
				}
				res.Errors = append(res.Errors, models.NewFieldError(fmt.Sprintf("line %d", line), models.CodeInvalidFormat, models.Params{"format": "csv"}, "is not valid CSV"))
				break
			}
			line, _ := cr.FieldPos(0)
			prefix := fmt.Sprintf("line %d", line)
			if len(rec) > len(head) {
				res.Errors = append(res.Errors, models.NewFieldError(prefix, models.CodeTooMany, models.Params{"max": len(head), "count": len(rec)},
					"has %d cells but the header %d (a value with a comma needs quotes)", len(rec), len(head)))
				continue
			}
			get := func(name string) string {
				if i, ok := col[name]; ok && i < len(rec) {
					return importCell(rec[i])
				}
				return ""
			}
			in := models.RunInput{Route: get("route"), Number: get("number"), Direction: get("direction"), DepartedAt: get("departed_at"), Status: get("status")}
			if v := get("arrived_at"); v != "" {
				in.ArrivedAt = &v
			}
			if v := get("cargo"); v != "" {
				in.Cargo = &v
			}
			if v := get("container_numbers"); v != "" {
				in.ContainerNumbers = strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ' ' })
			}
			// A number that does not parse is listed; the line is still
			// validated for its other problems (nothing is kept anyway).
			for _, n := range []struct {
				name string
				dst  **int
			}{{"containers", &in.Containers}, {"teu", &in.TEU}} {
				if v := get(n.name); v != "" {
					k, err := strconv.Atoi(v)
					if err != nil {
						res.Errors = append(res.Errors, models.NewFieldError(prefix+": "+n.name, models.CodeInvalidFormat, models.Params{"format": "integer"}, "must be a whole number"))
						continue
					}
					*n.dst = &k
				}
			}
			_, err = tx.CreateRun(ctx, w, in)
			var e *models.Error
			switch {
			case err == nil:
				res.Created++
			case errors.As(err, &e) && e.Code == models.EINVALID:
				for _, f := range e.Fields {
					f.Field = prefix + ": " + f.Field
					res.Errors = append(res.Errors, f)
				}
			case errors.As(err, &e) && e.Code == models.ECONFLICT && len(e.Fields) > 0 && e.Fields[0].Field == "container_numbers":
				// Its containers are on other runs at the time (or on an
				// earlier line's).
				for _, f := range e.Fields {
					f.Field = prefix + ": " + f.Field
					res.Errors = append(res.Errors, f)
				}
			case errors.As(err, &e) && e.Code == models.ECONFLICT:
				same, cerr := tx.sameAsStored(ctx, in)
				if cerr != nil {
					return cerr
				}
				if same {
					res.Skipped++
				} else {
					params := models.Params{"resource": "run"}
					if len(e.Fields) == 1 && e.Fields[0].Code == models.CodeConflict {
						params = e.Fields[0].Params
					}
					res.Errors = append(res.Errors, models.NewFieldError(prefix, models.CodeConflict, params, "%s, with other values", e.Message))
				}
			default:
				return err
			}
		}
		if dryRun || len(res.Errors) > 0 {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	if err == nil && len(res.Errors) > 0 {
		msg := fmt.Sprintf("%d problems in the CSV; nothing was imported", len(res.Errors))
		if len(res.Errors) == 1 {
			msg = "1 problem in the CSV; nothing was imported"
		}
		return res, &models.Error{Code: models.EINVALID, Message: msg, Fields: res.Errors}
	}
	return res, err
}

// sameAsStored reports whether the run that conflicts with in (same route,
// number and departure day) holds the same values.
func (s *Store) sameAsStored(ctx context.Context, in models.RunInput) (bool, error) {
	var p models.Problems
	v := in.Validate(&p)
	route, err := s.routeRowByCode(v.Route)
	if err != nil || p.Err() != nil {
		return false, err
	}
	var row runRow
	if err := s.db.WithContext(ctx).Where("route_id = ? AND number_key = ? AND departed_day = ?", route.ID, upperASCII(v.Number), models.DayOf(v.DepartedAt, s.Loc).String()).Take(&row).Error; err != nil {
		return false, err
	}
	if err := s.withContainers(ctx, &row); err != nil {
		return false, err
	}
	var want runRow
	fill(&want, v, s.Loc)
	sameTime := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
	// A CSV cell cannot tell an empty cargo from none, and import trims
	// cells: a cargo that differs only so is the same.
	sameText := func(a, b *string) bool {
		text := func(s *string) string {
			if s == nil {
				return ""
			}
			return strings.TrimSpace(*s)
		}
		return text(a) == text(b)
	}
	return row.DepartedAt.Equal(want.DepartedAt) && sameTime(row.ArrivedAt, want.ArrivedAt) && row.Direction == want.Direction &&
		row.Status == want.Status && row.Containers == want.Containers && row.TEU == want.TEU &&
		sameText(row.Cargo, want.Cargo) && slices.Equal(row.ContainerNumbers, want.ContainerNumbers), nil
}

// formulaStart holds the characters that make a spreadsheet read a cell as
// a formula (CSV injection: =HYPERLINK(...), +cmd|..., -1+1, @SUM(...)).
const formulaStart = "=+-@\t\r"

// neutralizeCell guards an exported cell against CSV injection the way
// spreadsheets themselves mark text: a cell that would start with one of
// formulaStart, after any apostrophes, gets one more apostrophe in front:
// "=cmd" is written as "'=cmd", and "'=cmd" with two apostrophes. unneutralizeCell,
// on import, takes exactly that apostrophe off again, so an export always
// imports back to the same values; every other cell is left as it is.
func neutralizeCell(s string) string {
	if t := strings.TrimLeft(s, "'"); t != "" && strings.IndexByte(formulaStart, t[0]) >= 0 {
		return "'" + s
	}
	return s
}

// importCell is a cell's value as import reads it: trimmed, then with the
// export's formula mark taken off. A value that was only a tab or a carriage
// return was marked too ("'\t"); it reads as blank, as it would unmarked.
func importCell(raw string) string {
	v := strings.TrimSpace(raw)
	if v == "'" && len(raw) > 1 && raw[0] == '\'' && strings.IndexByte(formulaStart, raw[1]) >= 0 && strings.TrimSpace(raw[1:]) == "" {
		return ""
	}
	return unneutralizeCell(v)
}

// unneutralizeCell undoes neutralizeCell: one apostrophe comes off a cell
// made of apostrophes followed by a formula character. (A hand-written
// '=cmd is read as =cmd, as a spreadsheet reads it.)
func unneutralizeCell(s string) string {
	if t := strings.TrimLeft(s, "'"); len(t) < len(s) && t != "" && strings.IndexByte(formulaStart, t[0]) >= 0 {
		return s[1:]
	}
	return s
}

// ExportRuns writes runs (filtered like the list) as CSV, newest departure
// first, in the format ImportRuns reads back. Cells that a spreadsheet would
// run as formulas are neutralised with a leading apostrophe, which
// ImportRuns takes off again (see neutralizeCell).
func (s *Store) ExportRuns(ctx context.Context, f models.RunFilter, w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(RunCSVHeader); err != nil {
		return 0, err
	}
	n := 0
	f.Limit = MaxLimit
	for {
		page, err := s.ListRuns(ctx, f)
		if err != nil {
			return n, err
		}
		for _, r := range page.Items {
			arrived, cargo := "", ""
			if r.ArrivedAt != nil {
				arrived = r.ArrivedAt.Format(time.RFC3339Nano)
			}
			if r.Cargo != nil {
				cargo = *r.Cargo
			}
			rec := []string{r.Route, r.Number, r.Direction, r.DepartedAt.Format(time.RFC3339Nano), arrived, r.Status,
				strconv.Itoa(r.Containers), strconv.Itoa(r.TEU), cargo, strings.Join(r.ContainerNumbers, ";")}
			for i := range rec {
				rec[i] = neutralizeCell(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		if page.NextCursor == nil {
			break
		}
		f.Cursor = *page.NextCursor
	}
	cw.Flush()
	return n, cw.Error()
}
