-- One number that every committed write transaction raises by one, in the
-- same transaction: a read that finds it unchanged knows that no stored
-- figure changed either, and can answer from the answers it keeps.
CREATE TABLE data_version (
  id INTEGER PRIMARY KEY,
  v BIGINT NOT NULL
);
INSERT INTO data_version (id, v) VALUES (1, 0);
