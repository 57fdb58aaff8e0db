-- A running job's instance renews heartbeat_at while the job runs: a run
-- whose heartbeat is older than the lease was left by a dead process and is
-- marked abandoned. A run that failed is now called failed.
ALTER TABLE job_runs ADD COLUMN heartbeat_at {{ts}};
UPDATE job_runs SET status = 'failed' WHERE status = 'error';
-- When a day was first marked dirty since its last roll-up: the oldest one
-- is how far the roll-up lags behind the writes.
ALTER TABLE rollup_dirty ADD COLUMN marked_at {{ts}};
