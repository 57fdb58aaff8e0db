-- A target's milestone names the run that reached it: the n-th counted run
-- of a day in order of (departed_at, id). This index reads that day's runs
-- in that order, an index range, where runs_status_departed (the one a
-- planner without statistics picked for "departed_day = ? AND status IN
-- (…) AND departed_at <= ?") reads nearly every run. It also serves the
-- roll-up's day queries (departed_day IN (…)), so runs_day, its prefix,
-- goes.
CREATE INDEX runs_day_departed ON runs (departed_day, departed_at, id);
DROP INDEX runs_day;
