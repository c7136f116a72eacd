//! Building the watch: walk the tree (the ignore rules, the folders they let through), start
//! a backend and watch every folder; when an inotify limit is reached on the way, say so once
//! (the limit, its value, the sysctl that raises it) and start over with polling, for good.
//! Part of the loop in `watch.rs`; the walk and the watches run on a blocking thread.

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::Watch;
use super::rules::{self, Rules};
use super::source::{self, Limit, Mode, Raw, Source};
use crate::protocol::LogLevel;

impl Watch {
    /// Reads the rules, finds the folders and watches them, falling back to polling when an
    /// inotify limit is reached. The old backend keeps watching until the new one is ready.
    pub(super) async fn arm(&mut self) {
        if !self.root.is_dir() {
            return self.root_deleted();
        }
        let root = self.root.clone();
        let mode = self.mode();
        let tx = self.tx.clone();
        let poll = self.options.poll_interval;
        let armed = tokio::task::spawn_blocking(move || arm_blocking(&root, mode, poll, tx)).await;
        let armed = match armed {
            // Deleted while it was being walked: its events may have gone with the old watches.
            Ok(_) if !self.root.is_dir() => return self.root_deleted(),
            Ok(armed) => armed,
            Err(e) => {
                self.note(LogLevel::Warn, format!("watching the tree stopped: {e}"));
                return;
            }
        };
        if let Some((limit, folders)) = armed.limit {
            self.tell_limit(limit, folders);
        }
        for warning in armed.warnings {
            self.note(LogLevel::Warn, warning);
        }
        match armed.source {
            Ok(source) => {
                let how = match source.mode() {
                    Mode::Native => "inotify".to_string(),
                    Mode::Poll(every) => format!("polling every {} ms", every.as_millis()),
                };
                self.note(
                    LogLevel::Info,
                    format!(
                        "watching your edits in {} ({} folders, {how})",
                        self.root.display(),
                        source.folders()
                    ),
                );
                self.armed = Some((source, armed.rules));
            }
            Err(message) => {
                self.armed = None;
                self.note(
                    LogLevel::Warn,
                    format!(
                        "cannot watch {} for your edits: {message}",
                        self.root.display()
                    ),
                );
            }
        }
    }

    fn mode(&self) -> Mode {
        if self.options.poll || self.forced_poll {
            Mode::Poll(self.options.poll_interval)
        } else {
            Mode::Native
        }
    }

    /// Says once that a limit was hit, and switches to polling for good.
    pub(super) fn tell_limit(&mut self, limit: Limit, folders: Option<usize>) {
        if self.forced_poll {
            return;
        }
        self.forced_poll = true;
        let current = limit.current().map_or(String::new(), |n| format!(" = {n}"));
        let folders = folders.map_or(String::new(), |n| format!(" ({n} folders to watch)"));
        self.note(
            LogLevel::Warn,
            format!(
                "the inotify limit {}{current} is reached{folders}; watching your working tree \
                 by polling every {} ms instead (slower to notice edits); raise the limit with \
                 `sudo sysctl {}=524288`",
                limit.sysctl(),
                self.options.poll_interval.as_millis(),
                limit.sysctl()
            ),
        );
    }
}

/// What building a backend gave.
struct Armed {
    source: Result<Source, String>,
    rules: Rules,
    warnings: Vec<String>,
    /// The limit hit on the way, with how many folders were to be watched.
    limit: Option<(Limit, Option<usize>)>,
}

/// Walks the tree and watches every folder the rules let through; on an inotify limit, starts
/// over with polling.
fn arm_blocking(root: &Path, mode: Mode, poll: Duration, tx: UnboundedSender<Raw>) -> Armed {
    let scan = rules::scan(root, None, None);
    let folders = scan.dirs.len();
    let watch_all = |mode: Mode| -> notify::Result<Source> {
        let mut source = Source::new(mode, tx.clone())?;
        for dir in &scan.dirs {
            match source.add(dir) {
                Ok(()) => {}
                // Deleted since the walk: nothing to watch there.
                Err(e) if matches!(e.kind, notify::ErrorKind::PathNotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(source)
    };
    let mut limit = None;
    let source = match watch_all(mode) {
        Ok(source) => Ok(source),
        Err(e) => match (source::is_limit(&e), mode) {
            (Some(hit), Mode::Native) => {
                limit = Some((hit, Some(folders)));
                watch_all(Mode::Poll(poll)).map_err(|e| e.to_string())
            }
            _ => Err(e.to_string()),
        },
    };
    Armed {
        source,
        rules: scan.rules,
        warnings: scan.warnings,
        limit,
    }
}
