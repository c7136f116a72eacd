//! Target 5: watch-mode lag, from the owner's commit to a viewer having the event: p99 <= 100
//! ms.
//!
//! In one process: an `OwnedStore` (default options: batches of up to 2048 events or 5 ms)
//! gets `LogLine` events from a producer thread at a steady rate (`append_blocking`); a
//! subscriber thread timestamps each committed batch as it arrives on `Store::subscribe()`
//! (sent right after the transaction commits), which is the commit time; a viewer thread
//! follows the file as `warroom watch` does, with `store::Tail` on its own read-only
//! `Reader` (file notifications plus the default 250 ms poll) and timestamps each event when
//! `Tail::wait` returns it. Lag = viewer time - commit time, per event. The send -> viewer
//! time (which adds the batching delay) is shown too. Rates: steady 2,000 events/s (judged),
//! 1,000 and 500 events/s (for comparison), and a trickle of one event every 200 ms (judged),
//! where the file notification of each single commit must wake the viewer.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use warroom::paths::RepoPaths;
use warroom::protocol::{Event, EventId, LogLevel};
use warroom::store::{OwnedStore, Reader, StoreOptions, Tail};

mod common;
use common::{Res, Stats, banner, ms, size, verdict};

const TARGET: Duration = Duration::from_millis(100);
/// `[watch] poll_ms` default.
const POLL: Duration = Duration::from_millis(250);

fn main() -> Res<()> {
    if common::skip_unless_bench("watch_lag") {
        return Ok(());
    }
    banner("watch_lag");
    println!(
        "poll {} ms (the default); {}",
        POLL.as_millis(),
        common::machine()
    );
    // (name, interval, events, judged against the target)
    let cases = [
        (
            "steady 2000/s",
            Duration::from_micros(500),
            size(10_000, 2_000),
            true,
        ),
        (
            "steady 1000/s",
            Duration::from_millis(1),
            size(5_000, 1_000),
            false,
        ),
        (
            "steady 500/s",
            Duration::from_millis(2),
            size(2_500, 500),
            false,
        ),
        (
            "trickle 5/s",
            Duration::from_millis(200),
            size(100, 10),
            true,
        ),
    ];
    println!();
    println!(
        "a = append_blocking, c = commit (the store's broadcast), v = the viewer's Tail returned it;\n\
         c->v is the target (p99 <= {} ms); a->c is the writer's batching; late = events with c->v over the target",
        TARGET.as_millis()
    );
    println!(
        "{:<14} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>5} {:>8}",
        "rate",
        "events",
        "batches",
        "c->v p50",
        "c->v p99",
        "c->v max",
        "a->c p50",
        "a->c p99",
        "a->v p99",
        "wakeups",
        "late",
        "verdict"
    );
    let mut all_ok = true;
    for (name, interval, count, judged) in cases {
        let r = measure(interval, count)?;
        let ok = r.lag.p99 <= TARGET;
        if judged {
            all_ok &= ok;
        }
        println!(
            "{name:<14} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>5} {:>8}",
            r.lag.n,
            r.batches,
            ms(r.lag.p50),
            ms(r.lag.p99),
            ms(r.lag.max),
            ms(r.to_commit.p50),
            ms(r.to_commit.p99),
            ms(r.send.p99),
            r.wakeups,
            r.late,
            if judged { verdict(ok) } else { "(info)" }
        );
    }
    println!();
    println!("watch lag (commit -> viewer): {}", verdict(all_ok));
    Ok(())
}

struct Result_ {
    /// Commit -> viewer (the target).
    lag: Stats,
    /// Append -> viewer.
    send: Stats,
    /// Append -> commit (the writer's batching).
    to_commit: Stats,
    batches: usize,
    wakeups: usize,
    /// Events whose commit -> viewer lag was over the target.
    late: usize,
}

fn measure(interval: Duration, count: usize) -> Res<Result_> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let paths = RepoPaths::new(dir.path())?;
    let owned = OwnedStore::open(&paths, StoreOptions::default())?;
    let store = owned.store.clone();
    let runtime = common::runtime()?;
    let run = runtime.block_on(store.create_run("watch lag bench", "/repo"))?;
    let start_id = runtime.block_on(store.flush())?;

    // Commit times, from the broadcast sent right after each commit.
    let mut committed = store.subscribe();
    let (commit_tx, commit_rx) = mpsc::channel::<(EventId, Instant)>();
    let subscriber = std::thread::spawn(move || {
        let mut seen = 0;
        let mut batches = 0usize;
        while seen < count {
            match committed.blocking_recv() {
                Ok(batch) => {
                    let now = Instant::now();
                    for record in batch.iter() {
                        let _ = commit_tx.send((record.id, now));
                    }
                    seen += batch.len();
                    batches += 1;
                }
                Err(_) => break,
            }
        }
        batches
    });

    // The viewer, as `warroom watch`'s tail thread.
    let reader = Reader::open(&paths.db, Duration::from_secs(5))?;
    let (view_tx, view_rx) = mpsc::channel::<(EventId, Instant)>();
    let viewer = std::thread::spawn(move || -> Result<usize, String> {
        let mut tail = Tail::new(reader, start_id, POLL);
        if let Some(why) = &tail.degraded {
            eprintln!("tail degraded: {why}");
        }
        let mut seen = 0;
        let mut wakeups = 0;
        let deadline = Instant::now() + Duration::from_secs(120);
        while seen < count && Instant::now() < deadline {
            let read = tail.wait(5000).map_err(|e| e.to_string())?;
            let now = Instant::now();
            wakeups += 1;
            for record in &read.page.records {
                let _ = view_tx.send((record.id, now));
            }
            seen += read.page.records.len();
        }
        Ok(wakeups)
    });

    // The owner's producer: a steady schedule, each event carrying its index.
    let started = Instant::now();
    let mut sent_at = Vec::with_capacity(count);
    for n in 0..count {
        let due = started + interval * n as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        sent_at.push(Instant::now());
        store.append_blocking(
            run,
            Event::LogLine {
                agent: None,
                level: LogLevel::Info,
                text: format!("lag probe {n}"),
            },
        )?;
    }
    let wakeups = viewer.join().map_err(|_| "viewer panicked")??;
    let batches = subscriber.join().map_err(|_| "subscriber panicked")?;
    drop(runtime);
    owned.close()?;

    let commits: HashMap<EventId, Instant> = commit_rx.try_iter().collect();
    let mut lags = Vec::with_capacity(count);
    let mut sends = Vec::with_capacity(count);
    let mut to_commit = Vec::with_capacity(count);
    for (id, seen) in view_rx.try_iter() {
        let n = (id.0 - start_id.0 - 1) as usize;
        let commit = commits.get(&id);
        let sent = sent_at.get(n);
        if let Some(commit) = commit {
            lags.push(seen.saturating_duration_since(*commit));
        }
        if let Some(sent) = sent {
            sends.push(seen.saturating_duration_since(*sent));
        }
        if let (Some(commit), Some(sent)) = (commit, sent) {
            to_commit.push(commit.saturating_duration_since(*sent));
        }
    }
    if lags.len() != count {
        return Err(format!("the viewer saw {} of {count} events", lags.len()).into());
    }
    Ok(Result_ {
        late: lags.iter().filter(|l| **l > TARGET).count(),
        lag: Stats::of(&lags),
        send: Stats::of(&sends),
        to_commit: Stats::of(&to_commit),
        batches,
        wakeups,
    })
}
