-- Webhooks: receivers the outbox's events are POSTed to, signed as the
-- Standard Webhooks specification says. cursor is the id of the last
-- outbox event fanned out to the webhook (a new one starts at the newest);
-- each event it is subscribed to becomes one delivery, sent one at a time
-- per webhook in event order.
CREATE TABLE webhooks (
    id {{pk}},
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    secret TEXT NOT NULL,
    cursor BIGINT NOT NULL,
    failing_since {{ts}},
    disabled_reason TEXT,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE TABLE webhook_deliveries (
    id {{pk}},
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{ts}},
    first_attempt_at {{ts}},
    last_attempt_at {{ts}},
    last_status_code INTEGER,
    last_latency_ms BIGINT,
    last_response TEXT,
    last_error TEXT,
    lease_until {{ts}},
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
-- One delivery per event and webhook; the next due per webhook in event
-- order; the list, newest first.
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, status, event_id);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (status, created_at);
