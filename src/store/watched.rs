//! What the repo watcher (`core::watch`) reads before it reacts to the person's edits: the
//! patch approvals of a run that still wait (with the files already found stale), and the
//! memory entries that could name a changed file. Reads only; the watcher's events go through
//! the writer like any other.

use std::collections::HashMap;

use rusqlite::params;

use crate::protocol::{ApprovalId, ApprovalSubject, MemoryId, RunId};

use super::{Reader, StoreError};

/// A patch approval that waits for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPatch {
    /// The approval.
    pub approval: ApprovalId,
    /// The unified diff it would apply.
    pub diff: String,
    /// The files it touches, relative to the repository.
    pub files: Vec<String>,
    /// The files the person changed since it was asked (from earlier `approval_stale` events).
    pub stale_files: Vec<String>,
}

impl Reader {
    /// The patch approvals of `run` that wait for a decision, oldest first, with the files
    /// already found stale.
    pub fn pending_patches(&self, run: RunId) -> Result<Vec<PendingPatch>, StoreError> {
        let mut statement = self
            .conn()
            .prepare_cached(
                "SELECT id, stale_files FROM approvals
                 WHERE run_id = ?1 AND status = 'pending' AND stale_files IS NOT NULL",
            )
            .map_err(|e| self.err(e))?;
        let mut stale: HashMap<u32, Vec<String>> = statement
            .query_map(params![run.0], |r| {
                Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?
            .filter_map(Result::ok)
            .map(|(id, files)| (id, serde_json::from_str(&files).unwrap_or_default()))
            .collect();
        Ok(self
            .pending_approvals(run)?
            .into_iter()
            .filter_map(|row| match row.subject {
                ApprovalSubject::Patch { diff, files } => Some(PendingPatch {
                    approval: row.id,
                    diff,
                    files,
                    stale_files: stale.remove(&row.id.0).unwrap_or_default(),
                }),
                ApprovalSubject::Command { .. } => None,
            })
            .collect())
    }

    /// Every memory entry that is neither forgotten nor already flagged, as (id, text).
    pub fn unflagged_memory(&self) -> Result<Vec<(MemoryId, String)>, StoreError> {
        let mut statement = self
            .conn()
            .prepare_cached(
                "SELECT id, text FROM memory WHERE forgotten_at IS NULL AND flagged IS NULL
                 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = statement
            .query_map([], |r| Ok((MemoryId(r.get(0)?), r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}
