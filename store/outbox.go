package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"banlie/models"
)

type outboxRow struct {
	ID   int64 `gorm:"primaryKey"`
	Type string
	At   time.Time
	Data string
	// auditFrom and auditTo, when set, stand for the events of the audit
	// entries with ids from auditFrom to auditTo (a bulk import's runs):
	// their after values, copied at the commit.
	auditFrom, auditTo int64 `gorm:"-"`
}

func (outboxRow) TableName() string { return "outbox" }

// auditEvents are the outbox events of audited changes, by audit action:
// the event carries the object as the API shows it (after the change, or
// before a delete). Changes of routes, ports, targets and tokens are not
// announced; summaries and milestones announce themselves (emit).
var auditEvents = map[string]struct {
	typ    string
	before bool
}{
	"runs.create":            {models.EventRunCreated, false},
	"runs.update":            {models.EventRunUpdated, false},
	"runs.delete":            {models.EventRunDeleted, true},
	"runs.events.create":     {models.EventRunEvent, false},
	"runs.events.delete":     {models.EventRunEventRetracted, true},
	"sea_rail_counts.create": {models.EventSeaRailRecorded, false},
	"sea_rail_counts.update": {models.EventSeaRailRecorded, false},
	"sea_rail_counts.delete": {models.EventSeaRailDeleted, true},
}

// emit records, inside the caller's transaction, an event to be written
// to the outbox when the transaction commits (Tx writes it last).
func (s *Store) emit(typ string, data any) error {
	if s.pending == nil {
		return fmt.Errorf("outbox: %s emitted outside a transaction", typ)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("outbox: %s: %w", typ, err)
	}
	return s.emitEncoded(typ, string(b))
}

// emitEncoded is emit of data already encoded as JSON.
func (s *Store) emitEncoded(typ, data string) error {
	if s.pending == nil {
		return fmt.Errorf("outbox: %s emitted outside a transaction", typ)
	}
	*s.pending = append(*s.pending, outboxRow{Type: typ, At: s.now(), Data: data})
	return nil
}

// writePending inserts the transaction's events, in the order they were
// emitted.
func (s *Store) writePending() error {
	for _, e := range *s.pending {
		if e.auditTo > 0 {
			if err := s.exec(`INSERT INTO outbox (type, at, data) SELECT ?, at, after_value FROM audit_log WHERE id BETWEEN ? AND ? ORDER BY id`,
				e.Type, e.auditFrom, e.auditTo); err != nil {
				return fmt.Errorf("outbox: %w", err)
			}
			continue
		}
		if err := s.exec(`INSERT INTO outbox (type, at, data) VALUES (?, ?, ?)`, e.Type, e.At.UTC(), e.Data); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	return nil
}

// Events answers up to limit outbox events with an id above after, in id
// order.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]models.OutboxEvent, error) {
	var rows []outboxRow
	if err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("outbox.events: %w", err)
	}
	out := make([]models.OutboxEvent, len(rows))
	for i, r := range rows {
		out[i] = models.OutboxEvent{ID: r.ID, Type: r.Type, At: r.At.In(s.Loc), Data: json.RawMessage(r.Data)}
	}
	return out, nil
}

const settingOutboxPurged = "outbox_purged_through"

// OutboxBounds answers the newest event's id (0 when there is none) and
// the highest id purged (events up to it are gone: a client that last saw
// an older one must reload).
func (s *Store) OutboxBounds(ctx context.Context) (newest, purged int64, err error) {
	if err = s.db.WithContext(ctx).Raw(`SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&newest).Error; err != nil {
		return 0, 0, fmt.Errorf("outbox.bounds: %w", err)
	}
	var row settingRow
	if err := s.db.WithContext(ctx).Where("key = ?", settingOutboxPurged).Limit(1).Find(&row).Error; err != nil {
		return 0, 0, fmt.Errorf("outbox.bounds: %w", err)
	}
	if row.Value != "" {
		if purged, err = strconv.ParseInt(row.Value, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("outbox.bounds: stored %q: %w", row.Value, err)
		}
	}
	if newest < purged {
		newest = purged
	}
	return newest, purged, nil
}

// PurgeOutbox deletes the events recorded before cutoff and answers how
// many; the highest id deleted is kept (OutboxBounds).
func (s *Store) PurgeOutbox(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	// Alone: the events of days may be many (see writeGroup).
	w := System
	w.alone = true
	err := s.Tx(ctx, w, func(tx *Store) error {
		tx.leavesServedDataAlone()
		var through int64
		if err := tx.db.Raw(`SELECT COALESCE(MAX(id), 0) FROM outbox WHERE at < ?`, cutoff.UTC()).Scan(&through).Error; err != nil {
			return err
		}
		if through == 0 {
			return nil
		}
		res := tx.db.Where("id <= ?", through).Delete(&outboxRow{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return tx.db.Save(&settingRow{Key: settingOutboxPurged, Value: strconv.FormatInt(through, 10)}).Error
	})
	return n, err
}

// eventBus tells the readers of the outbox in this process that events
// committed: Wait answers a channel closed at the next commit that wrote
// any. (Readers in other processes poll.)
type eventBus struct {
	mu sync.Mutex
	ch chan struct{}
}

func newEventBus() *eventBus { return &eventBus{ch: make(chan struct{})} }

func (b *eventBus) publish() {
	b.mu.Lock()
	close(b.ch)
	b.ch = make(chan struct{})
	b.mu.Unlock()
}

func (b *eventBus) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

// Announce wakes the readers waiting on Committed: events were committed
// elsewhere (another instance).
func (s *Store) Announce() { s.bus.publish() }

// Committed answers a channel that is closed when a transaction of this
// process next commits events to the outbox.
func (s *Store) Committed() <-chan struct{} { return s.bus.wait() }
