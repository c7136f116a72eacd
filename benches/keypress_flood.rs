//! Keypress -> frame while a synthetic run floods the log: a thread appends 20,000 log lines
//! per second (plain lines, tool output with ANSI colours, streamed model deltas of four
//! agents) into a real store (`OwnedStore`, its batched writer and SQLite file), while the
//! screen, as the run loop does, folds every committed batch from `Store::subscribe` (catching
//! up from the file with a `Reader` when the broadcast lags), draws at most once per 16 ms
//! frame on a 120x40 `TestBackend`, and takes a key every 50 ms in the zoomed logs pane
//! (scrolling, paging, search with `n`/`N`, level/kind filters, wrap, times, select and copy,
//! `G`). Log pages a key asks for are read from the file as the query thread would.
//!
//! Measured: key -> frame, from the key press through folding whatever was committed
//! meanwhile to the drawn frame (target p99 <= 16 ms); and that the store holds every event
//! sent (none dropped).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::broadcast::error::TryRecvError;
use warroom::paths::RepoPaths;
use warroom::protocol::{
    AgentId, Event, EventId, LlmCallId, LogLevel, OutputStream, Record, RunId, ToolCallId,
};
use warroom::store::{OwnedStore, Reader, StoreOptions};
use warroom::ui::{Action, App, Mode, UiOptions};

mod common;
use common::{Res, Stats, banner, ms, size, verdict};

const TARGET: Duration = Duration::from_millis(16);
const RATE: u64 = 20_000;
const KEY_EVERY: Duration = Duration::from_millis(50);
const FRAME: Duration = Duration::from_millis(16);

fn main() -> Res<()> {
    if common::skip_unless_bench("keypress_flood") {
        return Ok(());
    }
    banner("keypress_flood");
    println!("{}", common::machine());
    let seconds = size(15u64, 3);
    let dir = tempfile::tempdir()?;
    let paths = RepoPaths::new(dir.path())?;
    let owned = OwnedStore::open(&paths, StoreOptions::default())?;
    let store = owned.store.clone();
    let run = common::runtime()?.block_on(store.create_run("flood the logs", "/bench"))?;
    let reader = Reader::open(&paths.db, Duration::from_secs(5))?;
    let mut committed = store.subscribe();

    let mut app = App::new(Mode::Owner, UiOptions::default());
    app.load(reader.snapshot(run, UiOptions::default().log_window)?);
    let mut terminal = Terminal::new(TestBackend::new(120, 40))?;
    app.on_key(ch('3'));
    app.on_key(ch('z'));
    terminal.draw(|f| app.render(f))?;

    let sent = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let flood = {
        let (store, sent, done) = (store.clone(), sent.clone(), done.clone());
        std::thread::spawn(move || -> Result<(), String> {
            let start = Instant::now();
            let total = RATE * seconds;
            let mut n = 0u64;
            while n < total {
                let due = (start.elapsed().as_secs_f64() * RATE as f64) as u64;
                while n < due.min(total) {
                    store
                        .append_blocking(run, event(n))
                        .map_err(|e| e.to_string())?;
                    n += 1;
                    sent.store(n, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            store.flush_blocking().map_err(|e| e.to_string())?;
            done.store(true, Ordering::Release);
            Ok(())
        })
    };

    let keys = key_plan();
    let mut last = EventId(0);
    let mut samples = Vec::new();
    let mut frames = 0u64;
    let mut lagged = 0u64;
    let mut pages = 0u64;
    let mut next_key = Instant::now() + KEY_EVERY;
    let mut last_draw = Instant::now();
    let started = Instant::now();
    loop {
        let finished = done.load(Ordering::Acquire);
        lagged += fold(&mut app, &mut committed, &reader, run, &mut last)?;
        if Instant::now() >= next_key && !finished {
            let key = keys[samples.len() % keys.len()];
            let t = Instant::now();
            let actions = app.on_key(key);
            lagged += fold(&mut app, &mut committed, &reader, run, &mut last)?;
            terminal.draw(|f| app.render(f))?;
            app.mark_drawn();
            samples.push(t.elapsed());
            last_draw = Instant::now();
            // The query thread answers after the frame; its page shows in a later frame.
            pages += answer(&mut app, &reader, actions)?;
            next_key += KEY_EVERY;
        } else if app.needs_redraw() && last_draw.elapsed() >= FRAME {
            terminal.draw(|f| app.render(f))?;
            app.mark_drawn();
            frames += 1;
            last_draw = Instant::now();
        }
        if finished && last.0 > sent.load(Ordering::Relaxed) as i64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    flood.join().map_err(|_| "the flood thread panicked")??;
    let elapsed = started.elapsed();
    let sent = sent.load(Ordering::Relaxed);
    let mut stored = 0u64;
    let mut after = EventId(0);
    loop {
        let page = reader.events_after(Some(run), after, 50_000)?;
        let Some(newest) = page.records.last() else {
            break;
        };
        after = newest.id;
        stored += page.records.len() as u64;
    }
    drop(owned);
    let stats = Stats::of(&samples);
    println!(
        "flood: {sent} events in {:.1} s ({:.0}/s, target {RATE}/s); store holds {stored} of {} (run start included): {} dropped",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64(),
        sent + 1,
        (sent + 1).saturating_sub(stored)
    );
    println!(
        "screen: {} keys, {frames} other frames, {pages} log pages read, {lagged} broadcast lags caught up from the file",
        samples.len()
    );
    println!(
        "key -> frame at 120x40: p50 {} ms  p99 {} ms  max {} ms  mean {} ms  target p99 <= {} ms  {}",
        ms(stats.p50),
        ms(stats.p99),
        ms(stats.max),
        ms(stats.mean),
        ms(TARGET),
        verdict(stats.p99 <= TARGET)
    );
    println!("no event dropped: {}", verdict(stored == sent + 1));
    Ok(())
}

/// Folds every batch committed so far; returns 1 when the broadcast lagged (then the missed
/// records are read from the file, as the run loop's catch-up does).
fn fold(
    app: &mut App,
    rx: &mut tokio::sync::broadcast::Receiver<Arc<[Record]>>,
    reader: &Reader,
    run: RunId,
    last: &mut EventId,
) -> Res<u64> {
    let mut lagged = 0;
    loop {
        match rx.try_recv() {
            Ok(batch) => apply_new(app, &batch, last),
            Err(TryRecvError::Lagged(_)) => {
                lagged = 1;
                loop {
                    let page = reader.events_after(Some(run), *last, 5_000)?;
                    if page.records.is_empty() {
                        break;
                    }
                    apply_new(app, &page.records, last);
                }
            }
            Err(TryRecvError::Empty | TryRecvError::Closed) => return Ok(lagged),
        }
    }
}

fn apply_new(app: &mut App, records: &[Record], last: &mut EventId) {
    let start = records.partition_point(|r| r.id <= *last);
    if let Some(newest) = records[start..].last() {
        app.apply(&records[start..]);
        *last = newest.id;
    }
}

/// Reads the log pages the App asked for, and any a search asks for next.
fn answer(app: &mut App, reader: &Reader, actions: Vec<Action>) -> Res<u64> {
    let mut pending: Vec<_> = actions
        .into_iter()
        .filter_map(|a| match a {
            Action::FetchLogs(r) => Some(r),
            _ => None,
        })
        .collect();
    let mut pages = 0;
    while let Some(request) = pending.pop() {
        let page = reader.log_lines(request.run, request.filter, request.before, request.limit)?;
        app.on_log_page(request, page);
        pages += 1;
        pending.extend(app.take_log_fetches());
    }
    let _ = app.take_copy();
    Ok(pages)
}

/// The n-th event of the flood: plain lines, coloured tool output, model tokens.
fn event(n: u64) -> Event {
    let agent = AgentId(1 + (n % 4) as u32);
    match n % 10 {
        0..=6 => Event::LogLine {
            agent: Some(agent),
            level: if n % 97 == 0 {
                LogLevel::Error
            } else {
                LogLevel::Info
            },
            text: format!(
                "step {n}: compiling crate {} of 240, {} warnings",
                n % 240,
                n % 7
            ),
        },
        7 | 8 => Event::ToolOutputDelta {
            call: ToolCallId((n / 100) as u32),
            agent,
            stream: OutputStream::Stdout,
            text: format!("test case_{n} ... \u{1b}[32mok\u{1b}[0m ({} ms)", n % 50),
        },
        _ => Event::LlmDelta {
            call: LlmCallId((n / 1000) as u32 * 4 + agent.0),
            agent,
            text: format!("token{n} "),
        },
    }
}

/// The keys pressed in turn, one every 50 ms.
fn key_plan() -> Vec<KeyEvent> {
    let mut keys = vec![
        ch('k'),
        ch('k'),
        named(KeyCode::PageUp),
        named(KeyCode::PageUp),
        ch('j'),
        named(KeyCode::PageDown),
        ch('G'),
        ch('/'),
    ];
    keys.extend("case_1".chars().map(ch));
    keys.extend([
        named(KeyCode::Enter),
        ch('n'),
        ch('n'),
        ch('N'),
        ch('G'),
        ch('l'),
        ch('l'),
        ch('l'),
        ch('l'),
        ch('f'),
        ch('f'),
        ch('f'),
        ch('f'),
        ch('f'),
        ch('w'),
        ch('k'),
        ch('w'),
        ch('t'),
        ch('t'),
        ch('v'),
        ch('k'),
        ch('k'),
        ch('v'),
        ch('y'),
        ch('g'),
        ch('G'),
    ]);
    keys
}

fn ch(c: char) -> KeyEvent {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), modifiers)
}

fn named(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}
