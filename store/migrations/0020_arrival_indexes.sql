-- Runs are logged when they leave, and most of them are on their way or
-- have no arrival recorded: every index on the arrival held an entry (a
-- NULL) for each of them, which every logged departure wrote three times
-- and no query reads (every read of these indexes names an arrival: an
-- instant or day compared, or IS NOT NULL). Partial indexes keep only the
-- arrivals; a departure writes none of them.
DROP INDEX runs_arrived_day;
CREATE INDEX runs_arrived_day ON runs (arrived_day) WHERE arrived_day IS NOT NULL;
DROP INDEX runs_route_arrived;
CREATE INDEX runs_route_arrived ON runs (route_id, direction, arrived_at) WHERE arrived_at IS NOT NULL;
DROP INDEX runs_arrived;
CREATE INDEX runs_arrived ON runs (arrived_at) WHERE arrived_at IS NOT NULL;
-- The arrivals whose day in the reporting zone is not filled yet (runs
-- stored before arrived_day existed): empty once the server has started,
-- so that the check at each start is one lookup in an empty index. It was
-- a range of runs_arrived_day's NULLs, i.e. of every run without an
-- arrival day.
CREATE INDEX runs_arrival_day_missing ON runs (arrived_at) WHERE arrived_day IS NULL AND arrived_at IS NOT NULL;
