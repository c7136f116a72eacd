-- 0002: approvals, memory with its full-text index, viewer commands, LLM call accounting.
-- Append-only: never edit a migration that has landed; add the next file instead.

CREATE TABLE approvals (
    run_id       INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    agent        INTEGER NOT NULL,
    subject      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    decision     TEXT,
    decided_by   TEXT,
    requested_at INTEGER NOT NULL,
    decided_at   INTEGER,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;

CREATE TABLE memory (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    text         TEXT NOT NULL,
    run_id       INTEGER,
    agent        INTEGER,
    task         INTEGER,
    source_event INTEGER,
    pinned       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    forgotten_at INTEGER
);
CREATE VIRTUAL TABLE memory_fts USING fts5(text, content='memory', content_rowid='id');
CREATE TRIGGER memory_ai AFTER INSERT ON memory BEGIN
    INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER memory_ad AFTER DELETE ON memory BEGIN
    INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER memory_au AFTER UPDATE OF text ON memory BEGIN
    INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
END;

-- Written by viewers (`warroom attach`), carried out by the owner process.
CREATE TABLE commands (
    id          INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,
    sender      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    consumed_at INTEGER
);
CREATE INDEX commands_pending ON commands(id) WHERE consumed_at IS NULL;

CREATE TABLE llm_calls (
    run_id        INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    agent         INTEGER NOT NULL,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL NOT NULL DEFAULT 0,
    ttft_ms       INTEGER,
    latency_ms    INTEGER,
    cache_hit     INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT NOT NULL DEFAULT 'running',
    error         TEXT,
    started_at    INTEGER NOT NULL,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
