//! The agent team against a real model: `warroom run --json` (the real binary) on a trivial
//! Python bug, with the model served by `scripts/local-llm.sh serve qwen PORT` and
//! `WARROOM_TEST_LLM_URL` pointing at it (`.ci/run` does this); without it the test is skipped
//! with the reason printed. A 0.5B model rarely fixes anything, so this asserts the loop, not
//! the model's success: every role asks the model, the analyst is offered its tools, the
//! verifier runs the baseline and judges every proposed patch, the run ends in a definite
//! state, and nothing of the person's changes without an approval.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::process::Command;

use support::git;

use warroom::protocol::{Event, Record, RunState};

#[test]
fn the_team_loop_runs_on_a_real_model() {
    let Ok(url) = std::env::var("WARROOM_TEST_LLM_URL") else {
        eprintln!(
            "skipped: WARROOM_TEST_LLM_URL is not set (start a model with \
             `scripts/local-llm.sh serve qwen 8431` and set it to http://127.0.0.1:8431/v1)"
        );
        return;
    };
    let model = std::env::var("WARROOM_TEST_LLM_MODEL").unwrap_or_else(|_| "qwen".into());
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::write(repo.join("calc.py"), "def add(a, b):\n    return a - b\n").unwrap();
    std::fs::write(
        repo.join("test_calc.py"),
        "import unittest\nfrom calc import add\n\n\nclass CalcTest(unittest.TestCase):\n    \
         def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n    \
         def test_add_zero(self):\n        self.assertEqual(add(0, 0), 0)\n",
    )
    .unwrap();
    git(repo, &["init", "-q"]);
    git(repo, &["add", "-A"]);
    git(
        repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "init",
        ],
    );
    std::fs::create_dir_all(repo.join(".warroom")).unwrap();
    std::fs::write(
        repo.join(".warroom/config.toml"),
        format!(
            "[providers.local]\nkind = \"openai\"\nbase_url = \"{url}\"\ntext_tool_calls = true\n\
             first_byte_timeout_ms = 240000\nidle_timeout_ms = 120000\n\n\
             [roles.default]\nmodels = [\"local/{model}\"]\ntemperature = 0.0\nmax_tokens = 300\n\n\
             [team]\nmax_steps = 3\nmax_attempts = 1\n\n[router]\nmax_retries = 0\n\n\
             [cache]\nenabled = false\n"
        ),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_warroom"));
    for (name, _) in std::env::vars() {
        if name.starts_with("WARROOM_") {
            command.env_remove(name);
        }
    }
    let home = repo.join(".home");
    let output = command
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .args(["--repo"])
        .arg(repo)
        .args([
            "run",
            "test_add in test_calc.py fails; fix calc.py",
            "--json",
            "--approve",
            "deny",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let records: Vec<Record> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let events: Vec<&Event> = records.iter().map(|r| &r.event).collect();
    let story: Vec<&str> = events.iter().map(|e| e.kind()).collect();
    eprintln!(
        "exit {:?}; events: {}",
        output.status.code(),
        story.join(" ")
    );
    eprintln!("stderr: {}", String::from_utf8_lossy(&output.stderr));

    // Every role asked the model; the analyst's calls were made.
    let calls_ok = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::LlmCallEnded {
                    outcome: warroom::protocol::CallOutcome::Ok,
                    output_tokens: 1..,
                    ..
                }
            )
        })
        .count();
    assert!(
        calls_ok >= 3,
        "planner, observer and analyst each get an answer from the model ({calls_ok} did)"
    );
    // The verifier ran the baseline and saw the failing test by name.
    let baseline = events.iter().find_map(|e| match e {
        Event::TestsRan { label, failed, .. } if label == "baseline" => Some(failed.clone()),
        _ => None,
    });
    let failed = baseline.expect("a baseline test run");
    assert!(failed.iter().any(|t| t.contains("test_add")), "{failed:?}");
    // Every proposed patch was judged, by the tests.
    let proposed = story.iter().filter(|k| **k == "patch_proposed").count();
    let judged = story.iter().filter(|k| **k == "patch_judged").count();
    assert_eq!(proposed, judged, "every patch gets a verdict");
    // The run ended: verified but denied (the apply is denied here), or blocked asking for help.
    let ended = events.iter().rev().find_map(|e| match e {
        Event::RunFinished { state, .. } => Some(*state),
        Event::RunStateChanged {
            state: RunState::Blocked,
            ..
        } => Some(RunState::Blocked),
        _ => None,
    });
    assert!(
        matches!(
            ended,
            Some(RunState::Blocked | RunState::Cancelled | RunState::Failed)
        ),
        "{ended:?}"
    );
    // With the apply denied, the person's file is untouched whatever the model did.
    assert_eq!(
        std::fs::read_to_string(repo.join("calc.py")).unwrap(),
        "def add(a, b):\n    return a - b\n"
    );
    let tool_calls = story.iter().filter(|k| **k == "tool_call_began").count();
    eprintln!("the model made {tool_calls} tool call(s) and {proposed} patch(es)");
}
