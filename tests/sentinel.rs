//! The sentinel end to end: the real core and store, a scripted OpenAI-compatible server on
//! 127.0.0.1 whose analyst answers stop mid-stream (one chunk, then silence with the
//! connection open), and `[sentinel]` thresholds of one second. The analyst must be warned
//! about, its call cancelled and sent again, and then the person asked, in that order, as the
//! events in the real SQLite file show; `warroom errors` (the real binary) then lists the
//! escalation and the provider's health. No timing is asserted: only order and outcome.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

#[path = "support/fake_openai.rs"]
mod fake_openai;
mod support;
#[path = "support/team_harness.rs"]
mod team_harness;

use std::process::Command as Process;

use fake_openai::Reply;
use team_harness::*;
use warroom::protocol::{
    AgentId, CallOutcome, ChatRole, Command, Event, Record, RunState, StallStep,
};

const FAST: &str =
    "[sentinel]\nwarn_after_secs = 1\nretry_after_secs = 1\nescalate_after_secs = 1\n";

fn analyst_of(events: &[Record]) -> Option<AgentId> {
    events.iter().find_map(|r| match &r.event {
        Event::AgentSpawned { agent, role, .. } if role == "analyst" => Some(*agent),
        _ => None,
    })
}

fn is_step(event: &Event, who: AgentId, wanted: StallStep) -> bool {
    matches!(event, Event::AgentStalled { agent, step, .. } if *agent == who && *step == wanted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_stops_mid_stream_is_warned_retried_then_escalated() {
    let team = Team::start(brain(|_| Reply::Stall("Looking at calc.py".into())), FAST).await;
    let run = team.submit().await;
    let events = team
        .wait_for("the planner asking the person", |e| {
            e.iter().any(|r| {
                matches!(&r.event, Event::ChatMessagePosted { role: ChatRole::Planner, text } if text.starts_with("I need you"))
            })
        })
        .await;
    let analyst = analyst_of(&events).expect("an analyst was spawned");

    // The steps, in order, for the analyst.
    let warned = position(&events, 0, "the warning", |e| {
        is_step(e, analyst, StallStep::Warned)
    });
    let retried = position(&events, warned, "the retry", |e| {
        is_step(e, analyst, StallStep::Retried)
    });
    let escalated = position(&events, retried, "the escalation", |e| {
        is_step(e, analyst, StallStep::Escalated)
    });
    let steps: Vec<StallStep> = events
        .iter()
        .filter_map(|r| match &r.event {
            Event::AgentStalled { agent, step, .. } if *agent == analyst => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(
        steps,
        [StallStep::Warned, StallStep::Retried, StallStep::Escalated],
        "{}",
        dump(&events)
    );

    // The retry really cancelled the stalled call and sent it again.
    let calls: Vec<_> = events
        .iter()
        .filter_map(|r| match &r.event {
            Event::LlmCallBegan { call, agent, .. } if *agent == analyst => Some(*call),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 2, "one call and its retry: {}", dump(&events));
    let first_ended = events.iter().find_map(|r| match &r.event {
        Event::LlmCallEnded { call, outcome, .. } if *call == calls[0] => Some(outcome.clone()),
        _ => None,
    });
    assert_eq!(first_ended, Some(CallOutcome::Cancelled));
    position(
        &events,
        retried,
        "the call sent again",
        |e| matches!(e, Event::LlmCallBegan { call, .. } if *call == calls[1]),
    );
    assert_eq!(team.server.requests_of("analyst").len(), 2);

    // The person is told which agent, what it was doing and what they can do.
    let message = events[escalated..]
        .iter()
        .find_map(|r| match &r.event {
            Event::ErrorRaised {
                agent: Some(a),
                source,
                message,
            } if *a == analyst && source == "sentinel" => Some(message.clone()),
            _ => None,
        })
        .expect("an error names the stalled analyst");
    let chat = events[escalated..]
        .iter()
        .find_map(|r| match &r.event {
            Event::ChatMessagePosted {
                role: ChatRole::Planner,
                text,
            } if text.starts_with("I need you") => Some(text.clone()),
            _ => None,
        })
        .expect("the planner asks the person");
    assert!(
        message.contains(&format!("the analyst (agent {analyst})")),
        "{message}"
    );
    assert!(message.contains("waiting on model fake/m"), "{message}");
    assert!(chat.contains("/cancel"), "{chat}");

    // `warroom errors` through the real binary, while the owner runs (it only reads).
    let out = warroom_errors(&team, &[]);
    assert!(out.contains("sentinel"), "{out}");
    assert!(out.contains("has been stuck for"), "{out}");
    let provider_line = out
        .lines()
        .find(|l| l.starts_with("fake "))
        .unwrap_or_else(|| panic!("no health line for the provider: {out}"));
    assert!(provider_line.contains('%'), "{provider_line}");
    let json: serde_json::Value =
        serde_json::from_str(&warroom_errors(&team, &["--json"])).unwrap();
    let first = &json["errors"][0];
    assert_eq!(first["source"], "sentinel", "{json}");
    assert_eq!(first["run"], run.0);
    assert_eq!(json["providers"][0]["provider"], "fake");
    assert!(
        json["providers"][0]["cancelled"].as_u64().unwrap() >= 1,
        "{json}"
    );

    // What the person can do works: the run ends when cancelled.
    team.send(Command::CancelRun { run }).await;
    assert_eq!(team.finished().await, RunState::Cancelled);
    team.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_sentinel_leaves_a_stalled_agent_alone() {
    let team = Team::start(
        brain(|_| Reply::Stall("Looking".into())),
        "[sentinel]\nenabled = false\nwarn_after_secs = 1\n",
    )
    .await;
    let run = team.submit().await;
    // Both stalls would have been acted on by now: the first analyst request hangs.
    team.wait_for("the analyst's request", |e| analyst_of(e).is_some())
        .await;
    team.wait_for("the analyst's call", |e| {
        let analyst = analyst_of(e);
        e.iter()
            .any(|r| matches!(&r.event, Event::LlmDelta { agent, .. } if Some(*agent) == analyst))
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let events = team.events();
    assert!(
        !events
            .iter()
            .any(|r| matches!(r.event, Event::AgentStalled { .. })),
        "{}",
        dump(&events)
    );
    assert_eq!(team.server.requests_of("analyst").len(), 1);
    team.send(Command::CancelRun { run }).await;
    assert_eq!(team.finished().await, RunState::Cancelled);
    team.stop().await;
}

/// `warroom errors ARGS` in the team's repository; its stdout, which must be a success.
fn warroom_errors(team: &Team, args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = Process::new(support::warroom())
        .arg("errors")
        .args(args)
        .arg("--repo")
        .arg(&team.repo)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "warroom errors failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
