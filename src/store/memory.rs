//! Reading and searching the `memory` table: full-text search (FTS5, BM25) with the person's
//! words turned into safe terms, listing by kind, one entry with its provenance, and
//! brute-force cosine search over the embedding vectors of `memory_vectors`, plus the small
//! write path for those vectors ([`VectorWriter`]).
//!
//! Memory entries themselves are written only through events (`MemoryWritten`, `MemoryPinned`,
//! ...) and their projections (`project.rs`). Vectors are not events: they are derived data (an
//! embedding of an entry's text that can be made again at any time), so, like the response
//! cache, they are written through their own short-lived connection and never through the event
//! writer. A vector whose length disagrees with its `dim` is skipped with a warning that names
//! the entry, never trusted and never a panic.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::protocol::{AgentId, EventId, MemoryId, Millis, Record, RunId, TaskId};

use super::{Page, Reader, StoreError, schema};

/// One memory entry with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryEntry {
    /// The entry.
    pub id: MemoryId,
    /// Its kind (`task_summary`, `error_resolution`, `repo_fact`, `conversation`, `scratchpad`).
    pub kind: String,
    /// Its text.
    pub text: String,
    /// The run that wrote it.
    pub run: Option<RunId>,
    /// The task it came from.
    pub task: Option<TaskId>,
    /// The agent that wrote it.
    pub agent: Option<AgentId>,
    /// The `MemoryWritten` event that recorded it.
    pub source_event: Option<EventId>,
    /// When it was written.
    pub created_at: Millis,
    /// When the person last edited it.
    pub edited_at: Option<Millis>,
    /// Why it may be out of date, when flagged.
    pub flagged: Option<String>,
    /// Whether it is pinned (always considered first).
    pub pinned: bool,
    /// When it was forgotten; forgotten entries are never searched or injected.
    pub forgotten_at: Option<Millis>,
}

/// A full-text match.
#[derive(Debug, Clone, PartialEq)]
pub struct FtsHit {
    /// The entry.
    pub entry: MemoryEntry,
    /// SQLite's `bm25(memory_fts)`: lower (more negative) is more relevant.
    pub bm25: f64,
}

/// The result of a vector search: the best entries by cosine similarity, best first, and the
/// rows that were skipped as unreadable (each message names the entry).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VectorHits {
    /// `(entry, cosine similarity)`, best first.
    pub hits: Vec<(MemoryId, f32)>,
    /// Why rows were skipped.
    pub skipped: Vec<String>,
}

/// Every stored vector of one model, loaded into one contiguous matrix so a query is a plain
/// scan in memory (the brute-force search the database itself could not do in time).
#[derive(Debug, Clone, Default)]
pub struct VectorIndex {
    /// The entries, one per row of `values`.
    ids: Vec<MemoryId>,
    /// `ids.len() * dim` values, each row scaled to unit length.
    values: Vec<f32>,
    /// The length of every vector.
    dim: usize,
    /// Rows skipped while loading, each naming its entry.
    pub skipped: Vec<String>,
}

/// Writes embedding vectors (its own connection; see the module's comment).
pub struct VectorWriter {
    conn: Connection,
    path: PathBuf,
}

pub(super) const ENTRY_COLUMNS: &str = "m.id, m.kind, m.text, m.run_id, m.task, m.agent, m.source_event, \
     m.created_at, m.edited_at, m.flagged, m.pinned, m.forgotten_at";

impl Reader {
    /// The newest entries first, of one kind or all; forgotten ones only with `forgotten`.
    pub fn memory_list(
        &self,
        kind: Option<&str>,
        forgotten: bool,
        limit: usize,
    ) -> Result<Vec<MemoryEntry>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM memory m
             WHERE (?1 IS NULL OR m.kind = ?1) AND (?2 OR m.forgotten_at IS NULL)
             ORDER BY m.pinned DESC, m.id DESC LIMIT ?3"
        );
        let mut stmt = self.conn().prepare_cached(&sql).map_err(|e| self.err(e))?;
        stmt.query_map(params![kind, forgotten, limit_arg(limit)], entry_row)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    /// One entry (forgotten or not) with its provenance.
    pub fn memory_entry(&self, id: MemoryId) -> Result<Option<MemoryEntry>, StoreError> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM memory m WHERE m.id = ?1");
        self.conn()
            .query_row(&sql, params![id.0], entry_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The largest entry id (0 when there is none): new ids start after it.
    pub fn max_memory_id(&self) -> Result<MemoryId, StoreError> {
        self.conn()
            .query_row("SELECT coalesce(max(id), 0) FROM memory", [], |r| r.get(0))
            .map(MemoryId)
            .map_err(|e| self.err(e))
    }

    /// Entries that are not forgotten and have no vector of `model` yet, oldest first.
    pub fn memory_without_vectors(
        &self,
        model: &str,
        limit: usize,
    ) -> Result<Vec<(MemoryId, String)>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT m.id, m.text FROM memory m
                 LEFT JOIN memory_vectors v ON v.memory_id = m.id AND v.model = ?1
                 WHERE m.forgotten_at IS NULL AND v.memory_id IS NULL
                 ORDER BY m.id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![model, limit_arg(limit)], |r| {
            Ok((MemoryId(r.get(0)?), r.get(1)?))
        })
        .map_err(|e| self.err(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.err(e))
    }

    /// The newest chat messages of every run of the repository, oldest first (the
    /// conversation with the planner persists across runs).
    pub fn chat_history(&self, limit: usize) -> Result<Page, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT id, run_id, at, CAST(body AS BLOB) FROM events INDEXED BY events_run_chat
                 WHERE kind = 'chat_message_posted' ORDER BY id DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![limit_arg(limit)])
            .map_err(|e| self.err(e))?;
        let mut page = Page::default();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let id = EventId(row.get(0).map_err(|e| self.err(e))?);
            let body: Vec<u8> = row.get(3).map_err(|e| self.err(e))?;
            page.last_id = Some(page.last_id.map_or(id, |last: EventId| last.max(id)));
            match serde_json::from_slice(&body) {
                Ok(event) => page.records.push(Record {
                    id,
                    run: RunId(row.get(1).map_err(|e| self.err(e))?),
                    at: Millis(row.get(2).map_err(|e| self.err(e))?),
                    event,
                }),
                Err(e) => {
                    tracing::warn!(id = id.0, "chat history: skipping an unreadable event: {e}")
                }
            }
        }
        page.records.reverse();
        Ok(page)
    }
}

impl VectorIndex {
    /// Loads every vector of `model` whose entry is not forgotten. A row whose blob is not
    /// `dim` little-endian f32 values, or whose `dim` differs from the others, is skipped and
    /// named in [`VectorIndex::skipped`] (and the log).
    pub fn load(reader: &Reader, model: &str) -> Result<VectorIndex, StoreError> {
        let mut stmt = reader
            .conn()
            .prepare_cached(
                "SELECT v.memory_id, v.dim, v.vector FROM memory_vectors v
                 JOIN memory m ON m.id = v.memory_id
                 WHERE v.model = ?1 AND m.forgotten_at IS NULL ORDER BY v.memory_id",
            )
            .map_err(|e| reader.err(e))?;
        let mut rows = stmt.query(params![model]).map_err(|e| reader.err(e))?;
        let mut index = VectorIndex::default();
        while let Some(row) = rows.next().map_err(|e| reader.err(e))? {
            let id = MemoryId(row.get(0).map_err(|e| reader.err(e))?);
            let dim: i64 = row.get(1).map_err(|e| reader.err(e))?;
            let blob = row.get_ref(2).map_err(|e| reader.err(e))?;
            let Ok(blob) = blob.as_blob() else {
                index.skip(id, "its vector is not a blob".into());
                continue;
            };
            if let Err(why) = index.push(id, dim, blob) {
                index.skip(id, why);
            }
        }
        Ok(index)
    }

    /// How many vectors it holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The length of its vectors (0 when empty).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The `k` entries most similar to `query` by cosine, best first. A query of another
    /// length than the stored vectors finds nothing (and says so in `skipped`).
    pub fn top_k(&self, query: &[f32], k: usize) -> VectorHits {
        let mut out = VectorHits {
            skipped: self.skipped.clone(),
            ..VectorHits::default()
        };
        if self.ids.is_empty() || k == 0 {
            return out;
        }
        if query.len() != self.dim {
            out.skipped.push(format!(
                "the query vector has {} values but the stored ones have {}; was the embedding \
                 model changed?",
                query.len(),
                self.dim
            ));
            return out;
        }
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return out;
        }
        let mut scored: Vec<(f32, usize)> = self
            .values
            .chunks_exact(self.dim)
            .enumerate()
            .map(|(i, row)| (dot(row, query) / norm, i))
            .collect();
        // Best first; equal scores in stored order, so a search always answers the same.
        let order = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let k = k.min(scored.len());
        scored.select_nth_unstable_by(k - 1, order);
        scored.truncate(k);
        scored.sort_by(order);
        out.hits = scored
            .into_iter()
            // Unrelated or opposite in meaning: not a hit, however few there are.
            .filter(|(score, _)| *score > 0.0)
            .filter_map(|(score, i)| self.ids.get(i).map(|id| (*id, score)))
            .collect();
        out
    }

    /// Adds one stored row, checking it.
    fn push(&mut self, id: MemoryId, dim: i64, blob: &[u8]) -> Result<(), String> {
        let dim = usize::try_from(dim)
            .ok()
            .filter(|d| *d > 0)
            .ok_or_else(|| format!("its dim is {dim}"))?;
        if blob.len() != dim * 4 {
            return Err(format!(
                "its vector has {} bytes but dim {dim} needs {}",
                blob.len(),
                dim * 4
            ));
        }
        if self.dim != 0 && self.dim != dim {
            return Err(format!(
                "its dim is {dim} but the other vectors have {}",
                self.dim
            ));
        }
        let values: Vec<f32> = blob
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err("its vector holds a value that is not a finite number".into());
        }
        let norm = values.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm == 0.0 {
            return Err("its vector is all zeros".into());
        }
        self.dim = dim;
        self.ids.push(id);
        self.values.extend(values.iter().map(|v| v / norm));
        Ok(())
    }

    fn skip(&mut self, id: MemoryId, why: String) {
        let message = format!("memory {id}: vector skipped: {why}");
        tracing::warn!("{message}");
        self.skipped.push(message);
    }
}

impl VectorWriter {
    /// Opens the database at `db` for writing vectors (it must exist: the owner creates it).
    pub fn open(db: &Path, busy_timeout: Duration) -> Result<VectorWriter, StoreError> {
        Ok(VectorWriter {
            conn: schema::open_rw(db, busy_timeout)?,
            path: db.to_path_buf(),
        })
    }

    /// Stores (or replaces) the vector of `memory` for `model`, as little-endian f32 values.
    pub fn put(&self, memory: MemoryId, model: &str, vector: &[f32]) -> Result<(), StoreError> {
        let blob: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO memory_vectors(memory_id, model, dim, vector)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![memory.0, model, vector.len() as i64, blob]))
            .map(|_| ())
            .map_err(|e| schema::classify(&self.path, e))
    }

    /// Stores many vectors in one transaction.
    pub fn put_all(
        &mut self,
        model: &str,
        vectors: &[(MemoryId, Vec<f32>)],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| schema::classify(&path, e))?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO memory_vectors(memory_id, model, dim, vector)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|e| schema::classify(&path, e))?;
            for (memory, vector) in vectors {
                let blob: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
                stmt.execute(params![memory.0, model, vector.len() as i64, blob])
                    .map_err(|e| schema::classify(&path, e))?;
            }
        }
        tx.commit().map_err(|e| schema::classify(&path, e))
    }

    /// Drops every vector of `memory` (its text changed, so they no longer describe it).
    pub fn remove(&self, memory: MemoryId) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM memory_vectors WHERE memory_id = ?1",
                params![memory.0],
            )
            .map(|_| ())
            .map_err(|e| schema::classify(&self.path, e))
    }
}

/// The dot product, in eight lanes so the compiler can vectorize it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

pub(super) fn limit_arg(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

pub(super) fn entry_row(r: &Row<'_>) -> rusqlite::Result<MemoryEntry> {
    Ok(MemoryEntry {
        id: MemoryId(r.get(0)?),
        kind: r.get(1)?,
        text: r.get(2)?,
        run: r.get::<_, Option<i64>>(3)?.map(RunId),
        task: r.get::<_, Option<u32>>(4)?.map(TaskId),
        agent: r.get::<_, Option<u32>>(5)?.map(AgentId),
        source_event: r.get::<_, Option<i64>>(6)?.map(EventId),
        created_at: Millis(r.get(7)?),
        edited_at: r.get::<_, Option<i64>>(8)?.map(Millis),
        flagged: r.get(9)?,
        pinned: r.get(10)?,
        forgotten_at: r.get::<_, Option<i64>>(11)?.map(Millis),
    })
}

#[path = "memory_fts.rs"]
mod fts;

pub use fts::fts_query;

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
