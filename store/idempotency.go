package store

import (
	"banlie/models"
	"context"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"time"
)

// IdempotencyRetention is how long an Idempotency-Key answer is kept.
const IdempotencyRetention = 24 * time.Hour

// IdemClaim is an Idempotency-Key that the next write transaction records
// together with the write, so that a committed write always has its key:
// a retry can never write twice, even after a crash.
type IdemClaim struct {
	Scope, Key, Hash string
	claimed          bool
}

type idemRow struct {
	Scope       string `gorm:"primaryKey"`
	Key         string `gorm:"primaryKey"`
	RequestHash string
	Status      *int
	Location    *string
	ContentType *string
	Body        *string
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
}

func (idemRow) TableName() string { return "idempotency_keys" }

// claimIdempotencyKey records the claim's key in the transaction, once,
// and reports whether this call recorded it.
func (s *Store) claimIdempotencyKey(c *IdemClaim) (bool, error) {
	if c == nil || c.claimed {
		return false, nil
	}
	row := idemRow{Scope: c.Scope, Key: c.Key, RequestHash: c.Hash, CreatedAt: s.now()}
	if err := s.db.Create(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return false, models.ErrIdempotencyBusy
		}
		return false, err
	}
	c.claimed = true
	return true, nil
}

// Claimed reports whether the request's key was recorded with a write.
func (c *IdemClaim) Claimed() bool { return c.claimed }

// IdemAnswer is a stored answer to replay.
type IdemAnswer struct {
	Hash        string
	Status      int // 0: the write was recorded but its answer was not (interrupted)
	Location    string
	ContentType string
	Body        []byte
}

// GetIdempotency answers the stored record of a key within the retention
// period, and false when there is none. An expired record is deleted.
func (s *Store) GetIdempotency(ctx context.Context, scope, key string) (IdemAnswer, bool, error) {
	var row idemRow
	err := s.db.WithContext(ctx).Take(&row, "scope = ? AND key = ?", scope, key).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return IdemAnswer{}, false, nil
	}
	if err != nil {
		return IdemAnswer{}, false, fmt.Errorf("idempotency.get: %w", err)
	}
	if row.CreatedAt.Before(s.now().Add(-IdempotencyRetention)) {
		err := s.Tx(ctx, Write{}, func(tx *Store) error {
			tx.leavesServedDataAlone()
			return tx.db.Where("scope = ? AND key = ? AND created_at = ?", scope, key, row.CreatedAt).Delete(&idemRow{}).Error
		})
		return IdemAnswer{}, false, err
	}
	a := IdemAnswer{Hash: row.RequestHash}
	if row.Status != nil {
		a.Status = *row.Status
	}
	if row.Location != nil {
		a.Location = *row.Location
	}
	if row.ContentType != nil {
		a.ContentType = *row.ContentType
	}
	if row.Body != nil {
		a.Body = []byte(*row.Body)
	}
	return a, true, nil
}

// DropIdempotencyKey forgets a key whose request failed with a 5xx, so that
// a retry can still succeed.
func (s *Store) DropIdempotencyKey(ctx context.Context, scope, key, hash string) error {
	return s.Tx(ctx, Write{}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		return tx.db.Where("scope = ? AND key = ? AND request_hash = ? AND status IS NULL", scope, key, hash).Delete(&idemRow{}).Error
	})
}

// SaveIdempotentAnswer stores the answer of a key's first request: it fills
// in the row this request recorded with its write, or, when the request
// wrote nothing (a refusal), records the key with the answer unless another
// request has recorded it meanwhile. It never overwrites another request's answer.
func (s *Store) SaveIdempotentAnswer(ctx context.Context, scope, key string, a IdemAnswer) error {
	body, st := string(a.Body), a.Status
	row := idemRow{Scope: scope, Key: key, RequestHash: a.Hash, Status: &st, Body: &body, CreatedAt: s.now()}
	if a.Location != "" {
		row.Location = &a.Location
	}
	if a.ContentType != "" {
		row.ContentType = &a.ContentType
	}
	return s.Tx(ctx, Write{}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		res := tx.db.Model(&idemRow{}).Where("scope = ? AND key = ? AND request_hash = ? AND status IS NULL", scope, key, a.Hash).
			Updates(map[string]any{"status": row.Status, "location": row.Location, "content_type": row.ContentType, "body": row.Body})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			return nil
		}
		return tx.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
	})
}

// PurgeIdempotencyKeys deletes the keys older than the retention period.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	var n int64
	// Alone: a day's keys may be many (see writeGroup).
	err := s.Tx(ctx, Write{alone: true}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		res := tx.db.Where("created_at < ?", s.now().Add(-IdempotencyRetention)).Delete(&idemRow{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}
