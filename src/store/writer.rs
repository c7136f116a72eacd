//! The writer thread: the one owner of the read-write connection.
//!
//! Requests arrive on a bounded channel (back-pressure instead of dropping). Appends gather into
//! a batch that is committed in one transaction when it holds `batch_max_events` or when its
//! first event has waited `batch_max_delay`; event ids are assigned here, in commit order. A
//! failed commit keeps the batch and retries, so nothing queued is lost while the process lives.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::protocol::{Command, Event, EventId, Millis, Record, RunId};

use super::{Committed, StoreError, StoreOptions, project, schema};

/// What the handle asks of the writer.
#[derive(Debug)]
pub(super) enum Request {
    Append {
        run: RunId,
        at: Millis,
        event: Event,
    },
    CreateRun {
        goal: String,
        repo: String,
        at: Millis,
        reply: oneshot::Sender<Result<RunId, StoreError>>,
    },
    Flush {
        reply: oneshot::Sender<Result<EventId, StoreError>>,
    },
    TakeCommands {
        reply: oneshot::Sender<Result<Vec<Result<Command, String>>, StoreError>>,
    },
    Shutdown,
}

/// Starts the writer thread on `conn`.
pub(super) fn spawn(
    conn: Connection,
    path: PathBuf,
    options: StoreOptions,
    rx: mpsc::Receiver<Request>,
    committed: broadcast::Sender<Committed>,
) -> Result<std::thread::JoinHandle<()>, StoreError> {
    let next_event = conn
        .query_row("SELECT coalesce(max(id), 0) + 1 FROM events", [], |r| {
            r.get(0)
        })
        .map_err(|e| schema::classify(&path, e))?;
    let next_run = conn
        .query_row("SELECT coalesce(max(id), 0) + 1 FROM runs", [], |r| {
            r.get(0)
        })
        .map_err(|e| schema::classify(&path, e))?;
    let mut writer = Writer {
        conn,
        path: path.clone(),
        options,
        committed,
        next_event,
        next_run,
        batch: Batch::default(),
    };
    std::thread::Builder::new()
        .name("warroom-store".into())
        .spawn(move || writer.run(rx))
        .map_err(|source| StoreError::Io {
            path,
            action: "start the store thread",
            source,
        })
}

#[derive(Default)]
struct Batch {
    records: Vec<(Record, String)>,
    runs: Vec<(RunId, String, String, Millis)>,
    run_replies: Vec<(RunId, oneshot::Sender<Result<RunId, StoreError>>)>,
    first_at: Option<Instant>,
}

struct Writer {
    conn: Connection,
    path: PathBuf,
    options: StoreOptions,
    committed: broadcast::Sender<Committed>,
    next_event: i64,
    next_run: i64,
    batch: Batch,
}

impl Writer {
    fn run(&mut self, mut rx: mpsc::Receiver<Request>) {
        let Ok(clock) = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        else {
            tracing::error!("store: cannot build the writer's timer");
            return;
        };
        loop {
            let request = match self.batch.first_at {
                None => rx.blocking_recv(),
                // Queued requests are drained without touching the timer; only an empty queue
                // waits, and only until the batch's deadline.
                Some(first) => match rx.try_recv() {
                    Ok(request) => Some(request),
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        let left = self.options.batch_max_delay.saturating_sub(first.elapsed());
                        let wait = async { tokio::time::timeout(left, rx.recv()).await };
                        match clock.block_on(wait) {
                            Ok(request) => request,
                            Err(_) => {
                                self.commit_or_keep();
                                continue;
                            }
                        }
                    }
                },
            };
            let Some(request) = request else {
                self.commit_or_keep();
                return;
            };
            if !self.handle(request) {
                return;
            }
            // Checked after every request: a steady stream must not starve the deadline.
            let due = self
                .batch
                .first_at
                .is_some_and(|first| first.elapsed() >= self.options.batch_max_delay);
            if due || self.batch.records.len() >= self.options.batch_max_events {
                self.commit_or_keep();
            }
        }
    }

    /// Returns false when the writer must stop.
    fn handle(&mut self, request: Request) -> bool {
        match request {
            Request::Append { run, at, event } => self.push(run, at, event),
            Request::CreateRun {
                goal,
                repo,
                at,
                reply,
            } => {
                let run = RunId(self.next_run);
                self.next_run += 1;
                self.batch.runs.push((run, goal.clone(), repo.clone(), at));
                self.push(run, at, Event::RunStarted { goal, repo });
                self.batch.run_replies.push((run, reply));
                self.commit_or_keep();
            }
            Request::Flush { reply } => {
                let result = self.commit().map(|()| EventId(self.next_event - 1));
                let _ = reply.send(result);
            }
            Request::TakeCommands { reply } => {
                let result = self.commit().and_then(|()| self.take_commands());
                let _ = reply.send(result);
            }
            Request::Shutdown => {
                self.commit_or_keep();
                return false;
            }
        }
        true
    }

    fn push(&mut self, run: RunId, at: Millis, event: Event) {
        let body = match serde_json::to_string(&event) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(kind = event.kind(), "store: cannot serialize event: {e}");
                return;
            }
        };
        let id = EventId(self.next_event);
        self.next_event += 1;
        self.batch.first_at.get_or_insert_with(Instant::now);
        self.batch
            .records
            .push((Record { id, run, at, event }, body));
    }

    /// Commits, and on failure keeps the batch for the next attempt after a short pause.
    fn commit_or_keep(&mut self) {
        if let Err(e) = self.commit() {
            tracing::error!("store: commit failed, will retry: {e}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        if self.batch.records.is_empty() && self.batch.runs.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let classify = |e| schema::classify(&path, e);
        let tx = self.conn.transaction().map_err(classify)?;
        {
            let mut insert_run = tx
                .prepare_cached(
                    "INSERT INTO runs(id, goal, repo, state, started_at) VALUES (?1, ?2, ?3, 'planning', ?4)",
                )
                .map_err(classify)?;
            for (run, goal, repo, at) in &self.batch.runs {
                insert_run
                    .execute(params![run.0, goal, repo, at.0])
                    .map_err(classify)?;
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events(id, run_id, at, kind, agent, level, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(classify)?;
            for (record, body) in &self.batch.records {
                let event = &record.event;
                insert
                    .execute(params![
                        record.id.0,
                        record.run.0,
                        record.at.0,
                        event.kind(),
                        event.agent().map(|a| a.0),
                        event.log_level().map(|l| l.as_i64()),
                        body,
                    ])
                    .map_err(classify)?;
                project::apply(&tx, record).map_err(classify)?;
            }
        }
        tx.commit().map_err(classify)?;
        let batch = std::mem::take(&mut self.batch);
        for (run, reply) in batch.run_replies {
            let _ = reply.send(Ok(run));
        }
        let records: Committed = batch.records.into_iter().map(|(r, _)| r).collect();
        // No subscriber is fine: viewers in other processes read the file.
        let _ = self.committed.send(records);
        Ok(())
    }

    fn take_commands(&mut self) -> Result<Vec<Result<Command, String>>, StoreError> {
        let path = self.path.clone();
        let classify = |e| schema::classify(&path, e);
        let tx = self.conn.transaction().map_err(classify)?;
        let rows: Vec<(i64, Vec<u8>, String)> = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id, CAST(body AS BLOB), sender FROM commands WHERE consumed_at IS NULL ORDER BY id",
                )
                .map_err(classify)?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(classify)?
                .collect::<Result<_, _>>()
                .map_err(classify)?
        };
        tx.execute(
            "UPDATE commands SET consumed_at = ?1 WHERE consumed_at IS NULL",
            params![Millis::now().0],
        )
        .map_err(classify)?;
        tx.commit().map_err(classify)?;
        Ok(rows
            .into_iter()
            .map(|(id, body, sender)| {
                serde_json::from_slice::<Command>(&body)
                    .map_err(|e| format!("command {id} from {sender} is not understood: {e}"))
            })
            .collect())
    }
}
