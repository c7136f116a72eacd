//! Answering the memory inspector's [`MemoryQuery`] from the store, on the run loop's query
//! thread (never the UI thread): no words lists the newest entries of the tab's kind; words
//! search the full-text index (FTS5, BM25, pinned first) and keep the tab's kind. Reads only.

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
