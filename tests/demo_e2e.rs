//! `warroom demo` end to end in a real terminal (tmux): with no model configured or answering,
//! the demo copies its project into a fresh git repository under TMPDIR, says in chat that it
//! replays the bundled recording, and the whole team runs on it: the observer detects the
//! tests, the verifier runs them, the analyst's recorded edits are applied for real in the
//! worktree and judged by the real tests, and the person approves the apply with `a`.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{TempRepo, Tmux, warroom};

/// Long enough for a whole replayed run on a busy 2-core machine; no timing is asserted.
const RUN: Duration = Duration::from_secs(120);

#[test]
fn the_demo_replays_its_recording_and_the_apply_is_approved_with_a_key() {
    let repo = TempRepo::new();
    let (tmp, env) = repo.demo_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tmux = Tmux::start("demo", 120, 40, &repo.repo, &env);
    tmux.type_text(&format!("{} demo", warroom()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("REPLAY", RUN);
    let screen = tmux
        .wait_until(RUN, |s| s.contains("a approve") || s.contains("blocked"))
        .unwrap_or_else(|s| panic!("the replayed run neither asked nor stopped:\n{s}"));
    assert!(
        screen.contains("a approve"),
        "the recorded run reaches a verified patch:\n{screen}"
    );
    tmux.keys(&["a"]);
    tmux.wait_until(RUN, |s| s.contains("done"))
        .unwrap_or_else(|s| panic!("the approved patch was not applied:\n{s}"));
    tmux.keys(&["q"]);
    tmux.wait_for("the demo project stays in", RUN);

    // The project is fixed in the person's (the demo's) working tree.
    let demo = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("warroom-demo-"))
        })
        .expect("the demo folder");
    support::assert_demo_fixed(&demo);
}
