//! The non-screen subcommands through the real binary: runs, export, doctor, init,
//! completions, and the errors bad files and bad config get.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use support::TempRepo;
use warroom::paths::RepoPaths;
use warroom::protocol::Record;
use warroom::store::{OwnedStore, StoreOptions};
use warroom::synth::{Scenario, write_run};

fn run(repo: &TempRepo, args: &[&str]) -> (bool, String, String) {
    let out = repo.command(args).output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn with_runs(repo: &TempRepo, runs: usize, events: u64) {
    let paths = RepoPaths::new(&repo.repo).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for i in 0..runs {
        let scenario = Scenario {
            events,
            seed: i as u64 + 1,
            ..Scenario::default()
        };
        rt.block_on(write_run(
            &owned.store,
            &format!("goal number {i}"),
            scenario,
        ))
        .unwrap();
    }
    owned.close().unwrap();
}

#[test]
fn runs_lists_newest_first_and_says_when_there_is_no_database() {
    let repo = TempRepo::new();
    let (ok, _, err) = run(&repo, &["runs"]);
    assert!(!ok);
    assert!(
        err.contains("no warroom database") && err.contains("start `warroom`"),
        "{err}"
    );
    with_runs(&repo, 2, 10);
    let (ok, out, err) = run(&repo, &["runs"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("state") && lines[0].contains("goal"),
        "{out}"
    );
    assert!(
        lines[1].contains("goal number 1") && lines[2].contains("goal number 0"),
        "{out}"
    );
    assert!(lines[1].trim_start().starts_with('2'), "{out}");
}

#[test]
fn export_writes_every_event_of_the_run_as_json_lines() {
    let repo = TempRepo::new();
    with_runs(&repo, 2, 25_000);
    let (ok, out, err) = run(&repo, &["export", "2", "--jsonl"]);
    assert!(ok, "{err}");
    let records: Vec<Record> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a record"))
        .collect();
    assert!(
        records.len() > 25_000,
        "paged past the first page: {}",
        records.len()
    );
    assert!(records.iter().all(|r| r.run.0 == 2));
    assert!(records.windows(2).all(|w| w[0].id < w[1].id));
    let (ok, _, err) = run(&repo, &["export", "9", "--jsonl"]);
    assert!(!ok && err.contains("no run 9"), "{err}");
    let (ok, _, err) = run(&repo, &["export", "1"]);
    assert!(!ok && err.contains("--jsonl"), "{err}");
}

#[test]
fn init_writes_a_commented_config_once_and_it_parses() {
    let repo = TempRepo::new();
    let (ok, out, err) = run(&repo, &["init"]);
    assert!(ok, "{err}");
    let path = repo.repo.join(".warroom/config.toml");
    assert!(out.contains(".warroom/config.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# batch_max_events"), "{text}");
    let (ok, _, err) = run(&repo, &["init"]);
    assert!(!ok && err.contains("--force"), "{err}");
    let (ok, _, err) = run(&repo, &["init", "--force"]);
    assert!(ok, "{err}");
    // The written file is valid: other commands accept it.
    let (ok, out, err) = run(&repo, &["doctor"]);
    assert!(ok, "{out}{err}");
}

#[test]
fn doctor_reports_each_part_and_fails_on_a_broken_config() {
    let repo = TempRepo::new();
    let (ok, out, err) = run(&repo, &["doctor"]);
    assert!(ok, "{out}{err}");
    for topic in [
        "config", "repo", "database", "log", "terminal", "sandbox", "git",
    ] {
        assert!(out.contains(topic), "{topic} missing:\n{out}");
    }
    std::fs::create_dir_all(repo.repo.join(".warroom")).unwrap();
    std::fs::write(
        repo.repo.join(".warroom/config.toml"),
        "[ui]\nlog_timestamps = true\ncolor = \"blue\"\n",
    )
    .unwrap();
    let (ok, out, _) = run(&repo, &["doctor"]);
    assert!(!ok);
    let line = out.lines().find(|l| l.contains("config")).unwrap();
    assert!(
        line.starts_with("FAIL") && line.contains(":3:") && line.contains("ui.color"),
        "{out}"
    );
    // Every other command refuses to start with it, naming the same place.
    let (ok, _, err) = run(&repo, &["runs"]);
    assert!(
        !ok && err.contains("config.toml:3:") && err.contains("ui.color"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_database_or_too_new_is_refused_clearly() {
    let repo = TempRepo::new();
    let dir = repo.repo.join(".warroom");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("state.db"),
        "hello, I am a text file\n".repeat(100),
    )
    .unwrap();
    let (ok, _, err) = run(&repo, &["runs"]);
    assert!(!ok && err.contains("not an SQLite file"), "{err}");
    let (ok, _, err) = run(&repo, &[]);
    assert!(!ok && err.contains("not an SQLite file"), "{err}");
    std::fs::remove_file(dir.join("state.db")).unwrap();
    {
        let conn = rusqlite::Connection::open(dir.join("state.db")).unwrap();
        conn.execute_batch("PRAGMA user_version = 42;").unwrap();
    }
    let (ok, _, err) = run(&repo, &["runs"]);
    assert!(!ok && err.contains("newer") && err.contains("42"), "{err}");
}

#[test]
fn the_war_room_needs_a_terminal_and_says_so() {
    let repo = TempRepo::new();
    let (ok, _, err) = run(&repo, &[]);
    assert!(!ok && err.contains("needs a terminal"), "{err}");
    let (ok, _, err) = run(&repo, &["watch"]);
    assert!(!ok, "{err}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    let repo = TempRepo::new();
    for shell in ["bash", "zsh", "fish"] {
        let (ok, out, err) = run(&repo, &["completions", shell]);
        assert!(ok, "{err}");
        assert!(out.contains("warroom") && out.contains("export"), "{shell}");
    }
    let (ok, _, err) = run(&repo, &["completions", "tcsh"]);
    assert!(!ok && err.contains("tcsh"), "{err}");
}

#[test]
fn unknown_warroom_env_vars_and_bad_set_flags_are_named() {
    let repo = TempRepo::new();
    let out = repo
        .command(&["runs"])
        .env("WARROOM_UI_COLOUR", "never")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("WARROOM_UI_COLOUR"),
        "{err}"
    );
    let (ok, _, err) = run(&repo, &["runs", "--set", "store.batch_max_events=0"]);
    assert!(!ok && err.contains("store.batch_max_events"), "{err}");
}

#[test]
fn the_log_file_is_private_and_nothing_is_logged_to_the_terminal() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TempRepo::new();
    with_runs(&repo, 1, 5);
    let out = repo
        .command(&["export", "1", "--jsonl"])
        .env("WARROOM_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .all(|l| l.starts_with("{\"id\":"))
    );
    let dir = repo.home.join("state/warroom/logs");
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
