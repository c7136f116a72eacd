//! `warroom run` end to end: the real binary (`--repo` a temp git repository holding the team
//! harness's Python project) against the scripted OpenAI-compatible server of
//! `support/fake_openai.rs`, configured through the repository's `.warroom/config.toml`, with
//! a child environment free of the test run's `WARROOM_*`. Checks the `--json` event stream
//! record by record, the exit codes (done, denied, waiting, blocked, bad goal), the working
//! tree, the approval left pending for `warroom approve`, and the human progress lines.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

#[path = "support/fake_openai.rs"]
mod fake_openai;
mod support;
#[path = "support/team_harness.rs"]
mod team_harness;

use std::process::{Output, Stdio};
use std::time::Duration;

use fake_openai::FakeOpenAi;
use support::TempRepo;
use team_harness::{CALC, CALC_FIXED, GOAL, brain, dump, fixing_analyst, git, position};
use warroom::paths::RepoPaths;
use warroom::protocol::{ApprovalSubject, Decision, Event, Record, RunState};
use warroom::store::Reader;

/// How long one `warroom run` may take before the test gives up (a hang guard, not an
/// assertion on speed).
const HANG_GUARD: Duration = Duration::from_secs(120);

/// A temp git repository with the Python project committed and a config naming `base_url`.
fn project(base_url: &str, extra: &str) -> TempRepo {
    team_harness::configured_project(base_url, extra)
}

/// Runs the binary with `--repo` and `args`, stdin not a terminal; waits for it to exit.
async fn warroom(repo: &TempRepo, args: &[&str]) -> Output {
    let mut all = vec!["--repo", repo.repo.to_str().unwrap()];
    all.extend_from_slice(args);
    let mut command = tokio::process::Command::from(repo.command(&all));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    tokio::time::timeout(HANG_GUARD, command.output())
        .await
        .unwrap_or_else(|_| panic!("warroom {args:?} never exited"))
        .expect("the binary runs")
}

/// The exit code, with both streams in the message when it is not `want`.
fn assert_code(out: &Output, want: i32) {
    assert_eq!(
        out.status.code(),
        Some(want),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every stdout line as a record; ids strictly increasing; one run throughout.
fn records(out: &Output) -> Vec<Record> {
    let stdout = text(&out.stdout);
    let records: Vec<Record> = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a record ({e}): {line}\nstdout:\n{stdout}"))
        })
        .collect();
    assert!(!records.is_empty(), "stderr:\n{}", text(&out.stderr));
    for pair in records.windows(2) {
        assert!(
            pair[0].id < pair[1].id,
            "ids go up: {:?} then {:?}",
            pair[0].id,
            pair[1].id
        );
        assert_eq!(pair[0].run, pair[1].run, "one run per `warroom run`");
    }
    records
}

/// The positions of the milestones every verified fix passes, in order; returns the position
/// of the verdict.
fn through_the_verdict(events: &[Record]) -> usize {
    let mut at = position(
        events,
        0,
        "RunStarted",
        |e| matches!(e, Event::RunStarted { goal, .. } if goal == GOAL),
    );
    assert_eq!(at, 0, "run_started comes first:\n{}", dump(events));
    at = position(
        events,
        at,
        "the planner",
        |e| matches!(e, Event::AgentSpawned { role, parent: None, .. } if role == "planner"),
    );
    at = position(events, at, "TaskCreated", |e| {
        matches!(e, Event::TaskCreated { .. })
    });
    at = position(
        events,
        at,
        "RepoDetected",
        |e| matches!(e, Event::RepoDetected { test: Some(t), .. } if t.contains("unittest")),
    );
    at = position(events, at, "the baseline run", |e| {
        matches!(e, Event::TestsRan { label, failed, passed, .. }
            if label == "baseline" && failed.len() == 1 && failed[0].contains("test_add")
                && passed.len() == 1)
    });
    at = position(
        events,
        at,
        "PatchProposed",
        |e| matches!(e, Event::PatchProposed { files, .. } if files == &["calc.py".to_string()]),
    );
    at = position(events, at, "the run on attempt 1", |e| {
        matches!(e, Event::TestsRan { label, failed, exit_code: Some(0), .. }
            if label == "attempt 1" && failed.is_empty())
    });
    position(events, at, "the verdict", |e| {
        matches!(e, Event::PatchJudged { verified: true, .. })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_approval_prints_every_event_as_json_and_applies_the_verified_fix() {
    let server = FakeOpenAi::start(brain(fixing_analyst)).await;
    let repo = project(&server.base_url(), "");
    let out = warroom(&repo, &["run", GOAL, "--json", "--approve", "auto"]).await;
    assert_code(&out, 0);
    let events = records(&out);
    let kinds: Vec<&str> = events.iter().map(|r| r.event.kind()).collect();
    let mut at = through_the_verdict(&events);
    at = position(&events, at, "the state applying", |e| {
        matches!(
            e,
            Event::RunStateChanged {
                state: RunState::Applying,
                ..
            }
        )
    });
    at = position(
        &events,
        at,
        "PatchApplied",
        |e| matches!(e, Event::PatchApplied { files, .. } if files == &["calc.py".to_string()]),
    );
    at = position(&events, at, "RunFinished", |e| {
        matches!(
            e,
            Event::RunFinished {
                state: RunState::Done,
                ..
            }
        )
    });
    assert_eq!(
        at,
        events.len() - 1,
        "run_finished is the last line: {kinds:?}"
    );
    assert!(
        !kinds.contains(&"approval_requested"),
        "auto approval never asks: {kinds:?}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.repo.join("calc.py")).unwrap(),
        CALC_FIXED
    );
    assert_eq!(
        git(&repo.repo, &["status", "--porcelain"]),
        " M calc.py\n",
        "the fix is left uncommitted for the person"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_approval_leaves_the_working_tree_untouched_and_exits_1() {
    let server = FakeOpenAi::start(brain(fixing_analyst)).await;
    let repo = project(&server.base_url(), "");
    let out = warroom(&repo, &["run", GOAL, "--json", "--approve", "deny"]).await;
    assert_code(&out, 1);
    let events = records(&out);
    let mut at = through_the_verdict(&events);
    at = position(&events, at, "the patch approval", |e| {
        matches!(
            e,
            Event::ApprovalRequested {
                subject: ApprovalSubject::Patch { .. },
                ..
            }
        )
    });
    position(&events, at, "the denial", |e| {
        matches!(e, Event::ApprovalDecided { decision: Decision::Denied { reason }, .. }
            if reason.contains("--approve deny"))
    });
    assert!(
        !events
            .iter()
            .any(|r| matches!(r.event, Event::PatchApplied { .. })),
        "{}",
        dump(&events)
    );
    let last = events.last().unwrap();
    assert!(
        matches!(
            last.event,
            Event::RunFinished {
                state: RunState::Cancelled,
                ..
            }
        ),
        "{}",
        dump(&events)
    );
    assert_eq!(
        std::fs::read_to_string(repo.repo.join("calc.py")).unwrap(),
        CALC
    );
    assert_eq!(git(&repo.repo, &["status", "--porcelain"]), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_approval_exits_3_and_stays_pending_for_warroom_approve() {
    let server = FakeOpenAi::start(brain(fixing_analyst)).await;
    let repo = project(&server.base_url(), "");
    let out = warroom(
        &repo,
        &[
            "run",
            GOAL,
            "--json",
            "--approve",
            "ask",
            "--approval-timeout",
            "2",
        ],
    )
    .await;
    assert_code(&out, 3);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no decision within the approval timeout"),
        "{stderr}"
    );
    let events = records(&out);
    through_the_verdict(&events);
    let (approval, run) = events
        .iter()
        .find_map(|r| match &r.event {
            Event::ApprovalRequested {
                approval,
                subject: ApprovalSubject::Patch { .. },
                ..
            } => Some((*approval, r.run)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no patch approval:\n{}", dump(&events)));
    assert!(
        stderr.contains(&format!("warroom approve {approval}")),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.repo.join("calc.py")).unwrap(),
        CALC
    );

    let paths = RepoPaths::new(&repo.repo).unwrap();
    let reader = Reader::open(&paths.db, Duration::from_secs(5)).unwrap();
    let pending = reader.pending_approvals(run).unwrap();
    assert_eq!(
        pending.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![approval]
    );

    let id = approval.to_string();
    let out = warroom(&repo, &["approve", &id]).await;
    assert_code(&out, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("queued: approve approval {approval} of run {run}")),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reachable_model_blocks_the_run_with_exit_5() {
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let repo = project(
        &format!("http://{closed}/v1"),
        "[router]\nmax_retries = 0\n",
    );
    let out = warroom(&repo, &["run", GOAL]).await;
    assert_code(&out, 5);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("run: blocked"), "{stdout}");
    assert!(stdout.contains("model call failed"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(repo.repo.join("calc.py")).unwrap(),
        CALC
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_goal_is_refused_before_anything_starts() {
    let server = FakeOpenAi::start(brain(fixing_analyst)).await;
    let repo = project(&server.base_url(), "");
    for goal in ["", "   "] {
        let out = warroom(&repo, &["run", goal, "--approve", "auto"]).await;
        assert_ne!(out.status.code(), Some(0));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("the goal is empty"), "{stderr}");
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    }
    assert!(server.requests().is_empty(), "no model was asked");
    assert!(
        !RepoPaths::new(&repo.repo).unwrap().db.exists(),
        "no run was recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_lines_tell_a_person_what_the_team_did() {
    let server = FakeOpenAi::start(brain(fixing_analyst)).await;
    let repo = project(&server.base_url(), "");
    let out = warroom(&repo, &["run", GOAL, "--approve", "auto"]).await;
    assert_code(&out, 0);
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let find = |from: usize, want: &str| -> usize {
        lines[from..]
            .iter()
            .position(|l| l.contains(want))
            .map(|i| from + i)
            .unwrap_or_else(|| panic!("no line with {want:?} after line {from}:\n{stdout}"))
    };
    assert_eq!(lines[0], format!("run started: {GOAL}"));
    let mut at = find(0, "planner joined (fake/m)");
    at = find(at, "tests (baseline): 1 passed, 1 failed: ");
    assert!(lines[at].contains("test_add"), "{}", lines[at]);
    at = find(at, "proposed: calc.py");
    at = find(at, "tests (attempt 1): 2 passed, 0 failed");
    at = find(at, "verified");
    at = find(at, "run: applying");
    at = find(at, "applied to calc.py");
    at = find(at, "run done");
    assert_eq!(at, lines.len() - 1, "{stdout}");
    assert!(
        !stdout.trim_start().starts_with('{'),
        "no JSON without --json"
    );
    assert_eq!(
        std::fs::read_to_string(repo.repo.join("calc.py")).unwrap(),
        CALC_FIXED
    );
}
