//! The approvals that wait for the person, as a fold: `ApprovalRequested` adds one,
//! `ApprovalDecided` takes it away; a snapshot's pending rows (the store's `approvals` table)
//! start it. Each keeps what the screen says about its subject (a command and why, or a
//! patch's files and +/- line counts), cleaned once; the diff itself is not kept (a diff
//! viewer re-reads it from the store). Pure: no IO, no ratatui.

use crate::protocol::{AgentId, ApprovalId, ApprovalSubject, Event, Millis};
use crate::store::{ApprovalRow, diff_line_counts};

use super::super::text;

/// The most characters of a command or reason kept for display.
const MAX_WORDS_CHARS: usize = 300;
/// How many file names a patch's words list.
const FILES_SHOWN: usize = 3;

/// What an approval asks for, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Run a command.
    Command {
        /// The command line, cleaned.
        command: String,
        /// Why the person must decide, cleaned.
        reason: String,
    },
    /// Apply a patch.
    Patch {
        /// The files it touches, cleaned.
        files: Vec<String>,
        /// Lines added.
        added: u64,
        /// Lines removed.
        removed: u64,
    },
}

/// One approval that waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The approval.
    pub id: ApprovalId,
    /// Who asks.
    pub agent: AgentId,
    /// What is asked.
    pub asked: Asked,
    /// When it was asked.
    pub requested_at: Millis,
}

/// The approvals that wait, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalsView {
    pending: Vec<Pending>,
}

impl ApprovalsView {
    /// The pending rows of a store snapshot (already oldest first).
    pub fn from_rows(rows: &[ApprovalRow]) -> Self {
        ApprovalsView {
            pending: rows
                .iter()
                .map(|row| Pending {
                    id: row.id,
                    agent: row.agent,
                    asked: Asked::from_subject(&row.subject),
                    requested_at: row.requested_at,
                })
                .collect(),
        }
    }

    /// Folds one event of the run; returns whether anything changed.
    pub fn apply(&mut self, at: Millis, event: &Event) -> bool {
        match event {
            Event::ApprovalRequested {
                approval,
                agent,
                subject,
            } => {
                let pending = Pending {
                    id: *approval,
                    agent: *agent,
                    asked: Asked::from_subject(subject),
                    requested_at: at,
                };
                match self.pending.iter_mut().find(|p| p.id == *approval) {
                    Some(known) => *known = pending,
                    None => self.pending.push(pending),
                }
                true
            }
            Event::ApprovalDecided { approval, .. } => {
                let before = self.pending.len();
                self.pending.retain(|p| p.id != *approval);
                self.pending.len() != before
            }
            _ => false,
        }
    }

    /// The approvals that wait, oldest first.
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// The one that has waited longest.
    pub fn oldest(&self) -> Option<&Pending> {
        self.pending.first()
    }

    /// The approval `id`, if it waits.
    pub fn get(&self, id: ApprovalId) -> Option<&Pending> {
        self.pending.iter().find(|p| p.id == id)
    }

    /// How many wait.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The waiting ids in words: "2, 3" (or "none").
    pub fn ids(&self) -> String {
        if self.pending.is_empty() {
            return "none".to_string();
        }
        self.pending
            .iter()
            .map(|p| p.id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Asked {
    /// The display form of a subject.
    pub fn from_subject(subject: &ApprovalSubject) -> Self {
        let clean = |s: &str| text::clean_line(s, MAX_WORDS_CHARS).text;
        match subject {
            ApprovalSubject::Command { command, reason } => Asked::Command {
                command: clean(command),
                reason: clean(reason),
            },
            ApprovalSubject::Patch { diff, files } => {
                let (added, removed) = diff_line_counts(diff);
                Asked::Patch {
                    files: files.iter().map(|f| clean(f)).collect(),
                    added,
                    removed,
                }
            }
        }
    }

    /// What is asked, in one line: "run `cargo update` (needs network)", "apply a patch
    /// (+12 -3) to 2 files: src/a.rs, src/b.rs".
    pub fn words(&self) -> String {
        match self {
            Asked::Command { command, reason } if reason.is_empty() => format!("run `{command}`"),
            Asked::Command { command, reason } => format!("run `{command}` ({reason})"),
            Asked::Patch {
                files,
                added,
                removed,
            } => format!(
                "apply a patch (+{added} -{removed}) to {}",
                files_words(files)
            ),
        }
    }
}

/// "2 files: a, b", "1 file: a", "5 files: a, b, c and 2 more", "no files".
pub fn files_words(files: &[String]) -> String {
    match files.len() {
        0 => "no files".to_string(),
        n => {
            let mut out = format!("{n} file{}: ", if n == 1 { "" } else { "s" });
            out.push_str(
                &files
                    .iter()
                    .take(FILES_SHOWN)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            if n > FILES_SHOWN {
                out.push_str(&format!(" and {} more", n - FILES_SHOWN));
            }
            out
        }
    }
}
