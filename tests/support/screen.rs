//! Helpers for the tests that check the terminal is given back: tmux pane flags, the clean
//! shell check (prompt back, alternate screen left, cursor shown, mouse released, icanon and
//! echo on), and a finished synthetic run whose screen does not tick.

use std::time::Duration;

use warroom::paths::RepoPaths;
use warroom::protocol::{Event, RunState};
use warroom::store::{OwnedStore, StoreOptions};
use warroom::synth::{Scenario, write_run};

use super::{TempRepo, Tmux};

const LONG: Duration = Duration::from_secs(15);

/// A tmux format flag of the session's pane (`alternate_on`, `mouse_any_flag`, ...).
pub fn pane_flag(tmux: &Tmux, flag: &str) -> String {
    tmux.run(&[
        "display-message",
        "-p",
        "-t",
        &tmux.session,
        &format!("#{{{flag}}}"),
    ])
    .trim()
    .to_string()
}

/// The prompt is back, the alternate screen left, the cursor shown, the mouse released and
/// the line discipline cooked (`stty` shows icanon and echo).
pub fn assert_shell_is_clean(tmux: &Tmux, what: &str) {
    tmux.wait_for("PROMPT$", LONG);
    assert_eq!(
        pane_flag(tmux, "alternate_on"),
        "0",
        "{what}: alternate screen"
    );
    assert_eq!(pane_flag(tmux, "cursor_flag"), "1", "{what}: cursor shown");
    assert_eq!(
        pane_flag(tmux, "mouse_any_flag"),
        "0",
        "{what}: mouse released"
    );
    tmux.run(&["send-keys", "-t", &tmux.session, "clear", "Enter"]);
    tmux.type_text(
        "stty -a | tr ' ' '\\n' | grep -E -x -e '-?(icanon|echo)' | tr '\\n' ' '; echo END",
    );
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("END\n", LONG);
    assert!(
        screen.contains("icanon echo END"),
        "{what}: terminal modes not restored:\n{screen}"
    );
}

/// A finished synthetic run (wide characters in its goal) in `repo`'s database, the owner
/// closed again: nothing on its screen ticks.
pub fn finished_run(repo: &TempRepo) {
    let paths = RepoPaths::new(&repo.repo).expect("paths");
    let owned = OwnedStore::open(&paths, StoreOptions::default()).expect("store");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let scenario = Scenario {
        agents: 6,
        tasks: 12,
        events: 400,
        seed: 5,
    };
    rt.block_on(async {
        let run = write_run(&owned.store, "fix parse_dates 修复日期 🗓️", scenario)
            .await
            .expect("run written");
        let done = Event::RunStateChanged {
            state: RunState::Done,
            reason: "verified".into(),
        };
        owned.store.append(run, done).await.expect("appended");
        owned.store.flush().await.expect("flushed");
    });
    owned.close().expect("closed");
}
