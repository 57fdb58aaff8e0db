package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sea-rail directions are seen from the port.
var SeaRailDirections = []string{"import", "export"}

// MaxSeaRailTEU bounds one day's count at one port.
const MaxSeaRailTEU = 1_000_000

// SeaRailCount is one day's sea-rail intermodal volume at a port, in one direction.
type SeaRailCount struct {
	ID        int64     `json:"id"`
	Date      string    `json:"date"`
	Port      string    `json:"port"`
	Direction string    `json:"direction"`
	TEU       int       `json:"teu"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SeaRailInput is a count as a client sends it for a create.
type SeaRailInput struct {
	Date      string  `json:"date"`
	Port      string  `json:"port"`
	Direction string  `json:"direction"`
	TEU       *int    `json:"teu"`
	Note      *string `json:"note"`
}

// SeaRailPatch holds the fields a PATCH changes.
type SeaRailPatch struct {
	Date      *string
	Port      *string
	Direction *string
	TEU       *int
	Note      *string
}

// SeaRailFilter selects counts for a list; From and To are inclusive dates.
type SeaRailFilter struct {
	Port      *string
	Direction *string
	From      *string
	To        *string
	Limit     int
	Cursor    string
}

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

func (in *SeaRailInput) validate(p *Problems) {
	in.Port = strings.Join(strings.Fields(normalizeText(in.Port)), " ")
	if in.Date == "" {
		p.Add("date", "is required")
	} else if _, err := ParseDate(in.Date); err != nil {
		p.Add("date", "%s", err.Error())
	}
	checkLine(p, "port", in.Port, true, 100)
	if !oneOf(in.Direction, SeaRailDirections...) {
		p.Add("direction", "must be import or export")
	}
	if in.TEU == nil {
		p.Add("teu", "is required")
	} else if *in.TEU < 0 || *in.TEU > MaxSeaRailTEU {
		p.Add("teu", "must be between 0 and %d", MaxSeaRailTEU)
	}
	if in.Note != nil {
		checkText(p, "note", *in.Note, false, 1000)
	}
}

func (r seaRailRow) toCount(loc *time.Location) SeaRailCount {
	return SeaRailCount{ID: r.ID, Date: r.Date, Port: r.Port, Direction: r.Direction, TEU: r.TEU, Note: r.Note,
		CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc)}
}

func (s *Store) seaRailConflict(err error, r seaRailRow) error {
	err = storeErr("sea_rail.write", err, "", fmt.Sprintf("%s already has an %s count for %s; correct it with PATCH", r.Port, r.Direction, r.Date))
	var e *Error
	if errors.As(err, &e) && e.Code == ECONFLICT {
		e.Fields = []FieldError{{Field: "date", Message: fmt.Sprintf("%s already has an %s count for this date", r.Port, r.Direction)}}
	}
	return err
}

// CreateSeaRailCount validates and stores one day's count.
func (s *Store) CreateSeaRailCount(ctx context.Context, in SeaRailInput) (SeaRailCount, error) {
	var p Problems
	in.validate(&p)
	if err := p.Err(); err != nil {
		return SeaRailCount{}, err
	}
	now := s.now()
	row := seaRailRow{Date: in.Date, Port: in.Port, PortKey: foldKey(in.Port), Direction: in.Direction, TEU: *in.TEU, CreatedAt: now, UpdatedAt: now}
	if in.Note != nil {
		row.Note = *in.Note
	}
	err := s.Tx(ctx, func(tx *Store) error {
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
func (s *Store) GetSeaRailCount(ctx context.Context, id int64) (SeaRailCount, error) {
	var row seaRailRow
	err := s.db.WithContext(ctx).Take(&row, id).Error
	return row.toCount(s.Loc), storeErr("sea_rail.get", err, fmt.Sprintf("no sea-rail count with id %d", id), "")
}

type seaRailCursor struct {
	D string `json:"d"`
	I int64  `json:"i"`
}

// ListSeaRailCounts answers counts, newest date first.
func (s *Store) ListSeaRailCounts(ctx context.Context, f SeaRailFilter) (Page[SeaRailCount], error) {
	q := s.db.WithContext(ctx).Model(&seaRailRow{})
	if f.Port != nil {
		q = q.Where("port_key = ?", foldKey(normalizeText(*f.Port)))
	}
	if f.Direction != nil {
		q = q.Where("direction = ?", *f.Direction)
	}
	if f.From != nil {
		q = q.Where("date >= ?", *f.From)
	}
	if f.To != nil {
		q = q.Where("date <= ?", *f.To)
	}
	if f.Cursor != "" {
		var c seaRailCursor
		if err := decodeCursor("sea_rail_counts", f.Cursor, &c); err != nil {
			return Page[SeaRailCount]{}, err
		}
		if c.D == "" || c.I <= 0 {
			return Page[SeaRailCount]{}, errBadCursor
		}
		q = q.Where("date < ? OR (date = ? AND id < ?)", c.D, c.D, c.I)
	}
	limit := normLimit(f.Limit)
	var rows []seaRailRow
	if err := q.Order("date DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[SeaRailCount]{}, fmt.Errorf("sea_rail.list: %w", err)
	}
	page := Page[SeaRailCount]{Items: make([]SeaRailCount, 0, len(rows))}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = encodeCursor("sea_rail_counts", seaRailCursor{D: rows[limit-1].Date, I: rows[limit-1].ID})
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.toCount(s.Loc))
	}
	return page, nil
}

// UpdateSeaRailCount applies a partial update.
func (s *Store) UpdateSeaRailCount(ctx context.Context, id int64, patch SeaRailPatch) (SeaRailCount, error) {
	var out SeaRailCount
	err := s.Tx(ctx, func(tx *Store) error {
		var row seaRailRow
		if err := tx.forUpdate(tx.db, "sea_rail_counts").Take(&row, id).Error; err != nil {
			return storeErr("sea_rail.get", err, fmt.Sprintf("no sea-rail count with id %d", id), "")
		}
		in := SeaRailInput{Date: row.Date, Port: row.Port, Direction: row.Direction, TEU: &row.TEU, Note: &row.Note}
		set(&in.Date, patch.Date)
		set(&in.Port, patch.Port)
		set(&in.Direction, patch.Direction)
		if patch.TEU != nil {
			in.TEU = patch.TEU
		}
		if patch.Note != nil {
			in.Note = patch.Note
		}
		var p Problems
		in.validate(&p)
		if err := p.Err(); err != nil {
			return err
		}
		old := row
		oldDate, before := row.Date, row.toCount(s.Loc)
		row.Date, row.Port, row.PortKey, row.Direction, row.TEU, row.Note = in.Date, in.Port, foldKey(in.Port), in.Direction, *in.TEU, *in.Note
		if row.Date == old.Date && row.Port == old.Port && row.Direction == old.Direction && row.TEU == old.TEU && row.Note == old.Note {
			out = row.toCount(s.Loc)
			return nil
		}
		row.UpdatedAt = s.now()
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
func (s *Store) DeleteSeaRailCount(ctx context.Context, id int64) error {
	err := s.Tx(ctx, func(tx *Store) error {
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
