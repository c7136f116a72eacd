//! Repo watching: the person's working tree (the repository root the core runs in; never
//! `.git/`, `.warroom/` or the agents' worktrees under it), filtered by the repository's ignore
//! rules and debounced, reported as `FilesChanged` events in the current run, with what follows
//! from them: stale patch approvals flagged and re-checked, repo detection refreshed when a
//! manifest changes, memory entries naming a changed file flagged (`respond.rs`).
//!
//! It watches only while the newest run has not ended: changes made between runs have no run
//! to be recorded in, and the next run's worktree starts from the tree as it is then. The
//! folders are watched one by one (`source.rs`), so ignored trees cost no inotify watches. When
//! the kernel's inotify limit is reached it says so once, naming the limit and its sysctl, and
//! polls instead. A watched folder deleted under it is reported and dropped (watched again
//! when it comes back); the repository folder itself deleted stops the watch until it is back.
//! Waits use monotonic instants (`debounce.rs`), so a wall clock that jumps changes nothing.
//! Runs in the owner process only (`core::run` starts it); viewers never watch.

mod debounce;
mod react;
mod respond;
mod rules;
mod source;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::Config;
use crate::core::tools::detect::Overrides;
use crate::protocol::{Event, LogLevel, RunId};
use crate::store::{Reader, Store};

pub use debounce::Debouncer;
pub use react::{MANIFESTS, Stale, manifest_changed, mentioned, stale_approvals};
pub use respond::detected;
pub use rules::{Rules, relative};
pub use source::{Limit, Mode, is_limit, relevant};

use respond::Responder;
use source::{Raw, Source};

/// How the working tree is watched (`[repo_watch]` in config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchOptions {
    /// Whether to watch at all.
    pub enabled: bool,
    /// A batch is reported once the tree has been quiet this long...
    pub debounce: Duration,
    /// ...or this long after its first change, whichever comes first.
    pub max_wait: Duration,
    /// Poll instead of using inotify.
    pub poll: bool,
    /// How often polling scans the watched folders.
    pub poll_interval: Duration,
    /// The repo config's build/test/run commands, which win over detection.
    pub overrides: Overrides,
}

impl WatchOptions {
    /// The options a config asks for.
    pub fn from_config(config: &Config) -> Self {
        let watch = &config.repo_watch;
        let set = |s: &String| Some(s.clone()).filter(|s| !s.trim().is_empty());
        WatchOptions {
            enabled: watch.enabled,
            debounce: Duration::from_millis(watch.debounce_ms),
            max_wait: Duration::from_millis(watch.max_wait_ms),
            poll: watch.poll,
            poll_interval: Duration::from_millis(watch.poll_ms),
            overrides: Overrides {
                build: set(&config.repo.build),
                test: set(&config.repo.test),
                run: set(&config.repo.run),
            },
        }
    }
}

/// The running watcher; dropping it stops the watch.
#[derive(Debug)]
pub struct RepoWatcher {
    task: JoinHandle<()>,
}

impl Drop for RepoWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching the store's repository on the current tokio runtime (a no-op watcher when
/// `[repo_watch] enabled = false`).
pub fn spawn(store: Store, config: &Config) -> RepoWatcher {
    let options = WatchOptions::from_config(config);
    let busy = Duration::from_millis(config.store.busy_timeout_ms);
    let task = tokio::spawn(async move {
        if options.enabled {
            Watch::new(store, options, busy).run().await;
        }
    });
    RepoWatcher { task }
}

/// How long the loop waits before looking again for a repository folder that was deleted.
const ROOT_RECHECK: Duration = Duration::from_secs(1);

/// The loop's state.
struct Watch {
    store: Store,
    root: PathBuf,
    options: WatchOptions,
    tx: UnboundedSender<Raw>,
    rx: UnboundedReceiver<Raw>,
    /// The run changes go to; `None` while no run is active.
    run: Option<RunId>,
    /// The backend and the rules while watching.
    armed: Option<(Source, Rules)>,
    debouncer: Debouncer,
    /// Polling since an inotify limit was hit (told once, kept for the watcher's life).
    forced_poll: bool,
    /// The backend must be built again (a limit was hit, or the ignore rules changed).
    rearm: bool,
    /// Whether the repository folder itself is gone.
    root_gone: bool,
    /// Lines to record with the next batch (or at once when nothing waits).
    notes: Vec<(LogLevel, String)>,
    /// Backend errors already told, so a repeating one is told once.
    told: HashSet<String>,
    /// Lent to a blocking task while it answers a batch.
    responder: Option<Responder>,
}

impl Watch {
    fn new(store: Store, options: WatchOptions, busy: Duration) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let root = store.paths().repo.clone();
        let responder = Responder::new(&root, &store.paths().db, busy, options.overrides.clone());
        Watch {
            debouncer: Debouncer::new(options.debounce, options.max_wait),
            store,
            root,
            options,
            tx,
            rx,
            run: None,
            armed: None,
            forced_poll: false,
            rearm: false,
            root_gone: false,
            notes: Vec::new(),
            told: HashSet::new(),
            responder: Some(responder),
        }
    }

    async fn run(mut self) {
        let mut committed = self.store.subscribe();
        let run = self.active_run().await;
        self.switch_run(run).await;
        loop {
            if self.rearm && self.run.is_some() && !self.root_gone {
                self.rearm = false;
                self.arm().await;
            }
            if self.debouncer.is_empty() && !self.notes.is_empty() {
                self.flush_notes().await;
            }
            let due = self.debouncer.deadline().map(Instant::from_std);
            tokio::select! {
                raw = self.rx.recv() => match raw {
                    Some(raw) => self.take_raw(raw),
                    None => break,
                },
                batch = committed.recv() => match batch {
                    Ok(batch) => {
                        for record in batch.iter() {
                            self.follow_run(record.run, &record.event).await;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let run = self.active_run().await;
                        self.switch_run(run).await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                _ = sleep_until(due), if due.is_some() => self.report().await,
                _ = tokio::time::sleep(ROOT_RECHECK), if self.root_gone && self.run.is_some() => {
                    if self.root.is_dir() {
                        self.root_gone = false;
                        self.note(LogLevel::Info, format!(
                            "the repository folder {} is back; watching it again",
                            self.root.display()
                        ));
                        self.rearm = true;
                    }
                }
            }
        }
    }

    /// The newest run when it has not ended.
    async fn active_run(&mut self) -> Option<RunId> {
        let db = self.store.paths().db.clone();
        let latest = tokio::task::spawn_blocking(move || {
            Reader::open(&db, Duration::from_secs(5))
                .and_then(|reader| reader.latest_run())
                .ok()
                .flatten()
        })
        .await
        .ok()
        .flatten();
        latest
            .filter(|run| !run.state.is_terminal())
            .map(|run| run.id)
    }

    /// Follows run starts and ends: watching begins with a run and stops when it ends.
    async fn follow_run(&mut self, run: RunId, event: &Event) {
        match event {
            Event::RunStarted { .. } | Event::RunResumed { .. } => self.switch_run(Some(run)).await,
            Event::RunFinished { .. } if self.run == Some(run) => self.switch_run(None).await,
            _ => {}
        }
    }

    async fn switch_run(&mut self, run: Option<RunId>) {
        if run == self.run && (run.is_none() || self.armed.is_some() || self.root_gone) {
            return;
        }
        self.run = run;
        if run.is_some() {
            if self.armed.is_none() && !self.root_gone {
                self.arm().await;
            }
        } else {
            // Nowhere to record what waits: the run has ended.
            self.debouncer.clear();
            self.notes.clear();
            self.armed = None;
        }
    }

    /// Reads the rules, finds the folders and watches them, falling back to polling when an
    /// inotify limit is reached. The old backend keeps watching until the new one is ready.
    async fn arm(&mut self) {
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
    fn tell_limit(&mut self, limit: Limit, folders: Option<usize>) {
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

    /// Takes one notification: relevant paths go to the debouncer, new folders are watched,
    /// deleted ones dropped, limits and errors told.
    fn take_raw(&mut self, raw: Raw) {
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
            // A new folder: watch it and take what it already holds (files written before its
            // watch existed would otherwise be missed).
            let scan = rules::scan(&self.root, Some(path), Some(rules));
            for dir in &scan.dirs {
                if let Err(e) = source.add(dir) {
                    failure = Some(e);
                    break;
                }
            }
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

    fn root_deleted(&mut self) {
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

    fn note(&mut self, level: LogLevel, text: String) {
        tracing::info!("repo watch: {text}");
        self.notes.push((level, text));
    }

    /// Releases the due batch: its events (and waiting notes) go to the run.
    async fn report(&mut self) {
        let Some(paths) = self.debouncer.take(std::time::Instant::now()) else {
            return;
        };
        let Some(run) = self.run else { return };
        if paths.iter().any(|p| rules::is_rule_file(p)) {
            self.rearm = true;
        }
        let mut events = match self.responder.take() {
            Some(mut responder) => {
                let batch = paths.clone();
                let answered = tokio::task::spawn_blocking(move || {
                    let events = responder.respond(run, batch);
                    (responder, events)
                })
                .await;
                match answered {
                    Ok((responder, events)) => {
                        self.responder = Some(responder);
                        events
                    }
                    Err(e) => {
                        let store = self.store.paths();
                        self.responder = Some(Responder::new(
                            &self.root,
                            &store.db,
                            Duration::from_secs(5),
                            self.options.overrides.clone(),
                        ));
                        vec![
                            Event::FilesChanged { paths },
                            log(LogLevel::Warn, format!("checking the changes stopped: {e}")),
                        ]
                    }
                }
            }
            None => vec![Event::FilesChanged { paths }],
        };
        events.extend(self.notes.drain(..).map(|(level, text)| log(level, text)));
        self.append(run, events).await;
    }

    async fn flush_notes(&mut self) {
        let Some(run) = self.run else {
            self.notes.clear();
            return;
        };
        let events = self
            .notes
            .drain(..)
            .map(|(level, text)| log(level, text))
            .collect();
        self.append(run, events).await;
    }

    async fn append(&mut self, run: RunId, events: Vec<Event>) {
        for event in events {
            if let Err(e) = self.store.append(run, event).await {
                tracing::warn!("repo watch: cannot record an event: {e}");
                return;
            }
        }
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

fn deleted_words(rel: &str) -> String {
    format!(
        "the folder {rel} was deleted under the watcher; it is no longer watched (it will be again \
         if it comes back)"
    )
}

fn log(level: LogLevel, text: String) -> Event {
    Event::LogLine {
        agent: None,
        level,
        text,
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_the_repo_watch_section_and_the_repo_overrides() {
        let mut config = Config::default();
        config.repo_watch.debounce_ms = 20;
        config.repo_watch.poll = true;
        config.repo.test = "make check".into();
        let options = WatchOptions::from_config(&config);
        assert!(options.enabled && options.poll);
        assert_eq!(options.debounce, Duration::from_millis(20));
        assert_eq!(options.overrides.test.as_deref(), Some("make check"));
        assert_eq!(options.overrides.build, None);
    }

    #[test]
    fn deleted_folders_are_named() {
        assert!(deleted_words("src/gen").contains("the folder src/gen was deleted"));
    }
}
