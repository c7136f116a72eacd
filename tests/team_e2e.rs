//! The agent team end to end: the real core (`core::spawn`), a real store in a temp git
//! repository holding a small Python project (stdlib unittest, one failing and one passing
//! test), real test runs in the sandbox, and a scripted OpenAI-compatible server on 127.0.0.1
//! (`support/fake_openai.rs`) that answers by role and by position in the conversation.
//! Each test has its own repository, store and server (`support/team_harness.rs`).

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

#[path = "support/fake_openai.rs"]
mod fake_openai;
mod support;
#[path = "support/team_harness.rs"]
mod team_harness;

use fake_openai::{Reply, Seen};
use serde_json::json;
use team_harness::*;
use warroom::protocol::{Command, Decision, Event, RunState};
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_patch_waits_for_approval_then_reaches_the_working_tree() {
    let team = Team::start(brain(fixing_analyst), "").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_that_breaks_a_passing_test_is_rejected_and_the_analyst_is_told_why() {
    let team = Team::start(
        brain(|seen: &Seen| {
            let last = seen.last()["content"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if seen.after_tool() || last.starts_with("The verifier ran the tests") {
                Reply::text("add adds now.")
            } else {
                Reply::tool(
                    "write_file",
                    json!({"path": "calc.py", "content": CALC_BROKEN}),
                )
            }
        }),
        "[team]\nmax_attempts = 2\n",
    )
    .await;
    team.submit().await;
    let why = team.blocked().await;
    assert!(why.contains("2 attempt(s) and no verified patch"), "{why}");

    let events = team.events();
    let verdicts: Vec<(bool, String)> = events
        .iter()
        .filter_map(|r| match &r.event {
            Event::PatchJudged {
                verified, reason, ..
            } => Some((*verified, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(verdicts.len(), 2, "{}", dump(&events));
    for (verified, reason) in &verdicts {
        assert!(!verified);
        assert!(
            reason.contains("passed before now fail") && reason.contains("test_mul"),
            "{reason}"
        );
    }
    assert!(events.iter().any(|r| matches!(
        &r.event,
        Event::TestsRan { label, failed, passed, .. }
            if label == "attempt 1"
                && failed.iter().any(|t| t.contains("test_mul"))
                && passed.iter().any(|t| t.contains("test_add"))
    )));
    assert!(!events.iter().any(|r| matches!(
        r.event,
        Event::ApprovalRequested { .. } | Event::PatchApplied { .. } | Event::RunFinished { .. }
    )));

    // The second attempt begins with the verifier's words.
    let analyst = team.server.requests_of("analyst");
    let feedback = analyst
        .iter()
        .find(|s| {
            s.last()["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("The verifier ran the tests"))
        })
        .expect("the analyst is asked again with the verifier's findings");
    let told = feedback.last()["content"].as_str().unwrap().to_string();
    assert!(told.contains(&verdicts[0].1), "{told}");
    assert!(told.contains("AssertionError: 5 != 6"), "{told}");

    assert_eq!(team.calc(), CALC);
    assert_eq!(team.git_status(), "");
    team.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_deciders_racing_on_one_approval_make_one_decision() {
    let team = Team::start(brain(fixing_analyst), "").await;
    let run = team.submit().await;
    let (approval, _) = team.patch_approval().await;
    let denied = Command::DecideApproval {
        run,
        approval,
        decision: Decision::Denied {
            reason: "not now".into(),
        },
    };
    let approved = Command::DecideApproval {
        run,
        approval,
        decision: Decision::Approved,
    };
    tokio::join!(async { team.queue_as_viewer(&denied) }, team.send(approved));
    let state = team.finished().await;
    team.settle_viewer_commands().await;

    let events = team.events();
    let decisions: Vec<(Decision, String)> = events
        .iter()
        .filter_map(|r| match &r.event {
            Event::ApprovalDecided {
                approval: a,
                decision,
                by,
            } if *a == approval => Some((decision.clone(), by.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(decisions.len(), 1, "{}", dump(&events));
    match &decisions[0] {
        (Decision::Approved, by) => {
            assert_eq!(by, "owner");
            assert_eq!(state, RunState::Done);
            assert_eq!(team.calc(), CALC_FIXED);
        }
        (Decision::Denied { reason }, by) => {
            assert_eq!((reason.as_str(), by.as_str()), ("not now", "viewer"));
            assert_eq!(state, RunState::Cancelled);
            assert_eq!(team.calc(), CALC);
            assert_eq!(team.git_status(), "");
        }
        (other, by) => panic!("neither side sent {other:?} (by {by})"),
    }
    team.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_that_never_calls_a_tool_ends_in_a_request_for_help() {
    let team = Team::start(
        brain(|_: &Seen| Reply::text("I would change add to use +.")),
        "",
    )
    .await;
    team.submit().await;
    let why = team.blocked().await;
    assert!(why.contains("3 attempt(s) and no verified patch"), "{why}");
    assert!(why.contains("without changing any file"), "{why}");

    // One request per attempt (each ends at once in words); later ones are told to act.
    let analyst = team.server.requests_of("analyst");
    assert_eq!(analyst.len(), 3);
    for later in &analyst[1..] {
        let last = later.last();
        assert_eq!(last["role"], "user");
        assert!(
            last["content"]
                .as_str()
                .unwrap()
                .starts_with("No file has changed"),
            "{last}"
        );
    }
    let events = team.events();
    assert!(!events.iter().any(|r| matches!(
        r.event,
        Event::PatchProposed { .. } | Event::ApprovalRequested { .. } | Event::RunFinished { .. }
    )));
    assert_eq!(team.calc(), CALC);
    assert_eq!(team.git_status(), "");
    team.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_tool_call_is_answered_with_an_error_the_model_can_correct() {
    let team = Team::start(
        brain(|seen: &Seen| match seen.turn {
            0 => Reply::Tool {
                name: "apply_patch".into(),
                arguments: "{\"diff\": \"--- a/calc.py".into(),
            },
            1 => Reply::tool("launch_rockets", json!({"count": 3})),
            2 => Reply::tool(
                "write_file",
                json!({"path": "calc.py", "content": CALC_FIXED}),
            ),
            _ => Reply::text("add now adds."),
        }),
        "",
    )
    .await;
    let run = team.submit().await;
    let (approval, _) = team.patch_approval().await;

    let analyst = team.server.requests_of("analyst");
    assert_eq!(analyst.len(), 4);
    let not_json = analyst[1].last();
    assert_eq!(not_json["role"], "tool");
    assert_eq!(not_json["tool_call_id"], analyst_call_id(&analyst[1]));
    let text = not_json["content"].as_str().unwrap();
    assert!(
        text.starts_with("error:") && text.contains("not valid JSON"),
        "{text}"
    );
    let unknown = analyst[2].last();
    assert_eq!(unknown["role"], "tool");
    let text = unknown["content"].as_str().unwrap();
    assert!(
        text.starts_with("error:") && text.contains("there is no tool \"launch_rockets\""),
        "{text}"
    );
    let events = team.events();
    let failed_calls = events
        .iter()
        .filter(|r| matches!(r.event, Event::ToolCallEnded { ok: false, .. }))
        .count();
    assert_eq!(failed_calls, 2, "{}", dump(&events));

    team.send(Command::DecideApproval {
        run,
        approval,
        decision: Decision::Approved,
    })
    .await;
    assert_eq!(team.finished().await, RunState::Done);
    assert_eq!(team.calc(), CALC_FIXED);
    team.stop().await;
}

/// The id of the tool call the assistant made just before the last message.
fn analyst_call_id(seen: &Seen) -> serde_json::Value {
    let messages = seen.messages();
    messages[messages.len() - 2]["tool_calls"][0]["id"].clone()
}
