package store

import (
	"banlie/models"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

type seaRailRow struct {
	ID        int64 `gorm:"primaryKey"`
	Date      string
	Port      string
	PortKey   string
	Direction string
	TEU       int `gorm:"column:teu"`
	Note      string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (seaRailRow) TableName() string { return "sea_rail_counts" }

func (r seaRailRow) toCount(loc *time.Location, names map[string]models.PortName) models.SeaRailCount {
	return models.SeaRailCount{ID: r.ID, Date: r.Date, Port: r.Port, PortName: names[r.Port], Direction: r.Direction, TEU: r.TEU, Note: r.Note,
		CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc)}
}

// countOf answers a stored row as a count, with its port's names.
func (s *Store) countOf(ctx context.Context, r seaRailRow) (models.SeaRailCount, error) {
	names, err := s.portNames(ctx, []string{r.Port})
	return r.toCount(s.Loc, names), err
}

func (s *Store) seaRailConflict(err error, r seaRailRow) error {
	err = storeErr("sea_rail.write", err, "", fmt.Sprintf("%s already has an %s count for %s; correct it with PATCH", r.Port, r.Direction, r.Date))
	var e *models.Error
	if errors.As(err, &e) && e.Code == models.ECONFLICT {
		e.Fields = []models.FieldError{models.NewFieldError("date", models.CodeConflict,
			models.Params{"resource": "sea_rail_count", "port": r.Port, "direction": r.Direction, "date": r.Date},
			"%s already has an %s count for this date", r.Port, r.Direction)}
	}
	return err
}

// CreateSeaRailCount validates and stores one day's count. Its port is
// given by code or alias, and stored as the port's code.
func (s *Store) CreateSeaRailCount(ctx context.Context, w Write, in models.SeaRailInput) (models.SeaRailCount, error) {
	var out models.SeaRailCount
	err := s.Tx(ctx, w, func(tx *Store) error {
		var p models.Problems
		in.Validate(&p)
		in.CheckDay(&p, tx.Today())
		if !p.Has("port") {
			code, err := tx.resolvePort(ctx, &p, "port", in.Port)
			if err != nil {
				return err
			}
			in.Port = code
		}
		if err := p.Err(); err != nil {
			return err
		}
		row := seaRailRow{Date: in.Date, Port: in.Port, PortKey: foldKey(in.Port), Direction: in.Direction, TEU: *in.TEU}
		if in.Note != nil {
			row.Note = *in.Note
		}
		row.CreatedAt = tx.now()
		row.UpdatedAt = row.CreatedAt
		if err := tx.db.Create(&row).Error; err != nil {
			return tx.seaRailConflict(err, row)
		}
		var err error
		if out, err = tx.countOf(ctx, row); err != nil {
			return err
		}
		if err := tx.audit(ctx, "sea_rail_counts.create", "sea_rail_count", idString(row.ID), nil, out); err != nil {
			return err
		}
		return tx.markDirty(row.Date)
	})
	return out, storeErr("sea_rail.create", err, "", "")
}

// GetSeaRailCount answers one count.
func (s *Store) GetSeaRailCount(ctx context.Context, id int64) (models.SeaRailCount, error) {
	var row seaRailRow
	if err := s.db.WithContext(ctx).Take(&row, id).Error; err != nil {
		return models.SeaRailCount{}, storeErr("sea_rail.get", err, fmt.Sprintf("no sea-rail count with id %d", id), "")
	}
	out, err := s.countOf(ctx, row)
	return out, storeErr("sea_rail.get", err, "", "")
}

// seaRailPager pages counts newest day first.
var seaRailPager = pager[seaRailRow]{list: "sea_rail_counts", desc: true,
	keys: []sortKey{{"d", "date", stringKey}, {"i", "id", intKey}},
	of:   func(r seaRailRow) []any { return []any{r.Date, r.ID} }}

// ListSeaRailCounts answers counts, newest date first.
func (s *Store) ListSeaRailCounts(ctx context.Context, f models.SeaRailFilter) (models.Page[models.SeaRailCount], error) {
	q := s.db.WithContext(ctx).Model(&seaRailRow{})
	if f.Port != nil {
		code, err := s.portCodeOf(ctx, *f.Port)
		if err != nil {
			return models.Page[models.SeaRailCount]{}, fmt.Errorf("sea_rail.list: %w", err)
		}
		q = q.Where("port = ?", code)
	}
	if f.Direction != nil {
		// A filter on sea_rail_date's order: the unique index that starts
		// with the date would have PostgreSQL sort each day's counts.
		q = q.Where(s.filterOnly("direction")+" = ?", *f.Direction)
	}
	if f.From != nil {
		q = q.Where("date >= ?", f.From.String())
	}
	if f.To != nil {
		q = q.Where("date <= ?", f.To.String())
	}
	rows, next, err := seaRailPager.page(q, f.Cursor, f.Limit)
	if err != nil {
		return models.Page[models.SeaRailCount]{}, storeErr("sea_rail.list", err, "", "")
	}
	var codes []string
	for _, r := range rows {
		if !slices.Contains(codes, r.Port) {
			codes = append(codes, r.Port)
		}
	}
	names, err := s.portNames(ctx, codes)
	if err != nil {
		return models.Page[models.SeaRailCount]{}, fmt.Errorf("sea_rail.list: %w", err)
	}
	page := models.Page[models.SeaRailCount]{Items: make([]models.SeaRailCount, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, r.toCount(s.Loc, names))
	}
	return page, nil
}

// portCodeOf answers the code of the port that text names (a code or an
// alias, in any case): a filter's port. A text that names none is answered
// as a code, which selects nothing, or a port under review.
func (s *Store) portCodeOf(ctx context.Context, text string) (string, error) {
	code := models.PortCode(text)
	var port string
	err := s.queryRow(ctx, `SELECT p.code FROM port_codes c JOIN ports p ON p.id = c.port_id WHERE c.code = ?`, code).Scan(&port)
	if errors.Is(err, sql.ErrNoRows) {
		return code, nil
	}
	return port, err
}

// UpdateSeaRailCount applies a partial update.
func (s *Store) UpdateSeaRailCount(ctx context.Context, w Write, id int64, patch models.SeaRailPatch) (models.SeaRailCount, error) {
	var out models.SeaRailCount
	err := s.Tx(ctx, w, func(tx *Store) error {
		var row seaRailRow
		if err := tx.forUpdate(tx.db, "sea_rail_counts").Take(&row, id).Error; err != nil {
			return storeErr("sea_rail.get", err, fmt.Sprintf("no sea-rail count with id %d", id), "")
		}
		before, err := tx.countOf(ctx, row)
		if err != nil {
			return err
		}
		in := patch.Apply(before)
		var p models.Problems
		in.Validate(&p)
		if in.Date != row.Date {
			in.CheckDay(&p, tx.Today()) // a count stored before the rule can still be corrected
		}
		if patch.Port != nil && !p.Has("port") {
			if in.Port, err = tx.resolvePort(ctx, &p, "port", in.Port); err != nil {
				return err
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		old := row
		oldDate := row.Date
		row.Date, row.Port, row.PortKey, row.Direction, row.TEU, row.Note = in.Date, in.Port, foldKey(in.Port), in.Direction, *in.TEU, *in.Note
		if row.Date == old.Date && row.Port == old.Port && row.Direction == old.Direction && row.TEU == old.TEU && row.Note == old.Note {
			out = before
			tx.leavesServedDataAlone()
			return nil
		}
		row.UpdatedAt = tx.now()
		if err := tx.db.Save(&row).Error; err != nil {
			return tx.seaRailConflict(err, row)
		}
		if out, err = tx.countOf(ctx, row); err != nil {
			return err
		}
		if err := tx.audit(ctx, "sea_rail_counts.update", "sea_rail_count", idString(id), before, out); err != nil {
			return err
		}
		return tx.markDirty(oldDate, row.Date)
	})
	return out, storeErr("sea_rail.update", err, "", "")
}

// DeleteSeaRailCount removes a count.
func (s *Store) DeleteSeaRailCount(ctx context.Context, w Write, id int64) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		var row seaRailRow
		if err := tx.db.Take(&row, id).Error; err != nil {
			return storeErr("sea_rail.get", err, fmt.Sprintf("no sea-rail count with id %d", id), "")
		}
		if err := tx.db.Delete(&row).Error; err != nil {
			return err
		}
		before, err := tx.countOf(ctx, row)
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, "sea_rail_counts.delete", "sea_rail_count", idString(id), before, nil); err != nil {
			return err
		}
		return tx.markDirty(row.Date)
	})
	return storeErr("sea_rail.delete", err, "", "")
}
