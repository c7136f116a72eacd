//! The agent team end to end: the real core (`core::spawn`), a real store in a temp git
//! repository holding a small Python project (stdlib unittest, one failing and one passing
//! test), real test runs in the sandbox, and a scripted OpenAI-compatible server on 127.0.0.1
//! (`support/fake_openai.rs`) that answers by role and by position in the conversation.
//! Each test has its own repository, store and server.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

#[path = "support/fake_openai.rs"]
mod fake_openai;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use fake_openai::{FakeOpenAi, Reply, Seen};
use serde_json::json;
use warroom::config::{self, LoadOptions};
use warroom::core::{self, CoreHandle, TeamOptions};
use warroom::paths::RepoPaths;
use warroom::protocol::{
    ApprovalId, ApprovalSubject, ChatRole, Command, Decision, Event, EventId, Record, RunId,
    RunState,
};
use warroom::store::{self, OwnedStore, Reader, StoreOptions};

/// The module under repair: `add` subtracts.
const CALC: &str = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n";
/// `add` fixed.
const CALC_FIXED: &str = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n";
/// `add` fixed and `mul` broken.
const CALC_BROKEN: &str =
    "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n";
const TESTS: &str = "import unittest\n\nfrom calc import add, mul\n\n\nclass CalcTest(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n    def test_mul(self):\n        self.assertEqual(mul(2, 3), 6)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n";
/// The fix as a unified diff, the way a model sends it to `apply_patch`.
const FIX_DIFF: &str = "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n";
const GOAL: &str = "test_add fails: add(2, 3) is not 5. Fix it.";
/// How long any one wait may take before the test gives up (a hang guard, not an assertion).
const PATIENCE: Duration = Duration::from_secs(60);

/// The planner's plan: reproduce, then fix.
fn plan() -> Reply {
    Reply::text(
        &json!({"summary": "reproduce, then fix add", "tasks": [
            {"title": "Reproduce", "role": "observer", "depends_on": []},
            {"title": "Fix", "role": "analyst", "depends_on": [0]}
        ]})
        .to_string(),
    )
}

/// Answers for every role but the analyst, which `analyst` answers.
fn brain(analyst: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> impl Fn(&Seen) -> Reply {
    move |seen: &Seen| match seen.role.as_str() {
        "planner" => plan(),
        "observer" => Reply::text("add in calc.py subtracts; test_add fails."),
        "analyst" => analyst(seen),
        other => Reply::text(&format!("no script for {other}")),
    }
}

/// A temp git repository with the Python project committed, plus a running core.
struct Team {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    paths: RepoPaths,
    reader: Reader,
    server: FakeOpenAi,
    core: Option<CoreHandle>,
    join: Option<tokio::task::JoinHandle<()>>,
    store: Option<OwnedStore>,
}

impl Team {
    /// Starts the core on a fresh fixture with `brain` behind the model and `extra` config.
    async fn start(brain: impl Fn(&Seen) -> Reply + Send + Sync + 'static, extra: &str) -> Team {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        fixture(&repo);
        let server = FakeOpenAi::start(brain).await;
        let paths = RepoPaths::new(&repo).unwrap();
        let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
        std::fs::write(
            &paths.config,
            format!(
                "[providers.fake]\nkind = \"openai\"\nbase_url = \"{}\"\n\n[roles.default]\n\
                 models = [\"fake/m\"]\n\n[cache]\nenabled = false\n\n{extra}",
                server.base_url()
            ),
        )
        .unwrap();
        let (config, _) = config::load(LoadOptions {
            repo_file: Some(paths.config.clone()),
            ..LoadOptions::default()
        })
        .unwrap();
        let reader = Reader::open(&paths.db, Duration::from_secs(5)).unwrap();
        let core_reader = Reader::open(&paths.db, Duration::from_secs(5)).unwrap();
        let (core, join) = core::spawn(
            owned.store.clone(),
            core_reader,
            TeamOptions {
                config,
                approve: None,
            },
        );
        Team {
            _dir: dir,
            repo,
            paths,
            reader,
            server,
            core: Some(core),
            join: Some(join),
            store: Some(owned),
        }
    }

    /// Sends a command as the owner's screen would.
    async fn send(&self, command: Command) {
        assert!(self.core.as_ref().unwrap().send(command).await);
    }

    /// Every event so far, oldest first.
    fn events(&self) -> Vec<Record> {
        self.reader
            .events_after(None, EventId(0), usize::MAX >> 1)
            .unwrap()
            .records
    }

    /// Waits until `done` holds for the event log; panics with the log if it never does.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Record]) -> bool) -> Vec<Record> {
        let waited = tokio::time::timeout(PATIENCE, async {
            loop {
                let events = self.events();
                if done(&events) {
                    return events;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        waited.unwrap_or_else(|_| panic!("never saw {what}; events:\n{}", dump(&self.events())))
    }

    /// Submits the goal and waits for the run to start; returns the run.
    async fn submit(&self) -> RunId {
        self.send(Command::SubmitGoal { text: GOAL.into() }).await;
        let events = self
            .wait_for("RunStarted", |e| {
                e.iter()
                    .any(|r| matches!(r.event, Event::RunStarted { .. }))
            })
            .await;
        events[0].run
    }

    /// Waits for the patch approval; returns its id and the diff it shows.
    async fn patch_approval(&self) -> (ApprovalId, String) {
        let events = self
            .wait_for("a patch approval", |e| e.iter().any(is_patch_approval))
            .await;
        events
            .iter()
            .find_map(|r| match &r.event {
                Event::ApprovalRequested {
                    approval,
                    subject: ApprovalSubject::Patch { diff, .. },
                    ..
                } => Some((*approval, diff.clone())),
                _ => None,
            })
            .unwrap()
    }

    /// Waits for the run to end; returns its final state.
    async fn finished(&self) -> RunState {
        let events = self
            .wait_for("RunFinished", |e| e.iter().any(|r| finished(r).is_some()))
            .await;
        events.iter().find_map(finished).unwrap()
    }

    /// Waits for the run to be blocked on the person; returns the planner's last message.
    async fn blocked(&self) -> String {
        let events = self
            .wait_for("the run blocked", |e| {
                e.iter().any(|r| {
                    matches!(
                        r.event,
                        Event::RunStateChanged {
                            state: RunState::Blocked,
                            ..
                        }
                    )
                })
            })
            .await;
        events
            .iter()
            .rev()
            .find_map(|r| match &r.event {
                Event::ChatMessagePosted {
                    role: ChatRole::Planner,
                    text,
                } => Some(text.clone()),
                _ => None,
            })
            .expect("the planner tells the person why it stopped")
    }

    /// The person's copy of `calc.py`.
    fn calc(&self) -> String {
        std::fs::read_to_string(self.repo.join("calc.py")).unwrap()
    }

    /// `git status --porcelain` of the person's working tree.
    fn git_status(&self) -> String {
        git(&self.repo, &["status", "--porcelain"])
    }

    /// Stops the core (its runs are cancelled) and closes the store.
    async fn stop(mut self) {
        drop(self.core.take());
        if let Some(join) = self.join.take() {
            let _ = tokio::time::timeout(PATIENCE, join).await;
        }
        if let Some(owned) = self.store.take() {
            tokio::task::spawn_blocking(move || owned.close())
                .await
                .unwrap()
                .unwrap();
        }
    }
}

fn is_patch_approval(r: &Record) -> bool {
    matches!(
        r.event,
        Event::ApprovalRequested {
            subject: ApprovalSubject::Patch { .. },
            ..
        }
    )
}

fn finished(r: &Record) -> Option<RunState> {
    match r.event {
        Event::RunFinished { state, .. } => Some(state),
        _ => None,
    }
}

/// The events, one line each, for failure messages.
fn dump(events: &[Record]) -> String {
    events
        .iter()
        .map(|r| format!("{:?}", r.event))
        .map(|line| line.chars().take(400).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Process::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The Python project, committed.
fn fixture(repo: &Path) {
    std::fs::create_dir_all(repo.join("tests")).unwrap();
    std::fs::write(repo.join("calc.py"), CALC).unwrap();
    std::fs::write(repo.join("tests/__init__.py"), "").unwrap();
    std::fs::write(repo.join("tests/test_calc.py"), TESTS).unwrap();
    git(repo, &["init", "-q"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "calc"]);
}

/// The position of the first event after `from` that matches, or a panic naming `what`.
fn position(events: &[Record], from: usize, what: &str, is: impl Fn(&Event) -> bool) -> usize {
    events[from..]
        .iter()
        .position(|r| is(&r.event))
        .map(|i| from + i)
        .unwrap_or_else(|| panic!("no {what} after event #{from}; events:\n{}", dump(events)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_patch_waits_for_approval_then_reaches_the_working_tree() {
    let team = Team::start(
        brain(|seen: &Seen| {
            if seen.after_tool() {
                Reply::text("add now adds.")
            } else {
                Reply::tool("apply_patch", json!({ "diff": FIX_DIFF }))
            }
        }),
        "",
    )
    .await;
    let run = team.submit().await;
    let (approval, diff) = team.patch_approval().await;
    assert!(diff.contains("+    return a + b"), "{diff}");
    assert_eq!(
        team.calc(),
        CALC,
        "nothing reaches the working tree before approval"
    );
    assert_eq!(team.git_status(), "");

    team.send(Command::DecideApproval {
        run,
        approval,
        decision: Decision::Approved,
    })
    .await;
    assert_eq!(team.finished().await, RunState::Done);
    assert_eq!(team.calc(), CALC_FIXED);

    let events = team.events();
    let mut at = position(&events, 0, "RunStarted", |e| {
        matches!(e, Event::RunStarted { .. })
    });
    at = position(
        &events,
        at,
        "the planner",
        |e| matches!(e, Event::AgentSpawned { role, parent: None, .. } if role == "planner"),
    );
    at = position(&events, at, "TaskCreated", |e| {
        matches!(e, Event::TaskCreated { .. })
    });
    at = position(
        &events,
        at,
        "RepoDetected",
        |e| matches!(e, Event::RepoDetected { test: Some(t), .. } if t == "python3 -m unittest discover -v"),
    );
    at = position(&events, at, "the baseline run", |e| {
        matches!(e, Event::TestsRan { label, failed, passed, .. }
            if label == "baseline"
                && failed.len() == 1 && failed[0].contains("test_add")
                && passed.iter().any(|p| p.contains("test_mul")))
    });
    at = position(
        &events,
        at,
        "PatchProposed",
        |e| matches!(e, Event::PatchProposed { files, .. } if files == &["calc.py".to_string()]),
    );
    at = position(&events, at, "the run on attempt 1", |e| {
        matches!(e, Event::TestsRan { label, failed, exit_code: Some(0), .. }
            if label == "attempt 1" && failed.is_empty())
    });
    at = position(&events, at, "the verdict", |e| {
        matches!(e, Event::PatchJudged { verified: true, .. })
    });
    at = position(
        &events,
        at,
        "ApprovalRequested",
        |e| matches!(e, Event::ApprovalRequested { approval: a, .. } if *a == approval),
    );
    at = position(&events, at, "ApprovalDecided", |e| {
        matches!(e, Event::ApprovalDecided { approval: a, decision: Decision::Approved, by }
            if *a == approval && by == "owner")
    });
    at = position(
        &events,
        at,
        "PatchApplied",
        |e| matches!(e, Event::PatchApplied { files, .. } if files == &["calc.py".to_string()]),
    );
    position(&events, at, "RunFinished", |e| {
        matches!(
            e,
            Event::RunFinished {
                state: RunState::Done,
                ..
            }
        )
    });

    let planner = team.server.requests_of("planner");
    assert_eq!(planner[0].response_format()["type"], "json_schema");
    assert!(planner[0].response_format()["json_schema"]["schema"].is_object());
    let analyst = team.server.requests_of("analyst");
    assert!(
        analyst[0].tool_names().contains(&"apply_patch".to_string()),
        "{:?}",
        analyst[0].tool_names()
    );
    assert!(analyst[1].after_tool());
    assert!(team.server.requests_of("observer").len() == 1);
    team.stop().await;
}
