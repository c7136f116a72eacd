//! The `patches` table: how the projection keeps it from `Patch*` events (the diff stored
//! zlib-compressed), and how a [`Reader`] lists patches and loads one with its diff. A row
//! whose diff does not decompress is an error that names the patch, never a panic.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::protocol::{AgentId, Millis, PatchId, RunId, TaskId};

use super::{Reader, StoreError};

/// Where a patch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchState {
    /// Written by an analyst, not judged yet.
    Proposed,
    /// The verifier found it fixes the target and breaks nothing.
    Verified,
    /// The verifier found it does not.
    Rejected,
    /// It is in the person's working tree.
    Applied,
    /// It was applied, then taken back out.
    RolledBack,
}

impl PatchState {
    /// The name stored in the `state` column and shown on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchState::Proposed => "proposed",
            PatchState::Verified => "verified",
            PatchState::Rejected => "rejected",
            PatchState::Applied => "applied",
            PatchState::RolledBack => "rolled_back",
        }
    }

    /// The inverse of [`PatchState::as_str`].
    pub fn parse(name: &str) -> Option<PatchState> {
        [
            PatchState::Proposed,
            PatchState::Verified,
            PatchState::Rejected,
            PatchState::Applied,
            PatchState::RolledBack,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// A patch as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRow {
    /// The patch.
    pub id: PatchId,
    /// The run that made it.
    pub run: RunId,
    /// The task it serves.
    pub task: Option<TaskId>,
    /// The agent that wrote it.
    pub agent: AgentId,
    /// When it was proposed.
    pub created_at: Millis,
    /// The files it touches, relative to the repository.
    pub files: Vec<String>,
    /// The size of the diff, uncompressed.
    pub bytes: u64,
    /// Lines it adds.
    pub added: u64,
    /// Lines it removes.
    pub removed: u64,
    /// Where it is in its life.
    pub state: PatchState,
    /// The verifier's reason, empty until judged.
    pub reason: String,
    /// When it was applied to the working tree.
    pub applied_at: Option<Millis>,
    /// When it was rolled back.
    pub rolled_back_at: Option<Millis>,
    /// The unified diff: loaded by [`Reader::patch`], `None` in listings.
    pub diff: Option<String>,
}

/// Lines added and removed by a unified diff (hunk lines only, not the `---`/`+++` headers).
pub fn diff_line_counts(diff: &str) -> (u64, u64) {
    let (mut added, mut removed) = (0, 0);
    let mut in_hunk = false;
    for line in diff.lines() {
        if line.starts_with("diff --git ") {
            in_hunk = false;
        } else if line.starts_with("@@") {
            in_hunk = true;
        } else if in_hunk && line.starts_with('+') {
            added += 1;
        } else if in_hunk && line.starts_with('-') {
            removed += 1;
        }
    }
    (added, removed)
}

impl Reader {
    /// The newest patches first, of one run or of all runs, without their diffs.
    pub fn patches(&self, run: Option<RunId>, limit: usize) -> Result<Vec<PatchRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (sql, run_arg) = match run {
            Some(run) => (
                format!(
                    "SELECT {COLUMNS}, NULL FROM patches WHERE run_id = ?1 ORDER BY id DESC LIMIT ?2"
                ),
                run.0,
            ),
            None => (
                format!(
                    "SELECT {COLUMNS}, NULL FROM patches WHERE ?1 = ?1 ORDER BY id DESC LIMIT ?2"
                ),
                0,
            ),
        };
        let mut stmt = self.conn().prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![run_arg, limit], raw_row)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        rows.into_iter().map(|raw| self.finish(raw)).collect()
    }

    /// One patch with its diff decompressed; `None` when there is no such patch.
    pub fn patch(&self, id: PatchId) -> Result<Option<PatchRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS}, diff FROM patches WHERE id = ?1");
        let raw = self
            .conn()
            .query_row(&sql, params![id.0], raw_row)
            .optional()
            .map_err(|e| self.err(e))?;
        raw.map(|raw| self.finish(raw)).transpose()
    }

    /// The highest patch id recorded (0 when none). The owner allocates new ids above it,
    /// and above any it has handed out itself but not yet committed.
    pub fn max_patch_id(&self) -> Result<PatchId, StoreError> {
        self.conn()
            .query_row("SELECT coalesce(max(id), 0) FROM patches", [], |r| r.get(0))
            .map(PatchId)
            .map_err(|e| self.err(e))
    }

    fn finish(&self, raw: RawRow) -> Result<PatchRow, StoreError> {
        let id = raw.row.id;
        let damaged = |what: String| StoreError::Corrupt {
            path: self.path().to_path_buf(),
            message: format!("patch {id}: {what}"),
        };
        let mut row = raw.row;
        row.state = PatchState::parse(&raw.state)
            .ok_or_else(|| damaged(format!("unknown state {:?}", raw.state)))?;
        row.files = serde_json::from_str(&raw.files)
            .map_err(|e| damaged(format!("its file list is not JSON ({e})")))?;
        if let Some(blob) = raw.diff {
            row.diff = Some(
                decompress(&blob)
                    .map_err(|e| damaged(format!("its diff does not decompress ({e})")))?,
            );
        }
        Ok(row)
    }
}

/// Inserts a proposed patch (replacing one with the same id).
pub(super) fn insert(
    tx: &Transaction<'_>,
    run: RunId,
    at: Millis,
    patch: (PatchId, Option<TaskId>, AgentId),
    files: &[String],
    diff: &str,
) -> rusqlite::Result<()> {
    let (id, task, agent) = patch;
    let (added, removed) = diff_line_counts(diff);
    let blob = compress(diff).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO patches(id, run_id, task, agent, created_at, files, diff, bytes,
                                        added, removed, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'proposed')",
    )?
    .execute(params![
        id.0,
        run.0,
        task.map(|t| t.0),
        agent.0,
        at.0,
        serde_json::to_string(files).unwrap_or_else(|_| "[]".into()),
        blob,
        diff.len() as i64,
        added as i64,
        removed as i64,
    ])?;
    Ok(())
}

/// Records the verifier's verdict. A patch already applied or rolled back keeps its state.
pub(super) fn judge(
    tx: &Transaction<'_>,
    id: PatchId,
    verified: bool,
    reason: &str,
) -> rusqlite::Result<()> {
    let state = if verified {
        PatchState::Verified
    } else {
        PatchState::Rejected
    };
    tx.prepare_cached(
        "UPDATE patches SET state = ?2, reason = ?3
         WHERE id = ?1 AND state IN ('proposed', 'verified', 'rejected')",
    )?
    .execute(params![id.0, state.as_str(), reason])?;
    Ok(())
}

/// Marks a patch applied (again, after a rollback) at `at`.
pub(super) fn applied(tx: &Transaction<'_>, id: PatchId, at: Millis) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE patches SET state = 'applied', applied_at = ?2, rolled_back_at = NULL WHERE id = ?1",
    )?
    .execute(params![id.0, at.0])?;
    Ok(())
}

/// Marks an applied patch rolled back at `at`.
pub(super) fn rolled_back(tx: &Transaction<'_>, id: PatchId, at: Millis) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE patches SET state = 'rolled_back', rolled_back_at = ?2
         WHERE id = ?1 AND state = 'applied'",
    )?
    .execute(params![id.0, at.0])?;
    Ok(())
}

const COLUMNS: &str = "id, run_id, task, agent, created_at, files, bytes, added, removed, state,
                       reason, applied_at, rolled_back_at";

/// A row before its text columns are checked.
struct RawRow {
    row: PatchRow,
    state: String,
    files: String,
    diff: Option<Vec<u8>>,
}

fn raw_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        row: PatchRow {
            id: PatchId(r.get(0)?),
            run: RunId(r.get(1)?),
            task: r.get::<_, Option<u32>>(2)?.map(TaskId),
            agent: AgentId(r.get(3)?),
            created_at: Millis(r.get(4)?),
            files: Vec::new(),
            bytes: r.get::<_, i64>(6)?.max(0) as u64,
            added: r.get::<_, i64>(7)?.max(0) as u64,
            removed: r.get::<_, i64>(8)?.max(0) as u64,
            state: PatchState::Proposed,
            reason: r.get(10)?,
            applied_at: r.get::<_, Option<i64>>(11)?.map(Millis),
            rolled_back_at: r.get::<_, Option<i64>>(12)?.map(Millis),
            diff: None,
        },
        files: r.get(5)?,
        state: r.get(9)?,
        diff: r.get(13)?,
    })
}

fn compress(diff: &str) -> std::io::Result<Vec<u8>> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(diff.as_bytes())?;
    encoder.finish()
}

fn decompress(blob: &[u8]) -> std::io::Result<String> {
    let mut text = String::new();
    ZlibDecoder::new(blob).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
#[path = "patches_tests.rs"]
mod tests;
