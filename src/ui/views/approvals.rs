//! The approvals that wait for the person, as a fold: `ApprovalRequested` adds one,
//! `ApprovalDecided` takes it away (and is remembered as the latest outcome), `ApprovalStale`
//! marks one whose files changed since; a snapshot's pending rows (the store's `approvals`
//! table) start it. Each keeps what the screen says about its subject (a command and why, or a
//! patch's files and +/- line counts), cleaned once, and the subject itself for the inbox's
//! detail (the diff, shared, never copied per frame). The queue is ordered the way the person
//! should decide: a patch apply blocks the whole run, so patches first, then the oldest.
//! Pure: no IO, no ratatui.

use std::sync::Arc;

use crate::protocol::{AgentId, ApprovalId, ApprovalSubject, Decision, Event, Millis};
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
    /// The subject as asked (raw: the inbox cleans what it shows).
    pub subject: Arc<ApprovalSubject>,
    /// Files changed in the working tree since it was asked (empty: not stale).
    pub stale: Vec<String>,
}

impl Pending {
    /// Whether deciding it unblocks the whole run (a patch apply) rather than one agent.
    pub fn blocks_run(&self) -> bool {
        matches!(*self.subject, ApprovalSubject::Patch { .. })
    }
}

/// How an approval was decided, for the screens that watched it wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The approval.
    pub id: ApprovalId,
    /// "approved", "denied", "approved with an edit", "approved in part".
    pub verb: &'static str,
    /// Who decided ("owner", "viewer", ...), cleaned.
    pub by: String,
}

/// The approvals that wait, in the order to decide them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalsView {
    pending: Vec<Pending>,
    decided: Option<Outcome>,
    /// How many were asked since the view began (new ones ring the bell).
    asked: u64,
    newest: Option<ApprovalId>,
}

impl ApprovalsView {
    /// The pending rows of a store snapshot.
    pub fn from_rows(rows: &[ApprovalRow]) -> Self {
        let mut view = ApprovalsView {
            pending: rows
                .iter()
                .map(|row| Pending {
                    id: row.id,
                    agent: row.agent,
                    asked: Asked::from_subject(&row.subject),
                    requested_at: row.requested_at,
                    subject: Arc::new(row.subject.clone()),
                    stale: row.stale_files.clone(),
                })
                .collect(),
            ..ApprovalsView::default()
        };
        view.pending.sort_by_key(queue_key);
        view
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
                    subject: Arc::new(subject.clone()),
                    stale: Vec::new(),
                };
                self.pending.retain(|p| p.id != *approval);
                let key = queue_key(&pending);
                let at = self.pending.partition_point(|p| queue_key(p) <= key);
                self.pending.insert(at, pending);
                self.asked += 1;
                self.newest = Some(*approval);
                true
            }
            Event::ApprovalDecided {
                approval,
                decision,
                by,
            } => {
                let before = self.pending.len();
                self.pending.retain(|p| p.id != *approval);
                let verb = match decision {
                    Decision::Approved => "approved",
                    Decision::Denied { .. } => "denied",
                    Decision::ApprovedEdited { .. } => "approved with an edit",
                    Decision::ApprovedPartial { .. } => "approved in part",
                };
                // Only the first decision counts; a later one for the same id changes nothing.
                if self.pending.len() != before {
                    self.decided = Some(Outcome {
                        id: *approval,
                        verb,
                        by: text::clean_line(by, 60).text,
                    });
                }
                self.pending.len() != before
            }
            Event::ApprovalStale { approval, files } => {
                match self.pending.iter_mut().find(|p| p.id == *approval) {
                    Some(p) => {
                        p.stale = files
                            .iter()
                            .map(|f| text::clean_line(f, 200).text)
                            .collect();
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }

    /// The approvals that wait, in the order to decide them.
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// The one to decide first: a patch apply (it blocks the run), else the oldest.
    pub fn first(&self) -> Option<&Pending> {
        self.pending.first()
    }

    /// The latest decision seen (first decisions only).
    pub fn decided(&self) -> Option<&Outcome> {
        self.decided.as_ref()
    }

    /// The approval asked last while this view folded events, if it still waits.
    pub fn newest(&self) -> Option<&Pending> {
        self.newest.and_then(|id| self.get(id))
    }

    /// How many approvals were asked while this view folded events (not the snapshot's).
    pub fn asked(&self) -> u64 {
        self.asked
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

/// Patches first (an apply blocks the whole run), then oldest, then by id.
fn queue_key(p: &Pending) -> (bool, Millis, ApprovalId) {
    (!p.blocks_run(), p.requested_at, p.id)
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
