-- 0006: memory that can be pinned, edited and flagged, its embedding vectors, and approvals
-- whose files changed since they were asked.
-- Append-only: never edit a migration that has landed; add the next file instead.

ALTER TABLE memory ADD COLUMN edited_at INTEGER;
-- Why the entry may be out of date (a file it names changed), NULL when it is not.
ALTER TABLE memory ADD COLUMN flagged TEXT;

-- One embedding per entry, written when an embedding provider is configured. `vector` is
-- `dim` little-endian f32 values; a row whose length disagrees with `dim` is skipped with a
-- warning, never trusted.
CREATE TABLE memory_vectors (
    memory_id INTEGER PRIMARY KEY,
    model     TEXT NOT NULL,
    dim       INTEGER NOT NULL,
    vector    BLOB NOT NULL
);

-- The files of a pending approval that the person changed since it was asked (JSON array).
ALTER TABLE approvals ADD COLUMN stale_files TEXT;
