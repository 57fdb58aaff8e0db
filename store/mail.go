package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"banlie/models"
)

type subscriberRow struct {
	ID        int64 `gorm:"primaryKey"`
	Address   string
	Language  string
	Events    string // a JSON array
	Active    bool
	Token     string
	Cursor    int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (subscriberRow) TableName() string { return "subscribers" }

func (r subscriberRow) toSubscriber(loc *time.Location) models.Subscriber {
	s := models.Subscriber{ID: r.ID, Address: r.Address, Language: r.Language, Active: r.Active,
		CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc)}
	_ = json.Unmarshal([]byte(r.Events), &s.Events)
	if s.Events == nil {
		s.Events = []string{}
	}
	return s
}

type mailRow struct {
	ID             int64 `gorm:"primaryKey"`
	SubscriberID   int64
	EventID        int64
	Type           string
	Data           string
	Status         string
	Attempts       int
	NextAttemptAt  *time.Time
	FirstAttemptAt *time.Time
	LastAttemptAt  *time.Time
	LastError      *string
	LeaseUntil     *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (mailRow) TableName() string { return "mail_deliveries" }

// newUnsubscribeToken is the base64url of 24 random bytes.
func newUnsubscribeToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func subscriberNotFound(id int64) string { return fmt.Sprintf("no subscriber with id %d", id) }

// CreateSubscriber stores a subscriber with a new unsubscribe token. It
// hears the events that commit after it: its cursor is the outbox's newest id.
func (s *Store) CreateSubscriber(ctx context.Context, w Write, in models.SubscriberInput) (models.Subscriber, error) {
	var p models.Problems
	in.Validate(&p)
	if err := p.Err(); err != nil {
		return models.Subscriber{}, err
	}
	token, err := newUnsubscribeToken()
	if err != nil {
		return models.Subscriber{}, fmt.Errorf("subscribers.create: %w", err)
	}
	events, _ := json.Marshal(in.Events)
	row := subscriberRow{Address: in.Address, Language: in.Language, Events: string(events), Active: in.Active == nil || *in.Active, Token: token}
	err = s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		if err := tx.db.Raw(`SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&row.Cursor).Error; err != nil {
			return err
		}
		row.CreatedAt, row.UpdatedAt = tx.now(), tx.now()
		if err := tx.db.Create(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "subscribers.create", "subscriber", idString(row.ID), nil, row.toSubscriber(time.UTC))
	})
	if err != nil {
		return models.Subscriber{}, storeErr("subscribers.create", err, "", "")
	}
	return row.toSubscriber(s.Loc), nil
}

// GetSubscriber answers one subscriber.
func (s *Store) GetSubscriber(ctx context.Context, id int64) (models.Subscriber, error) {
	var row subscriberRow
	err := s.db.WithContext(ctx).Take(&row, id).Error
	return row.toSubscriber(s.Loc), storeErr("subscribers.get", err, subscriberNotFound(id), "")
}

var subscriberPager = pager[subscriberRow]{list: "subscribers", keys: []sortKey{{"i", "id", intKey}},
	of: func(r subscriberRow) []any { return []any{r.ID} }}

// ListSubscribers answers a page of subscribers, by id.
func (s *Store) ListSubscribers(ctx context.Context, limit int, cursor string) (models.Page[models.Subscriber], error) {
	rows, next, err := subscriberPager.page(s.db.WithContext(ctx).Model(&subscriberRow{}), cursor, limit)
	if err != nil {
		return models.Page[models.Subscriber]{}, storeErr("subscribers.list", err, "", "")
	}
	page := models.Page[models.Subscriber]{Items: make([]models.Subscriber, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, r.toSubscriber(s.Loc))
	}
	return page, nil
}

// UpdateSubscriber changes a subscriber. Made active again, it hears the
// events that commit from then on.
func (s *Store) UpdateSubscriber(ctx context.Context, w Write, id int64, patch models.SubscriberPatch) (models.Subscriber, error) {
	cur, err := s.GetSubscriber(ctx, id)
	if err != nil {
		return models.Subscriber{}, err
	}
	in := patch.Apply(cur)
	var p models.Problems
	in.Validate(&p)
	if err := p.Err(); err != nil {
		return models.Subscriber{}, err
	}
	var row subscriberRow
	err = s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		if err := tx.forUpdate(tx.db, "subscribers").Take(&row, id).Error; err != nil {
			return storeErr("subscribers.update", err, subscriberNotFound(id), "")
		}
		before := row.toSubscriber(time.UTC)
		events, _ := json.Marshal(in.Events)
		reactivated := !row.Active && *in.Active
		row.Address, row.Language, row.Events, row.Active, row.UpdatedAt = in.Address, in.Language, string(events), *in.Active, tx.now()
		if reactivated {
			if err := tx.db.Raw(`SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&row.Cursor).Error; err != nil {
				return err
			}
		}
		if err := tx.db.Save(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "subscribers.update", "subscriber", idString(id), before, row.toSubscriber(time.UTC))
	})
	if err != nil {
		return models.Subscriber{}, storeErr("subscribers.update", err, "", "")
	}
	return row.toSubscriber(s.Loc), nil
}

// DeleteSubscriber deletes a subscriber and its messages.
func (s *Store) DeleteSubscriber(ctx context.Context, w Write, id int64) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		var row subscriberRow
		if err := tx.forUpdate(tx.db, "subscribers").Take(&row, id).Error; err != nil {
			return storeErr("subscribers.delete", err, subscriberNotFound(id), "")
		}
		return tx.deleteSubscriber(ctx, row, "subscribers.delete")
	})
	return storeErr("subscribers.delete", err, "", "")
}

func (s *Store) deleteSubscriber(ctx context.Context, row subscriberRow, action string) error {
	if err := s.db.Where("subscriber_id = ?", row.ID).Delete(&mailRow{}).Error; err != nil {
		return err
	}
	if err := s.db.Delete(&row).Error; err != nil {
		return err
	}
	return s.audit(ctx, action, "subscriber", idString(row.ID), row.toSubscriber(time.UTC), nil)
}

// Unsubscribe deletes the subscriber whose unsubscribe token is token,
// with the messages not yet sent to it, and answers its address. An
// unknown token (one already used included) answers ENOTFOUND.
// SubscriptionOf answers the address an unsubscribe link's token belongs
// to, or ENOTFOUND; it changes nothing.
func (s *Store) SubscriptionOf(ctx context.Context, token string) (string, error) {
	var row subscriberRow
	if token != "" {
		if err := s.db.WithContext(ctx).Where("token = ?", token).Limit(1).Find(&row).Error; err != nil {
			return "", fmt.Errorf("subscribers.by_token: %w", err)
		}
	}
	if row.ID == 0 {
		return "", models.Errorf(models.ENOTFOUND, "no subscription has this unsubscribe link: it may have been used already")
	}
	return row.Address, nil
}

func (s *Store) Unsubscribe(ctx context.Context, w Write, token string) (string, error) {
	var addr string
	err := s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		var row subscriberRow
		if token == "" {
			return models.Errorf(models.ENOTFOUND, "no subscription has this unsubscribe link: it may have been used already")
		}
		if err := tx.forUpdate(tx.db, "subscribers").Where("token = ?", token).Limit(1).Find(&row).Error; err != nil {
			return err
		}
		if row.ID == 0 {
			return models.Errorf(models.ENOTFOUND, "no subscription has this unsubscribe link: it may have been used already")
		}
		addr = row.Address
		return tx.deleteSubscriber(ctx, row, "subscribers.unsubscribe")
	})
	return addr, storeErr("subscribers.unsubscribe", err, "", "")
}

// MailClaim is a message an instance was given to send: no other sends it
// while the lease lasts.
type MailClaim struct {
	ID, SubscriberID, EventID int64
	Type                      string
	Data                      json.RawMessage
	Address, Language, Token  string
	// Attempt is this attempt's number, from 1; FirstAttemptAt the first's
	// instant (this one's for the first).
	Attempt        int
	FirstAttemptAt time.Time
}

// SubscribersToWork answers the active subscribers that may have work at
// now: events after their cursor, or a pending message due.
func (s *Store) SubscribersToWork(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(`SELECT id FROM subscribers WHERE active AND (cursor < (SELECT COALESCE(MAX(id), 0) FROM outbox)
		OR EXISTS (SELECT 1 FROM mail_deliveries d WHERE d.subscriber_id = subscribers.id AND d.status = ? AND d.next_attempt_at <= ?))
		ORDER BY id`, models.MailPending, now.UTC()).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("mail.work: %w", err)
	}
	return ids, nil
}

// ClaimMail fans the outbox's new events out to subscriber id (pending
// messages of those it is subscribed to, its cursor advanced), then claims
// its next message when that is due at now: the oldest pending one, in
// event order, leased until now + lease. It answers nil when there is
// nothing to send now, or when another instance holds the subscriber.
func (s *Store) ClaimMail(ctx context.Context, id int64, now time.Time, lease time.Duration) (*MailClaim, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var claim *MailClaim
	err := s.Tx(ctx, Write{Actor: System.Actor, Now: now}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		q := tx.db.Where("id = ? AND active", id)
		if tx.db.Dialector.Name() == "postgres" {
			q = q.Clauses(lockSkipLocked)
		}
		var sub subscriberRow
		if err := q.Limit(1).Find(&sub).Error; err != nil || sub.ID == 0 {
			return err
		}
		if err := tx.fanOutMail(&sub, now); err != nil {
			return err
		}
		var m mailRow
		if err := tx.db.Where("subscriber_id = ? AND status = ?", id, models.MailPending).Order("event_id").Limit(1).Find(&m).Error; err != nil || m.ID == 0 {
			return err
		}
		if (m.NextAttemptAt != nil && m.NextAttemptAt.After(now)) || (m.LeaseUntil != nil && m.LeaseUntil.After(now)) {
			return nil
		}
		until := now.Add(lease)
		m.Attempts++
		if m.FirstAttemptAt == nil {
			m.FirstAttemptAt = &now
		}
		m.LastAttemptAt, m.LeaseUntil, m.UpdatedAt = &now, &until, now
		if err := tx.db.Save(&m).Error; err != nil {
			return err
		}
		claim = &MailClaim{ID: m.ID, SubscriberID: id, EventID: m.EventID, Type: m.Type, Data: json.RawMessage(m.Data),
			Address: sub.Address, Language: sub.Language, Token: sub.Token, Attempt: m.Attempts, FirstAttemptAt: *m.FirstAttemptAt}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mail.claim: %w", err)
	}
	return claim, nil
}

// fanOutMail writes the pending messages of the events after sub's cursor
// it is subscribed to, and advances the cursor past them.
func (s *Store) fanOutMail(sub *subscriberRow, now time.Time) error {
	subscriber := sub.toSubscriber(time.UTC)
	for {
		var rows []outboxRow
		if err := s.db.Where("id > ?", sub.Cursor).Order("id").Limit(fanOutBatch).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			if !subscriber.Wants(r.Type) {
				continue
			}
			if err := s.exec(`INSERT INTO mail_deliveries (subscriber_id, event_id, type, data, status, attempts, next_attempt_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)`, sub.ID, r.ID, r.Type, r.Data, models.MailPending, now, now, now); err != nil {
				return err
			}
		}
		sub.Cursor = rows[len(rows)-1].ID
		if err := s.exec(`UPDATE subscribers SET cursor = ? WHERE id = ?`, sub.Cursor, sub.ID); err != nil {
			return err
		}
		if len(rows) < fanOutBatch {
			return nil
		}
	}
}

// MailResult is how an attempt ended.
type MailResult struct {
	// Status is sent, failed, or pending (to be tried again at Next).
	Status string
	Next   time.Time
	Err    *string
}

// RecordMail records the attempt c at now.
func (s *Store) RecordMail(ctx context.Context, c *MailClaim, now time.Time, r MailResult) error {
	now = now.UTC().Truncate(time.Microsecond)
	var next *time.Time
	if r.Status == models.MailPending {
		n := r.Next.UTC()
		next = &n
	}
	err := s.Tx(ctx, Write{Actor: System.Actor, Now: now}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		return tx.db.Model(&mailRow{}).Where("id = ? AND attempts = ? AND status = ?", c.ID, c.Attempt, models.MailPending).
			Updates(map[string]any{"status": r.Status, "next_attempt_at": next, "last_error": r.Err, "lease_until": nil, "updated_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("mail.record: %w", err)
	}
	return nil
}

// MailBacklog answers how many messages are pending.
func (s *Store) MailBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&mailRow{}).Where("status = ?", models.MailPending).Count(&n).Error
	return n, err
}
