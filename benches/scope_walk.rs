//! Target: `tools::search::scope_walk` over a 100,000-file tree takes at most 1.5x the time of
//! `rg --files` on the same tree, in the same run.
//!
//! The tree (built once per run under cargo's target/tmp, then `git init`ed so that ripgrep
//! honours `.gitignore` as well): 60 % source files of several languages in nested folders,
//! 25 % under `target/` and `node_modules/` (both in `.gitignore`), 15 % files that are not
//! source (images, logs, lock files), plus a few hidden folders. Each round times one
//! `scope_walk` (parallel walk, ignore rules, extension filter, paths collected) and one
//! `rg --files` (Debian's ripgrep, a process writing every path to a pipe), alternating which
//! goes first; one round of each is run before measuring, so both see a warm page cache.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use warroom::core::tools::search::scope_walk;

mod common;
use common::{Res, banner, ms, size, verdict};

const TARGET_RATIO: f64 = 1.5;
const RG: &str = "/usr/bin/rg";

fn main() -> Res<()> {
    if common::skip_unless_bench("scope_walk") {
        return Ok(());
    }
    banner("scope_walk");
    if !Path::new(RG).exists() {
        println!(
            "scope_walk: skipped; ripgrep is not installed at {RG} (Debian package `ripgrep`)"
        );
        return Ok(());
    }
    let files = size(100_000, 20_000);
    let rounds = size(9, 3);
    println!("{files} files, {rounds} rounds; {}", common::machine());
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let root = dir.path();
    let started = Instant::now();
    let (source, ignored, other) = build_tree(root, files)?;
    println!(
        "tree built in {:.1} s: {source} source, {ignored} ignored (target/, node_modules/), {other} other",
        started.elapsed().as_secs_f64()
    );

    // Warm-up, and the counts.
    let found = scope_walk(root).len();
    let listed = rg_files(root)?;
    println!("scope_walk finds {found} files; rg --files lists {listed}");
    if found != source {
        return Err(
            format!("scope_walk found {found} files, the tree has {source} in scope").into(),
        );
    }

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..rounds {
        let (a, b) = if round % 2 == 0 {
            let a = time(|| scope_walk(root).len());
            (a, time_rg(root)?)
        } else {
            let b = time_rg(root)?;
            (time(|| scope_walk(root).len()), b)
        };
        ours.push(a);
        theirs.push(b);
    }
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64().max(1e-9);
    println!("{:<28} {:>12}", "median of rounds", "ms");
    println!("{:<28} {:>12}", "scope_walk", ms(ours));
    println!("{:<28} {:>12}", "rg --files", ms(theirs));
    println!(
        "ratio scope_walk / rg: {ratio:.2} (target <= {TARGET_RATIO}) {}",
        verdict(ratio <= TARGET_RATIO)
    );
    Ok(())
}

/// Writes the tree; returns (in-scope files, files under ignored folders, other files).
fn build_tree(root: &Path, total: usize) -> Res<(usize, usize, usize)> {
    let status = Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Err("git init failed".into());
    }
    std::fs::write(root.join(".gitignore"), "target/\nnode_modules/\n*.log\n")?;
    let source_ext = [
        "rs", "py", "ts", "go", "c", "java", "rb", "sh", "toml", "md",
    ];
    let other_ext = ["png", "txt", "lock", "bin", "svg"];
    let (mut source, mut ignored, mut other) = (0, 0, 0);
    for i in 0..total {
        let kind = i % 20;
        let (path, text) = if kind < 12 {
            source += 1;
            let ext = source_ext[i % source_ext.len()];
            let dir = format!("src/m{}/s{}", i % 37, (i / 37) % 23);
            (format!("{dir}/f{i}.{ext}"), "fn x() {}\n")
        } else if kind < 17 {
            ignored += 1;
            let top = if kind % 2 == 0 {
                "target/debug/deps"
            } else {
                "node_modules"
            };
            (
                format!("{top}/p{}/q{}/f{i}.js", i % 41, (i / 41) % 11),
                "x\n",
            )
        } else {
            // Other files, some hidden folders and logs (ignored by pattern) among them.
            other += 1;
            match i % 3 {
                0 => (
                    format!("assets/a{}/f{i}.{}", i % 29, other_ext[i % other_ext.len()]),
                    "x",
                ),
                1 => (format!(".cache/c{}/f{i}.rs", i % 13), "x"),
                _ => (format!("logs/l{}/f{i}.log", i % 7), "x"),
            }
        };
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
    }
    // `.gitignore` is hidden (so out of scope); no other top-level files are added.
    Ok((source, ignored, other))
}

fn time(f: impl FnOnce() -> usize) -> Duration {
    let started = Instant::now();
    std::hint::black_box(f());
    started.elapsed()
}

fn time_rg(root: &Path) -> Res<Duration> {
    let started = Instant::now();
    rg_files(root)?;
    Ok(started.elapsed())
}

/// Runs `rg --files` on `root`; returns how many paths it printed.
fn rg_files(root: &Path) -> Res<usize> {
    let out = Command::new(RG)
        .arg("--files")
        .arg(root)
        .env_remove("RIPGREP_CONFIG_PATH")
        .stderr(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(format!("rg --files exited with {}", out.status).into());
    }
    Ok(out.stdout.iter().filter(|&&b| b == b'\n').count())
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}
