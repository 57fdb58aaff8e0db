-- The outbox: one row per committed change users may hear of (a run
-- logged, changed or deleted, a journey event, a sea-rail count, a target
-- reached, a summary published or revised), written in the change's own
-- transaction after every other row, so that ids follow the order of
-- commits (on PostgreSQL the data_version row, updated just before, is
-- held by one committing writer at a time).
CREATE TABLE outbox (
    id {{pk}},
    type TEXT NOT NULL,
    at {{ts}} NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX outbox_at ON outbox (at);
