package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"time"

	"gorm.io/gorm/clause"

	"banlie/models"
)

type webhookRow struct {
	ID             int64 `gorm:"primaryKey"`
	URL            string
	Events         string // a JSON array
	Active         bool
	Description    string
	Secret         string
	Cursor         int64
	FailingSince   *time.Time
	DisabledReason *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (webhookRow) TableName() string { return "webhooks" }

func (r webhookRow) toWebhook(loc *time.Location) models.Webhook {
	w := models.Webhook{ID: r.ID, URL: r.URL, Active: r.Active, Description: r.Description, DisabledReason: r.DisabledReason,
		CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc)}
	_ = json.Unmarshal([]byte(r.Events), &w.Events)
	if w.Events == nil {
		w.Events = []string{}
	}
	if r.FailingSince != nil {
		t := r.FailingSince.In(loc)
		w.FailingSince = &t
	}
	return w
}

type deliveryRow struct {
	ID             int64 `gorm:"primaryKey"`
	WebhookID      int64
	EventID        int64
	Type           string
	Body           string
	Status         string
	Attempts       int
	NextAttemptAt  *time.Time
	FirstAttemptAt *time.Time
	LastAttemptAt  *time.Time
	LastStatusCode *int
	LastLatencyMS  *int64 `gorm:"column:last_latency_ms"`
	LastResponse   *string
	LastError      *string
	LeaseUntil     *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (deliveryRow) TableName() string { return "webhook_deliveries" }

func inLoc(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	v := t.In(loc)
	return &v
}

func (r deliveryRow) toDelivery(loc *time.Location) models.WebhookDelivery {
	d := models.WebhookDelivery{ID: r.ID, WebhookID: r.WebhookID, EventID: r.EventID, Type: r.Type, Status: r.Status, Attempts: r.Attempts,
		FirstAttemptAt: inLoc(r.FirstAttemptAt, loc), LastAttemptAt: inLoc(r.LastAttemptAt, loc), LastStatusCode: r.LastStatusCode,
		LastLatencyMS: r.LastLatencyMS, LastResponse: r.LastResponse, LastError: r.LastError,
		CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc)}
	if r.Status == models.DeliveryPending {
		d.NextAttemptAt = inLoc(r.NextAttemptAt, loc)
	}
	return d
}

// newWebhookSecret is whsec_ and the base64 of 24 random bytes.
func newWebhookSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return models.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// PublicAddr reports whether ip is an address webhooks may be delivered
// to without --webhook-allow-private: not private, loopback, link-local,
// unspecified or multicast (IPv4-mapped IPv6 addresses as their IPv4).
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	// 100.64.0.0/10 (carrier-grade NAT) and 0.0.0.0/8 are not reachable
	// on the public Internet either.
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("64:ff9b:1::/48")}

// checkWebhookHost adds a problem when host is, or resolves to, an
// address that is not public (PublicAddr), unless allowPrivate.
func checkWebhookHost(ctx context.Context, p *models.Problems, host string, allowPrivate bool) {
	if allowPrivate {
		return
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
		if err != nil || len(ips) == 0 {
			p.Add("url", models.CodePrivateAddress, models.Params{"host": host, "reason": "unresolved"},
				"names a host that does not resolve: banlie cannot tell whether its address is public")
			return
		}
		addrs = ips
	}
	for _, ip := range addrs {
		if !PublicAddr(ip) {
			p.Add("url", models.CodePrivateAddress, models.Params{"host": host, "address": ip.Unmap().String()},
				"names a host at %s, a private, loopback, link-local, unspecified or multicast address (allowed only with --webhook-allow-private)", ip.Unmap())
			return
		}
	}
}

// validateWebhook checks in, its host included.
func validateWebhook(ctx context.Context, in *models.WebhookInput, allowPrivate bool) error {
	var p models.Problems
	if u := in.Validate(&p); u != nil {
		checkWebhookHost(ctx, &p, u.Hostname(), allowPrivate)
	}
	return p.Err()
}

// CreateWebhook stores a webhook with a new secret, answered once. It hears
// the events that commit after it: its cursor is the outbox's newest id.
func (s *Store) CreateWebhook(ctx context.Context, w Write, in models.WebhookInput, allowPrivate bool) (models.WebhookWithSecret, error) {
	if err := validateWebhook(ctx, &in, allowPrivate); err != nil {
		return models.WebhookWithSecret{}, err
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return models.WebhookWithSecret{}, fmt.Errorf("webhooks.create: %w", err)
	}
	events, _ := json.Marshal(in.Events)
	row := webhookRow{URL: in.URL, Events: string(events), Active: in.Active == nil || *in.Active, Secret: secret}
	if in.Description != nil {
		row.Description = *in.Description
	}
	err = s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		if err := tx.db.Raw(`SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&row.Cursor).Error; err != nil {
			return err
		}
		row.CreatedAt, row.UpdatedAt = tx.now(), tx.now()
		if err := tx.db.Create(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "webhooks.create", "webhook", idString(row.ID), nil, row.toWebhook(time.UTC))
	})
	if err != nil {
		return models.WebhookWithSecret{}, storeErr("webhooks.create", err, "", "")
	}
	return models.WebhookWithSecret{Webhook: row.toWebhook(s.Loc), Secret: secret}, nil
}

func webhookNotFound(id int64) string { return fmt.Sprintf("no webhook with id %d", id) }

// GetWebhook answers one webhook, without its secret.
func (s *Store) GetWebhook(ctx context.Context, id int64) (models.Webhook, error) {
	var row webhookRow
	err := s.db.WithContext(ctx).Take(&row, id).Error
	return row.toWebhook(s.Loc), storeErr("webhooks.get", err, webhookNotFound(id), "")
}

var webhookPager = pager[webhookRow]{list: "webhooks", keys: []sortKey{{"i", "id", intKey}},
	of: func(r webhookRow) []any { return []any{r.ID} }}

// ListWebhooks answers a page of webhooks, by id.
func (s *Store) ListWebhooks(ctx context.Context, limit int, cursor string) (models.Page[models.Webhook], error) {
	rows, next, err := webhookPager.page(s.db.WithContext(ctx).Model(&webhookRow{}), cursor, limit)
	if err != nil {
		return models.Page[models.Webhook]{}, storeErr("webhooks.list", err, "", "")
	}
	page := models.Page[models.Webhook]{Items: make([]models.Webhook, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, r.toWebhook(s.Loc))
	}
	return page, nil
}

// UpdateWebhook changes a webhook. Made active again, it clears why it
// was disabled and hears the events that commit from then on.
func (s *Store) UpdateWebhook(ctx context.Context, w Write, id int64, patch models.WebhookPatch, allowPrivate bool) (models.Webhook, error) {
	cur, err := s.GetWebhook(ctx, id)
	if err != nil {
		return models.Webhook{}, err
	}
	in := patch.Apply(cur)
	check := in
	if patch.URL == nil {
		// The stored URL is not checked again: a host that moved is the
		// dialler's to refuse.
		check.URL = "https://example.com/"
	}
	if err := validateWebhook(ctx, &check, allowPrivate); err != nil {
		return models.Webhook{}, err
	}
	in.URL = check.URL
	if patch.URL == nil {
		in.URL = cur.URL
	}
	var row webhookRow
	err = s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		if err := tx.forUpdate(tx.db, "webhooks").Take(&row, id).Error; err != nil {
			return storeErr("webhooks.update", err, webhookNotFound(id), "")
		}
		before := row.toWebhook(time.UTC)
		events, _ := json.Marshal(in.Events)
		reactivated := !row.Active && *in.Active
		row.URL, row.Events, row.Active, row.Description, row.UpdatedAt = in.URL, string(events), *in.Active, *in.Description, tx.now()
		if reactivated {
			row.DisabledReason, row.FailingSince = nil, nil
			if err := tx.db.Raw(`SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&row.Cursor).Error; err != nil {
				return err
			}
		}
		if err := tx.db.Save(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "webhooks.update", "webhook", idString(id), before, row.toWebhook(time.UTC))
	})
	if err != nil {
		return models.Webhook{}, storeErr("webhooks.update", err, "", "")
	}
	return row.toWebhook(s.Loc), nil
}

// DeleteWebhook deletes a webhook and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, w Write, id int64) error {
	err := s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		var row webhookRow
		if err := tx.forUpdate(tx.db, "webhooks").Take(&row, id).Error; err != nil {
			return storeErr("webhooks.delete", err, webhookNotFound(id), "")
		}
		if err := tx.db.Where("webhook_id = ?", id).Delete(&deliveryRow{}).Error; err != nil {
			return err
		}
		if err := tx.db.Delete(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "webhooks.delete", "webhook", idString(id), row.toWebhook(time.UTC), nil)
	})
	return storeErr("webhooks.delete", err, "", "")
}

// RotateWebhookSecret gives a webhook a new secret, answered once: the
// old one signs nothing from the commit on (a delivery being sent at that
// moment may still carry it).
func (s *Store) RotateWebhookSecret(ctx context.Context, w Write, id int64) (models.WebhookWithSecret, error) {
	secret, err := newWebhookSecret()
	if err != nil {
		return models.WebhookWithSecret{}, fmt.Errorf("webhooks.rotate: %w", err)
	}
	var row webhookRow
	err = s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		if err := tx.forUpdate(tx.db, "webhooks").Take(&row, id).Error; err != nil {
			return storeErr("webhooks.rotate", err, webhookNotFound(id), "")
		}
		row.Secret, row.UpdatedAt = secret, tx.now()
		if err := tx.db.Save(&row).Error; err != nil {
			return err
		}
		// The entry says that it rotated, never the secret.
		return tx.audit(ctx, "webhooks.rotate_secret", "webhook", idString(id), nil, row.toWebhook(time.UTC))
	})
	if err != nil {
		return models.WebhookWithSecret{}, storeErr("webhooks.rotate", err, "", "")
	}
	return models.WebhookWithSecret{Webhook: row.toWebhook(s.Loc), Secret: secret}, nil
}

var deliveryPager = pager[deliveryRow]{list: "webhook_deliveries", desc: true, keys: []sortKey{{"i", "id", intKey}},
	of: func(r deliveryRow) []any { return []any{r.ID} }}

// ListWebhookDeliveries answers a page of a webhook's deliveries, newest
// first.
func (s *Store) ListWebhookDeliveries(ctx context.Context, webhookID int64, limit int, cursor string) (models.Page[models.WebhookDelivery], error) {
	if _, err := s.GetWebhook(ctx, webhookID); err != nil {
		return models.Page[models.WebhookDelivery]{}, err
	}
	q := s.db.WithContext(ctx).Model(&deliveryRow{}).Where("webhook_id = ?", webhookID)
	rows, next, err := deliveryPager.page(q, cursor, limit)
	if err != nil {
		return models.Page[models.WebhookDelivery]{}, storeErr("webhooks.deliveries", err, "", "")
	}
	page := models.Page[models.WebhookDelivery]{Items: make([]models.WebhookDelivery, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		page.Items = append(page.Items, r.toDelivery(s.Loc))
	}
	return page, nil
}

// RetryWebhookDelivery sends a delivered or failed delivery again: it is
// pending, due now, and starts over (its attempts and its 24 hours). One
// that is pending already answers 409.
func (s *Store) RetryWebhookDelivery(ctx context.Context, w Write, webhookID, id int64) (models.WebhookDelivery, error) {
	var row deliveryRow
	err := s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		if err := tx.forUpdate(tx.db, "webhook_deliveries").Where("webhook_id = ?", webhookID).Take(&row, id).Error; err != nil {
			return storeErr("webhooks.retry", err, fmt.Sprintf("webhook %d has no delivery with id %d", webhookID, id), "")
		}
		if row.Status == models.DeliveryPending {
			return models.Errorf(models.ECONFLICT, "delivery %d is pending already: it is sent when it is due", id)
		}
		before := row.toDelivery(time.UTC)
		now := tx.now()
		row.Status, row.Attempts, row.NextAttemptAt, row.FirstAttemptAt, row.LeaseUntil, row.UpdatedAt = models.DeliveryPending, 0, &now, nil, nil, now
		if err := tx.db.Save(&row).Error; err != nil {
			return err
		}
		return tx.audit(ctx, "webhooks.deliveries.retry", "webhook_delivery", idString(id), before, row.toDelivery(time.UTC))
	})
	if err != nil {
		return models.WebhookDelivery{}, storeErr("webhooks.retry", err, "", "")
	}
	return row.toDelivery(s.Loc), nil
}

// DeliveryClaim is a delivery an instance was given to send: no other
// sends it while the lease lasts.
type DeliveryClaim struct {
	ID, WebhookID, EventID int64
	URL, Secret            string
	Body                   []byte
	// Attempt is this attempt's number, from 1; FirstAttemptAt the first's
	// instant (this one's for the first).
	Attempt        int
	FirstAttemptAt time.Time
}

// fanOutBatch bounds the events one claim fans out to a webhook.
const fanOutBatch = 500

// WebhooksToWork answers the active webhooks that may have work at now:
// events after their cursor, or a pending delivery due.
func (s *Store) WebhooksToWork(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(`SELECT id FROM webhooks WHERE active AND (cursor < (SELECT COALESCE(MAX(id), 0) FROM outbox)
		OR EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = webhooks.id AND d.status = ? AND d.next_attempt_at <= ?))
		ORDER BY id`, models.DeliveryPending, now.UTC()).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("webhooks.work: %w", err)
	}
	return ids, nil
}

// ClaimDelivery fans the outbox's new events out to webhook id (pending
// deliveries of those it is subscribed to, its cursor advanced), then
// claims its next delivery when that is due at now: the oldest pending
// one, in event order, leased until now + lease. It answers nil when there
// is nothing to send now, or when another instance holds the webhook.
func (s *Store) ClaimDelivery(ctx context.Context, id int64, now time.Time, lease time.Duration) (*DeliveryClaim, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var claim *DeliveryClaim
	err := s.Tx(ctx, Write{Actor: System.Actor, Now: now}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		q := tx.db.Where("id = ? AND active", id)
		if tx.db.Dialector.Name() == "postgres" {
			// Another instance fanning out or claiming for this webhook:
			// leave it to it.
			q = q.Clauses(lockSkipLocked)
		}
		var wh webhookRow
		if err := q.Limit(1).Find(&wh).Error; err != nil || wh.ID == 0 {
			return err
		}
		if err := tx.fanOut(&wh, now); err != nil {
			return err
		}
		var d deliveryRow
		if err := tx.db.Where("webhook_id = ? AND status = ?", id, models.DeliveryPending).Order("event_id").Limit(1).Find(&d).Error; err != nil || d.ID == 0 {
			return err
		}
		if (d.NextAttemptAt != nil && d.NextAttemptAt.After(now)) || (d.LeaseUntil != nil && d.LeaseUntil.After(now)) {
			return nil // not due, or being sent: the next waits, in order
		}
		until := now.Add(lease)
		d.Attempts++
		if d.FirstAttemptAt == nil {
			d.FirstAttemptAt = &now
		}
		d.LastAttemptAt, d.LeaseUntil, d.UpdatedAt = &now, &until, now
		if err := tx.db.Save(&d).Error; err != nil {
			return err
		}
		claim = &DeliveryClaim{ID: d.ID, WebhookID: id, EventID: d.EventID, URL: wh.URL, Secret: wh.Secret, Body: []byte(d.Body),
			Attempt: d.Attempts, FirstAttemptAt: *d.FirstAttemptAt}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks.claim: %w", err)
	}
	return claim, nil
}

// fanOut writes the pending deliveries of the events after wh's cursor it
// is subscribed to, and advances the cursor past them.
func (s *Store) fanOut(wh *webhookRow, now time.Time) error {
	hook := wh.toWebhook(time.UTC)
	for {
		var rows []outboxRow
		if err := s.db.Where("id > ?", wh.Cursor).Order("id").Limit(fanOutBatch).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			if !hook.Wants(r.Type) {
				continue
			}
			body, err := models.OutboxEvent{ID: r.ID, Type: r.Type, At: r.At.In(s.Loc), Data: json.RawMessage(r.Data)}.Envelope()
			if err != nil {
				return err
			}
			if err := s.exec(`INSERT INTO webhook_deliveries (webhook_id, event_id, type, body, status, attempts, next_attempt_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)`, wh.ID, r.ID, r.Type, string(body), models.DeliveryPending, now, now, now); err != nil {
				return err
			}
		}
		wh.Cursor = rows[len(rows)-1].ID
		if err := s.exec(`UPDATE webhooks SET cursor = ? WHERE id = ?`, wh.Cursor, wh.ID); err != nil {
			return err
		}
		if len(rows) < fanOutBatch {
			return nil
		}
	}
}

// DeliveryResult is how an attempt ended.
type DeliveryResult struct {
	// Status is delivered, failed, or pending (to be tried again at Next).
	Status     string
	Next       time.Time
	StatusCode *int
	Latency    time.Duration
	Response   *string
	Err        *string
}

// DisableAfter is how long a webhook's attempts may all fail before it is
// made inactive.
const DisableAfter = 72 * time.Hour

// RecordDelivery records the attempt c at now, unless the delivery was
// retried meanwhile; a webhook whose attempts have all failed for
// DisableAfter is made inactive, and the audit log says why. It answers
// whether the webhook was disabled.
func (s *Store) RecordDelivery(ctx context.Context, c *DeliveryClaim, now time.Time, r DeliveryResult) (disabled bool, err error) {
	now = now.UTC().Truncate(time.Microsecond)
	err = s.Tx(ctx, Write{Actor: System.Actor, Now: now}, func(tx *Store) error {
		tx.leavesServedDataAlone()
		var next *time.Time
		if r.Status == models.DeliveryPending {
			n := r.Next.UTC()
			next = &n
		}
		ms := r.Latency.Milliseconds()
		res := tx.db.Model(&deliveryRow{}).Where("id = ? AND attempts = ? AND status = ?", c.ID, c.Attempt, models.DeliveryPending).
			Updates(map[string]any{"status": r.Status, "next_attempt_at": next, "last_status_code": r.StatusCode, "last_latency_ms": ms,
				"last_response": r.Response, "last_error": r.Err, "lease_until": nil, "updated_at": now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		var wh webhookRow
		if err := tx.forUpdate(tx.db, "webhooks").Limit(1).Find(&wh, c.WebhookID).Error; err != nil || wh.ID == 0 {
			return err
		}
		if r.Status == models.DeliveryDelivered {
			if wh.FailingSince == nil {
				return nil
			}
			return tx.exec(`UPDATE webhooks SET failing_since = NULL WHERE id = ?`, wh.ID)
		}
		if wh.FailingSince == nil {
			return tx.exec(`UPDATE webhooks SET failing_since = ? WHERE id = ?`, now, wh.ID)
		}
		if !wh.Active || now.Sub(*wh.FailingSince) < DisableAfter {
			return nil
		}
		before := wh.toWebhook(time.UTC)
		reason := fmt.Sprintf("no attempt to deliver succeeded from %s to %s, %d days or more; the last: %s",
			wh.FailingSince.UTC().Format(time.RFC3339), now.Format(time.RFC3339), int(DisableAfter/(24*time.Hour)), attemptSummary(r))
		wh.Active, wh.DisabledReason, wh.UpdatedAt = false, &reason, now
		if err := tx.db.Save(&wh).Error; err != nil {
			return err
		}
		disabled = true
		return tx.audit(ctx, "webhooks.disable", "webhook", idString(wh.ID), before, wh.toWebhook(time.UTC))
	})
	if err != nil {
		return false, fmt.Errorf("webhooks.record: %w", err)
	}
	return disabled, nil
}

func attemptSummary(r DeliveryResult) string {
	switch {
	case r.Err != nil:
		return *r.Err
	case r.StatusCode != nil:
		return fmt.Sprintf("status %d", *r.StatusCode)
	}
	return "no answer"
}

// DeliveryBacklog answers how many deliveries are pending and when the
// oldest was made (zero with none).
func (s *Store) DeliveryBacklog(ctx context.Context) (n int64, oldest time.Time, err error) {
	db := s.db.WithContext(ctx)
	if err = db.Model(&deliveryRow{}).Where("status = ?", models.DeliveryPending).Count(&n).Error; err != nil || n == 0 {
		return n, time.Time{}, err
	}
	var row deliveryRow
	if err = db.Where("status = ?", models.DeliveryPending).Order("created_at").Limit(1).Find(&row).Error; err != nil {
		return 0, time.Time{}, err
	}
	return n, row.CreatedAt, nil
}

// lockSkipLocked locks the rows read, passing over those another
// transaction holds (PostgreSQL).
var lockSkipLocked = clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}
