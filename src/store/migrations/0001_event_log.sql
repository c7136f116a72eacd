-- 0001: the event log and the run/agent/task projections folded from it.
-- Append-only: never edit a migration that has landed; add the next file instead.

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    goal        TEXT NOT NULL,
    repo        TEXT NOT NULL,
    state       TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    finished_at INTEGER
);

-- The source of truth. `level` is set for events shown in the logs pane, `agent` for events
-- that concern one agent; both exist so log pages can be read by index.
CREATE TABLE events (
    id     INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    at     INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    agent  INTEGER,
    level  INTEGER,
    body   TEXT NOT NULL
);
CREATE INDEX events_run_id ON events(run_id, id);
CREATE INDEX events_run_chat ON events(run_id, id) WHERE kind = 'chat_message_posted';
CREATE INDEX events_run_log ON events(run_id, id) WHERE level IS NOT NULL;
CREATE INDEX events_run_agent ON events(run_id, agent, id) WHERE agent IS NOT NULL;

CREATE TABLE agents (
    run_id        INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    parent        INTEGER,
    role          TEXT NOT NULL,
    model         TEXT NOT NULL,
    status        TEXT NOT NULL,
    task          INTEGER,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL NOT NULL DEFAULT 0,
    spawned_at    INTEGER NOT NULL,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;

CREATE TABLE tasks (
    run_id     INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    parent     INTEGER,
    title      TEXT NOT NULL,
    deps       TEXT NOT NULL DEFAULT '[]',
    owner      INTEGER,
    status     TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    progress   REAL NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
