package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"

	"banlie/models"
)

// Limits of list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// normLimit is the page size asked for, defaulted and capped.
func normLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// keyKind is the type of a sort key's values, so that a cursor's values are
// checked before they reach a query.
type keyKind int

const (
	intKey    keyKind = iota // a positive id
	stringKey                // a non-empty code, day or period
	timeKey                  // a non-zero instant
)

// sortKey is one column of a list's order.
type sortKey struct {
	name string // its name in the cursor
	col  string // the column, as the query names it
	kind keyKind
}

// pager pages through a list in a total order (the last key is unique), by
// keyset: a page's cursor holds the sort keys of its last row, and the next
// page starts after them, so that a cursor never repeats or skips a row
// however deep it is. Every list of the store pages with one.
type pager[R any] struct {
	list string // cursors of one list are refused by another
	desc bool   // all keys descending (newest first), or all ascending
	keys []sortKey
	of   func(R) []any // the row's values of keys, in order
}

// page reads the page of q (filtered, not yet ordered) that follows cursor
// ("" for the first page): at most limit rows and the cursor of the next
// page, nil on the last.
func (p pager[R]) page(q *gorm.DB, cursor string, limit int) ([]R, *string, error) {
	cols := make([]string, len(p.keys))
	order := make([]string, len(p.keys))
	for i, k := range p.keys {
		cols[i] = k.col
		order[i] = k.col
		if p.desc {
			order[i] += " DESC"
		}
	}
	if cursor != "" {
		vals, err := p.decode(cursor)
		if err != nil {
			return nil, nil, err
		}
		op := " > "
		if p.desc {
			op = " < "
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")
		if len(vals) == 1 {
			q = q.Where(cols[0]+op+"?", vals...)
		} else {
			// A row value: both SQLite and PostgreSQL read it as a range of
			// the index on the keys.
			q = q.Where("("+strings.Join(cols, ", ")+")"+op+"("+marks+")", vals...)
		}
	}
	limit = normLimit(limit)
	var rows []R
	if err := q.Order(strings.Join(order, ", ")).Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	if len(rows) <= limit {
		return rows, nil, nil
	}
	rows = rows[:limit]
	return rows, p.encode(p.of(rows[limit-1])), nil
}

// filterOnly is a text column col written so that the planner does not
// choose an index on it (a unary plus on SQLite, an empty concatenation on
// PostgreSQL): the column filters the rows of a range read in the list's
// order instead of making a range of its own, which would have to be
// sorted. For a column whose index does not also hold the list's order.
func (s *Store) filterOnly(col string) string {
	if s.db.Dialector.Name() == "sqlite" {
		return "+" + col
	}
	return "(" + col + " || '')"
}

// encode writes a cursor, opaque to clients: base64url of the list's name and a small
// JSON object of the last row's keys.
func (p pager[R]) encode(vals []any) *string {
	m := make(map[string]any, len(vals))
	for i, k := range p.keys {
		v := vals[i]
		if t, ok := v.(time.Time); ok {
			v = t.UTC()
		}
		m[k.name] = v
	}
	b, _ := json.Marshal(m)
	s := base64.RawURLEncoding.EncodeToString(append([]byte(p.list+"."), b...))
	return &s
}

func (p pager[R]) decode(cursor string) ([]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, errBadCursor
	}
	body, ok := bytes.CutPrefix(b, []byte(p.list+"."))
	if !ok {
		return nil, errBadCursor
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || len(m) != len(p.keys) {
		return nil, errBadCursor
	}
	vals := make([]any, len(p.keys))
	for i, k := range p.keys {
		raw, ok := m[k.name]
		if !ok {
			return nil, errBadCursor
		}
		switch k.kind {
		case intKey:
			var v int64
			if json.Unmarshal(raw, &v) != nil || v <= 0 {
				return nil, errBadCursor
			}
			vals[i] = v
		case stringKey:
			var v string
			if json.Unmarshal(raw, &v) != nil || v == "" {
				return nil, errBadCursor
			}
			vals[i] = v
		case timeKey:
			var v time.Time
			if json.Unmarshal(raw, &v) != nil || v.IsZero() {
				return nil, errBadCursor
			}
			vals[i] = v.UTC()
		}
	}
	return vals, nil
}

var errBadCursor = models.BadField("cursor", models.CodeInvalidFormat, models.Params{"format": "cursor"}, "cursor is not one this server issued for this list")
