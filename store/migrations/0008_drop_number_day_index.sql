-- The duplicate rule has compared case-folded numbers (number_key) since
-- step 6; the first index, on the number as written, only cost every insert
-- and edit one more index to maintain.
DROP INDEX IF EXISTS runs_route_number_day;
