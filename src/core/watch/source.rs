//! The file-system side of the watcher: one notify backend (inotify, or a `PollWatcher` when
//! the inotify limits are reached or polling is asked for) holding one non-recursive watch per
//! folder that the ignore rules let through, so `target/`, `node_modules/`, `.git/` and
//! `.warroom/` cost no watches. Raw notifications go into a channel; deciding what they mean
//! is the watcher loop's job. [`is_limit`] and [`relevant`] are pure.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

/// What the backend reports.
pub type Raw = notify::Result<notify::Event>;

/// How the tree is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The platform's notifications (inotify on Linux).
    Native,
    /// A scan of every watched folder at this interval.
    Poll(Duration),
}

/// The backend and the folders it watches.
pub struct Source {
    backend: Backend,
    mode: Mode,
    watched: BTreeSet<PathBuf>,
}

enum Backend {
    Native(RecommendedWatcher),
    Poll(PollWatcher),
}

impl Source {
    /// A backend in `mode` that sends what it sees to `tx`.
    pub fn new(mode: Mode, tx: UnboundedSender<Raw>) -> notify::Result<Source> {
        let handler = move |raw: Raw| {
            // The loop has stopped when the receiver is gone; nothing to tell then.
            let _ = tx.send(raw);
        };
        let backend = match mode {
            Mode::Native => Backend::Native(notify::recommended_watcher(handler)?),
            Mode::Poll(every) => Backend::Poll(PollWatcher::new(
                handler,
                notify::Config::default().with_poll_interval(every),
            )?),
        };
        Ok(Source {
            backend,
            mode,
            watched: BTreeSet::new(),
        })
    }

    /// How this backend watches.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Watches one folder (its entries, not its subfolders).
    pub fn add(&mut self, dir: &Path) -> notify::Result<()> {
        if self.watched.contains(dir) {
            return Ok(());
        }
        match &mut self.backend {
            Backend::Native(w) => w.watch(dir, RecursiveMode::NonRecursive)?,
            Backend::Poll(w) => w.watch(dir, RecursiveMode::NonRecursive)?,
        }
        self.watched.insert(dir.to_path_buf());
        Ok(())
    }

    /// Stops watching `dir` and every folder under it; returns whether `dir` was watched.
    pub fn forget(&mut self, dir: &Path) -> bool {
        let gone: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|w| w.starts_with(dir))
            .cloned()
            .collect();
        for path in &gone {
            // inotify drops the watch of a deleted folder itself; an error here only says so.
            let _ = match &mut self.backend {
                Backend::Native(w) => w.unwatch(path),
                Backend::Poll(w) => w.unwatch(path),
            };
            self.watched.remove(path);
        }
        gone.iter().any(|p| p == dir)
    }

    /// Whether `dir` is watched.
    pub fn is_watched(&self, dir: &Path) -> bool {
        self.watched.contains(dir)
    }

    /// How many folders are watched.
    pub fn folders(&self) -> usize {
        self.watched.len()
    }
}

/// Which OS limit an error hit, if any: the number of inotify watches (`ENOSPC`, which notify
/// reports as `MaxFilesWatch`) or of inotify instances (`EMFILE` when the backend starts).
pub fn is_limit(error: &notify::Error) -> Option<Limit> {
    match &error.kind {
        notify::ErrorKind::MaxFilesWatch => Some(Limit::Watches),
        notify::ErrorKind::Io(e) if e.raw_os_error() == Some(libc::ENOSPC) => Some(Limit::Watches),
        notify::ErrorKind::Io(e) if e.raw_os_error() == Some(libc::EMFILE) => {
            Some(Limit::Instances)
        }
        _ => None,
    }
}

/// An inotify limit of the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Watches per user.
    Watches,
    /// inotify instances per user.
    Instances,
}

impl Limit {
    /// The sysctl that sets it.
    pub fn sysctl(self) -> &'static str {
        match self {
            Limit::Watches => "fs.inotify.max_user_watches",
            Limit::Instances => "fs.inotify.max_user_instances",
        }
    }

    /// Its current value, when /proc says.
    pub fn current(self) -> Option<u64> {
        let file = format!("/proc/sys/{}", self.sysctl().replace('.', "/"));
        std::fs::read_to_string(file).ok()?.trim().parse().ok()
    }
}

/// Whether a notification is a change to the tree: creations, removals, writes, renames and
/// metadata changes count; opens, reads and closes after reading do not.
pub fn relevant(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind};

    #[test]
    fn watch_limits_are_recognised_and_named() {
        let full = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        assert_eq!(is_limit(&full), Some(Limit::Watches));
        let enospc = notify::Error::io(std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(is_limit(&enospc), Some(Limit::Watches));
        let emfile = notify::Error::io(std::io::Error::from_raw_os_error(libc::EMFILE));
        assert_eq!(is_limit(&emfile), Some(Limit::Instances));
        let missing = notify::Error::new(notify::ErrorKind::PathNotFound);
        assert_eq!(is_limit(&missing), None);
        assert_eq!(Limit::Watches.sysctl(), "fs.inotify.max_user_watches");
        assert_eq!(Limit::Instances.sysctl(), "fs.inotify.max_user_instances");
    }

    #[test]
    fn only_changes_are_relevant() {
        assert!(relevant(&EventKind::Create(CreateKind::File)));
        assert!(relevant(&EventKind::Remove(RemoveKind::Folder)));
        assert!(relevant(&EventKind::Modify(ModifyKind::Data(
            DataChange::Any
        ))));
        assert!(relevant(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(!relevant(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!relevant(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(!relevant(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::AccessTime
        ))));
        assert!(!relevant(&EventKind::Any));
    }
}
