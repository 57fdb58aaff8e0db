-- Train numbers are told apart without regard to letter case for the
-- duplicate rule: "X8024" and "x8024" on one route and day are one train.
ALTER TABLE runs ADD COLUMN number_key TEXT NOT NULL DEFAULT '';
UPDATE runs SET number_key = UPPER(number);
CREATE UNIQUE INDEX runs_route_number_key_day ON runs (route_id, number_key, departed_day);
