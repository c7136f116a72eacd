//! Crash-safe resume, end to end: the real binary runs a scripted fix (the fake
//! OpenAI-compatible server of `support/fake_openai.rs`) and is killed with SIGKILL at more
//! than twenty points of its life, each time after a different number of new events; every
//! time `warroom resume` picks the run up again from the event log. The run must end done with
//! the fix in the working tree, the event ids must be contiguous and unique, no tool call that
//! changes things may have run twice (a command appends a line to a file for each time it
//! really ran), and the apply approval asked before a kill must be the same pending approval
//! after it, decided from another terminal while no warroom ran.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

#[path = "support/fake_openai.rs"]
mod fake_openai;
mod support;
#[path = "support/team_harness.rs"]
mod team_harness;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fake_openai::{FakeOpenAi, Reply, Seen};
use serde_json::json;
use support::TempRepo;
use team_harness::{CALC_FIXED, FIX_DIFF, GOAL, brain, configured_project, dump, git};
use warroom::core::team::drive::{INTERRUPTED, LOST};
use warroom::paths::RepoPaths;
use warroom::protocol::{
    AgentInputRecord, ApprovalSubject, Event, EventId, Record, RunId, RunState,
};
use warroom::store::Reader;

/// How long one segment may run before the test gives up (a hang guard, not a speed check).
const HANG_GUARD: Duration = Duration::from_secs(90);
/// The command whose every real run leaves a line in `trace.txt`.
const TRACE: &str = "echo ran >> trace.txt";

/// The analyst: a command with a visible effect, a read, the fix, then words. After the
/// verifier's feedback (or after being told a tool was interrupted and nothing changed) it
/// sends the fix again.
fn tracing_analyst(seen: &Seen) -> Reply {
    let messages = seen.messages();
    let results = messages.iter().filter(|m| m["role"] == "tool").count();
    let feedback = seen.last()["role"] == "user" && results > 0;
    if feedback {
        return Reply::tool("apply_patch", json!({ "diff": FIX_DIFF }));
    }
    match results {
        0 => Reply::tool("run_command", json!({ "command": TRACE })),
        1 => Reply::tool("read_file", json!({ "path": "calc.py" })),
        2 => Reply::tool("apply_patch", json!({ "diff": FIX_DIFF })),
        _ => Reply::text("add now adds."),
    }
}

/// The project, with room for extra attempts: a scripted analyst told that its edit was
/// interrupted sends the same edit again, which the agent's repeat guard may count against it.
fn project(base_url: &str) -> TempRepo {
    let repo = configured_project(
        base_url,
        "[approvals]\napply = \"ask\"\n\n[team]\nmax_attempts = 8\n",
    );
    std::fs::write(repo.repo.join(".gitignore"), "trace.txt\n").unwrap();
    git(&repo.repo, &["add", "-A"]);
    git(&repo.repo, &["commit", "-q", "-m", "ignore the trace"]);
    repo
}

fn spawn(repo: &TempRepo, args: &[&str], log: &Path) -> Child {
    let mut all = vec!["--repo", repo.repo.to_str().unwrap()];
    all.extend_from_slice(args);
    let err = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    repo.command(&all)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .expect("the binary starts")
}

fn reader(db: &Path) -> Option<Reader> {
    db.exists()
        .then(|| Reader::open(db, Duration::from_secs(5)).ok())
        .flatten()
}

fn last_id(db: &Path) -> i64 {
    reader(db)
        .and_then(|r| r.last_event_id().ok())
        .map_or(0, |id| id.0)
}

fn events(db: &Path) -> Vec<Record> {
    let reader = reader(db).expect("the database exists");
    let mut out = Vec::new();
    let mut after = EventId(0);
    loop {
        let page = reader.events_after(None, after, 10_000).unwrap();
        assert!(
            page.skipped.is_empty(),
            "unreadable rows: {:?}",
            page.skipped
        );
        let Some(last) = page.last_id else { break };
        out.extend(page.records);
        after = last;
    }
    out
}

/// Whether run 1 has finished.
fn finished(db: &Path) -> bool {
    reader(db)
        .and_then(|r| r.run(RunId(1)).ok().flatten())
        .is_some_and(|run| run.state.is_terminal())
}

/// The pending apply approval, if one waits.
fn pending_apply(db: &Path) -> Option<u32> {
    let reader = reader(db)?;
    reader
        .pending_approvals(RunId(1))
        .ok()?
        .into_iter()
        .find(|a| matches!(a.subject, ApprovalSubject::Patch { .. }))
        .map(|a| a.id.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_at_twenty_points_resumes_to_the_end_without_doing_anything_twice() {
    let server = FakeOpenAi::start(brain(tracing_analyst)).await;
    let repo = project(&server.base_url());
    let db = RepoPaths::new(&repo.repo).unwrap().db;
    let log = repo.dir.path().join("stderr.log");
    // New events to wait for before each kill: varied, so kills land all over the run.
    let gaps = [
        3, 5, 2, 6, 4, 1, 7, 3, 5, 2, 4, 6, 3, 8, 2, 5, 4, 1, 6, 3, 2, 5, 7, 4,
    ];
    const MAX_KILLS: usize = 30;
    let mut kills: Vec<i64> = Vec::new();
    let mut approval: Option<u32> = None;
    let mut approval_kills = 0;
    let mut segment = 0;
    let exit = loop {
        let args: Vec<&str> = if segment == 0 {
            vec!["run", GOAL, "--json", "--approve", "ask"]
        } else {
            vec!["resume", "--json", "--approve", "ask"]
        };
        let mut child = spawn(&repo, &args, &log);
        let start = last_id(&db);
        let target = start + gaps[segment % gaps.len()];
        let began = Instant::now();
        let ended = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            assert!(
                began.elapsed() < HANG_GUARD,
                "segment {segment} hangs; stderr:\n{}\nevents:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default(),
                dump(&events(&db))
            );
            // While the apply waits for the person (asked by this process, after its resume):
            // kill twice, then decide from a shell.
            let waiting = pending_apply(&db).filter(|_| last_id(&db) > start);
            if let Some(id) = waiting {
                if approval.is_some_and(|a| a != id) {
                    panic!("the pending approval {approval:?} became {id} after a resume");
                }
                approval = Some(id);
                if approval_kills < 2 {
                    child.kill().unwrap();
                    child.wait().unwrap();
                    kills.push(last_id(&db));
                    approval_kills += 1;
                    break None;
                }
            }
            if kills.len() < MAX_KILLS && last_id(&db) >= target {
                child.kill().unwrap();
                child.wait().unwrap();
                kills.push(last_id(&db));
                break None;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        if let (Some(id), 2) = (approval, approval_kills) {
            // Decided while no warroom runs: queued for the next owner.
            let out = repo
                .command(&[
                    "--repo",
                    repo.repo.to_str().unwrap(),
                    "approve",
                    &id.to_string(),
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            approval_kills += 1;
        }
        segment += 1;
        if let Some(status) = ended {
            break Some(status);
        }
        // Killed after the run's last event: there is nothing left to resume.
        if finished(&db) {
            break None;
        }
    };
    let all = events(&db);
    assert_eq!(
        exit.map_or(Some(0), |e| e.code()),
        Some(0),
        "the last segment fails; stderr:\n{}\nevents:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default(),
        dump(&all)
    );
    let distinct: BTreeSet<i64> = kills.iter().copied().collect();
    assert!(
        distinct.len() >= 20,
        "killed at only {} different points: {kills:?}",
        distinct.len()
    );

    // The run ended done, with the fix in the person's working tree.
    assert!(
        all.iter().any(|r| matches!(
            r.event,
            Event::RunFinished {
                state: RunState::Done,
                ..
            }
        )),
        "{}",
        dump(&all)
    );
    assert_eq!(
        std::fs::read_to_string(repo.repo.join("calc.py")).unwrap(),
        CALC_FIXED
    );

    // Every committed event once, with no gap.
    let ids: Vec<i64> = all.iter().map(|r| r.id.0).collect();
    let expected: Vec<i64> = (1..=ids.len() as i64).collect();
    assert_eq!(ids, expected, "event ids are contiguous and unique");
    let resumed = all
        .iter()
        .filter(|r| matches!(r.event, Event::RunResumed { .. }))
        .count();
    // A restart killed before it committed anything leaves no RunResumed.
    assert!(
        resumed <= kills.len() && resumed >= 20,
        "{resumed} RunResumed for {} kills",
        kills.len()
    );

    // No tool call ran twice: each model call id was answered once, and the command ran at
    // most once per call that was not reported interrupted (plus the interrupted ones).
    let mut answered: HashMap<(u32, String), usize> = HashMap::new();
    let mut trace_calls: Vec<String> = Vec::new();
    let (mut trace_done, mut trace_interrupted) = (0, 0);
    for r in &all {
        if let Event::AgentInput { agent, input, .. } = &r.event {
            match input {
                AgentInputRecord::Answer { tool_calls, .. } => {
                    for c in tool_calls {
                        if c.name == "run_command" {
                            trace_calls.push(c.id.clone());
                        }
                    }
                }
                AgentInputRecord::ToolDone { call_id, content } => {
                    *answered.entry((agent.0, call_id.clone())).or_default() += 1;
                    if trace_calls.contains(call_id) {
                        if content == INTERRUPTED || content.starts_with(LOST) {
                            trace_interrupted += 1;
                        } else {
                            trace_done += 1;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for ((agent, call), n) in &answered {
        assert_eq!(*n, 1, "agent {agent}'s call {call} was answered {n} times");
    }
    let worktree = repo.repo.join(".warroom/worktrees/1/trace.txt");
    let ran = std::fs::read_to_string(&worktree)
        .map(|t| t.lines().count())
        .unwrap_or(0);
    assert!(
        trace_done <= ran && ran <= trace_done + trace_interrupted,
        "the command ran {ran} times for {trace_done} answered and {trace_interrupted} \
         interrupted calls"
    );

    // The apply approval asked before the kills is the one that was decided.
    let asked: Vec<u32> = all
        .iter()
        .filter_map(|r| match &r.event {
            Event::ApprovalRequested {
                approval,
                subject: ApprovalSubject::Patch { .. },
                ..
            } => Some(approval.0),
            _ => None,
        })
        .collect();
    assert_eq!(
        asked,
        vec![approval.expect("the apply asked")],
        "asked once, kept"
    );
    assert!(all.iter().any(|r| matches!(
        &r.event,
        Event::ApprovalDecided { approval: a, .. } if Some(a.0) == approval
    )));
}

/// The war room opening on a repository whose last run was killed picks it up on screen: the
/// apply approval asked before the kill is still waiting, a key approves it, and the fix
/// reaches the working tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_war_room_picks_up_a_killed_run_with_its_pending_approval() {
    let server = FakeOpenAi::start(brain(team_harness::fixing_analyst)).await;
    let repo = configured_project(&server.base_url(), "[approvals]\napply = \"ask\"\n");
    let db = RepoPaths::new(&repo.repo).unwrap().db;
    let log = repo.dir.path().join("stderr.log");
    let mut child = spawn(&repo, &["run", GOAL, "--json", "--approve", "ask"], &log);
    let began = Instant::now();
    let approval = loop {
        if let Some(id) = pending_apply(&db) {
            break id;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before asking; stderr:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert!(began.elapsed() < HANG_GUARD, "no approval was asked");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();

    let env: Vec<(&str, String)> = repo.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tmux = support::Tmux::start("resume", 120, 40, &repo.repo, &env);
    tmux.type_text(&format!(
        "{} --repo {}",
        support::warroom(),
        repo.repo.display()
    ));
    tmux.keys(&["Enter"]);
    let screen = tmux
        .wait_until(HANG_GUARD, |s| s.contains("a approve"))
        .unwrap_or_else(|s| panic!("the resumed run shows no pending approval:\n{s}"));
    assert!(screen.contains("run 1"), "{screen}");
    tmux.keys(&["a"]);
    tmux.wait_until(HANG_GUARD, |s| s.contains("done"))
        .unwrap_or_else(|s| panic!("the approved patch was not applied:\n{s}"));
    tmux.keys(&["q"]);
    assert_eq!(
        std::fs::read_to_string(repo.repo.join("calc.py")).unwrap(),
        CALC_FIXED
    );
    let all = events(&db);
    let asked = all
        .iter()
        .filter(|r| matches!(r.event, Event::ApprovalRequested { .. }))
        .count();
    assert_eq!(
        asked,
        1,
        "the approval was not asked again:\n{}",
        dump(&all)
    );
    assert!(all.iter().any(|r| matches!(
        &r.event,
        Event::ApprovalDecided { approval: a, .. } if a.0 == approval
    )));
    assert!(
        all.iter()
            .any(|r| matches!(r.event, Event::RunResumed { .. }))
    );
}
