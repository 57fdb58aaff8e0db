-- Routes, their ordered stops and tags; runs; sea-rail counts.
CREATE TABLE routes (
    id {{pk}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_zh TEXT,
    mode TEXT NOT NULL,
    opened_on TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX routes_mode ON routes (mode, active);

CREATE TABLE route_stops (
    id {{pk}},
    route_id BIGINT NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    locode TEXT,
    role TEXT NOT NULL,
    UNIQUE (route_id, seq)
);

CREATE TABLE route_tags (
    route_id BIGINT NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (route_id, tag)
);
CREATE INDEX route_tags_tag ON route_tags (tag);

CREATE TABLE runs (
    id {{pk}},
    route_id BIGINT NOT NULL REFERENCES routes (id),
    number TEXT NOT NULL,
    direction TEXT NOT NULL,
    departed_at {{ts}} NOT NULL,
    departed_day TEXT NOT NULL,
    arrived_at {{ts}},
    status TEXT NOT NULL,
    containers INTEGER NOT NULL,
    teu INTEGER NOT NULL,
    cargo TEXT,
    container_numbers TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
-- The duplicate rule: one route, number and departure day (reporting time zone).
CREATE UNIQUE INDEX runs_route_number_day ON runs (route_id, number, departed_day);
-- The list order and its keyset cursor; also serves from/to.
CREATE INDEX runs_departed ON runs (departed_at, id);
CREATE INDEX runs_route_departed ON runs (route_id, departed_at, id);
CREATE INDEX runs_status_departed ON runs (status, departed_at, id);
CREATE INDEX runs_direction_departed ON runs (direction, departed_at, id);

CREATE TABLE sea_rail_counts (
    id {{pk}},
    date TEXT NOT NULL,
    port TEXT NOT NULL,
    direction TEXT NOT NULL,
    teu INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL,
    UNIQUE (date, port, direction)
);
CREATE INDEX sea_rail_date ON sea_rail_counts (date, id);
CREATE INDEX sea_rail_port_date ON sea_rail_counts (port, date, id);

-- Settings the data depends on, such as the reporting time zone that
-- runs.departed_day was computed in.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
