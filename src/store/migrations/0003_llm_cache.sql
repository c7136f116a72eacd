-- 0003: warroom's response cache of model answers. Not part of the event log: any entry may be
-- dropped at any time and nothing is lost but the dollars it would have saved.
-- Append-only: never edit a migration that has landed; add the next file instead.

-- One answer per request key (sha256 of the canonical request, see core::llm::fingerprint).
-- `events` is the answer's stream events as a JSON array, replayed on a hit. A rowid table
-- rather than WITHOUT ROWID: an answer can run to many kilobytes.
CREATE TABLE llm_cache (
    id                 INTEGER PRIMARY KEY,
    key                BLOB NOT NULL UNIQUE,
    provider           TEXT NOT NULL,
    model              TEXT NOT NULL,
    events             TEXT NOT NULL,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    cached_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd           REAL NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    hits               INTEGER NOT NULL DEFAULT 0,
    last_hit_at        INTEGER
);
CREATE INDEX llm_cache_expires ON llm_cache(expires_at);

-- Lifetime counters (they outlive the entries they counted). Exactly one row.
CREATE TABLE llm_cache_stats (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    hits      INTEGER NOT NULL DEFAULT 0,
    misses    INTEGER NOT NULL DEFAULT 0,
    saved_usd REAL NOT NULL DEFAULT 0
);
INSERT INTO llm_cache_stats(id) VALUES (1);
