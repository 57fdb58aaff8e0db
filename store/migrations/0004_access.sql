-- Access tokens (only a hash is stored), the audit log of every write, and
-- the answers kept for Idempotency-Key retries.
CREATE TABLE tokens (
    id {{pk}},
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    last_used_at {{ts}},
    revoked_at {{ts}}
);

CREATE TABLE audit_log (
    id {{pk}},
    at {{ts}} NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT,
    request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- A key is recorded in the same transaction as the write it guards; its
-- answer is filled in once the write has been answered.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    location TEXT,
    content_type TEXT,
    body TEXT,
    created_at {{ts}} NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
