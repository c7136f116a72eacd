//! End to end: the real binary in a real terminal (tmux), driven with `send-keys` and read
//! with `capture-pane`; the owner of the watch test is this test process writing through the
//! real store.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{TempRepo, Tmux, child_pid, warroom};
use warroom::paths::RepoPaths;
use warroom::protocol::{Event, LogLevel};
use warroom::store::{OwnedStore, StoreOptions};
use warroom::synth::{Scenario, write_run};

const LONG: Duration = Duration::from_secs(15);

fn start(name: &str, w: u16, h: u16, repo: &TempRepo) -> Tmux {
    let env = repo.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Tmux::start(name, w, h, &repo.repo, &env)
}

/// The line of the screen that holds `title`.
fn line_with<'a>(screen: &'a str, title: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(title))
        .unwrap_or_else(|| panic!("no line with {title:?} in:\n{screen}"))
}

/// The focused pane is drawn with a heavy border.
fn focused(screen: &str, title: &str) -> bool {
    let line = line_with(screen, title);
    let at = line.find(title).unwrap_or(0);
    line[..at].chars().rev().find(|c| "┏┌╭".contains(*c)) == Some('┏')
}

/// The shell is back in its normal state (see `support::screen`).
fn assert_shell_is_clean(tmux: &Tmux) {
    support::screen::assert_shell_is_clean(tmux, "e2e");
}

#[test]
fn five_panes_focus_help_zoom_and_quit_leave_a_clean_prompt() {
    let repo = TempRepo::new();
    let tmux = start("panes", 120, 40, &repo);
    tmux.type_text(warroom());
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("5 Chat", LONG);
    for title in ["1 Agents", "2 Tasks", "3 Logs", "4 Memory", "5 Chat"] {
        assert!(screen.contains(title), "{title} missing:\n{screen}");
    }
    assert!(focused(&screen, "1 Agents"), "{screen}");
    tmux.keys(&["Tab"]);
    let screen = tmux
        .wait_until(LONG, |s| focused(s, "2 Tasks"))
        .unwrap_or_else(|s| panic!("{s}"));
    assert!(!focused(&screen, "1 Agents"));
    tmux.keys(&["4"]);
    tmux.wait_until(LONG, |s| focused(s, "4 Memory"))
        .unwrap_or_else(|s| panic!("{s}"));
    tmux.keys(&["BTab"]);
    tmux.wait_until(LONG, |s| focused(s, "3 Logs"))
        .unwrap_or_else(|s| panic!("{s}"));
    tmux.keys(&["?"]);
    let help = tmux.wait_for(" Help ", LONG);
    assert!(help.contains("Tab") && help.contains("quit"), "{help}");
    tmux.keys(&["Escape"]);
    tmux.wait_until(LONG, |s| !s.contains(" Help "))
        .unwrap_or_else(|s| panic!("{s}"));
    // Zoom shows only the focused pane.
    tmux.keys(&["z"]);
    let zoomed = tmux
        .wait_until(LONG, |s| !s.contains("1 Agents"))
        .unwrap_or_else(|s| panic!("{s}"));
    assert!(zoomed.contains("3 Logs"), "{zoomed}");
    tmux.keys(&["z"]);
    tmux.wait_for("1 Agents", LONG);
    // No run is active, so q quits at once.
    tmux.keys(&["q"]);
    assert_shell_is_clean(&tmux);
}

#[test]
fn a_goal_makes_a_run_and_quitting_an_active_run_asks_first() {
    let repo = TempRepo::new();
    let tmux = start("goal", 100, 30, &repo);
    tmux.type_text(warroom());
    tmux.keys(&["Enter"]);
    tmux.wait_for("5 Chat", LONG);
    tmux.keys(&["5", "i"]);
    tmux.type_text("make the tests pass");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("run 1", LONG);
    assert!(screen.contains("blocked"), "{screen}");
    tmux.keys(&["Escape", "q"]);
    let asking = tmux
        .wait_until(LONG, |s| s.contains("Quit"))
        .unwrap_or_else(|s| panic!("{s}"));
    assert!(asking.contains("y") && asking.contains("n"), "{asking}");
    tmux.keys(&["n"]);
    tmux.wait_until(LONG, |s| !s.contains("Quit"))
        .unwrap_or_else(|s| panic!("{s}"));
    tmux.keys(&["q", "y"]);
    assert_shell_is_clean(&tmux);
    let out = repo.command(&["runs"]).output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("make the tests pass") && listed.contains("blocked"),
        "{listed}"
    );
}

#[test]
fn watch_shows_what_the_owner_commits_and_who_owns_it() {
    let repo = TempRepo::new();
    let paths = RepoPaths::new(&repo.repo).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scenario = Scenario {
        agents: 6,
        tasks: 12,
        events: 300,
        seed: 11,
    };
    let run = rt
        .block_on(write_run(&owned.store, "fix parse_dates", scenario))
        .unwrap();

    let tmux = start("watch", 100, 30, &repo);
    tmux.type_text(&format!("{} watch", warroom()));
    tmux.keys(&["Enter"]);
    let pid = std::process::id();
    let screen = tmux.wait_for(&format!("owner pid {pid}"), LONG);
    assert!(screen.contains("viewer, read-only"), "{screen}");
    assert!(
        screen.contains("planner"),
        "the family tree is shown:\n{screen}"
    );

    // Something committed now appears in the viewer.
    rt.block_on(async {
        owned
            .store
            .append(
                run,
                Event::LogLine {
                    agent: None,
                    level: LogLevel::Warn,
                    text: "hello from the owner".into(),
                },
            )
            .await
            .unwrap();
        owned.store.flush().await.unwrap();
    });
    tmux.wait_for("hello from the owner", LONG);

    // The owner leaves; the viewer keeps the screen and says so.
    owned.close().unwrap();
    tmux.wait_for("owner exited", LONG);
    assert!(tmux.capture().contains("hello from the owner"));
    tmux.keys(&["q"]);
    assert_shell_is_clean(&tmux);
}

#[test]
fn a_second_owner_is_refused_naming_the_first() {
    let repo = TempRepo::new();
    let paths = RepoPaths::new(&repo.repo).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let out = repo.command(&[]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert!(err.contains("warroom watch"), "{err}");
    owned.close().unwrap();
}

#[test]
fn sighup_and_sigterm_restore_the_terminal_and_keep_what_was_committed() {
    for (name, signal) in [("hup", libc::SIGHUP), ("term", libc::SIGTERM)] {
        let repo = TempRepo::new();
        let tmux = start(name, 100, 30, &repo);
        tmux.type_text(warroom());
        tmux.keys(&["Enter"]);
        tmux.wait_for("5 Chat", LONG);
        tmux.keys(&["5", "i"]);
        tmux.type_text(&format!("goal before {name}"));
        tmux.keys(&["Enter"]);
        tmux.wait_for("run 1", LONG);
        let pid = child_pid(tmux.pane_pid(), "warroom").expect("warroom runs in the pane");
        unsafe {
            libc::kill(pid as i32, signal);
        }
        assert_shell_is_clean(&tmux);
        let out = repo.command(&["export", "1", "--jsonl"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("goal before {name}")),
            "{name}: {text}"
        );
        assert!(text.lines().count() >= 3, "{name}: {text}");
    }
}

#[test]
fn a_tiny_terminal_says_so_and_recovers_and_narrow_is_compact() {
    let repo = TempRepo::new();
    let tmux = start("tiny", 50, 20, &repo);
    tmux.type_text(warroom());
    tmux.keys(&["Enter"]);
    // Compact: one pane at a time with a tab strip naming all five.
    let screen = tmux.wait_for("Agents", LONG);
    assert!(
        screen.contains("Chat") && screen.contains("Logs"),
        "{screen}"
    );
    tmux.resize(10, 5);
    tmux.wait_until(LONG, |s| s.contains("small"))
        .unwrap_or_else(|s| panic!("{s}"));
    tmux.resize(120, 40);
    tmux.wait_for("5 Chat", LONG);
    tmux.keys(&["q"]);
    assert_shell_is_clean(&tmux);
}
