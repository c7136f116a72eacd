-- 0005: "always allow this prefix" grants that reach every run of the repository.
-- Append-only: never edit a migration that has landed; add the next file instead.

-- Kept from `prefix_granted` events with scope `repo`; run-scoped grants live in their run's
-- events only.
CREATE TABLE grants (
    prefix     TEXT PRIMARY KEY,
    run_id     INTEGER NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at INTEGER NOT NULL
);
