//! The memory inspector as a fold: the newest memory entries of the repository (the
//! snapshot's list, then `MemoryWritten`, `MemoryPinned`, `MemoryEdited`, `MemoryFlagged` and
//! `MemoryForgotten`), each with its provenance as far as it is known, plus the answer to the
//! last search or tab listing the store gave ([`MemoryFound`]), kept up to date by the same
//! events. Memory belongs to the repository, not to a run, so this view outlives a switch to
//! a new run. Pure: no IO; the App asks the run loop for searches with a [`MemoryQuery`].

use crate::protocol::{AgentId, Event, EventId, MemoryId, Millis, RunId, TaskId};
use crate::store::MemoryRow;
use crate::store::memory::MemoryEntry as StoredEntry;

use super::super::text;

/// How many entries are kept (the snapshot reads as many).
pub const MEMORY_SHOWN: usize = 200;
/// The most characters of an entry kept for display.
const MAX_MEMORY_CHARS: usize = 2000;

/// The inspector's tabs: every kind, or one.
pub const TABS: [Option<&str>; 6] = [
    None,
    Some("task_summary"),
    Some("error_resolution"),
    Some("repo_fact"),
    Some("conversation"),
    Some("scratchpad"),
];

/// A search or listing the run loop runs off the UI thread (text through the store's FTS,
/// semantic too when `[memory] embeddings` is configured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryQuery {
    /// Numbers the queries, so a late answer to an old one is dropped.
    pub seq: u64,
    /// The person's words; empty lists the newest entries.
    pub text: String,
    /// One kind, or every kind.
    pub kind: Option<&'static str>,
}

/// What the store answered to a [`MemoryQuery`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryFound {
    /// The query answered.
    pub query: MemoryQuery,
    /// The entries, best first (or newest first for a listing).
    pub entries: Vec<MemoryEntry>,
    /// Whether semantic search took part.
    pub semantic: bool,
    /// Things the person should know (semantic search left out, ...).
    pub warnings: Vec<String>,
}

/// One memory entry, cleaned for display, with where it came from.
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
    /// Whether the fields below were read (a snapshot row has none of them).
    pub provenance: bool,
    /// The run that wrote it.
    pub run: Option<RunId>,
    /// The task it came from.
    pub task: Option<TaskId>,
    /// The agent that wrote it.
    pub agent: Option<AgentId>,
    /// The `MemoryWritten` event that recorded it.
    pub source_event: Option<EventId>,
    /// When the person last edited it.
    pub edited_at: Option<Millis>,
    /// Why it may be out of date.
    pub flagged: Option<String>,
}

impl MemoryEntry {
    /// An entry as the store gives it, with its provenance.
    pub fn from_stored(e: &StoredEntry) -> Self {
        MemoryEntry {
            id: e.id,
            kind: e.kind.clone(),
            text: clean(&e.text),
            pinned: e.pinned,
            created_at: e.created_at,
            provenance: true,
            run: e.run,
            task: e.task,
            agent: e.agent,
            source_event: e.source_event,
            edited_at: e.edited_at,
            flagged: e.flagged.as_deref().map(clean),
        }
    }

    /// Folds an event about this entry; returns whether it changed.
    fn apply(&mut self, at: Millis, event: &Event) -> bool {
        match event {
            Event::MemoryPinned { memory, pinned } if *memory == self.id => {
                self.pinned = *pinned;
            }
            Event::MemoryEdited { memory, text } if *memory == self.id => {
                self.text = clean(text);
                self.edited_at = Some(at);
            }
            Event::MemoryFlagged { memory, reason } if *memory == self.id => {
                self.flagged = Some(clean(reason));
            }
            _ => return false,
        }
        true
    }
}

/// The newest entries (newest first) and the last answer from the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryView {
    entries: Vec<MemoryEntry>,
    found: Option<MemoryFound>,
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
                    provenance: false,
                    run: None,
                    task: None,
                    agent: None,
                    source_event: None,
                    edited_at: None,
                    flagged: None,
                })
                .collect(),
            found: None,
        }
    }

    /// Folds one committed record (of any run); returns whether anything changed.
    pub fn apply_record(&mut self, record: &crate::protocol::Record) -> bool {
        let (at, event) = (record.at, &record.event);
        match event {
            Event::MemoryWritten {
                memory,
                memory_kind,
                text,
                agent,
                task,
            } => {
                let entry = MemoryEntry {
                    id: *memory,
                    kind: memory_kind.as_str().to_string(),
                    text: clean(text),
                    pinned: false,
                    created_at: at,
                    provenance: true,
                    run: Some(record.run),
                    task: *task,
                    agent: *agent,
                    source_event: Some(record.id),
                    edited_at: None,
                    flagged: None,
                };
                insert_newest(&mut self.entries, entry.clone());
                self.entries.truncate(MEMORY_SHOWN);
                if let Some(found) = &mut self.found {
                    let listing = found.query.text.is_empty();
                    let kind_fits = found.query.kind.is_none_or(|k| k == entry.kind);
                    if listing && kind_fits {
                        insert_newest(&mut found.entries, entry);
                    }
                }
                true
            }
            Event::MemoryForgotten { memory } => {
                let before = self.entries.len() + self.found_len();
                self.entries.retain(|e| e.id != *memory);
                if let Some(found) = &mut self.found {
                    found.entries.retain(|e| e.id != *memory);
                }
                self.entries.len() + self.found_len() != before
            }
            Event::MemoryPinned { .. }
            | Event::MemoryEdited { .. }
            | Event::MemoryFlagged { .. } => {
                let mut changed = false;
                let found = self.found.iter_mut().flat_map(|f| f.entries.iter_mut());
                for entry in self.entries.iter_mut().chain(found) {
                    changed |= entry.apply(at, event);
                }
                changed
            }
            _ => false,
        }
    }

    /// Folds one event written at `at` (tests and callers without a record).
    pub fn apply(&mut self, at: Millis, event: &Event) -> bool {
        self.apply_record(&crate::protocol::Record {
            id: EventId(0),
            run: RunId(0),
            at,
            event: event.clone(),
        })
    }

    /// The newest entries, newest first.
    pub fn entries(&self) -> &[MemoryEntry] {
        &self.entries
    }

    /// The newest entries of one kind (every kind for `None`).
    pub fn newest(&self, kind: Option<&str>) -> Vec<&MemoryEntry> {
        self.entries
            .iter()
            .filter(|e| kind.is_none_or(|k| e.kind == k))
            .collect()
    }

    /// The last answer from the store.
    pub fn found(&self) -> Option<&MemoryFound> {
        self.found.as_ref()
    }

    /// Takes the store's answer.
    pub fn set_found(&mut self, found: MemoryFound) {
        self.found = Some(found);
    }

    fn found_len(&self) -> usize {
        self.found.as_ref().map_or(0, |f| f.entries.len())
    }
}

/// Puts `entry` in id order (newest first), replacing an older copy.
fn insert_newest(list: &mut Vec<MemoryEntry>, entry: MemoryEntry) {
    list.retain(|e| e.id != entry.id);
    let at = list.partition_point(|e| e.id > entry.id);
    list.insert(at, entry);
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

/// A tab's name: "all", or the kind's words ("error → fix").
pub fn tab_label(kind: Option<&str>) -> &'static str {
    match kind {
        None => "all",
        Some("task_summary") => "summaries",
        Some("error_resolution") => "error→fix",
        Some("repo_fact") => "repo facts",
        Some("conversation") => "conversation",
        Some("scratchpad") => "scratchpad",
        Some(_) => "other",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{MemoryKind, Record};

    fn written(id: i64, kind: MemoryKind) -> Record {
        Record {
            id: EventId(100 + id),
            run: RunId(3),
            at: Millis(5000),
            event: Event::MemoryWritten {
                memory: MemoryId(id),
                memory_kind: kind,
                text: format!("entry {id}"),
                agent: Some(AgentId(2)),
                task: Some(TaskId(4)),
            },
        }
    }

    #[test]
    fn events_keep_the_list_and_the_answer_current() {
        let mut view = MemoryView::default();
        view.apply_record(&written(1, MemoryKind::RepoFact));
        view.set_found(MemoryFound {
            query: MemoryQuery {
                seq: 1,
                text: String::new(),
                kind: Some("repo_fact"),
            },
            entries: view.entries().to_vec(),
            semantic: false,
            warnings: Vec::new(),
        });
        view.apply_record(&written(2, MemoryKind::Scratchpad));
        view.apply_record(&written(3, MemoryKind::RepoFact));
        let found: Vec<i64> = view
            .found()
            .unwrap()
            .entries
            .iter()
            .map(|e| e.id.0)
            .collect();
        assert_eq!(found, vec![3, 1], "only the tab's kind joins a listing");
        assert!(view.apply(
            Millis(9000),
            &Event::MemoryEdited {
                memory: MemoryId(1),
                text: "new\x1b[31m words".into()
            }
        ));
        view.apply(
            Millis(9000),
            &Event::MemoryPinned {
                memory: MemoryId(1),
                pinned: true,
            },
        );
        let one = &view.found().unwrap().entries[1];
        assert_eq!(
            (one.text.as_str(), one.pinned, one.edited_at),
            ("new words", true, Some(Millis(9000)))
        );
        assert_eq!(one.source_event, Some(EventId(101)));
        view.apply(
            Millis(1),
            &Event::MemoryForgotten {
                memory: MemoryId(1),
            },
        );
        assert_eq!(view.found().unwrap().entries.len(), 1);
        assert_eq!(view.newest(Some("repo_fact")).len(), 1);
    }
}
