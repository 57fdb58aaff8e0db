-- Monthly summaries: the figures they quote and the texts, written by the
-- summary job. hash covers figures and texts, so that writing the same
-- summary again changes nothing, not even generated_at.
CREATE TABLE summaries (
    period TEXT PRIMARY KEY,
    generated_at {{ts}} NOT NULL,
    figures TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    hash TEXT NOT NULL
);
