//! Target 4: with nothing happening, no redraws and ~0 % CPU over 10 s.
//!
//! The real binary runs in a 120x40 pane of a private tmux server. Once its first frame is on
//! screen and a settling second has passed, `tmux pipe-pane -o 'cat >> FILE'` copies everything
//! the program writes to the terminal into FILE for the window (0 bytes = no redraw). CPU is
//! read before and after: utime+stime of the whole process from `/proc/<pid>/stat` (clock
//! ticks, 10 ms each), and, finer, the nanoseconds on a CPU of every thread from
//! `/proc/<pid>/task/*/schedstat`, which gives the CPU % judged; context switches per thread
//! show what wakes up. Cases:
//!
//! - watch, finished run (the target): `warroom watch` on a finished synthetic run, no owner;
//! - watch, no run: an empty database;
//! - owner, finished run: `warroom` itself (its core polls the commands table every 500 ms and
//!   the lock heartbeat is rewritten every 2 s);
//! - watch, active run (not a target): a run still working shows its elapsed time, which is
//!   expected to redraw once a second.

use std::path::Path;
use std::time::{Duration, Instant};

use warroom::synth::Scenario;

mod common;
use common::{Res, Tmux, banner, cpu_ticks, size, threads, verdict};

/// Above this much CPU the idle loop is not "~0 %".
const TARGET_CPU_PERCENT: f64 = 0.5;

fn main() -> Res<()> {
    if common::skip_unless_bench("idle") {
        return Ok(());
    }
    banner("idle");
    let window = Duration::from_secs(size(10, 2));
    let scenario = Scenario {
        agents: 20,
        tasks: 200,
        events: 20_000,
        seed: 7,
    };
    let finished = common::cached_repo(scenario, true)?;
    let active = common::cached_repo(scenario, false)?;
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let empty = scratch.path().join("empty");
    common::empty_repo(&empty)?;
    let owner = scratch.path().join("owner");
    common::copy_repo(&finished, &owner)?;
    let bin = common::warroom_bin();
    println!(
        "window {} s per case; clock ticks of {} ms; {}",
        window.as_secs(),
        1000 / common::ticks_per_second(),
        common::machine()
    );
    let tmux = Tmux::start(120, 40)?;
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let (finished, active, empty, owner) =
        (path(&finished), path(&active), path(&empty), path(&owner));
    let cases: [(&str, Vec<&str>, &str, bool); 4] = [
        (
            "watch, finished run",
            vec![bin, "watch", "--repo", &finished],
            "run 1",
            true,
        ),
        (
            "watch, no run",
            vec![bin, "watch", "--repo", &empty],
            "no run",
            true,
        ),
        (
            "owner, finished run",
            vec![bin, "--repo", &owner],
            "run 1",
            true,
        ),
        (
            "watch, active run",
            vec![bin, "watch", "--repo", &active],
            "run 1",
            false,
        ),
    ];
    println!();
    println!(
        "{:<22} {:>8} {:>10} {:>8} {:>10} {:>10} {:>9}  target: 0 bytes, CPU <= {TARGET_CPU_PERCENT} %",
        "case", "bytes", "CPU ticks", "CPU %", "CPU ms", "wakeups/s", "verdict"
    );
    let mut all_ok = true;
    for (name, argv, ready, judged) in &cases {
        tmux.stop_pane()?;
        let started = Instant::now();
        tmux.respawn(argv)?;
        tmux.wait_for(ready, started, Duration::from_secs(20))?;
        std::thread::sleep(Duration::from_secs(1));
        let pid = tmux.pane_pid()?;
        let out = scratch
            .path()
            .join(format!("pipe-{}", name.replace([' ', ','], "_")));
        std::fs::write(&out, b"")?;
        let before = cpu_ticks(pid)?;
        let threads_before = threads(pid)?;
        let opened = Instant::now();
        tmux.run(&[
            "pipe-pane",
            "-o",
            "-t",
            "bench",
            &format!("cat >> '{}'", out.display()),
        ])?;
        std::thread::sleep(window);
        tmux.run(&["pipe-pane", "-t", "bench"])?;
        let after = cpu_ticks(pid)?;
        let threads_after = threads(pid)?;
        let seconds = opened.elapsed().as_secs_f64();
        // Let the closed pipe's `cat` write out what it holds.
        std::thread::sleep(Duration::from_millis(200));
        let bytes = std::fs::metadata(&out)?.len();
        let ticks = after - before;
        // Per thread: (name, CPU ns, switches) over the window.
        let per_thread: Vec<(String, u64, u64)> = threads_after
            .iter()
            .map(|(name, ns, sw)| {
                let (ns0, sw0) = threads_before
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .map_or((0, 0), |(_, ns0, sw0)| (*ns0, *sw0));
                (name.clone(), ns.saturating_sub(ns0), sw.saturating_sub(sw0))
            })
            .collect();
        let cpu_ns: u64 = per_thread.iter().map(|t| t.1).sum();
        let switches: u64 = per_thread.iter().map(|t| t.2).sum();
        let cpu_ms = cpu_ns as f64 / 1e6;
        let cpu = cpu_ms / 1000.0 / seconds * 100.0;
        let wakeups = switches as f64 / seconds;
        let ok = bytes == 0 && cpu <= TARGET_CPU_PERCENT;
        if *judged {
            all_ok &= ok;
        }
        println!(
            "{name:<22} {bytes:>8} {ticks:>10} {cpu:>8.3} {cpu_ms:>10.1} {wakeups:>10.1} {:>9}",
            if *judged { verdict(ok) } else { "(info)" }
        );
        let busy: Vec<String> = per_thread
            .iter()
            .filter(|t| t.2 > 0)
            .map(|(n, ns, sw)| {
                format!(
                    "{n}: {:.1} ms, {:.1}/s",
                    *ns as f64 / 1e6,
                    *sw as f64 / seconds
                )
            })
            .collect();
        println!("    threads that woke: {}", busy.join("; "));
    }
    tmux.stop_pane()?;
    println!();
    println!(
        "idle target (finished run or no run, watch and owner): {}",
        verdict(all_ok)
    );
    Ok(())
}
