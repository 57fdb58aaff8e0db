-- Journeys: the events of a run between its departure (runs.departed_at)
-- and its arrival (runs.arrived_at), each at one of its route's stops by
-- index (route_stops.seq), or an operator's estimate of the arrival.
CREATE TABLE run_events (
    id {{pk}},
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    at {{ts}} NOT NULL,
    stop INTEGER,
    reason TEXT,
    eta {{ts}},
    note TEXT,
    created_at {{ts}} NOT NULL
);
CREATE INDEX run_events_run ON run_events (run_id, at, id);

-- A route may say how many days its journey is planned to take.
ALTER TABLE routes ADD COLUMN planned_transit_days REAL;

-- Transit times: a route's arrivals by direction and instant. (The runs on
-- their way come from runs_status_departed.)
CREATE INDEX runs_route_arrived ON runs (route_id, direction, arrived_at);
-- Transit times of a period's arrivals, in totals and summaries.
CREATE INDEX runs_arrived ON runs (arrived_at);

-- The dwell of a run at each border stop where it was seen arriving and
-- then crossing or changing gauge, in seconds: kept by every write to the
-- run's journey, in its transaction, so that transit statistics read
-- stored figures instead of every journey's events.
CREATE TABLE dwell_facts (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stop INTEGER NOT NULL,
    seconds BIGINT NOT NULL,
    PRIMARY KEY (run_id, stop)
);
