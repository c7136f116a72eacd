//! The team's memory end to end: the real core on a real store, a scripted model server, real
//! test runs. A first run learns (the test command as a repo fact after detection, a task
//! summary and an error -> resolution pair from the synthesizer's answer when the patch is
//! verified); the planner's chat keeps older turns as a conversation summary; a second run's
//! analyst gets the error's resolution in its brief, within `[memory] inject_tokens`, and
//! `MemoryInjected` records exactly the text it was given. A synthesizer that fails still
//! leaves the facts known for sure.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

#[path = "support/fake_openai.rs"]
mod fake_openai;
mod support;
#[path = "support/team_harness.rs"]
mod team_harness;

use fake_openai::{Reply, Seen};
use team_harness::*;
use warroom::protocol::{
    ApprovalId, Command, Decision, Event, MemoryKind, Record, RunId, RunState,
};

const BUDGET: u64 = 150;

/// The usual team, plus a synthesizer that answers `synth` (or fails when `None`).
fn team_brain(synth: Option<&'static str>) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    let inner = brain(fixing_analyst);
    move |seen: &Seen| match (seen.role.as_str(), synth) {
        ("synthesizer", Some(_)) if seen.all_text().contains("Summarize this conversation") => {
            Reply::text("The person wants add fixed and prefers small patches.")
        }
        ("synthesizer", Some(answer)) => Reply::text(answer),
        ("synthesizer", None) => Reply::text(""),
        _ => inner(seen),
    }
}

fn written(events: &[Record], run: RunId, kind: MemoryKind) -> Vec<String> {
    events
        .iter()
        .filter(|r| r.run == run)
        .filter_map(|r| match &r.event {
            Event::MemoryWritten {
                memory_kind, text, ..
            } if *memory_kind == kind => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// Waits for the patch approval of `run`.
async fn patch_approval_of(team: &Team, run: RunId) -> ApprovalId {
    let events = team
        .wait_for("a patch approval", |e| {
            e.iter().any(|r| r.run == run && is_patch_approval(r))
        })
        .await;
    events
        .iter()
        .find_map(|r| match &r.event {
            Event::ApprovalRequested { approval, .. } if r.run == run && is_patch_approval(r) => {
                Some(*approval)
            }
            _ => None,
        })
        .unwrap()
}

/// Denies the patch approval of `run` and waits for the run to end.
async fn decline(team: &Team, run: RunId) {
    let approval = patch_approval_of(team, run).await;
    team.send(Command::DecideApproval {
        run,
        approval,
        decision: Decision::Denied {
            reason: "not yet".into(),
        },
    })
    .await;
    team.wait_for("the run to end", |e| {
        e.iter()
            .any(|r| r.run == run && finished(r) == Some(RunState::Cancelled))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_is_given_what_the_first_learned_within_the_budget() {
    let synth = "SUMMARY: add subtracted instead of adding.\nFIX: made add return a + b";
    let team = Team::start(
        team_brain(Some(synth)),
        &format!("[memory]\ninject_tokens = {BUDGET}\nchat_turns = 2\n"),
    )
    .await;
    let first = team.submit().await;
    patch_approval_of(&team, first).await;

    // Chat while the run waits: older turns become a conversation summary.
    for (i, text) in ["please keep patches small", "what is the status?", "thanks"]
        .iter()
        .enumerate()
    {
        team.send(Command::SendChat {
            text: text.to_string(),
        })
        .await;
        team.wait_for("the planner's reply", |e| {
            e.iter()
                .filter(|r| {
                    matches!(
                        &r.event,
                        Event::ChatMessagePosted {
                            role: warroom::protocol::ChatRole::Planner,
                            ..
                        }
                    )
                })
                .count()
                > i
        })
        .await;
    }
    let events = team.events();
    let summaries = written(&events, first, MemoryKind::Conversation);
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("prefers small patches")),
        "{}",
        dump(&events)
    );
    let planner = team.server.requests_of("planner");
    let last = planner.last().unwrap().all_text();
    assert!(
        last.contains(
            "Earlier conversation with the person (summary):\nThe person wants add fixed"
        ),
        "{last}"
    );
    assert!(last.contains("Recent conversation:"), "{last}");
    decline(&team, first).await;

    let events = team.events();
    let facts = written(&events, first, MemoryKind::RepoFact);
    assert!(
        facts.iter().any(|f| f.starts_with("tests run with `")),
        "{facts:?}"
    );
    let summaries = written(&events, first, MemoryKind::TaskSummary);
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("(analyst, run 1): add subtracted instead of adding.")),
        "{summaries:?}"
    );
    let resolutions = written(&events, first, MemoryKind::ErrorResolution);
    assert_eq!(resolutions.len(), 1, "{resolutions:?}");
    assert!(
        resolutions[0].starts_with("AssertionError: ")
            && resolutions[0].contains(" -> made add return a + b (patch ")
            && resolutions[0].ends_with("in run 1: calc.py)"),
        "{resolutions:?}"
    );

    // The second run: the analyst's brief holds the resolution, within the budget.
    team.send(Command::SubmitGoal { text: GOAL.into() }).await;
    let events = team
        .wait_for("an injection in the second run", |e| {
            e.iter()
                .any(|r| r.run != first && matches!(r.event, Event::MemoryInjected { .. }))
        })
        .await;
    let (second, memories, tokens, text) = events
        .iter()
        .find_map(|r| match &r.event {
            Event::MemoryInjected {
                memories,
                tokens,
                text,
                ..
            } if r.run != first => Some((r.run, memories.clone(), *tokens, text.clone())),
            _ => None,
        })
        .unwrap();
    assert!(tokens <= BUDGET, "{tokens}");
    assert_eq!(tokens, (text.len() as u64).div_ceil(4));
    assert!(text.contains(&resolutions[0]), "{text}");
    assert!(!memories.is_empty());
    let entries = team
        .reader
        .memory_list(None, false, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect::<Vec<_>>();
    assert!(memories.iter().all(|m| entries.contains(m)), "{memories:?}");
    patch_approval_of(&team, second).await;
    let briefs: Vec<String> = team
        .server
        .requests_of("analyst")
        .iter()
        .map(|s| s.all_text())
        .collect();
    assert!(
        briefs.iter().any(|b| b.contains(&text)),
        "exactly the recorded text reached the analyst"
    );
    decline(&team, second).await;
    team.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_synthesizer_still_leaves_the_facts() {
    let team = Team::start(team_brain(None), "").await;
    let run = team.submit().await;
    decline(&team, run).await;
    let events = team.events();
    let summaries = written(&events, run, MemoryKind::TaskSummary);
    assert!(
        summaries
            .iter()
            .any(|s| s.ends_with("(analyst, run 1): patch 1 verified, changing calc.py")),
        "{summaries:?}"
    );
    let resolutions = written(&events, run, MemoryKind::ErrorResolution);
    assert_eq!(resolutions.len(), 1, "{resolutions:?}");
    assert!(
        resolutions[0].starts_with("AssertionError: ")
            && resolutions[0].ends_with(" -> fixed by patch 1 in run 1, which changed calc.py"),
        "{resolutions:?}"
    );
    team.stop().await;
}
