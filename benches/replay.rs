//! Issue 6: `warroom replay` over the 1,000,000-event run: how long listing its event ids
//! takes, the first position (event 1), jumping to the end (every event folded once, the
//! checkpoints taken on the way), and then, from random positions, one step back (←), 100 back
//! (PgUp), one step forward (→) and Home. A step back restores the nearest checkpoint and
//! refolds at most `CHECKPOINT_EVERY` events, read from the real database. No target in the
//! issue; the numbers go to docs/benchmarks.md. A person feels 100 ms; that is the line drawn.

use std::time::{Duration, Instant};

mod common;
use common::{Res, Stats, banner, ms, size};
use warroom::cli::replay::StoreSource;
use warroom::store::Reader;
use warroom::synth::Rng;
use warroom::ui::replay::{CHECKPOINT_EVERY, Replay};
use warroom::ui::views::RunView;

const FELT: Duration = Duration::from_millis(100);

fn main() -> Res<()> {
    if common::skip_unless_bench("replay") {
        return Ok(());
    }
    banner("replay");
    let repo = common::cached_repo(common::big_scenario(), true)?;
    let db = repo.join(".warroom/state.db");
    println!("database {}; {}", db.display(), common::machine());
    let reader = Reader::open(&db, Duration::from_secs(5))?;
    let run = reader
        .latest_run()?
        .ok_or("the cached database holds no run")?
        .id;

    let started = Instant::now();
    let ids = reader.event_ids(run)?;
    let listed = started.elapsed();
    let total = ids.len();
    println!("event ids of run {run}: {total} in {} ms", ms(listed));

    let mut view = RunView::for_run(run, 2000);
    let mut replay = Replay::new(StoreSource::new(reader, run), run, ids, 2000);
    let started = Instant::now();
    replay.seek(1, &mut view)?;
    println!("first position (event 1): {} ms", ms(started.elapsed()));
    let started = Instant::now();
    replay.seek(usize::MAX, &mut view)?;
    let to_end = started.elapsed();
    println!(
        "End (fold all {total} events, {} checkpoints every {CHECKPOINT_EVERY}): {} ms",
        replay.checkpoints(),
        ms(to_end)
    );

    let trials = size(50, 10);
    let mut rng = Rng(11);
    let mut back = Vec::new();
    let mut page_back = Vec::new();
    let mut forward = Vec::new();
    let mut home = Vec::new();
    for _ in 0..trials {
        let at = 200 + rng.below(total as u64 - 400) as usize;
        replay.seek(at, &mut view)?;
        let t = Instant::now();
        replay.step(-1, &mut view)?;
        back.push(t.elapsed());
        let t = Instant::now();
        replay.step(-100, &mut view)?;
        page_back.push(t.elapsed());
        let t = Instant::now();
        replay.step(1, &mut view)?;
        forward.push(t.elapsed());
        let t = Instant::now();
        replay.seek(1, &mut view)?;
        home.push(t.elapsed());
    }
    for (name, samples) in [
        ("← one back", &back),
        ("PgUp 100 back", &page_back),
        ("→ one forward", &forward),
        ("Home", &home),
    ] {
        let s = Stats::of(samples);
        println!(
            "{name}: n={} p50 {} ms, p99 {} ms, max {} ms ({} under {} ms)",
            s.n,
            ms(s.p50),
            ms(s.p99),
            ms(s.max),
            if s.p99 <= FELT {
                "felt as instant:"
            } else {
                "NOT"
            },
            FELT.as_millis()
        );
    }
    Ok(())
}
