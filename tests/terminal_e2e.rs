//! Terminal correctness end to end, the real binary in tmux: SIGINT, SIGTERM and SIGHUP give
//! the shell back in its normal state (raw mode off, alternate screen left, cursor shown, mouse
//! reporting off); a window resized every 10 ms for a second ends with the same screen a fresh
//! start at the final size draws, the process alive; the screen draws under
//! TERM=xterm-256color, screen-256color and tmux-256color; `NO_COLOR` leaves no colour in the
//! output; `warroom watch` never takes the mouse.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use support::screen::{assert_shell_is_clean, finished_run, pane_flag};
use support::{TempRepo, Tmux, child_pid, warroom};

const LONG: Duration = Duration::from_secs(15);

fn start(name: &str, w: u16, h: u16, repo: &TempRepo, extra: &[(&str, &str)]) -> Tmux {
    let env = repo.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    Tmux::start(name, w, h, &repo.repo, &env)
}

#[test]
fn sigint_sigterm_and_sighup_give_the_shell_back_with_the_mouse_released() {
    for (name, signal) in [
        ("int", libc::SIGINT),
        ("term", libc::SIGTERM),
        ("hup", libc::SIGHUP),
    ] {
        let repo = TempRepo::new();
        let tmux = start(name, 100, 30, &repo, &[]);
        tmux.type_text(warroom());
        tmux.keys(&["Enter"]);
        tmux.wait_for("5 Chat", LONG);
        assert_eq!(pane_flag(&tmux, "alternate_on"), "1", "{name}");
        assert_eq!(
            pane_flag(&tmux, "mouse_any_flag"),
            "1",
            "{name}: the owner takes the mouse"
        );
        let pid = child_pid(tmux.pane_pid(), "warroom").expect("warroom runs in the pane");
        // SAFETY: kill(2) on a pid this test started; no memory is involved.
        unsafe {
            libc::kill(pid as i32, signal);
        }
        assert_shell_is_clean(&tmux, name);
    }
}

#[test]
fn watch_leaves_the_mouse_alone_and_mouse_off_in_config_too() {
    let repo = TempRepo::new();
    finished_run(&repo);
    let tmux = start("mouse", 100, 30, &repo, &[]);
    tmux.type_text(&format!("{} watch", warroom()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("viewer, read-only", LONG);
    assert_eq!(pane_flag(&tmux, "mouse_any_flag"), "0", "watch");
    tmux.keys(&["q"]);
    assert_shell_is_clean(&tmux, "watch");
    tmux.type_text(&format!("{} --set ui.mouse=false", warroom()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("5 Chat", LONG);
    assert_eq!(pane_flag(&tmux, "mouse_any_flag"), "0", "ui.mouse=false");
    tmux.keys(&["q"]);
    assert_shell_is_clean(&tmux, "owner without mouse");
}

#[test]
fn a_click_in_tmux_focuses_the_pane_under_it() {
    let repo = TempRepo::new();
    finished_run(&repo);
    let tmux = start("click", 120, 40, &repo, &[]);
    tmux.type_text(warroom());
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("5 Chat", LONG);
    assert!(screen.contains("┏ 1 Agents"), "{screen}");
    // Left button press and release at column 60, row 20 (1-based), SGR encoding: the logs
    // pane in the wide layout. tmux hands the bytes to the program as they are.
    tmux.run(&[
        "send-keys",
        "-t",
        &tmux.session,
        "-l",
        "\x1b[<0;60;20M\x1b[<0;60;20m",
    ]);
    tmux.wait_until(LONG, |s| s.contains("┏ 3 Logs"))
        .unwrap_or_else(|s| panic!("the click did not focus the logs:\n{s}"));
    tmux.keys(&["q"]);
    assert_shell_is_clean(&tmux, "click");
}

#[test]
fn resizing_every_10ms_for_a_second_ends_in_a_clean_screen() {
    let repo = TempRepo::new();
    finished_run(&repo);
    let storm = start("storm", 120, 40, &repo, &[]);
    storm.type_text(&format!("{} watch", warroom()));
    storm.keys(&["Enter"]);
    storm.wait_for("viewer, read-only", LONG);
    let pid = child_pid(storm.pane_pid(), "warroom").expect("warroom runs in the pane");
    let sizes = [
        (120, 40),
        (41, 11),
        (200, 60),
        (80, 24),
        (39, 9),
        (55, 20),
        (150, 45),
    ];
    let began = Instant::now();
    let mut i = 0;
    while began.elapsed() < Duration::from_secs(1) {
        let (w, h) = sizes[i % sizes.len()];
        storm.resize(w + (i % 7) as u16, h + (i % 3) as u16);
        i += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
    storm.resize(100, 30);
    assert!(i >= 20, "only {i} resizes in a second");

    // The same screen, drawn fresh at the final size.
    let fresh = start("fresh", 100, 30, &repo, &[]);
    fresh.type_text(&format!("{} watch", warroom()));
    fresh.keys(&["Enter"]);
    let expected = fresh.wait_for("viewer, read-only", LONG);
    let got = storm
        .wait_until(LONG, |s| s == expected)
        .unwrap_or_else(|s| {
            panic!("after {i} resizes the screen differs\n--- got:\n{s}\n--- fresh:\n{expected}")
        });
    assert_eq!(got.lines().count(), 30);
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "warroom died during the resizes"
    );
    storm.keys(&["q"]);
    assert_shell_is_clean(&storm, "after the resizes");
}

#[test]
fn the_screen_draws_under_xterm_screen_and_tmux_terminal_types() {
    let repo = TempRepo::new();
    finished_run(&repo);
    let mut screens = Vec::new();
    for term in ["xterm-256color", "screen-256color", "tmux-256color"] {
        let name = term.replace('-', "_");
        let tmux = start(&name, 100, 30, &repo, &[]);
        tmux.type_text(&format!("TERM={term} {} watch", warroom()));
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("viewer, read-only", LONG);
        for title in ["1 Agents", "2 Tasks", "3 Logs", "4 Memory", "5 Chat"] {
            assert!(screen.contains(title), "{term}: {title} missing:\n{screen}");
        }
        assert!(screen.contains("planner"), "{term}:\n{screen}");
        tmux.keys(&["q"]);
        assert_shell_is_clean(&tmux, term);
        screens.push(screen);
    }
    assert!(
        screens.windows(2).all(|w| w[0] == w[1]),
        "the terminal type changed what was drawn"
    );
}

#[test]
fn no_color_leaves_no_colour_codes_and_colour_has_them() {
    let repo = TempRepo::new();
    finished_run(&repo);
    for (name, env) in [("plain", "NO_COLOR=1 "), ("colour", "")] {
        let tmux = start(name, 100, 30, &repo, &[]);
        tmux.type_text(&format!("{env}{} watch", warroom()));
        tmux.keys(&["Enter"]);
        tmux.wait_for("viewer, read-only", LONG);
        let raw = tmux.run(&["capture-pane", "-e", "-p", "-t", &tmux.session]);
        // SGR foreground/background colour parameters: 30-37, 90-97, 40-47, 38;5;N ...
        let coloured = raw.split("\x1b[").skip(1).any(|sgr| {
            let params = sgr.split('m').next().unwrap_or("");
            params.split(';').any(|p| {
                matches!(
                    p.parse::<u32>(),
                    Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)
                )
            })
        });
        assert_eq!(coloured, env.is_empty(), "{name}:\n{raw:?}");
        tmux.keys(&["q"]);
        assert_shell_is_clean(&tmux, name);
    }
}

#[test]
fn remapped_keys_work_in_the_real_binary_and_bad_ones_are_refused_by_name() {
    let repo = TempRepo::new();
    finished_run(&repo);
    let tmux = start("keys", 100, 30, &repo, &[]);
    // A clash and an unknown action: refused before the terminal is taken, naming them.
    for (set, words) in [
        ("keys.approve=j", "key \"j\" is bound twice"),
        ("keys.aprove=y", "\"aprove\" is not an action"),
        ("keys.quit=alt-q", "alt keys are not supported"),
    ] {
        tmux.run(&["send-keys", "-t", &tmux.session, "clear", "Enter"]);
        tmux.type_text(&format!("{} watch --set {set}", warroom()));
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for(words, LONG);
        assert!(!screen.contains("1 Agents"), "{set}: the screen opened");
        assert_shell_is_clean(&tmux, set);
    }
    // help on F1, quit on Q.
    tmux.type_text(&format!(
        "{} watch --set keys.toggle_help=f1 --set 'keys.quit=[\"Q\", \"ctrl-c\"]'",
        warroom()
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("viewer, read-only", LONG);
    tmux.keys(&["F1"]);
    let help = tmux.wait_for("show or hide this help", LONG);
    let line = help
        .lines()
        .find(|l| l.contains("show or hide this help"))
        .unwrap();
    assert!(line.contains("F1"), "{line}");
    tmux.keys(&["Escape", "q"]);
    let screen = tmux.wait_for("key q does nothing here", LONG);
    assert!(screen.contains("1 Agents"), "{screen}");
    tmux.keys(&["Q"]);
    assert_shell_is_clean(&tmux, "quit on Q");
}

#[test]
fn doctor_checks_the_keys_table() {
    let repo = TempRepo::new();
    let run = |set: &str| {
        let out = repo.command(&["doctor", "--set", set]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success(), text)
    };
    let (ok, text) = run("keys.approve=j");
    assert!(!ok, "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("FAIL  keys"))
        .unwrap_or("");
    assert!(line.contains("key \"j\" is bound twice"), "{text}");
    let (_, text) = run("keys.approve=Y");
    assert!(
        text.lines()
            .any(|l| l.starts_with("ok    keys") && l.contains("1 action(s) remapped")),
        "{text}"
    );
}
