//! The memory inspector as a fold: the newest memory entries of the repository (the
//! snapshot's list, then `MemoryWritten` / `MemoryForgotten`). Memory belongs to the
//! repository, not to a run, so this view outlives a switch to a new run. Pure: no IO.

use crate::protocol::{Event, MemoryId, Millis};
use crate::store::MemoryRow;

use super::super::text;

/// How many entries are kept (the snapshot reads as many).
pub const MEMORY_SHOWN: usize = 200;
/// The most characters of an entry kept for display.
const MAX_MEMORY_CHARS: usize = 2000;

/// One memory entry, cleaned for display.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryEntry {
    /// The entry.
    pub id: MemoryId,
    /// Its kind's name ("repo_fact", ...).
    pub kind: String,
    /// Its words on one line.
    pub text: String,
    /// Whether the person pinned it.
    pub pinned: bool,
    /// When it was written.
    pub created_at: Millis,
}

/// The newest entries, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryView {
    entries: Vec<MemoryEntry>,
}

impl MemoryView {
    /// The entries of a snapshot (already newest first).
    pub fn from_rows(rows: &[MemoryRow]) -> Self {
        MemoryView {
            entries: rows
                .iter()
                .take(MEMORY_SHOWN)
                .map(|r| MemoryEntry {
                    id: r.id,
                    kind: r.kind.clone(),
                    text: clean(&r.text),
                    pinned: r.pinned,
                    created_at: r.created_at,
                })
                .collect(),
        }
    }

    /// Folds one event; returns whether anything changed.
    pub fn apply(&mut self, at: Millis, event: &Event) -> bool {
        match event {
            Event::MemoryWritten {
                memory,
                memory_kind,
                text,
                ..
            } => {
                self.entries.retain(|e| e.id != *memory);
                let at_index = self.entries.partition_point(|e| e.id > *memory);
                self.entries.insert(
                    at_index,
                    MemoryEntry {
                        id: *memory,
                        kind: memory_kind.as_str().to_string(),
                        text: clean(text),
                        pinned: false,
                        created_at: at,
                    },
                );
                self.entries.truncate(MEMORY_SHOWN);
                true
            }
            Event::MemoryForgotten { memory } => {
                let before = self.entries.len();
                self.entries.retain(|e| e.id != *memory);
                self.entries.len() != before
            }
            _ => false,
        }
    }

    /// The entries, newest first.
    pub fn entries(&self) -> &[MemoryEntry] {
        &self.entries
    }
}

/// A short name for a kind, so the list has room for the words.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "task_summary" => "summary",
        "error_resolution" => "fix",
        "repo_fact" => "fact",
        "conversation" => "chat",
        "scratchpad" => "scratch",
        other => other,
    }
}

fn clean(raw: &str) -> String {
    let cleaned = text::clean_line(raw, MAX_MEMORY_CHARS);
    if cleaned.truncated {
        format!("{}… ({} bytes)", cleaned.text, raw.len())
    } else {
        cleaned.text
    }
}
