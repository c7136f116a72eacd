//! The store: the only module that names rusqlite.
//!
//! One thread (the writer, `writer.rs`) owns the read-write connection of the owner process;
//! everything else holds a cheap, cloneable [`Store`] handle and sends it requests. Events are
//! batched into transactions and the projections (runs, agents, tasks, approvals, memory,
//! llm_calls, patches) are updated in the same transaction, so a reader always sees a consistent cut.
//! Committed batches are broadcast to in-process subscribers; other processes tail the
//! `events` table through a [`Reader`]. The core and the UI never see SQL.

pub mod cache;
mod grants;
mod health;
mod lock;
mod log_kind;
pub mod memory;
mod patches;
mod project;
mod reader;
pub(crate) mod schema;
mod tail;
mod watched;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};

use crate::paths::RepoPaths;
use crate::protocol::{Command, Event, EventId, Millis, Record, RunId};

pub use health::{ErrorRow, ProviderHealth, percentile};
pub use lock::{OwnerLock, OwnerState, probe as probe_owner};
pub use log_kind::LogKind;
pub use memory::{FtsHit, MemoryEntry, VectorHits, VectorIndex, VectorWriter};
pub use patches::{PatchRow, PatchState, diff_line_counts};
pub use reader::{
    AgentRow, ApprovalRow, ChatRow, LogFilter, MemoryRow, Page, Reader, RunRow, RunSnapshot,
    SkippedRow, TaskRow,
};
pub use tail::{Tail, TailRead};
pub use watched::PendingPatch;

/// Everything that can go wrong with a database, worded for the person who must fix it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process owns the database.
    #[error(
        "{path} is owned by another warroom (pid {pid}); run `warroom watch` in this terminal to follow it read-only"
    )]
    Owned {
        /// The database.
        path: PathBuf,
        /// The owner's pid.
        pid: u32,
    },
    /// The file exists but is not an SQLite database.
    #[error("{path} is not a warroom database (not an SQLite file); move it away and start again")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// SQLite found damage in the file.
    #[error("{path} is corrupt ({message}); keep a copy and try `sqlite3 {path} .recover`")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's words.
        message: String,
    },
    /// The file comes from a newer warroom.
    #[error(
        "{path} has schema version {found}, newer than this warroom understands ({supported}); upgrade warroom"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// This build's version.
        supported: i64,
    },
    /// A viewer opened a file whose owner has not migrated it yet.
    #[error(
        "{path} has schema version {found} but this warroom needs {supported}; open it once with `warroom` to upgrade it"
    )]
    OlderSchema {
        /// The file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// This build's version.
        supported: i64,
    },
    /// The file or its folder cannot be written.
    #[error("{path} is read-only; fix its permissions, or use `warroom watch` to read it")]
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
    /// No database at the path (viewers do not create one).
    #[error("no warroom database at {path}; start `warroom` in that repository first")]
    Missing {
        /// The expected file.
        path: PathBuf,
    },
    /// SQLite stayed busy beyond the busy timeout.
    #[error("{path} stayed locked by another connection beyond the busy timeout")]
    Busy {
        /// The file.
        path: PathBuf,
    },
    /// A migration failed; nothing of it was applied.
    #[error("migrating {path} to schema version {version} failed: {message}")]
    Migration {
        /// The file.
        path: PathBuf,
        /// The version that failed.
        version: i64,
        /// SQLite's words.
        message: String,
    },
    /// Any other SQLite failure.
    #[error("database {path}: {message}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's words.
        message: String,
    },
    /// A file-system operation failed.
    #[error("cannot {action} at {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The writer thread has stopped (after a fatal error or shutdown).
    #[error("the store's writer has stopped")]
    Closed,
}

/// Tuning for the writer, from `[store]` in config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// A batch is committed once it holds this many events...
    pub batch_max_events: usize,
    /// ...or once its oldest event has waited this long.
    pub batch_max_delay: Duration,
    /// How long a connection waits for another's lock before giving up.
    pub busy_timeout: Duration,
    /// How often the owner rewrites its heartbeat in the lock file.
    pub heartbeat: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            batch_max_events: 2048,
            batch_max_delay: Duration::from_millis(5),
            busy_timeout: Duration::from_millis(5000),
            heartbeat: Duration::from_secs(2),
        }
    }
}

/// A committed batch of records, shared by all subscribers.
pub type Committed = Arc<[Record]>;

/// The owner's handle to the store. Cheap to clone; every clone talks to the same writer.
#[derive(Debug, Clone)]
pub struct Store {
    tx: mpsc::Sender<writer::Request>,
    committed: broadcast::Sender<Committed>,
    paths: Arc<RepoPaths>,
}

/// The owner's store together with the lock that makes it the owner. Dropping the lock before
/// the store is flushed would let a second owner in early, so they travel together.
#[derive(Debug)]
pub struct OwnedStore {
    /// The handle.
    pub store: Store,
    /// The owner lock, released when dropped.
    pub lock: OwnerLock,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl OwnedStore {
    /// Opens (creating if needed) the repository's database as its owner.
    pub fn open(paths: &RepoPaths, options: StoreOptions) -> Result<Self, StoreError> {
        paths.ensure_dir().map_err(|source| StoreError::Io {
            path: paths.dir.clone(),
            action: "create the .warroom folder",
            source,
        })?;
        let lock = OwnerLock::acquire(&paths.lock, &paths.db, options.heartbeat)?;
        let conn = schema::open_rw(&paths.db, options.busy_timeout)?;
        let (committed, _) = broadcast::channel(1024);
        let (tx, rx) = mpsc::channel(8192);
        let handle = writer::spawn(conn, paths.db.clone(), options, rx, committed.clone())?;
        Ok(OwnedStore {
            store: Store {
                tx,
                committed,
                paths: Arc::new(paths.clone()),
            },
            lock,
            writer: Some(handle),
        })
    }

    /// Flushes every queued event, stops the writer and releases the lock.
    pub fn close(mut self) -> Result<(), StoreError> {
        let result = self.store.flush_blocking();
        let _ = self.store.tx.blocking_send(writer::Request::Shutdown);
        if let Some(handle) = self.writer.take() {
            let _ = handle.join();
        }
        result.map(|_| ())
    }
}

impl Store {
    /// The repository's paths.
    pub fn paths(&self) -> &RepoPaths {
        &self.paths
    }

    /// Receives every batch after it is committed. A slow subscriber that falls behind gets
    /// `Lagged` and should re-read from a [`Reader`].
    pub fn subscribe(&self) -> broadcast::Receiver<Committed> {
        self.committed.subscribe()
    }

    /// Creates a run and commits its `RunStarted` event; returns once it is durable.
    pub async fn create_run(&self, goal: &str, repo: &str) -> Result<RunId, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(writer::Request::CreateRun {
            goal: goal.to_string(),
            repo: repo.to_string(),
            at: Millis::now(),
            reply,
        })
        .await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Queues an event; it is committed with the next batch. Waits only when the queue is full.
    pub async fn append(&self, run: RunId, event: Event) -> Result<(), StoreError> {
        self.send(writer::Request::Append {
            run,
            at: Millis::now(),
            event,
        })
        .await
    }

    /// Like [`Store::append`], for threads outside the async runtime.
    pub fn append_blocking(&self, run: RunId, event: Event) -> Result<(), StoreError> {
        self.tx
            .blocking_send(writer::Request::Append {
                run,
                at: Millis::now(),
                event,
            })
            .map_err(|_| StoreError::Closed)
    }

    /// Commits everything queued so far; returns the last committed event id.
    pub async fn flush(&self) -> Result<EventId, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(writer::Request::Flush { reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Like [`Store::flush`], for threads outside the async runtime.
    pub fn flush_blocking(&self) -> Result<EventId, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .blocking_send(writer::Request::Flush { reply })
            .map_err(|_| StoreError::Closed)?;
        rx.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// Takes the commands that viewers have queued in the `commands` table, oldest first, and
    /// marks them consumed in the same transaction so each is carried out once.
    pub async fn take_commands(&self) -> Result<Vec<Result<Command, String>>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(writer::Request::TakeCommands { reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn send(&self, request: writer::Request) -> Result<(), StoreError> {
        self.tx.send(request).await.map_err(|_| StoreError::Closed)
    }
}

/// Queues a command for the owner from another process (`warroom attach`). Opens its own
/// short-lived connection; the owner picks the command up with [`Store::take_commands`].
pub fn queue_command(
    paths: &RepoPaths,
    command: &Command,
    sender: &str,
    busy_timeout: Duration,
) -> Result<(), StoreError> {
    let conn = schema::open_rw(&paths.db, busy_timeout)?;
    let body = serde_json::to_string(command).map_err(|e| StoreError::Sqlite {
        path: paths.db.clone(),
        message: e.to_string(),
    })?;
    conn.execute(
        "INSERT INTO commands(body, sender, created_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![body, sender, Millis::now().0],
    )
    .map(|_| ())
    .map_err(|e| schema::classify(&paths.db, e))
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;

/// The serde name of a unit enum variant ("awaiting_approval"), as stored in state columns.
pub(crate) fn tag<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The inverse of [`tag`]; `None` for a name this build does not know.
pub(crate) fn from_tag<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}
