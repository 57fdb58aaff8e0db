-- The container numbers a run lists, one row each, in the run's order
-- (seq from 0), instead of a JSON list in runs.container_numbers: a box is
-- looked up by its number (GET /api/v1/containers/{number}, the runs
-- list's ?container=) and two runs holding one box at the same time are
-- refused, both through run_containers_number. Numbers are stored as
-- writes normalise them (upper case, no spaces or hyphens).
CREATE TABLE run_containers (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX run_containers_number ON run_containers (number, run_id);

-- Every number stored so far passed validation, which accepts only
-- normalised numbers: they are moved as they are, in their order.
{{sqlite}} INSERT INTO run_containers (run_id, seq, number)
    SELECT runs.id, CAST(j.key AS INTEGER), j.value
    FROM runs, json_each(runs.container_numbers) AS j
    WHERE runs.container_numbers <> '';
{{postgres}} INSERT INTO run_containers (run_id, seq, number)
    SELECT runs.id, j.ord - 1, j.value
    FROM runs, jsonb_array_elements_text(runs.container_numbers::jsonb) WITH ORDINALITY AS j (value, ord)
    WHERE runs.container_numbers <> '';

-- Nothing reads or writes the JSON list any more. (An instance of an older
-- version still running on the same PostgreSQL database would: stop the
-- old ones before this step, as an upgrade that recreates them does.)
ALTER TABLE runs DROP COLUMN container_numbers;
