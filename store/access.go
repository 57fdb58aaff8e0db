package store

import (
	"banlie/models"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

type tokenRow struct {
	ID         int64 `gorm:"primaryKey"`
	Name       string
	Role       string
	Hash       string
	Prefix     string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (tokenRow) TableName() string { return "tokens" }

func (r tokenRow) toToken(loc *time.Location) models.Token {
	t := models.Token{Name: r.Name, Role: r.Role, Prefix: r.Prefix, CreatedAt: r.CreatedAt.In(loc)}
	if r.LastUsedAt != nil {
		v := r.LastUsedAt.In(loc)
		t.LastUsedAt = &v
	}
	if r.RevokedAt != nil {
		v := r.RevokedAt.In(loc)
		t.RevokedAt = &v
	}
	return t
}

// hashToken is SHA-256: tokens carry 160 random bits, so a slow hash adds nothing.
func hashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateToken makes a token with 160 random bits and stores only its hash.
// The secret is answered once and never again.
func (s *Store) CreateToken(ctx context.Context, w Write, name, role string) (string, models.Token, error) {
	var p models.Problems
	models.CheckLine(&p, "name", name, true, 100)
	if models.RoleRank(role) == 0 {
		p.NotOneOf("role", models.Roles)
	}
	if err := p.Err(); err != nil {
		return "", models.Token{}, err
	}
	buf := make([]byte, 20)
	if _, err := rand.Read(buf); err != nil {
		return "", models.Token{}, fmt.Errorf("tokens.create: %w", err)
	}
	secret := models.TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf))
	row := tokenRow{Name: name, Role: role, Hash: hashToken(secret), Prefix: secret[:len(models.TokenPrefix)+4]}
	err := s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		row.CreatedAt = tx.now()
		if err := tx.db.Create(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "tokens.create", "token", name, nil, row.toToken(time.UTC))
	})
	if err != nil {
		return "", models.Token{}, storeErr("tokens.create", err, "", fmt.Sprintf("a token named %q already exists", name))
	}
	return secret, row.toToken(s.Loc), nil
}

// ListTokens answers every token, revoked ones included, by name.
func (s *Store) ListTokens(ctx context.Context) ([]models.Token, error) {
	var rows []tokenRow
	if err := s.db.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("tokens.list: %w", err)
	}
	out := make([]models.Token, len(rows))
	for i, r := range rows {
		out[i] = r.toToken(s.Loc)
	}
	return out, nil
}

// RevokeToken revokes a token by name; it stops working at once.
func (s *Store) RevokeToken(ctx context.Context, w Write, name string) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		var row tokenRow
		if err := tx.db.Take(&row, "name = ?", name).Error; err != nil {
			return storeErr("tokens.revoke", err, fmt.Sprintf("no token named %q", name), "")
		}
		if row.RevokedAt != nil {
			return nil
		}
		before := row.toToken(time.UTC)
		now := tx.now()
		row.RevokedAt = &now
		if err := tx.db.Save(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "tokens.revoke", "token", name, before, row.toToken(time.UTC))
	})
	return storeErr("tokens.revoke", err, "", "")
}

// HasAdminToken reports whether a usable admin token exists.
func (s *Store) HasAdminToken(ctx context.Context) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&tokenRow{}).Where("role = ? AND revoked_at IS NULL", models.RoleAdmin).Count(&n).Error
	return n > 0, err
}

// ErrUnauthenticated is a token that is unknown or revoked.
var ErrUnauthenticated = errors.New("unknown or revoked token")

// Authenticate finds the token's principal. The lookup is by hash; the
// stored hash is compared again in constant time.
func (s *Store) Authenticate(ctx context.Context, secret string) (models.Principal, error) {
	h := hashToken(secret)
	var p models.Principal
	var hash string
	var revoked sql.NullTime
	err := s.queryRow(ctx, `SELECT id, name, role, hash, revoked_at FROM tokens WHERE hash = ?`, h).Scan(&p.ID, &p.Name, &p.Role, &hash, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return models.Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return models.Principal{}, fmt.Errorf("tokens.auth: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(h)) != 1 || revoked.Valid {
		return models.Principal{}, ErrUnauthenticated
	}
	return p, nil
}

// TouchToken records that a token was used. It is best effort: when
// another write holds SQLite's writer (a roll-up, an import), it does not
// wait and answers false, to be tried again on a later request.
func (s *Store) TouchToken(ctx context.Context, id int64) (bool, error) {
	if s.writeMu != nil && !s.inTx {
		if !s.writeMu.TryLock() {
			return false, nil
		}
		defer s.writeMu.Unlock()
		inner := *s
		inner.inTx = true // the lock is held: Tx must not take it again
		s = &inner
	}
	err := s.db.WithContext(ctx).Model(&tokenRow{}).Where("id = ?", id).Update("last_used_at", s.now()).Error
	return err == nil, err
}

// auditPager pages the audit log newest entry first.
var auditPager = pager[auditRow]{list: "audit", desc: true, keys: []sortKey{{"i", "id", intKey}},
	of: func(r auditRow) []any { return []any{r.ID} }}

type auditRow struct {
	ID          int64 `gorm:"primaryKey"`
	At          time.Time
	Actor       string
	Action      string
	Entity      string
	EntityID    string
	BeforeValue *string
	AfterValue  *string
	RequestID   string
}

func (auditRow) TableName() string { return "audit_log" }

// audit records a write in the caller's transaction: who, when, what, and
// the values before and after (nil for none).
func (s *Store) audit(ctx context.Context, action, entity, id string, before, after any) error {
	a := s.w.Actor
	row := auditRow{At: s.now(), Actor: a.Name, Action: action, Entity: entity, EntityID: id, RequestID: a.RequestID}
	enc := func(v any) (*string, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		str := string(b)
		return &str, nil
	}
	var err error
	if row.BeforeValue, err = enc(before); err != nil {
		return err
	}
	if row.AfterValue, err = enc(after); err != nil {
		return err
	}
	// A plain INSERT: the entry's id is never read back.
	if err := s.exec(`INSERT INTO audit_log (at, actor, action, entity, entity_id, before_value, after_value, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		row.At, row.Actor, row.Action, row.Entity, row.EntityID, row.BeforeValue, row.AfterValue, row.RequestID); err != nil {
		return err
	}
	if ev, ok := auditEvents[action]; ok {
		// The event carries the entry's value as encoded for it.
		data := row.AfterValue
		if ev.before {
			data = row.BeforeValue
		}
		if data == nil {
			return s.emit(ev.typ, nil)
		}
		return s.emitEncoded(ev.typ, *data)
	}
	return nil
}

// ListAudit answers audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, f models.AuditFilter) (models.Page[models.AuditEntry], error) {
	q := s.db.WithContext(ctx).Model(&auditRow{})
	for col, v := range map[string]*string{"actor": f.Actor, "action": f.Action, "entity": f.Entity, "entity_id": f.EntityID} {
		if col == "entity" && f.EntityID == nil {
			// Alone, a filter on the id order (audit_log_entity's range
			// would need a sort).
			col = s.filterOnly(col)
		}
		if v != nil {
			q = q.Where(col+" = ?", *v)
		}
	}
	if f.From != nil {
		q = q.Where("at >= ?", f.From.Start(s.Loc).UTC())
	}
	if f.To != nil {
		q = q.Where("at < ?", f.To.Add(1).Start(s.Loc).UTC())
	}
	rows, next, err := auditPager.page(q, f.Cursor, f.Limit)
	if err != nil {
		return models.Page[models.AuditEntry]{}, storeErr("audit.list", err, "", "")
	}
	page := models.Page[models.AuditEntry]{Items: make([]models.AuditEntry, 0, len(rows)), NextCursor: next}
	raw := func(p *string) json.RawMessage {
		if p == nil {
			return json.RawMessage("null")
		}
		return json.RawMessage(*p)
	}
	for _, r := range rows {
		page.Items = append(page.Items, models.AuditEntry{ID: r.ID, At: r.At.In(s.Loc), Actor: r.Actor, Action: r.Action, Entity: r.Entity,
			EntityID: r.EntityID, Before: raw(r.BeforeValue), After: raw(r.AfterValue), RequestID: r.RequestID})
	}
	return page, nil
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }
