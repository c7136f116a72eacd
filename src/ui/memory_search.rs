//! Answering the memory inspector's [`MemoryQuery`] from the store, on the run loop's query
//! thread (never the UI thread): no words lists the newest entries of the tab's kind; words
//! search the full-text index (FTS5, BM25, pinned first) and keep the tab's kind. With an
//! embedding provider (`[memory] embeddings`) words are also searched by meaning: the query is
//! embedded and the vector list fused with the full-text ones (`core::memory::search`); an
//! embeddings server that does not answer becomes a warning and the full-text answer stands.

use std::path::Path;
use std::time::Duration;

use crate::core::memory::Embedder;
use crate::store::{Reader, StoreError};

use super::views::memory::{MEMORY_SHOWN, MemoryEntry, MemoryFound, MemoryQuery};

/// How many full-text candidates are read before the kind filter.
const CANDIDATES: usize = 400;

/// The store's answer to `query`.
pub fn answer(reader: &Reader, query: MemoryQuery) -> Result<MemoryFound, StoreError> {
    let entries: Vec<MemoryEntry> = if query.text.trim().is_empty() {
        reader
            .memory_list(query.kind, false, MEMORY_SHOWN)?
            .iter()
            .map(MemoryEntry::from_stored)
            .collect()
    } else {
        reader
            .memory_search(&query.text, CANDIDATES)?
            .iter()
            .filter(|hit| query.kind.is_none_or(|k| hit.entry.kind == k))
            .take(MEMORY_SHOWN)
            .map(|hit| MemoryEntry::from_stored(&hit.entry))
            .collect()
    };
    Ok(MemoryFound {
        query,
        entries,
        semantic: false,
        warnings: Vec::new(),
    })
}

/// [`answer`], by meaning too when `embedder` is given (words only; a listing stays a listing).
/// `runtime` runs the embeddings call on this thread.
pub fn answer_semantic(
    db: &Path,
    busy: Duration,
    embedder: &Embedder,
    runtime: &tokio::runtime::Runtime,
    query: MemoryQuery,
) -> Result<MemoryFound, StoreError> {
    let search = runtime.block_on(crate::core::memory::search(
        db,
        busy,
        Some(embedder),
        vec![query.text.clone()],
        CANDIDATES,
    ))?;
    let entries = search
        .found
        .iter()
        .filter(|f| query.kind.is_none_or(|k| f.entry.kind == k))
        .take(MEMORY_SHOWN)
        .map(|f| MemoryEntry::from_stored(&f.entry))
        .collect();
    let semantic = !search
        .warnings
        .iter()
        .any(|w| w.starts_with("semantic search left out"));
    Ok(MemoryFound {
        query,
        entries,
        semantic,
        warnings: search.warnings,
    })
}
