-- Ports are told apart without regard to letter case or surrounding
-- spaces: "Qingdao" and "qingdao " are one port for the duplicate rule.
ALTER TABLE sea_rail_counts ADD COLUMN port_key TEXT NOT NULL DEFAULT '';
UPDATE sea_rail_counts SET port_key = LOWER(TRIM(port));
CREATE UNIQUE INDEX sea_rail_port_key ON sea_rail_counts (date, port_key, direction);
CREATE INDEX sea_rail_port_key_date ON sea_rail_counts (port_key, date, id);
