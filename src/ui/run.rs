//! The screen's run loop: one `select!` over terminal input, committed events, store replies,
//! signals and the next frame. A frame is drawn only when the App says something changed, at
//! most once per frame interval, so a burst of events costs one frame and an idle screen costs
//! nothing. Store reads happen on helper threads that own their own read-only connections; the
//! loop never blocks on SQLite.
//!
//! The owner's screen folds the batches the store broadcasts after each commit; a viewer's
//! and an attached screen tail the database file (`store::Tail`). All end in `App::apply`, one
//! code path. The owner's commands go to its core; an attached screen's go into the
//! `commands` table for the owner to carry out; a viewer sends nothing. A new approval rings
//! the bell and posts an OSC 9 notification (`notify.rs`), written through the backend.

use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use crate::core::CoreHandle;
use crate::paths::RepoPaths;
use crate::protocol::{Command, EventId, Record};
use crate::store::{
    Committed, OwnerState, Page, Reader, SkippedRow, Store, Tail, probe_owner, queue_command,
};

use super::notify;
use super::terminal::Tui;
use super::{Action, App, LogRequest};

/// Where the screen's events come from.
pub enum Feed {
    /// This process owns the store and runs the core.
    Owner {
        /// The store handle (for its broadcast of committed batches).
        store: Store,
        /// Where the screen's commands go.
        core: CoreHandle,
    },
    /// Another process owns the database; follow its file.
    Watch {
        /// The owner lock to probe.
        lock: PathBuf,
        /// Fallback poll interval.
        poll: Duration,
    },
    /// `warroom attach`: follow the file like a viewer, and queue commands for the owner.
    Attach {
        /// The repository's paths (database, owner lock).
        paths: RepoPaths,
        /// Fallback poll interval.
        poll: Duration,
        /// Who sends ("attach pid N"), recorded with each command.
        sender: String,
    },
}

/// Where the screen's commands go.
enum Outbox {
    Core(CoreHandle),
    Table {
        paths: RepoPaths,
        busy: Duration,
        sender: String,
    },
    Nowhere,
}

/// How the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The person quit.
    Quit,
    /// A signal asked us to stop (SIGTERM, SIGHUP, SIGINT).
    Signal(&'static str),
}

/// Shortest time between two frames (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);
/// How many events one tail read may return.
const TAIL_MAX: usize = 5000;

/// Replies from the helper threads.
enum Inbox {
    Records(Vec<Record>, Vec<SkippedRow>),
    LogPage(LogRequest, Page),
    CaughtUp(Vec<Record>, Vec<SkippedRow>),
    MemoryFound(super::views::memory::MemoryFound),
    MemoryFailed(super::views::memory::MemoryQuery, String),
    Owner(OwnerState),
    Notice(String),
}

enum Query {
    LogPage(LogRequest),
    CatchUp(EventId),
    Memory(super::views::memory::MemoryQuery),
}

/// Runs the screen until the person quits or a signal arrives. `after` is the last event the
/// App already has (from its snapshot).
/// `embedder` (from `[memory] embeddings`) lets the memory inspector search by meaning too.
pub async fn run(
    tui: &mut Tui,
    app: &mut App,
    db: &Path,
    busy_timeout: Duration,
    embedder: Option<crate::core::memory::Embedder>,
    feed: Feed,
    after: EventId,
) -> std::io::Result<Exit> {
    let (inbox_tx, mut inbox) = mpsc::channel::<Inbox>(256);
    let queries = spawn_query_thread(db, busy_timeout, embedder, inbox_tx.clone())?;
    let (mut committed, outbox) = match feed {
        Feed::Owner { store, core } => (Some(store.subscribe()), Outbox::Core(core)),
        Feed::Watch { lock, poll } => {
            spawn_tail_thread(db, busy_timeout, lock, poll, after, inbox_tx.clone())?;
            (None, Outbox::Nowhere)
        }
        Feed::Attach {
            paths,
            poll,
            sender,
        } => {
            let lock = paths.lock.clone();
            spawn_tail_thread(db, busy_timeout, lock, poll, after, inbox_tx.clone())?;
            let busy = busy_timeout;
            (
                None,
                Outbox::Table {
                    paths,
                    busy,
                    sender,
                },
            )
        }
    };
    let tmux = notify::in_tmux();
    drop(inbox_tx);
    let mut keys = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last = after;
    let mut catching_up: Option<Vec<Committed>> = None;
    let mut last_draw = Instant::now() - FRAME;
    let mut force = true;
    loop {
        if let Some(text) = app.take_alert() {
            ring(tui, &text, tmux);
        }
        if let Some(text) = app.take_copy() {
            copy(tui, &text, tmux);
        }
        for request in app.take_log_fetches() {
            let _ = queries.send(Query::LogPage(request));
        }
        if force || app.needs_redraw() {
            let due = last_draw + FRAME;
            if force || Instant::now() >= due {
                tui.draw(|frame| app.render(frame))?;
                app.mark_drawn();
                last_draw = Instant::now();
                force = false;
            }
        }
        let wait_frame = app.needs_redraw();
        tokio::select! {
            _ = tokio::time::sleep_until(last_draw + FRAME), if wait_frame => {}
            _ = tick.tick() => {}
            key = keys.next() => match key {
                Some(Ok(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => {
                    for action in app.on_key(key) {
                        match action {
                            Action::Quit => return Ok(Exit::Quit),
                            Action::Submit(command) => {
                                if let Err(why) = send(&outbox, command).await {
                                    app.notice(why);
                                }
                            }
                            Action::FetchLogs(request) => {
                                let _ = queries.send(Query::LogPage(request));
                            }
                            Action::SearchMemory(query) => {
                                let _ = queries.send(Query::Memory(query));
                            }
                        }
                    }
                }
                Some(Ok(TermEvent::Mouse(mouse))) => {
                    for action in app.on_mouse(mouse) {
                        if let Action::FetchLogs(request) = action {
                            let _ = queries.send(Query::LogPage(request));
                        }
                    }
                }
                // ratatui clears and redraws every cell when the size changed.
                Some(Ok(TermEvent::Resize(_, _))) => force = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => app.notice(format!("terminal input error: {e}")),
                None => return Ok(Exit::Signal("end of input")),
            },
            batch = recv_committed(&mut committed) => match batch {
                Ok(batch) => match &mut catching_up {
                    Some(held) => held.push(batch),
                    None => last = apply_new(app, &batch, last),
                },
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    catching_up.get_or_insert_with(Vec::new);
                    let _ = queries.send(Query::CatchUp(last));
                }
                Err(broadcast::error::RecvError::Closed) => committed = None,
            },
            message = inbox.recv() => match message {
                Some(Inbox::Records(records, skipped)) => {
                    if !skipped.is_empty() {
                        app.on_skipped(&skipped);
                    }
                    last = apply_new(app, &records, last);
                }
                Some(Inbox::CaughtUp(records, skipped)) => {
                    if !skipped.is_empty() {
                        app.on_skipped(&skipped);
                    }
                    last = apply_new(app, &records, last);
                    for batch in catching_up.take().unwrap_or_default() {
                        last = apply_new(app, &batch, last);
                    }
                }
                Some(Inbox::LogPage(request, page)) => app.on_log_page(request, page),
                Some(Inbox::MemoryFound(found)) => app.on_memory_found(found),
                Some(Inbox::MemoryFailed(query, why)) => app.on_memory_error(&query, why),
                Some(Inbox::Owner(owner)) => app.set_owner(owner),
                Some(Inbox::Notice(text)) => app.notice(text),
                None => {}
            },
            _ = sigterm.recv() => return Ok(Exit::Signal("SIGTERM")),
            _ = sighup.recv() => return Ok(Exit::Signal("SIGHUP")),
            _ = sigint.recv() => return Ok(Exit::Signal("SIGINT")),
        }
    }
}

/// Sends a command where this screen's commands go; the error is worded for the status bar.
async fn send(outbox: &Outbox, command: Command) -> Result<(), String> {
    match outbox {
        Outbox::Core(core) => match core.send(command).await {
            true => Ok(()),
            false => Err("the core has stopped; quit and check the log file".into()),
        },
        Outbox::Table {
            paths,
            busy,
            sender,
        } => {
            let (paths, busy, sender) = (paths.clone(), *busy, sender.clone());
            let queued =
                tokio::task::spawn_blocking(move || queue_command(&paths, &command, &sender, busy))
                    .await;
            match queued {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("not sent to the owner: {e}")),
                Err(e) => Err(format!("not sent to the owner: {e}")),
            }
        }
        Outbox::Nowhere => Err("read-only: this screen cannot send commands".into()),
    }
}

/// Rings the bell and posts a notification, through the backend between frames. A terminal
/// that cannot take it loses only the notification, never the screen.
fn ring(tui: &mut Tui, text: &str, tmux: bool) {
    use std::io::Write;
    let bytes = notify::alert(text, tmux);
    let backend = tui.backend_mut();
    if let Err(e) = backend.write_all(&bytes).and_then(|()| backend.flush()) {
        tracing::warn!("cannot ring the terminal bell: {e}");
    }
}

/// Puts copied text on the clipboard with OSC 52, through the backend between frames.
fn copy(tui: &mut Tui, text: &str, tmux: bool) {
    use std::io::Write;
    let bytes = super::clipboard::osc52(text, tmux);
    let backend = tui.backend_mut();
    if let Err(e) = backend.write_all(&bytes).and_then(|()| backend.flush()) {
        tracing::warn!("cannot write the clipboard sequence: {e}");
    }
}

/// Applies the records the App does not have yet; returns the new high-water mark.
fn apply_new(app: &mut App, records: &[Record], last: EventId) -> EventId {
    let start = records.partition_point(|r| r.id <= last);
    let fresh = &records[start..];
    if let Some(newest) = fresh.last() {
        app.apply(fresh);
        return newest.id;
    }
    last
}

/// The query thread's own small runtime for embeddings calls, made once; `None` (full text
/// only) if it cannot be made.
fn embeddings_runtime(
    runtime: &mut Option<tokio::runtime::Runtime>,
) -> Option<&tokio::runtime::Runtime> {
    if runtime.is_none() {
        *runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| tracing::warn!("memory search by meaning is off: {e}"))
            .ok();
    }
    runtime.as_ref()
}

async fn recv_committed(
    rx: &mut Option<broadcast::Receiver<Committed>>,
) -> Result<Committed, broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Log pages and catch-up reads, on a thread with its own connection.
fn spawn_query_thread(
    db: &Path,
    busy_timeout: Duration,
    embedder: Option<crate::core::memory::Embedder>,
    inbox: mpsc::Sender<Inbox>,
) -> std::io::Result<std_mpsc::Sender<Query>> {
    let (tx, rx) = std_mpsc::channel::<Query>();
    let db = db.to_path_buf();
    std::thread::Builder::new()
        .name("warroom-query".into())
        .spawn(move || {
            let Some(reader) = open_reader(&db, busy_timeout, &inbox) else {
                return;
            };
            // Made on the first search by meaning: the embeddings call is async HTTP.
            let mut runtime: Option<tokio::runtime::Runtime> = None;
            while let Ok(query) = rx.recv() {
                let reply = match query {
                    Query::LogPage(request) => reader
                        .log_lines(request.run, request.filter, request.before, request.limit)
                        .map(|page| Inbox::LogPage(request, page)),
                    Query::CatchUp(after) => catch_up(&reader, after),
                    Query::Memory(query) => {
                        let semantic = embedder
                            .as_ref()
                            .filter(|_| !query.text.trim().is_empty())
                            .and_then(|e| embeddings_runtime(&mut runtime).map(|rt| (e, rt)));
                        let found = match semantic {
                            Some((embedder, rt)) => super::memory_search::answer_semantic(
                                &db,
                                busy_timeout,
                                embedder,
                                rt,
                                query.clone(),
                            ),
                            None => super::memory_search::answer(&reader, query.clone()),
                        };
                        Ok(match found {
                            Ok(found) => Inbox::MemoryFound(found),
                            Err(e) => Inbox::MemoryFailed(query, e.to_string()),
                        })
                    }
                };
                let message = reply.unwrap_or_else(|e| Inbox::Notice(e.to_string()));
                if inbox.blocking_send(message).is_err() {
                    return;
                }
            }
        })?;
    Ok(tx)
}

/// A helper thread's own connection; a failure is told to the screen instead.
fn open_reader(db: &Path, busy_timeout: Duration, inbox: &mpsc::Sender<Inbox>) -> Option<Reader> {
    Reader::open(db, busy_timeout)
        .inspect_err(|e| {
            let _ = inbox.blocking_send(Inbox::Notice(e.to_string()));
        })
        .ok()
}

fn catch_up(reader: &Reader, mut after: EventId) -> Result<Inbox, crate::store::StoreError> {
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    loop {
        let page = reader.events_after(None, after, TAIL_MAX)?;
        let full = page.records.len() + page.skipped.len() == TAIL_MAX;
        records.extend(page.records);
        skipped.extend(page.skipped);
        match page.last_id {
            Some(last) if full => after = last,
            _ => return Ok(Inbox::CaughtUp(records, skipped)),
        }
    }
}

/// Follows the file for a viewer and watches the owner lock.
fn spawn_tail_thread(
    db: &Path,
    busy_timeout: Duration,
    lock: PathBuf,
    poll: Duration,
    after: EventId,
    inbox: mpsc::Sender<Inbox>,
) -> std::io::Result<()> {
    let db = db.to_path_buf();
    std::thread::Builder::new()
        .name("warroom-tail".into())
        .spawn(move || {
            let Some(reader) = open_reader(&db, busy_timeout, &inbox) else {
                return;
            };
            let mut tail = Tail::new(reader, after, poll);
            if let Some(why) = tail.degraded.clone() {
                let _ = inbox.blocking_send(Inbox::Notice(why));
            }
            let mut owner = probe_owner(&lock);
            loop {
                let message = match tail.wait(TAIL_MAX) {
                    Ok(read) => {
                        if read.polled {
                            let now = probe_owner(&lock);
                            if !same_owner(now, owner) {
                                owner = now;
                                if inbox.blocking_send(Inbox::Owner(now)).is_err() {
                                    return;
                                }
                            }
                        }
                        if read.page.records.is_empty() && read.page.skipped.is_empty() {
                            continue;
                        }
                        Inbox::Records(read.page.records, read.page.skipped)
                    }
                    Err(e) => Inbox::Notice(e.to_string()),
                };
                if inbox.blocking_send(message).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Heartbeat ages change all the time; news is a different pid, the owner leaving, or an
/// owner whose heartbeat has gone silent (more than 10 s), counted in whole seconds.
fn same_owner(a: OwnerState, b: OwnerState) -> bool {
    let silent = |age: i64| if age > 10_000 { age / 1000 } else { 0 };
    match (a, b) {
        (OwnerState::NoOwner, OwnerState::NoOwner) => true,
        (
            OwnerState::Alive {
                pid: x,
                heartbeat_age_ms: ax,
            },
            OwnerState::Alive {
                pid: y,
                heartbeat_age_ms: ay,
            },
        ) => x == y && silent(ax) == silent(ay),
        _ => false,
    }
}
