-- Runs are searched by train number (GET /api/v1/runs?number=…), compared
-- as the duplicate rule compares numbers, on number_key. The duplicate
-- rule's index starts with the route; this one serves a search on any
-- route, in the list's order (newest departure first) and by its cursor.
CREATE INDEX runs_number_key_departed ON runs (number_key, departed_at, id);
