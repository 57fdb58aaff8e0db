-- Counting bases and corridors (issue: figures in the official register).
--
-- A rail route's corridor (west, central, east) comes from its border
-- crossing unless an admin set it: corridor_set says whether corridor is
-- the admin's choice (then null means "no corridor") or unused.
ALTER TABLE routes ADD COLUMN corridor TEXT;
ALTER TABLE routes ADD COLUMN corridor_set BOOLEAN NOT NULL DEFAULT FALSE;

-- A run's empty boxes (of its containers), for the laden ratio; its
-- arrival day in the reporting zone, for 到发 (arrivals at the hub are the
-- inbound runs' arrivals). arrived_day is filled for existing runs when
-- the server starts (store.EnsureReportingZone).
ALTER TABLE runs ADD COLUMN empty_containers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN arrived_day TEXT;
CREATE INDEX runs_arrived_day ON runs (arrived_day);

-- Roll-ups keep empty boxes and 到发 (arrivals_departures): on a row of
-- direction outbound, the runs that departed on the day; inbound, the runs
-- that arrived on it; '' both.
ALTER TABLE rollup_daily ADD COLUMN empty_containers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_daily ADD COLUMN arrivals_departures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_monthly ADD COLUMN empty_containers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_monthly ADD COLUMN arrivals_departures BIGINT NOT NULL DEFAULT 0;
-- Every stored roll-up lacks them: the next roll-up recomputes everything.
DELETE FROM settings WHERE key = 'rollup_watermark';
