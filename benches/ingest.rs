//! Target 1: event ingest through the store actor against raw rusqlite inserts of the same
//! rows into the same `events` table, in one run.
//!
//! - actor: `Store::append` of every event from a tokio task, then `Store::flush`. Includes
//!   the channel hand-off, the writer's JSON serialisation, id assignment, the inserts in
//!   batches of `batch_max_events` (2048) per transaction, the projection updates for state
//!   events, and the broadcast of each committed batch.
//! - raw: one prepared `INSERT INTO events(id, run_id, at, kind, agent, level, body)` per
//!   event inside one transaction, with the per-event work the actor does that is not actor
//!   overhead: `Millis::now()`, `serde_json::to_string(&event)`, `kind()`, `agent()`,
//!   `log_level()`. No projections, no channel, no broadcast.
//! - raw/2048: the same, committed every 2048 rows like the actor (for the reader's analysis).
//! - actor/65536: the actor with `batch_max_events = 65536` (for the reader's analysis: how
//!   much of the gap is transaction size rather than the actor).
//!
//! Each side writes into its own fresh database with warroom's real schema (opened once by
//! `OwnedStore`, so the migrations are the real ones) in WAL mode with `synchronous=NORMAL`,
//! as the store sets them. Events are generated before the clock starts.

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use warroom::paths::RepoPaths;
use warroom::protocol::{Event, Millis};
use warroom::store::{OwnedStore, StoreOptions};
use warroom::synth::{Generator, Scenario};

mod common;
use common::{Res, banner, size, verdict};

const TARGET_RATIO: f64 = 0.50;
const TARGET_RATE: f64 = 200_000.0;

fn main() -> Res<()> {
    if common::skip_unless_bench("ingest") {
        return Ok(());
    }
    banner("ingest");
    let scenario = Scenario {
        agents: 50,
        tasks: 1_000,
        events: size(500_000, 50_000),
        seed: 7,
    };
    let events: Vec<Event> = Generator::new(scenario).collect();
    let rounds = size(3, 1);
    println!(
        "{} events per side (synth mix: agents {}, tasks {}), {rounds} alternating rounds; {}",
        events.len(),
        scenario.agents,
        scenario.tasks,
        common::machine()
    );
    let mut actor = Vec::new();
    let mut raw = Vec::new();
    let mut raw_batched = Vec::new();
    let mut actor_big = Vec::new();
    let big = StoreOptions {
        batch_max_events: 65_536,
        ..StoreOptions::default()
    };
    for _ in 0..rounds {
        actor.push(actor_round(events.clone(), StoreOptions::default())?);
        raw.push(raw_round(&events, usize::MAX)?);
        raw_batched.push(raw_round(&events, 2048)?);
        actor_big.push(actor_round(events.clone(), big)?);
    }
    let rate = |d: Duration| events.len() as f64 / d.as_secs_f64();
    let median = |v: &mut Vec<Duration>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let (a, r, rb, ab) = (
        median(&mut actor),
        median(&mut raw),
        median(&mut raw_batched),
        median(&mut actor_big),
    );
    println!();
    println!(
        "{:<34} {:>10} {:>14}",
        "side (median of rounds)", "seconds", "events/s"
    );
    for (name, d) in [
        ("actor: append + flush", a),
        ("raw: one transaction", r),
        ("raw: 2048 rows per transaction", rb),
        ("actor: batch_max_events 65536", ab),
    ] {
        println!("{name:<34} {:>10.3} {:>14.0}", d.as_secs_f64(), rate(d));
    }
    let ratio = rate(a) / rate(r);
    println!();
    println!(
        "actor / raw = {:.1} %   target >= {:.0} %   {}",
        ratio * 100.0,
        TARGET_RATIO * 100.0,
        verdict(ratio >= TARGET_RATIO)
    );
    println!(
        "actor rate  = {:.0} events/s   target >= {:.0}   {}",
        rate(a),
        TARGET_RATE,
        verdict(rate(a) >= TARGET_RATE)
    );
    println!(
        "all rounds (s): actor {:?}  raw {:?}  raw/2048 {:?}  actor/65536 {:?}",
        secs(&actor),
        secs(&raw),
        secs(&raw_batched),
        secs(&actor_big)
    );
    Ok(())
}

fn secs(v: &[Duration]) -> Vec<String> {
    v.iter()
        .map(|d| format!("{:.3}", d.as_secs_f64()))
        .collect()
}

/// Appends every event from a tokio task and flushes; timed from the first append to the
/// flush's reply.
fn actor_round(events: Vec<Event>, options: StoreOptions) -> Res<Duration> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let paths = RepoPaths::new(dir.path())?;
    let owned = OwnedStore::open(&paths, options)?;
    let runtime = common::runtime()?;
    let store = owned.store.clone();
    let elapsed = runtime.block_on(async move {
        let run = store.create_run("ingest bench", "/repo").await?;
        let task = tokio::spawn(async move {
            let started = Instant::now();
            for event in events {
                store.append(run, event).await?;
            }
            store.flush().await?;
            Ok::<_, warroom::store::StoreError>(started.elapsed())
        });
        Ok::<_, Box<dyn std::error::Error>>(task.await??)
    })?;
    drop(runtime);
    owned.close()?;
    Ok(elapsed)
}

/// The same rows with plain rusqlite; `per_tx` rows per transaction.
fn raw_round(events: &[Event], per_tx: usize) -> Res<Duration> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let paths = RepoPaths::new(dir.path())?;
    // The real migrations, then our own connection set up as the store sets its own.
    OwnedStore::open(&paths, StoreOptions::default())?.close()?;
    let mut conn = Connection::open(&paths.db)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute(
        "INSERT INTO runs(id, goal, repo, state, started_at) VALUES (1, 'ingest bench', '/repo', 'planning', ?1)",
        params![Millis::now().0],
    )?;
    let started = Instant::now();
    for (n, chunk) in events.chunks(per_tx.min(events.len()).max(1)).enumerate() {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events(id, run_id, at, kind, agent, level, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let base = n * per_tx.min(events.len());
            for (i, event) in chunk.iter().enumerate() {
                let at = Millis::now();
                let body = serde_json::to_string(event)?;
                insert.execute(params![
                    (base + i + 2) as i64,
                    1i64,
                    at.0,
                    event.kind(),
                    event.agent().map(|a| a.0),
                    event.log_level().map(|l| l.as_i64()),
                    body,
                ])?;
            }
        }
        tx.commit()?;
    }
    Ok(started.elapsed())
}
