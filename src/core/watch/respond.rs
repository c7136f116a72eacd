//! The watcher's answer to one batch of changes, as events for the current run: the
//! `FilesChanged` itself, then per stale patch approval an `ApprovalStale` and a log line
//! saying whether the patch still applies (`git apply --check` through `core::patches`, which
//! the apply repeats at apply time anyway), a fresh `RepoDetected` when a manifest changed, and
//! a `MemoryFlagged` per memory entry that names a changed file. Blocking (SQLite, git, the
//! file system): the loop runs it off the async threads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::react;
use crate::core::patches;
use crate::core::tools::detect::{self, Overrides};
use crate::protocol::{Event, LogLevel, RunId};
use crate::store::Reader;

/// What answering needs between batches.
pub struct Responder {
    repo: PathBuf,
    db: PathBuf,
    busy: Duration,
    overrides: Overrides,
    reader: Option<Reader>,
}

impl Responder {
    /// Answers for the working tree at `repo`, reading the run's state from `db`.
    pub fn new(repo: &Path, db: &Path, busy: Duration, overrides: Overrides) -> Self {
        Responder {
            repo: repo.to_path_buf(),
            db: db.to_path_buf(),
            busy,
            overrides,
            reader: None,
        }
    }

    /// The events for one batch of changed paths (relative, sorted, distinct), in order.
    pub fn respond(&mut self, run: RunId, paths: Vec<String>) -> Vec<Event> {
        let mut events = vec![Event::FilesChanged {
            paths: paths.clone(),
        }];
        let reader = match self.reader() {
            Ok(reader) => reader,
            Err(message) => {
                events.push(warn(format!(
                    "files changed, but stale approvals and memory cannot be checked: {message}"
                )));
                return events;
            }
        };
        let pending = reader.pending_patches(run);
        let memory = reader.unflagged_memory();
        match pending {
            Ok(pending) => {
                for stale in react::stale_approvals(&paths, &pending) {
                    let Some(patch) = pending.iter().find(|p| p.approval == stale.approval) else {
                        continue;
                    };
                    events.push(Event::ApprovalStale {
                        approval: stale.approval,
                        files: stale.files.clone(),
                    });
                    events.push(recheck(&self.repo, &stale, &patch.diff));
                }
            }
            Err(e) => events.push(warn(format!("cannot read the pending approvals: {e}"))),
        }
        if react::manifest_changed(&paths) {
            events.push(detected(&detect::detect_with(&self.repo, &self.overrides)));
        }
        match memory {
            Ok(memory) => {
                for (entry, named) in react::mentioned(&paths, &memory) {
                    events.push(Event::MemoryFlagged {
                        memory: entry,
                        reason: format!(
                            "it names {}, which changed in your working tree since it was written",
                            named.join(", ")
                        ),
                    });
                }
            }
            Err(e) => events.push(warn(format!("cannot read memory to flag entries: {e}"))),
        }
        events
    }

    fn reader(&mut self) -> Result<&Reader, String> {
        if self.reader.is_none() {
            let reader = Reader::open(&self.db, self.busy).map_err(|e| e.to_string())?;
            self.reader = Some(reader);
        }
        self.reader
            .as_ref()
            .ok_or_else(|| "the database reader is not open".to_string())
    }
}

/// The `RepoDetected` event of a profile: the commands, and where each came from followed by
/// the profile's notes (what the observer emits too).
pub fn detected(profile: &detect::RepoProfile) -> Event {
    let mut sources = profile.sources();
    sources.extend(profile.notes.iter().cloned());
    Event::RepoDetected {
        languages: profile.languages.clone(),
        build: profile.build.as_ref().map(|c| c.line.clone()),
        test: profile.test.as_ref().map(|c| c.line.clone()),
        run: profile.run.as_ref().map(|c| c.line.clone()),
        sources,
    }
}

/// Checks the stale patch against the working tree as it is now and says what that means.
fn recheck(repo: &Path, stale: &react::Stale, diff: &str) -> Event {
    let changed = stale.changed.join(", ");
    let (level, text) = match patches::check_apply(repo, diff) {
        Ok(()) => (
            LogLevel::Info,
            format!(
                "approval {}: you changed {changed} since the patch was asked; it still applies \
                 to your working tree (git apply --check)",
                stale.approval
            ),
        ),
        Err(e) => (
            LogLevel::Warn,
            format!(
                "approval {}: you changed {changed} since the patch was asked; it no longer \
                 applies, approving it will fail: {e}",
                stale.approval
            ),
        ),
    };
    Event::LogLine {
        agent: None,
        level,
        text,
    }
}

fn warn(text: String) -> Event {
    Event::LogLine {
        agent: None,
        level: LogLevel::Warn,
        text,
    }
}
