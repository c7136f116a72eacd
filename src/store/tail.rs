//! Tailing a database from another process: wake on file notifications for the database and
//! its WAL (notify), fall back to a slow poll, and read only when SQLite's `data_version` says
//! another connection committed. Blocking; runs on a viewer's reader thread. Never writes.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::protocol::EventId;

use super::{Page, Reader, StoreError};

/// Pauses before looking again after a wake-up that found nothing new (about 18 ms in all).
const RECHECK: [Duration; 4] = [
    Duration::from_millis(1),
    Duration::from_millis(2),
    Duration::from_millis(5),
    Duration::from_millis(10),
];

/// Follows the `events` table of one database.
pub struct Tail {
    reader: Reader,
    wake: mpsc::Receiver<()>,
    // Kept alive for its notifications; `None` when the platform refused (then we only poll).
    _watcher: Option<notify::RecommendedWatcher>,
    poll: Duration,
    cursor: EventId,
    seen_version: Option<i64>,
    /// Why file notifications are unavailable, if they are.
    pub degraded: Option<String>,
}

/// What one wait produced.
#[derive(Debug, Default)]
pub struct TailRead {
    /// New events (possibly several pages' worth, in order), plus skipped rows.
    pub page: Page,
    /// Whether the poll interval passed (a good moment to re-check the owner).
    pub polled: bool,
}

impl Tail {
    /// Starts following `reader`'s file after `cursor`.
    pub fn new(reader: Reader, cursor: EventId, poll: Duration) -> Self {
        let (tx, wake) = mpsc::sync_channel::<()>(1);
        let dir = reader
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let name = reader
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            // Writes, creations and removals only: opens and reads (our own included) are
            // not news.
            let relevant = event.is_ok_and(|e| {
                (e.kind.is_modify() || e.kind.is_create() || e.kind.is_remove())
                    && e.paths.iter().any(|p| {
                        p.file_name()
                            .is_some_and(|f| f.to_string_lossy().starts_with(&name))
                    })
            });
            if relevant {
                // A full channel already holds a wake-up; one is enough.
                let _ = tx.try_send(());
            }
        })
        .and_then(|mut w| w.watch(&dir, RecursiveMode::NonRecursive).map(|()| w));
        let (watcher, degraded) = match watcher {
            Ok(w) => (Some(w), None),
            Err(e) => (
                None,
                Some(format!(
                    "file notifications unavailable ({e}); polling every {} ms",
                    poll.as_millis()
                )),
            ),
        };
        Tail {
            reader,
            wake,
            _watcher: watcher,
            poll,
            cursor,
            seen_version: None,
            degraded,
        }
    }

    /// The reader, for other queries between waits.
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// The last event id delivered.
    pub fn cursor(&self) -> EventId {
        self.cursor
    }

    /// Waits until something may have changed (a notification, or the poll interval) and
    /// returns every event committed after the cursor, up to `max` events.
    pub fn wait(&mut self, max: usize) -> Result<TailRead, StoreError> {
        let started = Instant::now();
        let polled = match self.wake.recv_timeout(self.poll) {
            Ok(()) => false,
            Err(mpsc::RecvTimeoutError::Timeout) => true,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(self.poll.saturating_sub(started.elapsed()));
                true
            }
        };
        let mut page = self.read_new(max)?;
        if !polled {
            // The WAL write that woke us comes before SQLite publishes the commit (through the
            // memory-mapped -shm file, which raises no file event): look again shortly.
            for pause in RECHECK {
                if !page.records.is_empty() || !page.skipped.is_empty() {
                    break;
                }
                std::thread::sleep(pause);
                page = self.read_new(max)?;
            }
        }
        Ok(TailRead { page, polled })
    }

    /// Reads what was committed after the cursor, without waiting.
    pub fn read_new(&mut self, max: usize) -> Result<Page, StoreError> {
        let version = self.reader.data_version()?;
        if self.seen_version == Some(version) {
            return Ok(Page::default());
        }
        let page = self.reader.events_after(None, self.cursor, max)?;
        if let Some(last) = page.last_id {
            self.cursor = last;
        }
        // Only mark the version seen once a short page proves we have caught up.
        if page.records.len() + page.skipped.len() < max {
            self.seen_version = Some(version);
        }
        Ok(page)
    }
}
