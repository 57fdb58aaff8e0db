package store

import (
	"banlie/models"
	"context"
	"errors"
	"fmt"
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

func (r seaRailRow) toCount(loc *time.Location) models.SeaRailCount {
	return models.SeaRailCount{ID: r.ID, Date: r.Date, Port: r.Port, Direction: r.Direction, TEU: r.TEU, Note: r.Note,
		CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc)}
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

// CreateSeaRailCount validates and stores one day's count.
func (s *Store) CreateSeaRailCount(ctx context.Context, w Write, in models.SeaRailInput) (models.SeaRailCount, error) {
	var p models.Problems
	in.Validate(&p)
	in.CheckDay(&p, s.Today())
	if err := p.Err(); err != nil {
		return models.SeaRailCount{}, err
	}
	row := seaRailRow{Date: in.Date, Port: in.Port, PortKey: foldKey(in.Port), Direction: in.Direction, TEU: *in.TEU}
	if in.Note != nil {
		row.Note = *in.Note
	}
	err := s.Tx(ctx, w, func(tx *Store) error {
		row.CreatedAt = tx.now()
		row.UpdatedAt = row.CreatedAt
		if err := tx.db.Create(&row).Error; err != nil {
			return tx.seaRailConflict(err, row)
		}
		if err := tx.audit(ctx, "sea_rail_counts.create", "sea_rail_count", idString(row.ID), nil, row.toCount(s.Loc)); err != nil {
			return err
		}
		return tx.markDirty(row.Date)
	})
	return row.toCount(s.Loc), storeErr("sea_rail.create", err, "", "")
}

// GetSeaRailCount answers one count.
func (s *Store) GetSeaRailCount(ctx context.Context, id int64) (models.SeaRailCount, error) {
	var row seaRailRow
	err := s.db.WithContext(ctx).Take(&row, id).Error
	return row.toCount(s.Loc), storeErr("sea_rail.get", err, fmt.Sprintf("no sea-rail count with id %d", id), "")
}

// seaRailPager pages counts newest day first.
var seaRailPager = pager[seaRailRow]{list: "sea_rail_counts", desc: true,
	keys: []sortKey{{"d", "date", stringKey}, {"i", "id", intKey}},
	of:   func(r seaRailRow) []any { return []any{r.Date, r.ID} }}

// ListSeaRailCounts answers counts, newest date first.
func (s *Store) ListSeaRailCounts(ctx context.Context, f models.SeaRailFilter) (models.Page[models.SeaRailCount], error) {
	q := s.db.WithContext(ctx).Model(&seaRailRow{})
	if f.Port != nil {
		q = q.Where("port_key = ?", foldKey(models.NormalizeText(*f.Port)))
	}
	if f.Direction != nil {
		q = q.Where("direction = ?", *f.Direction)
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
	page := models.Page[models.SeaRailCount]{Items: make([]models.SeaRailCount, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, r.toCount(s.Loc))
	}
	return page, nil
}

// UpdateSeaRailCount applies a partial update.
func (s *Store) UpdateSeaRailCount(ctx context.Context, w Write, id int64, patch models.SeaRailPatch) (models.SeaRailCount, error) {
	var out models.SeaRailCount
	err := s.Tx(ctx, w, func(tx *Store) error {
		var row seaRailRow
		if err := tx.forUpdate(tx.db, "sea_rail_counts").Take(&row, id).Error; err != nil {
			return storeErr("sea_rail.get", err, fmt.Sprintf("no sea-rail count with id %d", id), "")
		}
		in := patch.Apply(row.toCount(s.Loc))
		var p models.Problems
		in.Validate(&p)
		in.CheckDay(&p, tx.Today())
		if err := p.Err(); err != nil {
			return err
		}
		old := row
		oldDate, before := row.Date, row.toCount(s.Loc)
		row.Date, row.Port, row.PortKey, row.Direction, row.TEU, row.Note = in.Date, in.Port, foldKey(in.Port), in.Direction, *in.TEU, *in.Note
		if row.Date == old.Date && row.Port == old.Port && row.Direction == old.Direction && row.TEU == old.TEU && row.Note == old.Note {
			out = row.toCount(s.Loc)
			tx.leavesServedDataAlone()
			return nil
		}
		row.UpdatedAt = tx.now()
		if err := tx.db.Save(&row).Error; err != nil {
			return tx.seaRailConflict(err, row)
		}
		out = row.toCount(s.Loc)
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
		if err := tx.audit(ctx, "sea_rail_counts.delete", "sea_rail_count", idString(id), row.toCount(s.Loc), nil); err != nil {
			return err
		}
		return tx.markDirty(row.Date)
	})
	return storeErr("sea_rail.delete", err, "", "")
}
