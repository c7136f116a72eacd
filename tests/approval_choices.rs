//! What the approval inbox can answer besides yes and no, carried out by the real core (team
//! harness: a real store, real git, a scripted model on 127.0.0.1): a command the person
//! edited runs instead of the one asked (and the model is told), and a verified patch approved
//! in part reaches the working tree with only its accepted hunks, recorded as its own patch.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

#[path = "support/fake_openai.rs"]
mod fake_openai;
mod support;
#[path = "support/team_harness.rs"]
mod team_harness;

use fake_openai::{Reply, Seen};
use serde_json::json;
use team_harness::*;
use warroom::protocol::{ApprovalSubject, Command, Decision, Event, RunState};

/// The fix for `add` and, in the same patch, a new file the person does not want.
const FIX_AND_NOTES: &str = "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n--- /dev/null\n+++ b/NOTES.md\n@@ -0,0 +1 @@\n+notes nobody asked for\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_approved_in_part_applies_only_the_accepted_hunks() {
    let analyst = |seen: &Seen| {
        if seen.after_tool() {
            Reply::text("add now adds, and I wrote notes.")
        } else {
            Reply::tool("apply_patch", json!({ "diff": FIX_AND_NOTES }))
        }
    };
    let team = Team::start(brain(analyst), "").await;
    let run = team.submit().await;
    let (approval, diff) = team.patch_approval().await;
    let parsed = warroom::hunks::parse(&diff);
    assert_eq!(parsed.files.len(), 2, "{diff}");
    // Accept the fix, reject the notes, whatever order the diff lists them in.
    let accepted: Vec<bool> = parsed
        .files
        .iter()
        .flat_map(|f| vec![f.path == "calc.py"; f.hunks.len().max(1)])
        .collect();
    let part = warroom::hunks::partial(&diff, &accepted).unwrap();
    team.queue_as_viewer(&Command::DecideApproval {
        run,
        approval,
        decision: Decision::ApprovedPartial { diff: part.clone() },
    });
    assert_eq!(
        team.finished().await,
        RunState::Done,
        "{}",
        dump(&team.events())
    );
    assert_eq!(team.calc(), CALC_FIXED);
    assert!(
        !team.repo.join("NOTES.md").exists(),
        "the rejected file reached the working tree"
    );
    // The part was recorded as a patch of its own, and that is the one applied.
    let events = team.events();
    let part_patch = events
        .iter()
        .find_map(|r| match &r.event {
            Event::PatchProposed { patch, diff: d, .. } if *d == part => Some(*patch),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no patch holds the part: {}", dump(&events)));
    assert!(events.iter().any(|r| matches!(&r.event,
        Event::PatchApplied { patch, files } if *patch == part_patch && files == &["calc.py".to_string()])));
    team.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_that_is_not_from_the_patch_is_refused() {
    let team = Team::start(brain(fixing_analyst), "").await;
    let run = team.submit().await;
    let (approval, _) = team.patch_approval().await;
    let forged = "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return 42\n";
    team.send(Command::DecideApproval {
        run,
        approval,
        decision: Decision::ApprovedPartial {
            diff: forged.into(),
        },
    })
    .await;
    assert_eq!(team.finished().await, RunState::Failed);
    assert_eq!(team.calc(), CALC, "nothing reached the working tree");
    let events = team.events();
    assert!(
        events.iter().any(|r| matches!(&r.event,
            Event::RunFinished { summary, .. } if summary.contains("not the patch's own"))),
        "{}",
        dump(&events)
    );
    team.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_command_runs_instead_and_the_model_is_told() {
    let analyst = |seen: &Seen| {
        if seen.after_tool() {
            Reply::text("done looking.")
        } else {
            Reply::tool(
                "run_command",
                json!({ "command": "echo asked-for > asked.txt" }),
            )
        }
    };
    let team = Team::start(brain(analyst), "[approvals]\nask = [\"echo\"]\n").await;
    let run = team.submit().await;
    let events = team
        .wait_for("the command's approval", |e| {
            e.iter().any(|r| {
                matches!(&r.event, Event::ApprovalRequested {
                    subject: ApprovalSubject::Command { command, .. }, .. } if command.contains("asked-for"))
            })
        })
        .await;
    let approval = events
        .iter()
        .find_map(|r| match &r.event {
            Event::ApprovalRequested {
                approval,
                subject: ApprovalSubject::Command { .. },
                ..
            } => Some(*approval),
            _ => None,
        })
        .unwrap();
    team.send(Command::DecideApproval {
        run,
        approval,
        decision: Decision::ApprovedEdited {
            command: "echo edited-by-person".into(),
        },
    })
    .await;
    team.wait_for("the analyst's next turn", |_| {
        team.server
            .requests_of("analyst")
            .iter()
            .any(|s| s.after_tool())
    })
    .await;
    let told = team
        .server
        .requests_of("analyst")
        .into_iter()
        .find(|s| s.after_tool())
        .unwrap()
        .all_text();
    assert!(
        told.contains("(the person edited your command; it ran as: echo edited-by-person)"),
        "{told}"
    );
    assert!(told.contains("edited-by-person"), "{told}");
    assert!(
        !told.contains("asked-for\n"),
        "the asked command did not run: {told}"
    );
    team.stop().await;
}
