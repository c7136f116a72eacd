//! `warroom attach` end to end in a real terminal (tmux): `warroom demo` replays its bundled
//! recording in one window (the owner), `warroom attach` follows the demo's repository in a
//! second window, and the apply of the verified patch is approved there with the inbox's `y`.
//! The owner carries the decision out: both screens show the patch applied, the demo's tests
//! pass in its working tree, and the raw output of both windows (tmux `pipe-pane`) holds the
//! bell and the OSC 9 notification (wrapped for tmux's passthrough) that the approval rang.
//! Without a running owner, `warroom attach` refuses and says what to do instead.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{TempRepo, Tmux, warroom};

/// Long enough for a whole replayed run on a busy 2-core machine; no timing is asserted.
const RUN: Duration = Duration::from_secs(180);
const OWNER: &str = "attach:owner";
const VIEWER: &str = "attach:viewer";

fn capture(tmux: &Tmux, target: &str) -> String {
    tmux.run(&["capture-pane", "-p", "-t", target])
}

fn wait_in(tmux: &Tmux, target: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let screen = capture(tmux, target);
        if done(&screen) {
            return screen;
        }
        if start.elapsed() > RUN {
            panic!("{target}: timed out waiting for {what}; screen:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn send(tmux: &Tmux, target: &str, keys: &[&str]) {
    for key in keys {
        tmux.run(&["send-keys", "-t", target, key]);
        std::thread::sleep(Duration::from_millis(80));
    }
}

fn pipe(tmux: &Tmux, target: &str, file: &Path) {
    tmux.run(&[
        "pipe-pane",
        "-t",
        target,
        "-o",
        &format!("cat >> '{}'", file.display()),
    ]);
}

/// The demo's project folder under `tmp`, once its database exists.
fn demo_folder(tmp: &Path) -> PathBuf {
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(tmp).unwrap().find_map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name()?.to_string_lossy().into_owned();
            (name.starts_with("warroom-demo-") && path.join(".warroom/state.db").exists())
                .then_some(path)
        });
        if let Some(path) = found {
            return path;
        }
        assert!(
            start.elapsed() < RUN,
            "the demo made no project under {tmp:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_attached_terminal_approves_the_apply_and_both_screens_see_it() {
    let repo = TempRepo::new();
    let (tmp, env) = repo.demo_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tmux = Tmux::start("attach", 120, 40, &repo.repo, &env);
    tmux.run(&["rename-window", "-t", "attach", "owner"]);
    let owner_raw = repo.dir.path().join("owner.raw");
    let viewer_raw = repo.dir.path().join("viewer.raw");
    pipe(&tmux, OWNER, &owner_raw);
    tmux.run(&[
        "send-keys",
        "-t",
        OWNER,
        "-l",
        &format!("{} demo", warroom()),
    ]);
    send(&tmux, OWNER, &["Enter"]);
    wait_in(&tmux, OWNER, "the replay", |s| s.contains("REPLAY"));
    let demo = demo_folder(&tmp);

    let mut window = vec![
        "new-window".to_string(),
        "-d".into(),
        "-n".into(),
        "viewer".into(),
        "-t".into(),
        "attach".into(),
        "-c".into(),
        demo.display().to_string(),
    ];
    for (k, v) in &env {
        window.push("-e".into());
        window.push(format!("{k}={v}"));
    }
    window.push("env PS1='PROMPT$ ' TERM=xterm-256color bash --norc --noprofile".into());
    tmux.run(&window.iter().map(String::as_str).collect::<Vec<_>>());
    wait_in(&tmux, VIEWER, "a prompt", |s| s.contains("PROMPT$"));
    pipe(&tmux, VIEWER, &viewer_raw);
    tmux.run(&[
        "send-keys",
        "-t",
        VIEWER,
        "-l",
        &format!("{} attach --repo {}", warroom(), demo.display()),
    ]);
    send(&tmux, VIEWER, &["Enter"]);
    wait_in(&tmux, VIEWER, "the attached screen", |s| {
        s.contains("attach, owner pid")
    });

    // The recorded run reaches a verified patch and asks to apply it, on both screens.
    let asked = |s: &str| s.contains("a approve") || s.contains("blocked");
    let screen = wait_in(&tmux, VIEWER, "the apply's approval", asked);
    assert!(screen.contains("a approve"), "the run stopped:\n{screen}");
    wait_in(&tmux, OWNER, "the apply's approval", |s| {
        s.contains("a approve")
    });

    send(&tmux, VIEWER, &["A"]);
    let inbox = wait_in(&tmux, VIEWER, "the inbox", |s| s.contains("Approvals"));
    assert!(inbox.contains("booking.py"), "the diff is shown:\n{inbox}");
    assert!(inbox.contains("patch"), "{inbox}");
    send(&tmux, VIEWER, &["y"]);

    // The owner applies it; both screens say so.
    let applied = |s: &str| s.contains("applied") && s.contains("done");
    send(&tmux, VIEWER, &["Escape"]);
    let viewer_screen = wait_in(&tmux, VIEWER, "the applied patch", applied);
    let owner_screen = wait_in(&tmux, OWNER, "the applied patch", applied);
    // The first (and only) decision is the attached screen's; both screens say who decided.
    for screen in [&viewer_screen, &owner_screen] {
        assert!(screen.contains("approved by viewer"), "{screen}");
    }

    // Both terminals were told when the approval arrived: a bell, and an OSC 9 wrapped for
    // tmux's passthrough (the panes run inside tmux, so $TMUX is set).
    for raw in [&viewer_raw, &owner_raw] {
        let bytes = std::fs::read(raw).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(bytes.contains(&0x07), "{raw:?} has no bell");
        assert!(
            text.contains("\x1bPtmux;\x1b\x1b]9;warroom: approval"),
            "{raw:?} has no OSC 9 notification"
        );
    }

    send(&tmux, VIEWER, &["q"]);
    wait_in(&tmux, VIEWER, "the shell again", |s| {
        s.lines()
            .any(|l| l.starts_with("PROMPT$") && !l.contains("attach"))
            || s.matches("PROMPT$").count() >= 2
    });
    send(&tmux, OWNER, &["q"]);
    wait_in(&tmux, OWNER, "the demo's goodbye", |s| {
        s.contains("the demo project stays in")
    });

    // The project is fixed in the demo's working tree.
    support::assert_demo_fixed(&demo);
}

#[test]
fn attach_without_a_running_owner_says_what_to_do() {
    let repo = TempRepo::new();
    let out = repo.command(&["attach"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no war room in"), "{err}");
    assert!(err.contains("start `warroom` there first"), "{err}");

    // A database whose owner has exited: commands would wait unseen, so attach refuses.
    let paths = warroom::paths::RepoPaths::new(&repo.repo).unwrap();
    let owned =
        warroom::store::OwnedStore::open(&paths, warroom::store::StoreOptions::default()).unwrap();
    owned.close().unwrap();
    let out = repo.command(&["attach"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no warroom is running for"), "{err}");
    assert!(err.contains("`warroom watch`"), "{err}");
}
