-- 0007: indexes for `warroom errors` (the newest errors across runs) and provider health.
-- Append-only: never edit a migration that has landed; add the next file instead.

CREATE INDEX events_errors ON events(id) WHERE kind = 'error_raised';
CREATE INDEX llm_calls_failed ON llm_calls(started_at) WHERE outcome = 'failed';
