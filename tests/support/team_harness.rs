//! The harness of the team's end-to-end tests (`tests/team_e2e.rs`): a temp git repository
//! holding a small Python project (stdlib unittest, `test_add` failing, `test_mul` passing),
//! the real core on a real store with a config that points every role at a scripted
//! OpenAI-compatible server (`fake_openai.rs`), and waits and checks over the event log. The
//! test file must declare `mod support;` and `mod fake_openai;` (by `#[path]`) at its root.

// Test-only code: failing loudly is the point.
#![allow(dead_code, clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::fake_openai::{FakeOpenAi, Reply, Seen};
pub use crate::support::git;
use serde_json::json;
use warroom::config::{self, LoadOptions};
use warroom::core::{self, CoreHandle, TeamOptions};
use warroom::paths::RepoPaths;
use warroom::protocol::{
    ApprovalId, ApprovalSubject, ChatRole, Command, Event, EventId, Record, RunId, RunState,
};
use warroom::store::{self, OwnedStore, Reader, StoreOptions};

/// The module under repair: `add` subtracts.
pub const CALC: &str = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n";
/// `add` fixed.
pub const CALC_FIXED: &str =
    "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n";
/// `add` fixed and `mul` broken.
pub const CALC_BROKEN: &str =
    "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n";
pub const TESTS: &str = "import unittest\n\nfrom calc import add, mul\n\n\nclass CalcTest(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n    def test_mul(self):\n        self.assertEqual(mul(2, 3), 6)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n";
/// The fix as a unified diff, the way a model sends it to `apply_patch`.
pub const FIX_DIFF: &str = "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n";
pub const GOAL: &str = "test_add fails: add(2, 3) is not 5. Fix it.";
/// How long any one wait may take before the test gives up (a hang guard, not an assertion).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The planner's plan: reproduce, then fix.
pub fn plan() -> Reply {
    Reply::text(
        &json!({"summary": "reproduce, then fix add", "tasks": [
            {"title": "Reproduce", "role": "observer", "depends_on": []},
            {"title": "Fix", "role": "analyst", "depends_on": [0]}
        ]})
        .to_string(),
    )
}

/// The analyst sends the fix, then says it is done.
pub fn fixing_analyst(seen: &Seen) -> Reply {
    if seen.after_tool() {
        Reply::text("add now adds.")
    } else {
        Reply::tool("apply_patch", json!({ "diff": FIX_DIFF }))
    }
}

/// Answers for every role but the analyst, which `analyst` answers.
pub fn brain(analyst: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> impl Fn(&Seen) -> Reply {
    move |seen: &Seen| match seen.role.as_str() {
        "planner" => plan(),
        "observer" => Reply::text("add in calc.py subtracts; test_add fails."),
        "analyst" => analyst(seen),
        other => Reply::text(&format!("no script for {other}")),
    }
}

/// A temp git repository with the Python project committed, plus a running core.
pub struct Team {
    _dir: tempfile::TempDir,
    /// The repository (its working tree is the person's).
    pub repo: PathBuf,
    /// Its warroom paths.
    pub paths: RepoPaths,
    /// A reader of its database.
    pub reader: Reader,
    /// The model.
    pub server: FakeOpenAi,
    core: Option<CoreHandle>,
    join: Option<tokio::task::JoinHandle<()>>,
    store: Option<OwnedStore>,
}

impl Team {
    /// Starts the core on a fresh fixture with `brain` behind the model and `extra` config.
    pub async fn start(
        brain: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
        extra: &str,
    ) -> Team {
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
                ..TeamOptions::default()
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
    pub async fn send(&self, command: Command) {
        assert!(self.core.as_ref().unwrap().send(command).await);
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<Record> {
        self.reader
            .events_after(None, EventId(0), usize::MAX >> 1)
            .unwrap()
            .records
    }

    /// Waits until `done` holds for the event log; panics with the log if it never does.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Record]) -> bool) -> Vec<Record> {
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
    pub async fn submit(&self) -> RunId {
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
    pub async fn patch_approval(&self) -> (ApprovalId, String) {
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
    pub async fn finished(&self) -> RunState {
        let events = self
            .wait_for("RunFinished", |e| e.iter().any(|r| finished(r).is_some()))
            .await;
        events.iter().find_map(finished).unwrap()
    }

    /// Waits for the run to be blocked on the person; returns the planner's last message.
    pub async fn blocked(&self) -> String {
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
    pub fn calc(&self) -> String {
        std::fs::read_to_string(self.repo.join("calc.py")).unwrap()
    }

    /// `git status --porcelain` of the person's working tree.
    pub fn git_status(&self) -> String {
        git(&self.repo, &["status", "--porcelain"])
    }

    /// Queues a command in the `commands` table, as another terminal (`warroom attach`) does.
    pub fn queue_as_viewer(&self, command: &Command) {
        store::queue_command(&self.paths, command, "viewer-test", Duration::from_secs(5)).unwrap();
    }

    /// Waits until the core has taken every queued viewer command, then until it has carried
    /// out whatever came before a chat message sent now (the core handles one thing at a time:
    /// the answer to this message comes after the effects of the commands taken before it).
    pub async fn settle_viewer_commands(&self) {
        let db = self.paths.db.clone();
        let left = move || -> i64 {
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.query_row(
                "SELECT count(*) FROM commands WHERE consumed_at IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        tokio::time::timeout(PATIENCE, async {
            while left() > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("the core never took the queued commands");
        let marker = "settle: anything queued before this is done";
        self.send(Command::SendChat {
            text: marker.into(),
        })
        .await;
        self.wait_for("the settle marker", |e| {
            e.iter().any(|r| {
                matches!(&r.event, Event::ChatMessagePosted { role: ChatRole::User, text } if text == marker)
            })
        })
        .await;
    }

    /// Stops the core (its runs are cancelled) and closes the store.
    pub async fn stop(mut self) {
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

pub fn is_patch_approval(r: &Record) -> bool {
    matches!(
        r.event,
        Event::ApprovalRequested {
            subject: ApprovalSubject::Patch { .. },
            ..
        }
    )
}

pub fn finished(r: &Record) -> Option<RunState> {
    match r.event {
        Event::RunFinished { state, .. } => Some(state),
        _ => None,
    }
}

/// The events, one line each, for failure messages.
pub fn dump(events: &[Record]) -> String {
    events
        .iter()
        .map(|r| format!("{:?}", r.event))
        .map(|line| line.chars().take(400).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A temp git repository with the Python project committed and a `.warroom/config.toml` that
/// points every role at the server at `base_url` (no response cache), plus `extra` config.
pub fn configured_project(base_url: &str, extra: &str) -> crate::support::TempRepo {
    let repo = crate::support::TempRepo::new();
    fixture(&repo.repo);
    let paths = RepoPaths::new(&repo.repo).unwrap();
    std::fs::create_dir_all(paths.config.parent().unwrap()).unwrap();
    std::fs::write(
        &paths.config,
        format!(
            "[providers.fake]\nkind = \"openai\"\nbase_url = \"{base_url}\"\n\n[roles.default]\n\
             models = [\"fake/m\"]\n\n[cache]\nenabled = false\n\n{extra}"
        ),
    )
    .unwrap();
    repo
}

/// The Python project, committed.
pub fn fixture(repo: &Path) {
    std::fs::create_dir_all(repo.join("tests")).unwrap();
    std::fs::write(repo.join("calc.py"), CALC).unwrap();
    std::fs::write(repo.join("tests/__init__.py"), "").unwrap();
    std::fs::write(repo.join("tests/test_calc.py"), TESTS).unwrap();
    git(repo, &["init", "-q"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "calc"]);
}

/// The position of the first event after `from` that matches, or a panic naming `what`.
pub fn position(events: &[Record], from: usize, what: &str, is: impl Fn(&Event) -> bool) -> usize {
    events[from..]
        .iter()
        .position(|r| is(&r.event))
        .map(|i| from + i)
        .unwrap_or_else(|| panic!("no {what} after event #{from}; events:\n{}", dump(events)))
}
