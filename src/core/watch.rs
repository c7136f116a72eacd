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
//! Runs in the owner process only (`core::run` starts it); viewers never watch. This file holds
//! the loop; `arm.rs` builds the watch, `intake.rs` takes each notification, `respond.rs`
//! answers a batch, and `rules.rs`, `debounce.rs`, `react.rs` are the pure parts.

mod arm;
mod debounce;
mod intake;
mod react;
mod respond;
mod rules;
mod source;

use std::collections::HashSet;
use std::path::PathBuf;
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
}
