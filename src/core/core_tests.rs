//! Pure tests of the core's decisions: no IO, no async.

use super::*;
use crate::protocol::{AgentId, ApprovalId, Millis};

fn task(id: u32, parent: Option<u32>, status: TaskStatus) -> TaskRow {
    TaskRow {
        id: TaskId(id),
        parent: parent.map(TaskId),
        title: format!("t{id}"),
        deps: Vec::new(),
        owner: Some(AgentId(1)),
        status,
        attempts: 1,
        progress: 0.0,
        created_at: Millis(0),
    }
}

fn no_tasks(_: RunId) -> Vec<TaskRow> {
    Vec::new()
}

fn never_pending(_: RunId, _: ApprovalId) -> bool {
    false
}

#[test]
fn a_goal_without_a_run_starts_one_that_says_why_it_is_blocked() {
    let no_team = CoreState {
        no_team: Some(NO_TEAM.into()),
        ..CoreState::default()
    };
    let effects = plan(
        &no_team,
        &Command::SubmitGoal {
            text: "fix it".into(),
        },
        &no_tasks,
        &never_pending,
        "owner",
    );
    let [Effect::StartRun { goal, then }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(goal, "fix it");
    assert!(then.contains(&Event::RunStateChanged {
        state: RunState::Blocked,
        reason: NO_TEAM.into()
    }));
}

#[test]
fn a_goal_while_a_run_is_active_is_refused_in_chat() {
    let state = CoreState {
        current: Some((RunId(4), RunState::Working)),
        ..CoreState::default()
    };
    let effects = plan(
        &state,
        &Command::SubmitGoal {
            text: "other".into(),
        },
        &no_tasks,
        &never_pending,
        "owner",
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::Append(RunId(4), Event::ChatMessagePosted { role: ChatRole::System, text })] if text.contains("run 4")
    ));
}

#[test]
fn cancelling_a_task_cancels_its_unfinished_subtree_only() {
    let tasks = |_| {
        vec![
            task(1, None, TaskStatus::Running),
            task(2, Some(1), TaskStatus::Pending),
            task(3, Some(1), TaskStatus::Done),
            task(4, Some(2), TaskStatus::Ready),
            task(5, None, TaskStatus::Running),
        ]
    };
    let effects = plan(
        &CoreState::default(),
        &Command::CancelTask {
            run: RunId(1),
            task: TaskId(1),
        },
        &tasks,
        &never_pending,
        "owner",
    );
    let cancelled: Vec<u32> = effects
        .iter()
        .map(|e| match e {
            Effect::Append(_, Event::TaskStatusChanged { task, status, .. }) => {
                assert_eq!(*status, TaskStatus::Cancelled);
                task.0
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(cancelled, [1, 2, 4]);
}

#[test]
fn only_pending_approvals_are_decided_and_cancel_ends_only_the_active_run() {
    let state = CoreState {
        current: Some((RunId(2), RunState::AwaitingApproval)),
        ..CoreState::default()
    };
    let decide = Command::DecideApproval {
        run: RunId(2),
        approval: ApprovalId(1),
        decision: crate::protocol::Decision::Approved,
    };
    assert!(plan(&state, &decide, &no_tasks, &never_pending, "owner").is_empty());
    let pending = |_, a: ApprovalId| a == ApprovalId(1);
    assert_eq!(
        plan(&state, &decide, &no_tasks, &pending, "viewer").len(),
        1
    );
    let cancel_other = Command::CancelRun { run: RunId(1) };
    assert!(plan(&state, &cancel_other, &no_tasks, &never_pending, "owner").is_empty());
    let cancel = Command::CancelRun { run: RunId(2) };
    assert!(matches!(
        plan(&state, &cancel, &no_tasks, &never_pending, "owner").as_slice(),
        [Effect::Append(
            RunId(2),
            Event::RunFinished {
                state: RunState::Cancelled,
                ..
            }
        )]
    ));
}

#[test]
fn observing_events_tracks_the_current_run() {
    let mut state = CoreState::default();
    observe(
        &mut state,
        RunId(1),
        &Event::RunStarted {
            goal: "g".into(),
            repo: "r".into(),
        },
    );
    observe(
        &mut state,
        RunId(1),
        &Event::RunFinished {
            state: RunState::Done,
            summary: String::new(),
        },
    );
    assert_eq!(state.current, Some((RunId(1), RunState::Done)));
}

fn resume(state: &CoreState, run: Option<i64>) -> Vec<Effect> {
    plan(
        state,
        &Command::ResumeRun {
            run: run.map(RunId),
        },
        &no_tasks,
        &never_pending,
        "owner",
    )
}

#[test]
fn the_war_room_opening_resumes_an_unfinished_run_and_is_silent_otherwise() {
    let unfinished = CoreState {
        current: Some((RunId(3), RunState::Working)),
        ..CoreState::default()
    };
    assert_eq!(resume(&unfinished, None), vec![Effect::Resume(RunId(3))]);
    let finished = CoreState {
        current: Some((RunId(3), RunState::Done)),
        ..CoreState::default()
    };
    assert_eq!(resume(&finished, None), Vec::new());
    assert_eq!(resume(&CoreState::default(), None), Vec::new());
    let live = CoreState {
        live: Some(RunId(3)),
        ..unfinished.clone()
    };
    assert_eq!(resume(&live, None), Vec::new(), "already running here");
}

#[test]
fn resuming_a_named_run_that_cannot_be_resumed_says_why_in_its_log() {
    let no_team = CoreState {
        current: Some((RunId(3), RunState::Blocked)),
        no_team: Some("no model answers".into()),
        ..CoreState::default()
    };
    let effects = resume(&no_team, Some(3));
    let [Effect::Append(RunId(3), Event::LogLine { text, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(text, "run 3 cannot be resumed: no model answers");
    let done = CoreState {
        current: Some((RunId(3), RunState::Done)),
        ..CoreState::default()
    };
    let effects = resume(&done, Some(3));
    assert!(
        matches!(effects.as_slice(), [Effect::Append(_, Event::LogLine { text, .. })] if text.ends_with("it has finished")),
        "{effects:?}"
    );
}
