//! End to end: `warroom replay RUN` in a real terminal (tmux) on a real database written
//! through the store (a synthetic run of a few hundred events): the position bar moves
//! forward and back with →, ←, PgDn, End and Home, q leaves the shell clean; an unknown run is
//! a readable error that names it and `warroom runs`.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{TempRepo, Tmux, warroom};
use warroom::paths::RepoPaths;
use warroom::store::{OwnedStore, Reader, StoreOptions};
use warroom::synth::{Scenario, write_run};
use warroom::ui::replay_run::thousands as grouped;

const LONG: Duration = Duration::from_secs(15);

/// A repository whose database holds one finished synthetic run; its id and event count.
fn recorded(repo: &TempRepo) -> (i64, usize) {
    let paths = RepoPaths::new(&repo.repo).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scenario = Scenario {
        agents: 5,
        tasks: 10,
        events: 400,
        seed: 7,
    };
    let run = rt
        .block_on(write_run(&owned.store, "fix parse_dates", scenario))
        .unwrap();
    owned.close().unwrap();
    let reader = Reader::open(&paths.db, Duration::from_secs(5)).unwrap();
    let count = reader.event_ids(run).unwrap().len();
    (run.0, count)
}

#[test]
fn replay_steps_forward_and_back_and_quits_cleanly() {
    let repo = TempRepo::new();
    let (run, count) = recorded(&repo);
    assert!(count > 200, "{count} events");
    let of = grouped(count);
    let env = repo.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tmux = Tmux::start("replay", 120, 40, &repo.repo, &env);
    tmux.type_text(&format!("{} replay {run}", warroom()));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&format!("event 1 of {of}"), LONG);
    assert!(screen.contains("replay, read-only"), "{screen}");
    tmux.keys(&["Right"]);
    tmux.wait_for(&format!("event 2 of {of}"), LONG);
    tmux.keys(&["PageDown"]);
    tmux.wait_for(&format!("event 102 of {of}"), LONG);
    tmux.keys(&["Left"]);
    tmux.wait_for(&format!("event 101 of {of}"), LONG);
    tmux.keys(&["End"]);
    let end = tmux.wait_for(&format!("event {of} of {of}"), LONG);
    assert!(end.contains("planner"), "the family tree is shown:\n{end}");
    tmux.keys(&["PageUp"]);
    tmux.wait_for(&format!("event {} of {of}", grouped(count - 100)), LONG);
    tmux.keys(&["Home"]);
    tmux.wait_for(&format!("event 1 of {of}"), LONG);
    tmux.keys(&["q"]);
    tmux.wait_for("PROMPT$", LONG);
    let alternate = tmux.run(&[
        "display-message",
        "-p",
        "-t",
        &tmux.session,
        "#{alternate_on}",
    ]);
    assert_eq!(alternate.trim(), "0", "alternate screen left");
}

#[test]
fn an_unknown_run_is_named_with_the_way_to_list_runs() {
    let repo = TempRepo::new();
    let (run, _) = recorded(&repo);
    let missing = run + 41;
    let out = repo
        .command(&["replay", &missing.to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("there is no run {missing}")) && stderr.contains("warroom runs"),
        "{stderr}"
    );
}

/// In replay the logs pane copies the line in focus to the clipboard: the raw output of the pane
/// (tmux `pipe-pane`) holds the OSC 52 sequence, wrapped for tmux's passthrough.
#[test]
fn replay_copies_a_log_line_with_osc_52() {
    let repo = TempRepo::new();
    let (run, count) = recorded(&repo);
    let of = grouped(count);
    let env = repo.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tmux = Tmux::start("copy", 120, 40, &repo.repo, &env);
    let raw = repo.dir.path().join("raw.out");
    tmux.run(&[
        "pipe-pane",
        "-t",
        &tmux.session,
        "-o",
        &format!("cat >> '{}'", raw.display()),
    ]);
    tmux.type_text(&format!("{} replay {run}", warroom()));
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("event 1 of {of}"), LONG);
    tmux.keys(&["End"]);
    tmux.wait_for(&format!("event {of} of {of}"), LONG);
    tmux.keys(&["3"]);
    tmux.keys(&["y"]);
    let copied = tmux
        .wait_until(LONG, |s| s.contains("copied"))
        .unwrap_or_else(|s| panic!("no copy was reported:\n{s}"));
    tmux.keys(&["q"]);
    tmux.wait_for("PROMPT$", LONG);
    let bytes = std::fs::read(&raw).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("\u{1b}Ptmux;\u{1b}\u{1b}]52;c;"),
        "no OSC 52 in the pane's raw output ({} bytes); screen:\n{copied}",
        bytes.len()
    );
}
