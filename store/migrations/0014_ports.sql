-- Ports are reference data: a sea-rail count names its port by code
-- (sea_rail_counts.port holds ports.code, port_key its lower case).
-- port_codes holds every code that names a port when a count is logged:
-- its own and its aliases, unique together.
CREATE TABLE ports (
    id {{pk}},
    code TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    -- Made below for a text of older counts that names no known port (or
    -- whose counts would collide on it): an admin merges it.
    needs_review BOOLEAN NOT NULL DEFAULT FALSE,
    source_text TEXT,
    suggested TEXT,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE TABLE port_codes (
    code TEXT PRIMARY KEY,
    port_id BIGINT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    alias BOOLEAN NOT NULL
);
CREATE INDEX port_codes_port ON port_codes (port_id);

-- The known ports. Qingdao is CNQIN (SMDG files its terminals there);
-- carriers write CNTAO (in UN/LOCODE the airport) and SMDG also CNQDG.
INSERT INTO ports (code, name_en, name_zh, created_at, updated_at) VALUES
    ('CNQIN', 'Qingdao', '青岛港', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('CNRZH', 'Rizhao', '日照港', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO port_codes (code, port_id, alias) SELECT code, id, FALSE FROM ports;
INSERT INTO port_codes (code, port_id, alias) SELECT 'CNTAO', id, TRUE FROM ports WHERE code = 'CNQIN';
INSERT INTO port_codes (code, port_id, alias) SELECT 'CNQDG', id, TRUE FROM ports WHERE code = 'CNQIN';

-- The texts counts were logged with, told apart as the duplicate rule did
-- (port_key: without regard to case or surrounding blanks), each with the
-- known port it names: its code or an alias, its English name (with or
-- without " Port", or "Port of …"), its Chinese name (with or without 港).
CREATE TABLE port_texts_0013 (
    port_key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    port_id BIGINT,
    review_code TEXT
);
INSERT INTO port_texts_0013 (port_key, text) SELECT port_key, MIN(port) FROM sea_rail_counts GROUP BY port_key;
UPDATE port_texts_0013 SET port_id = (
    SELECT MIN(p.id) FROM ports p
    WHERE port_texts_0013.port_key IN (LOWER(p.name_en), LOWER(p.name_en) || ' port', 'port of ' || LOWER(p.name_en), p.name_zh, p.name_zh || '港')
        OR port_texts_0013.port_key || '港' = p.name_zh
        OR port_texts_0013.port_key IN (SELECT LOWER(c.code) FROM port_codes c WHERE c.port_id = p.id));

-- Where each count goes. A count moves to the port its text names unless
-- another count of that port, date and direction does (the first logged,
-- lowest id, moves): the others stay apart, on a port under review, so
-- that no count is lost or added to another.
CREATE TABLE port_moves_0013 (
    count_id BIGINT PRIMARY KEY,
    code TEXT
);
INSERT INTO port_moves_0013 (count_id, code)
    SELECT c.id, (SELECT p.code FROM ports p WHERE p.id = t.port_id)
    FROM sea_rail_counts c JOIN port_texts_0013 t ON t.port_key = c.port_key
    WHERE t.port_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM sea_rail_counts c2 JOIN port_texts_0013 t2 ON t2.port_key = c2.port_key
        WHERE t2.port_id = t.port_id AND c2.date = c.date AND c2.direction = c.direction AND c2.id < c.id);

-- A port under review for each text with counts that did not move, named
-- by the text, numbered in the order of the texts.
UPDATE port_texts_0013 SET review_code = 'UNRESOLVED-' || CAST((
    SELECT COUNT(*) FROM port_texts_0013 t2
    WHERE t2.port_key <= port_texts_0013.port_key
        AND EXISTS (SELECT 1 FROM sea_rail_counts c WHERE c.port_key = t2.port_key AND c.id NOT IN (SELECT count_id FROM port_moves_0013))) AS TEXT)
    WHERE EXISTS (SELECT 1 FROM sea_rail_counts c WHERE c.port_key = port_texts_0013.port_key AND c.id NOT IN (SELECT count_id FROM port_moves_0013));
INSERT INTO ports (code, name_en, name_zh, needs_review, source_text, suggested, created_at, updated_at)
    SELECT t.review_code, t.text, t.text, TRUE, t.text, (SELECT p.code FROM ports p WHERE p.id = t.port_id), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
    FROM port_texts_0013 t WHERE t.review_code IS NOT NULL;
INSERT INTO port_moves_0013 (count_id, code)
    SELECT c.id, t.review_code FROM sea_rail_counts c JOIN port_texts_0013 t ON t.port_key = c.port_key
    WHERE c.id NOT IN (SELECT count_id FROM port_moves_0013);

-- Every count to its port's code; parked on a unique value first, so that
-- no count collides with one that has not moved yet.
UPDATE sea_rail_counts SET port = 'moving-' || CAST(id AS TEXT), port_key = 'moving-' || CAST(id AS TEXT);
UPDATE sea_rail_counts SET port = (SELECT m.code FROM port_moves_0013 m WHERE m.count_id = sea_rail_counts.id);
UPDATE sea_rail_counts SET port_key = LOWER(port);

DROP TABLE port_moves_0013;
DROP TABLE port_texts_0013;
