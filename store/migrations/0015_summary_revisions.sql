-- Summaries follow the data: when a month's figures change after its
-- summary was written, the summary is written again as a new revision and
-- the one it replaces is kept in summary_revisions.
--
-- revision counts the versions (1 for the first); first_generated_at is
-- when revision 1 was written; revised_at when the current revision was
-- (null for revision 1). generated_at stays the time the current texts
-- were written (a new wording of the same figures rewrites them without a
-- new revision).
ALTER TABLE summaries ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE summaries ADD COLUMN first_generated_at {{ts}};
ALTER TABLE summaries ADD COLUMN revised_at {{ts}};
UPDATE summaries SET first_generated_at = generated_at;

-- Each earlier version of a summary, as it was: superseded_at is when the
-- next revision replaced it.
CREATE TABLE summary_revisions (
    id {{pk}},
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    generated_at {{ts}} NOT NULL,
    superseded_at {{ts}} NOT NULL,
    figures TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    UNIQUE (period, revision)
);
