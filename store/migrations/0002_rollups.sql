-- Roll-ups: counted runs, containers and TEU per day and per month, by scope
-- and direction, plus sea-rail TEU; the days whose figures must be recomputed;
-- targets and the milestones recorded when they were reached; job runs.
--
-- scope: 'all', 'mode:<mode>', 'route:<route id>' or 'sea_rail'.
-- direction: '' for both, else outbound/inbound (runs) or import/export (sea-rail).
CREATE TABLE rollup_daily (
    scope TEXT NOT NULL,
    direction TEXT NOT NULL,
    day TEXT NOT NULL,
    runs INTEGER NOT NULL,
    containers INTEGER NOT NULL,
    teu BIGINT NOT NULL,
    PRIMARY KEY (scope, direction, day)
);
CREATE INDEX rollup_daily_day ON rollup_daily (day);

CREATE TABLE rollup_monthly (
    scope TEXT NOT NULL,
    direction TEXT NOT NULL,
    month TEXT NOT NULL,
    runs INTEGER NOT NULL,
    containers INTEGER NOT NULL,
    teu BIGINT NOT NULL,
    PRIMARY KEY (scope, direction, month)
);
CREATE INDEX rollup_monthly_month ON rollup_monthly (month);

-- A day listed here has figures that a write changed since the last roll-up.
-- gen grows with each mark, so a roll-up clears only the marks it has seen.
CREATE TABLE rollup_dirty (
    day TEXT PRIMARY KEY,
    gen INTEGER NOT NULL DEFAULT 1
);

-- Roll-ups recompute a day from the runs that depart on it.
CREATE INDEX runs_day ON runs (departed_day);

CREATE TABLE targets (
    id {{pk}},
    year INTEGER NOT NULL,
    metric TEXT NOT NULL,
    scope_mode TEXT,
    scope_route TEXT,
    value BIGINT NOT NULL,
    label TEXT NOT NULL,
    created_at {{ts}} NOT NULL
);
CREATE INDEX targets_year ON targets (year);

CREATE TABLE milestones (
    id {{pk}},
    target_id BIGINT NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    reached_on TEXT NOT NULL,
    run_id BIGINT,
    run_number TEXT,
    run_route TEXT,
    run_departed_at {{ts}},
    recorded_at {{ts}} NOT NULL,
    withdrawn_at {{ts}}
);
CREATE INDEX milestones_target ON milestones (target_id, withdrawn_at);

CREATE TABLE job_runs (
    id {{pk}},
    name TEXT NOT NULL,
    scheduled_at {{ts}},
    started_at {{ts}} NOT NULL,
    finished_at {{ts}},
    status TEXT NOT NULL,
    error TEXT,
    instance TEXT NOT NULL
);
-- One row per scheduled tick: the instance that inserts it runs the tick.
CREATE UNIQUE INDEX job_runs_tick ON job_runs (name, scheduled_at);
CREATE INDEX job_runs_name ON job_runs (name, id);
