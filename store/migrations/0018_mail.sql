-- Mail: addresses the summaries and milestones are e-mailed to. cursor is
-- the id of the last outbox event fanned out to the subscriber (a new one
-- starts at the newest); each event it is subscribed to becomes one
-- message, sent one at a time per subscriber in event order. token is the
-- secret of its unsubscribe link.
CREATE TABLE subscribers (
    id {{pk}},
    address TEXT NOT NULL,
    language TEXT NOT NULL,
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    token TEXT NOT NULL,
    cursor BIGINT NOT NULL,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX subscribers_token ON subscribers (token);
CREATE TABLE mail_deliveries (
    id {{pk}},
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{ts}},
    first_attempt_at {{ts}},
    last_attempt_at {{ts}},
    last_error TEXT,
    lease_until {{ts}},
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX mail_deliveries_event ON mail_deliveries (subscriber_id, event_id);
CREATE INDEX mail_deliveries_due ON mail_deliveries (subscriber_id, status, event_id);
CREATE INDEX mail_deliveries_pending ON mail_deliveries (status, created_at);
