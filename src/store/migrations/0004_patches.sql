-- 0004: patches proposed by analysts, as judged, applied and rolled back.
-- Append-only: never edit a migration that has landed; add the next file instead.

-- The diff is kept zlib-compressed (flate2); `bytes` is its uncompressed size and `added` /
-- `removed` its hunk line counts, so a listing needs no decompression.
CREATE TABLE patches (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL,
    task           INTEGER,
    agent          INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    files          TEXT NOT NULL,
    diff           BLOB NOT NULL,
    bytes          INTEGER NOT NULL,
    added          INTEGER NOT NULL DEFAULT 0,
    removed        INTEGER NOT NULL DEFAULT 0,
    state          TEXT NOT NULL DEFAULT 'proposed',
    reason         TEXT NOT NULL DEFAULT '',
    applied_at     INTEGER,
    rolled_back_at INTEGER
);
CREATE INDEX patches_run ON patches(run_id, id);
