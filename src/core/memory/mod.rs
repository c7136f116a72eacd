//! Memory for the team and the person: hybrid search (full-text BM25 lists fused with the
//! vector list by reciprocal rank fusion, pinned entries first), embedding entries that have
//! no vector yet, and memory ids. Synthesis and injection for a run live with the team
//! (`core/team/recall.rs`); the CLI (`cli/memory.rs`) reads and changes entries.
//!
//! - `rank.rs`: fusion, packing into a token budget, error signatures (pure).
//! - `embed.rs`: the `/v1/embeddings` client.
//! - `synth.rs`: the words of synthesized entries (pure).
//!
//! Reads through a [`Reader`]; writes vectors through a [`VectorWriter`]; entries themselves
//! are only ever written as events.

pub mod embed;
pub mod rank;
pub mod synth;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::protocol::MemoryId;
use crate::store::{MemoryEntry, Reader, StoreError, VectorIndex, VectorWriter};

pub use embed::{EmbedError, Embedder};

/// One entry found by [`search`], with why it ranks where it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The entry.
    pub entry: MemoryEntry,
    /// Its fused score (higher is better).
    pub score: f64,
    /// Its BM25 in the best full-text list it was in (lower is better), if any.
    pub bm25: Option<f64>,
    /// Its cosine similarity to the query, if the vector search found it.
    pub cosine: Option<f32>,
}

/// What a search found, and what it had to leave out on the way (a corrupt vector row, an
/// embeddings server that did not answer): each warning is a sentence for the person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    /// The entries, best first.
    pub found: Vec<Found>,
    /// What went wrong without stopping the search.
    pub warnings: Vec<String>,
}

/// How many candidates each list contributes before fusion.
const CANDIDATES: usize = 50;
/// The most entries embedded on the way of one search (the rest on later ones).
const BACKFILL: usize = 256;

/// Hybrid search over `queries` (each searched on its own with full text, best first) and,
/// when given, a query vector of `model`. Forgotten entries never appear.
pub fn hybrid(
    reader: &Reader,
    queries: &[String],
    vector: Option<(&str, &[f32])>,
    limit: usize,
) -> Result<Search, StoreError> {
    let mut search = Search::default();
    let mut entries: HashMap<MemoryId, MemoryEntry> = HashMap::new();
    let mut bm25: HashMap<MemoryId, f64> = HashMap::new();
    let mut lists = Vec::new();
    for query in queries {
        let hits = reader.memory_search(query, CANDIDATES)?;
        let mut list = Vec::new();
        for hit in hits {
            let id = hit.entry.id;
            list.push((id, hit.entry.pinned));
            bm25.entry(id)
                .and_modify(|b| *b = b.min(hit.bm25))
                .or_insert(hit.bm25);
            entries.entry(id).or_insert(hit.entry);
        }
        lists.push(list);
    }
    let mut cosine: HashMap<MemoryId, f32> = HashMap::new();
    if let Some((model, query)) = vector {
        let index = VectorIndex::load(reader, model)?;
        let found = index.top_k(query, CANDIDATES);
        search.warnings.extend(found.skipped);
        let mut list = Vec::new();
        for (id, score) in found.hits {
            let entry = match entries.get(&id) {
                Some(entry) => entry.clone(),
                None => match reader.memory_entry(id)? {
                    Some(entry) => entry,
                    None => continue,
                },
            };
            list.push((id, entry.pinned));
            cosine.insert(id, score);
            entries.entry(id).or_insert(entry);
        }
        lists.push(list);
    }
    for ranked in rank::fuse(&lists).into_iter().take(limit) {
        if let Some(entry) = entries.remove(&ranked.id) {
            search.found.push(Found {
                score: ranked.score,
                bm25: bm25.get(&ranked.id).copied(),
                cosine: cosine.get(&ranked.id).copied(),
                entry,
            });
        }
    }
    Ok(search)
}

/// [`hybrid`] with the query embedded first when an embedder is given; entries without a
/// vector are embedded on the way (at most a few hundred per search). An embeddings failure
/// becomes a warning and the search goes on with full text only.
pub async fn search(
    db: &Path,
    busy: Duration,
    embedder: Option<&Embedder>,
    queries: Vec<String>,
    limit: usize,
) -> Result<Search, StoreError> {
    let mut warnings = Vec::new();
    let mut query_vector = None;
    if let Some(embedder) = embedder {
        if let Err(e) = backfill(db, busy, embedder).await {
            warnings.push(format!("semantic search left out: {e}"));
        } else {
            match embedder.embed(&[queries.join("\n")]).await {
                Ok(mut vectors) => query_vector = vectors.pop(),
                Err(e) => warnings.push(format!("semantic search left out: {e}")),
            }
        }
    }
    let model = embedder.map(|e| e.model().to_string());
    let db = db.to_path_buf();
    let mut found = blocking(move || {
        let reader = Reader::open(&db, busy)?;
        let vector = model.as_deref().zip(query_vector.as_deref());
        hybrid(&reader, &queries, vector, limit)
    })
    .await?;
    warnings.append(&mut found.warnings);
    found.warnings = warnings;
    Ok(found)
}

/// Embeds entries of the embedder's model that have no vector yet and stores the vectors.
pub async fn backfill(db: &Path, busy: Duration, embedder: &Embedder) -> Result<usize, String> {
    let model = embedder.model().to_string();
    let path = db.to_path_buf();
    let missing =
        blocking(move || Reader::open(&path, busy)?.memory_without_vectors(&model, BACKFILL))
            .await
            .map_err(|e| e.to_string())?;
    if missing.is_empty() {
        return Ok(0);
    }
    let texts: Vec<String> = missing.iter().map(|(_, text)| text.clone()).collect();
    let vectors = embedder.embed(&texts).await.map_err(|e| e.to_string())?;
    let rows: Vec<(MemoryId, Vec<f32>)> =
        missing.into_iter().map(|(id, _)| id).zip(vectors).collect();
    let count = rows.len();
    let (path, model) = (db.to_path_buf(), embedder.model().to_string());
    blocking(move || VectorWriter::open(&path, busy)?.put_all(&model, &rows))
        .await
        .map_err(|e| e.to_string())?;
    Ok(count)
}

/// A new memory id for the database at `db`: one past the largest the database held when
/// this process first asked, then counting up (ids are chosen by the writer of the event, like
/// patch ids, and one process owns a database at a time).
pub fn next_id(db: &Path, busy: Duration) -> MemoryId {
    static NEXT: OnceLock<Mutex<HashMap<PathBuf, i64>>> = OnceLock::new();
    let mut next = NEXT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let slot = next.entry(db.to_path_buf()).or_insert_with(|| {
        Reader::open(db, busy)
            .and_then(|r| r.max_memory_id())
            .map_or(1, |id| id.0 + 1)
    });
    let id = *slot;
    *slot += 1;
    MemoryId(id)
}

/// Whether a live (not forgotten) entry of `kind` already says exactly `text`.
pub fn already_known(reader: &Reader, kind: &str, text: &str) -> Result<bool, StoreError> {
    let hits = reader.memory_search(text, 20)?;
    let mut seen = HashSet::new();
    Ok(hits
        .iter()
        .filter(|h| seen.insert(h.entry.id))
        .any(|h| h.entry.kind == kind && h.entry.text.trim() == text.trim()))
}

/// Runs store work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| StoreError::Closed)?
}
