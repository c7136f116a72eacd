//! What the watcher does with each notification from its backend: a relevant path goes to
//! the debouncer (relative, unless the rules leave it out), a new folder is walked and
//! watched, a deleted one is dropped with a warning, the repository folder itself deleted stops
//! the watch, an inotify limit switches to polling, and any other backend error is told once.
//! Part of the loop in `watch.rs`; no awaits here, so a burst of notifications is cheap.

use std::path::Path;

use super::Watch;
use super::rules;
use super::source::{self, Raw};
use crate::protocol::LogLevel;

impl Watch {
    /// Takes one notification: relevant paths go to the debouncer, new folders are watched,
    /// deleted ones dropped, limits and errors told.
    pub(super) fn take_raw(&mut self, raw: Raw) {
        if self.run.is_none() || self.root_gone {
            return;
        }
        let event = match raw {
            Ok(event) => event,
            Err(error) => return self.take_error(error),
        };
        if !source::relevant(&event.kind) {
            return;
        }
        let now = std::time::Instant::now();
        for path in &event.paths {
            self.take_path(path, &event.kind, now);
        }
    }

    fn take_path(&mut self, path: &Path, kind: &notify::EventKind, now: std::time::Instant) {
        use notify::event::{CreateKind, RemoveKind};
        if path == self.root {
            if !self.root.is_dir() {
                self.root_deleted();
            }
            return;
        }
        let Some(rel) = rules::relative(&self.root, path) else {
            return;
        };
        let Some((source, rules)) = self.armed.as_mut() else {
            return;
        };
        let exists = path.is_dir();
        let is_dir = exists
            || source.is_watched(path)
            || matches!(
                kind,
                notify::EventKind::Create(CreateKind::Folder)
                    | notify::EventKind::Remove(RemoveKind::Folder)
            );
        // A watched folder's own metadata (its mtime moves when an entry comes or goes) is
        // no news: the entries' own events say what changed.
        if rules.ignored(&rel, is_dir) || (exists && source.is_watched(path) && kind.is_modify()) {
            return;
        }
        if !exists && source.forget(path) {
            self.notes.push((LogLevel::Warn, deleted_words(&rel)));
        }
        let mut failure = None;
        if exists && !source.is_watched(path) {
            // A new folder: watch it, then take what it holds. The files are listed after the
            // watches exist: one written between a first listing and its folder's watch would
            // otherwise be missed by both.
            let scan = rules::scan(&self.root, Some(path), Some(rules));
            for dir in &scan.dirs {
                if let Err(e) = source.add(dir) {
                    failure = Some(e);
                    break;
                }
            }
            let scan = rules::scan(&self.root, Some(path), Some(rules));
            for file in &scan.files {
                if let Some(rel) = rules::relative(&self.root, file) {
                    self.debouncer.push(rel, now);
                }
            }
        }
        self.debouncer.push(rel, now);
        if let Some(error) = failure {
            self.take_error(error);
        }
    }

    fn take_error(&mut self, error: notify::Error) {
        if let Some(limit) = source::is_limit(&error) {
            // The backend stopped adding watches: build it again, polling.
            self.rearm |= !self.forced_poll;
            return self.tell_limit(limit, None);
        }
        let missing = matches!(error.kind, notify::ErrorKind::PathNotFound)
            || matches!(&error.kind, notify::ErrorKind::Io(e) if e.kind() == std::io::ErrorKind::NotFound);
        if missing {
            for path in &error.paths {
                if *path == self.root {
                    return self.root_deleted();
                }
                let watched = self
                    .armed
                    .as_mut()
                    .is_some_and(|(source, _)| source.forget(path));
                if watched && let Some(rel) = rules::relative(&self.root, path) {
                    self.notes.push((LogLevel::Warn, deleted_words(&rel)));
                    self.debouncer.push(rel, std::time::Instant::now());
                }
            }
            return;
        }
        let words = format!("watching your working tree: {error}");
        if self.told.insert(words.clone()) {
            self.note(LogLevel::Warn, words);
        }
    }

    pub(super) fn root_deleted(&mut self) {
        if self.root_gone {
            return;
        }
        self.root_gone = true;
        self.armed = None;
        self.note(
            LogLevel::Warn,
            format!(
                "the repository folder {} was deleted under the watcher; your edits are not \
                 watched until it comes back",
                self.root.display()
            ),
        );
    }
}

fn deleted_words(rel: &str) -> String {
    format!(
        "the folder {rel} was deleted under the watcher; it is no longer watched (it will be again \
         if it comes back)"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn deleted_folders_are_named() {
        assert!(super::deleted_words("src/gen").contains("the folder src/gen was deleted"));
    }
}
