package store

import (
	"banlie/models"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

type portRow struct {
	ID          int64 `gorm:"primaryKey"`
	Code        string
	NameEn      string
	NameZh      string
	NeedsReview bool
	SourceText  *string
	Suggested   *string
	// Counts is read, never written (see portSelect).
	Counts    int64     `gorm:"->"`
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (portRow) TableName() string { return "ports" }

// portCodeRow is a code that names a port when a count is logged: its own
// (Alias false) or one of its aliases.
type portCodeRow struct {
	Code   string `gorm:"primaryKey"`
	PortID int64
	Alias  bool
}

func (portCodeRow) TableName() string { return "port_codes" }

// portSelect reads a port with the number of counts that name it.
const portSelect = "ports.*, (SELECT COUNT(*) FROM sea_rail_counts c WHERE c.port = ports.code) AS counts"

// portPager pages ports by code.
var portPager = pager[portRow]{list: "ports", keys: []sortKey{{"c", "code", stringKey}},
	of: func(r portRow) []any { return []any{r.Code} }}

func portNotFound(code string) error {
	return &models.Error{Code: models.ENOTFOUND, Message: fmt.Sprintf("no port with code %s", code)}
}

// portByCode reads the port with this code (as people write it), locked
// for update on PostgreSQL when lock.
func (s *Store) portByCode(code string, lock bool) (portRow, error) {
	var row portRow
	q := s.db.Model(&portRow{})
	if lock {
		q = s.forUpdate(q, "ports")
	} else {
		q = q.Select(portSelect)
	}
	err := q.Where("code = ?", models.PortCode(code)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, portNotFound(models.PortCode(code))
	}
	if err != nil {
		return row, err
	}
	if lock {
		// The count is read after the lock, so that it sees the writes
		// that held the row before.
		err = s.db.Raw(`SELECT COUNT(*) FROM sea_rail_counts WHERE port = ?`, row.Code).Scan(&row.Counts).Error
	}
	return row, err
}

// loadPorts answers rows as ports, with their aliases, in one more query.
func (s *Store) loadPorts(rows []portRow) ([]models.Port, error) {
	out := make([]models.Port, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	idx := map[int64]int{}
	for i, r := range rows {
		ids[i], idx[r.ID] = r.ID, i
		out[i] = models.Port{Code: r.Code, NameEn: r.NameEn, NameZh: r.NameZh, Aliases: []string{}, NeedsReview: r.NeedsReview,
			Text: r.SourceText, Suggested: r.Suggested, Counts: r.Counts, CreatedAt: r.CreatedAt.In(s.Loc), UpdatedAt: r.UpdatedAt.In(s.Loc)}
	}
	var codes []portCodeRow
	if err := s.db.Where("port_id IN ? AND alias", ids).Order("code").Find(&codes).Error; err != nil {
		return nil, err
	}
	for _, c := range codes {
		p := &out[idx[c.PortID]]
		p.Aliases = append(p.Aliases, c.Code)
	}
	return out, nil
}

func (s *Store) loadPort(row portRow) (models.Port, error) {
	ps, err := s.loadPorts([]portRow{row})
	if err != nil {
		return models.Port{}, err
	}
	return ps[0], nil
}

// codeConflict tells which port a code already names, when writing it as
// field failed on port_codes' key.
func (tx *Store) codeConflict(field string, codes []string) error {
	var taken []struct {
		Code, Port string
	}
	if err := tx.db.Raw(`SELECT c.code, p.code AS port FROM port_codes c JOIN ports p ON p.id = c.port_id WHERE c.code IN ?`, codes).Scan(&taken).Error; err != nil {
		return err
	}
	e := &models.Error{Code: models.ECONFLICT, Message: "a code is already taken"}
	for _, t := range taken {
		f := field
		if i := slices.Index(codes, t.Code); i > 0 {
			f = fmt.Sprintf("aliases[%d]", i-1)
		}
		e.Fields = append(e.Fields, models.NewFieldError(f, models.CodeConflict, models.Params{"resource": "port", "value": t.Code, "port": t.Port},
			"%s already names port %s", t.Code, t.Port))
		e.Message = fmt.Sprintf("%s already names port %s", t.Code, t.Port)
	}
	return e
}

// writeCodes records the port's own code and its aliases.
func (tx *Store) writeCodes(portID int64, code string, aliases []string) error {
	all := append([]string{code}, aliases...)
	// Look first: a failed insert would end a PostgreSQL transaction.
	var n int64
	if err := tx.db.Model(&portCodeRow{}).Where("code IN ? AND port_id <> ?", all, portID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return tx.codeConflict("code", all)
	}
	rows := []portCodeRow{{Code: code, PortID: portID}}
	for _, a := range aliases {
		rows = append(rows, portCodeRow{Code: a, PortID: portID, Alias: true})
	}
	err := tx.db.Create(&rows).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// Written meanwhile by another transaction.
		return &models.Error{Code: models.ECONFLICT, Message: "one of the codes already names another port"}
	}
	return err
}

// CreatePort validates and stores a new port.
func (s *Store) CreatePort(ctx context.Context, w Write, in models.PortInput) (models.Port, error) {
	var p models.Problems
	in.Validate(&p)
	if err := p.Err(); err != nil {
		return models.Port{}, err
	}
	var out models.Port
	err := s.Tx(ctx, w, func(tx *Store) error {
		var n int64
		if err := tx.db.Model(&portRow{}).Where("code = ?", in.Code).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &models.Error{Code: models.ECONFLICT, Message: fmt.Sprintf("a port with code %s already exists", in.Code)}
		}
		now := tx.now()
		row := portRow{Code: in.Code, NameEn: in.NameEn, NameZh: in.NameZh, CreatedAt: now, UpdatedAt: now}
		if err := tx.db.Omit("Counts").Create(&row).Error; err != nil {
			return err
		}
		if err := tx.writeCodes(row.ID, in.Code, in.Aliases); err != nil {
			return err
		}
		var err error
		if out, err = tx.loadPort(row); err != nil {
			return err
		}
		return tx.audit(ctx, "ports.create", "port", out.Code, nil, out)
	})
	return out, storeErr("ports.create", err, "", fmt.Sprintf("a port with code %s already exists", in.Code))
}

// GetPort answers the port with this code.
func (s *Store) GetPort(ctx context.Context, code string) (models.Port, error) {
	st := s.withCtx(ctx)
	row, err := st.portByCode(code, false)
	if err != nil {
		return models.Port{}, storeErr("ports.get", err, "", "")
	}
	out, err := st.loadPort(row)
	return out, storeErr("ports.get", err, "", "")
}

// ListPorts answers ports in code order, a page at a time.
func (s *Store) ListPorts(ctx context.Context, f models.PortFilter) (models.Page[models.Port], error) {
	q := s.db.WithContext(ctx).Model(&portRow{}).Select(portSelect)
	if f.Unresolved != nil {
		q = q.Where("needs_review = ?", *f.Unresolved)
	}
	rows, next, err := portPager.page(q, f.Cursor, f.Limit)
	if err != nil {
		return models.Page[models.Port]{}, storeErr("ports.list", err, "", "")
	}
	items, err := s.withCtx(ctx).loadPorts(rows)
	if err != nil {
		return models.Page[models.Port]{}, fmt.Errorf("ports.list: %w", err)
	}
	return models.Page[models.Port]{Items: items, NextCursor: next}, nil
}

func underReview(row portRow) error {
	return &models.Error{Code: models.ECONFLICT, Message: fmt.Sprintf("port %s is under review (the text %q of older counts): merge it into a known port with POST /api/v1/ports/%s/merge",
		row.Code, deref(row.SourceText), row.Code)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// UpdatePort applies a partial update; aliases, when given, replace the old ones.
func (s *Store) UpdatePort(ctx context.Context, w Write, code string, patch models.PortPatch) (models.Port, error) {
	var out models.Port
	err := s.Tx(ctx, w, func(tx *Store) error {
		row, err := tx.portByCode(code, true)
		if err != nil {
			return err
		}
		if row.NeedsReview {
			return underReview(row)
		}
		cur, err := tx.loadPort(row)
		if err != nil {
			return err
		}
		in := models.PortInput{Code: cur.Code, NameEn: cur.NameEn, NameZh: cur.NameZh, Aliases: cur.Aliases}
		var p models.Problems
		if patch.Code != nil && models.PortCode(*patch.Code) != cur.Code {
			p.Add("code", models.CodeReadOnly, nil, "cannot be changed; create the port with its new code and merge this one into it")
		}
		if patch.NameEn != nil {
			in.NameEn = *patch.NameEn
		}
		if patch.NameZh != nil {
			in.NameZh = *patch.NameZh
		}
		if patch.Aliases != nil {
			in.Aliases = *patch.Aliases
		}
		in.Validate(&p)
		if err := p.Err(); err != nil {
			return err
		}
		if in.NameEn == cur.NameEn && in.NameZh == cur.NameZh && slices.Equal(in.Aliases, cur.Aliases) {
			out = cur
			tx.leavesServedDataAlone()
			return nil
		}
		row.NameEn, row.NameZh, row.UpdatedAt = in.NameEn, in.NameZh, tx.now()
		if err := tx.db.Omit("Counts").Save(&row).Error; err != nil {
			return err
		}
		if !slices.Equal(in.Aliases, cur.Aliases) {
			if err := tx.db.Where("port_id = ?", row.ID).Delete(&portCodeRow{}).Error; err != nil {
				return err
			}
			if err := tx.writeCodes(row.ID, row.Code, in.Aliases); err != nil {
				return err
			}
		}
		if out, err = tx.loadPort(row); err != nil {
			return err
		}
		return tx.audit(ctx, "ports.update", "port", out.Code, cur, out)
	})
	return out, storeErr("ports.update", err, "", "")
}

// DeletePort removes a port that no count names.
func (s *Store) DeletePort(ctx context.Context, w Write, code string) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		row, err := tx.portByCode(code, true)
		if err != nil {
			return err
		}
		if row.Counts > 0 {
			return &models.Error{Code: models.ECONFLICT, Message: fmt.Sprintf("port %s is named by %d sea-rail counts and cannot be deleted; merge it into another port instead (POST /api/v1/ports/%s/merge)", row.Code, row.Counts, row.Code)}
		}
		before, err := tx.loadPort(row)
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, "ports.delete", "port", row.Code, before, nil); err != nil {
			return err
		}
		if err := tx.db.Where("port_id = ?", row.ID).Delete(&portCodeRow{}).Error; err != nil {
			return err
		}
		return tx.db.Delete(&portRow{}, row.ID).Error
	})
	return storeErr("ports.delete", err, "", "")
}

// MergePort moves every count of the port code to the known port into, in
// one transaction, and deletes code; a known port's code and aliases
// become aliases of into. It is refused, and nothing changes, when a count
// would collide with one of into on the same date and direction.
func (s *Store) MergePort(ctx context.Context, w Write, code string, m models.PortMerge) (models.Port, error) {
	var out models.Port
	err := s.Tx(ctx, w, func(tx *Store) error {
		into, err := tx.portCodeOf(ctx, m.Into)
		if err != nil {
			return err
		}
		var p models.Problems
		if into == "" {
			p.Required("into")
		} else if into == models.PortCode(code) {
			p.Add("into", models.CodeInvalidValue, models.Params{"allowed": []string{}}, "must be another port")
		}
		if err := p.Err(); err != nil {
			return err
		}
		// Both locked, in code order: two merges never wait for each other.
		var src, dst portRow
		for _, c := range slices.Sorted(slices.Values([]string{models.PortCode(code), into})) {
			row, err := tx.portByCode(c, true)
			var e *models.Error
			if c == into && errors.As(err, &e) && e.Code == models.ENOTFOUND {
				known, kerr := tx.knownPortCodes()
				if kerr != nil {
					return kerr
				}
				p.Add("into", models.CodeUnknownPort, models.Params{"value": m.Into, "known": known}, "no known port has the code %q", m.Into)
				return p.Err()
			}
			if err != nil {
				return err
			}
			if c == into {
				dst = row
			} else {
				src = row
			}
		}
		if dst.NeedsReview {
			known, err := tx.knownPortCodes()
			if err != nil {
				return err
			}
			p.Add("into", models.CodeUnknownPort, models.Params{"value": m.Into, "known": known}, "%s is under review itself: merge into a known port", dst.Code)
			return p.Err()
		}
		if !src.NeedsReview {
			// The merged port's codes become aliases of into: the bound on
			// a port's aliases holds for the result.
			var n int64
			if err := tx.db.Model(&portCodeRow{}).Where("port_id IN ? AND code <> ?", []int64{src.ID, dst.ID}, dst.Code).Count(&n).Error; err != nil {
				return err
			}
			if n > models.MaxPortAliases {
				p.Add("into", models.CodeTooMany, models.Params{"max": models.MaxPortAliases, "count": n},
					"%s would have %d aliases with the codes of %s; at most %d: remove some first", dst.Code, n, src.Code, models.MaxPortAliases)
				return p.Err()
			}
		}
		var clashes []struct {
			ID, Other int64
			Date      string
			Direction string
		}
		if err := tx.db.Raw(`SELECT s.id, t.id AS other, s.date, s.direction FROM sea_rail_counts s
			JOIN sea_rail_counts t ON t.date = s.date AND t.direction = s.direction
			WHERE s.port = ? AND t.port = ? ORDER BY s.date, s.direction`, src.Code, dst.Code).Scan(&clashes).Error; err != nil {
			return err
		}
		if len(clashes) > 0 {
			e := &models.Error{Code: models.ECONFLICT, Message: fmt.Sprintf("%d counts of %s would collide with counts of %s on the same date and direction; correct or delete them first, nothing was merged", len(clashes), src.Code, dst.Code)}
			for _, c := range clashes {
				e.Fields = append(e.Fields, models.NewFieldError("into", models.CodeConflict,
					models.Params{"resource": "sea_rail_count", "port": dst.Code, "date": c.Date, "direction": c.Direction, "id": c.Other, "count": c.ID},
					"count %d (%s, %s) would collide with count %d of %s", c.ID, c.Date, c.Direction, c.Other, dst.Code))
			}
			return e
		}
		before, err := tx.loadPort(src)
		if err != nil {
			return err
		}
		var moved []int64
		if err := tx.db.Model(&seaRailRow{}).Where("port = ?", src.Code).Order("id").Pluck("id", &moved).Error; err != nil {
			return err
		}
		if err := tx.db.Model(&seaRailRow{}).Where("port = ?", src.Code).
			Updates(map[string]any{"port": dst.Code, "port_key": foldKey(dst.Code)}).Error; err != nil {
			return err
		}
		if src.NeedsReview {
			if err := tx.db.Where("port_id = ?", src.ID).Delete(&portCodeRow{}).Error; err != nil {
				return err
			}
		} else if err := tx.db.Model(&portCodeRow{}).Where("port_id = ?", src.ID).
			Updates(map[string]any{"port_id": dst.ID, "alias": true}).Error; err != nil {
			return err
		}
		if err := tx.db.Delete(&portRow{}, src.ID).Error; err != nil {
			return err
		}
		dst.UpdatedAt = tx.now()
		if err := tx.db.Model(&portRow{}).Where("id = ?", dst.ID).Update("updated_at", dst.UpdatedAt).Error; err != nil {
			return err
		}
		dst.Counts += int64(len(moved))
		if out, err = tx.loadPort(dst); err != nil {
			return err
		}
		return tx.audit(ctx, "ports.merge", "port", src.Code, before, struct {
			Into   models.Port `json:"into"`
			Counts []int64     `json:"counts"`
		}{out, moved})
	})
	return out, storeErr("ports.merge", err, "", "")
}

// knownPortCodes answers the codes of the ports not under review, sorted.
func (s *Store) knownPortCodes() ([]string, error) {
	codes := []string{}
	err := s.db.Model(&portRow{}).Where("needs_review = ?", false).Order("code").Pluck("code", &codes).Error
	return codes, err
}

// resolvePort answers the code of the known port that text names (its
// code or an alias, in any case, with any blanks), or adds an
// unknown_port problem to field. On PostgreSQL the port's row is locked
// for share, so that it cannot be deleted or merged away before the
// caller's transaction ends.
func (s *Store) resolvePort(ctx context.Context, p *models.Problems, field, text string) (string, error) {
	q := `SELECT p.code FROM port_codes c JOIN ports p ON p.id = c.port_id WHERE c.code = ? AND NOT p.needs_review`
	if s.db.Dialector.Name() == "postgres" {
		q += ` FOR SHARE OF p`
	}
	var code string
	err := s.queryRow(ctx, q, models.PortCode(text)).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		known, err := s.knownPortCodes()
		if err != nil {
			return "", err
		}
		p.Add(field, models.CodeUnknownPort, models.Params{"value": text, "known": known},
			"no port has the code %q; known ports: %s", text, strings.Join(known, ", "))
		return "", nil
	}
	return code, err
}

// portNames answers the names of the ports with these codes.
func (s *Store) portNames(ctx context.Context, codes []string) (map[string]models.PortName, error) {
	out := map[string]models.PortName{}
	if len(codes) == 0 {
		return out, nil
	}
	var rows []portRow
	if err := s.db.WithContext(ctx).Select("code, name_en, name_zh").Where("code IN ?", codes).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Code] = models.PortName{Zh: r.NameZh, En: r.NameEn}
	}
	return out, nil
}
