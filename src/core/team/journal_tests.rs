use super::*;
use crate::protocol::{AgentStatus, GrantScope, Millis, RecordedToolCall, RunId};

fn records(events: Vec<Event>) -> Vec<Record> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Record {
            id: EventId(i as i64 + 1),
            run: RunId(1),
            at: Millis(1_000 + i as i64),
            event,
        })
        .collect()
}

fn began(call: u32, agent: u32, tool: &str) -> Event {
    Event::ToolCallBegan {
        call: ToolCallId(call),
        agent: AgentId(agent),
        tool: tool.into(),
        args: "{}".into(),
    }
}

fn ended(call: u32, agent: u32) -> Event {
    Event::ToolCallEnded {
        call: ToolCallId(call),
        agent: AgentId(agent),
        ok: true,
        exit_code: None,
        duration_ms: 1,
        summary: "done".into(),
    }
}

fn done_input(agent: u32, call_id: &str) -> Event {
    Event::AgentInput {
        agent: AgentId(agent),
        task: Some(TaskId(2)),
        input: AgentInputRecord::ToolDone {
            call_id: call_id.into(),
            content: "ok".into(),
        },
    }
}

fn spawned(agent: u32, parent: Option<u32>, role: &str) -> Event {
    Event::AgentSpawned {
        agent: AgentId(agent),
        parent: parent.map(AgentId),
        role: role.into(),
        model: "m".into(),
    }
}

#[test]
fn ids_go_on_after_the_highest_ones_used() {
    let j = Journal::fold(&records(vec![
        spawned(0, None, "planner"),
        spawned(3, Some(0), "analyst"),
        Event::TaskCreated {
            task: TaskId(4),
            parent: None,
            title: "goal".into(),
            deps: Vec::new(),
            owner: Some(AgentId(0)),
        },
        Event::LlmCallBegan {
            call: LlmCallId(7),
            agent: AgentId(3),
            provider: "p".into(),
            model: "m".into(),
        },
        began(5, 3, "read_file"),
        Event::ApprovalRequested {
            approval: ApprovalId(2),
            agent: AgentId(3),
            subject: ApprovalSubject::Command {
                command: "curl x".into(),
                reason: "network".into(),
            },
        },
    ]));
    assert_eq!(
        (
            j.next_agent,
            j.next_task,
            j.next_call,
            j.next_tool,
            j.next_approval
        ),
        (4, 5, 8, 6, 3)
    );
    assert_eq!(j.planner(), Some(AgentId(0)));
    assert_eq!(j.root_task(), Some(TaskId(4)));
    assert_eq!(j.after, EventId(6));
}

#[test]
fn a_call_without_an_end_is_open_and_one_answered_in_the_record_is_not() {
    let j = Journal::fold(&records(vec![
        began(0, 2, "read_file"),
        ended(0, 2),
        done_input(2, "c0"),
        began(1, 2, "edit_file"),
        // Ended, but its result never reached the agent's record.
        began(2, 3, "write_file"),
        ended(2, 3),
        Event::LlmCallBegan {
            call: LlmCallId(4),
            agent: AgentId(2),
            provider: "p".into(),
            model: "m".into(),
        },
    ]));
    let open: Vec<(u32, &str, bool)> = j
        .open_tools
        .iter()
        .map(|t| (t.call.0, t.tool.as_str(), t.ended.is_some()))
        .collect();
    assert_eq!(open, vec![(1, "edit_file", false), (2, "write_file", true)]);
    assert!(!j.open_tools[0].read_only());
    assert_eq!(j.open_calls, vec![(LlmCallId(4), AgentId(2))]);
}

#[test]
fn a_tool_waiting_for_approval_is_asked_again_not_cut_off() {
    let subject = ApprovalSubject::Command {
        command: "npm install".into(),
        reason: "network".into(),
    };
    let j = Journal::fold(&records(vec![
        began(0, 2, "run_command"),
        Event::ApprovalRequested {
            approval: ApprovalId(0),
            agent: AgentId(2),
            subject: subject.clone(),
        },
    ]));
    assert!(j.open_tools[0].awaiting_approval);
    assert_eq!(j.approvals.len(), 1);
    assert_eq!(j.approvals[0].decision, None);

    let decided = Journal::fold(&records(vec![
        began(0, 2, "run_command"),
        Event::ApprovalRequested {
            approval: ApprovalId(0),
            agent: AgentId(2),
            subject,
        },
        Event::ApprovalDecided {
            approval: ApprovalId(0),
            decision: Decision::Approved,
            by: "owner".into(),
        },
    ]));
    assert!(
        !decided.open_tools[0].awaiting_approval,
        "approved, so it may have run"
    );
    assert_eq!(decided.approvals[0].decision, Some(Decision::Approved));
}

#[test]
fn inputs_and_steps_are_kept_in_order_per_agent_and_task() {
    let j = Journal::fold(&records(vec![
        Event::AgentInput {
            agent: AgentId(2),
            task: Some(TaskId(2)),
            input: AgentInputRecord::Start {
                brief: "fix".into(),
            },
        },
        Event::AgentInput {
            agent: AgentId(2),
            task: Some(TaskId(2)),
            input: AgentInputRecord::Answer {
                text: String::new(),
                tool_calls: vec![RecordedToolCall {
                    id: "c1".into(),
                    name: "read_file".into(),
                    arguments: "{}".into(),
                }],
            },
        },
        Event::StepRecorded {
            task: Some(TaskId(2)),
            step: 0,
            label: "propose".into(),
            value: "1".into(),
        },
        Event::StepRecorded {
            task: Some(TaskId(2)),
            step: 1,
            label: "verify".into(),
            value: "2".into(),
        },
    ]));
    let inputs: Vec<&AgentInputRecord> = j.inputs[&AgentId(2)].iter().collect();
    assert!(matches!(inputs[0], AgentInputRecord::Start { .. }));
    assert!(matches!(inputs[1], AgentInputRecord::Answer { .. }));
    let labels: Vec<&str> = j.steps[&Some(TaskId(2))]
        .iter()
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(labels, vec!["propose", "verify"]);
    assert_eq!(j.step_values("verify"), vec!["2".to_string()]);
}

#[test]
fn the_first_agent_on_a_task_owns_it_and_findings_come_only_from_done_tasks() {
    let j = Journal::fold(&records(vec![
        spawned(0, None, "planner"),
        spawned(1, Some(0), "observer"),
        spawned(2, Some(0), "verifier"),
        Event::TaskCreated {
            task: TaskId(1),
            parent: Some(TaskId(0)),
            title: "Reproduce".into(),
            deps: Vec::new(),
            owner: None,
        },
        Event::AgentStatusChanged {
            agent: AgentId(1),
            status: AgentStatus::Thinking,
            task: Some(TaskId(1)),
        },
        Event::AgentStatusChanged {
            agent: AgentId(2),
            status: AgentStatus::CallingTool,
            task: Some(TaskId(1)),
        },
        Event::StepRecorded {
            task: Some(TaskId(1)),
            step: 0,
            label: "finding".into(),
            value: "\"tests fail\"".into(),
        },
    ]));
    assert_eq!(j.tasks[&TaskId(1)].agent, Some(AgentId(1)));
    assert_eq!(j.agent_of_role("verifier"), Some(AgentId(2)));
    assert!(
        j.step_values_of_done("finding").is_empty(),
        "running: it finds again"
    );
    let mut done = j.clone();
    if let Some(t) = done.tasks.get_mut(&TaskId(1)) {
        t.status = TaskStatus::Done;
    }
    assert_eq!(done.step_values_of_done("finding"), vec!["\"tests fail\""]);
}

#[test]
fn a_verified_patch_counts_until_it_is_applied() {
    let proposed = Event::PatchProposed {
        patch: PatchId(3),
        task: Some(TaskId(2)),
        agent: AgentId(2),
        files: vec!["a.py".into()],
        diff: "d".into(),
    };
    let judged = Event::PatchJudged {
        patch: PatchId(3),
        verified: true,
        reason: "ok".into(),
    };
    let j = Journal::fold(&records(vec![proposed.clone(), judged.clone()]));
    assert_eq!(j.verified_unapplied().map(|v| v.0), Some(PatchId(3)));
    let applied = Journal::fold(&records(vec![
        proposed,
        judged,
        Event::PatchApplied {
            patch: PatchId(3),
            files: vec!["a.py".into()],
        },
    ]));
    assert_eq!(applied.verified_unapplied(), None);
}

#[test]
fn state_events_are_counted_and_chatter_is_not() {
    let status = Event::AgentStatusChanged {
        agent: AgentId(1),
        status: AgentStatus::Thinking,
        task: None,
    };
    let j = Journal::fold(&records(vec![
        status.clone(),
        status.clone(),
        Event::LogLine {
            agent: None,
            level: crate::protocol::LogLevel::Info,
            text: "hi".into(),
        },
        Event::PrefixGranted {
            prefix: "cargo test".into(),
            scope: GrantScope::Run,
            by: "owner".into(),
        },
    ]));
    assert_eq!(j.seen.get(&fingerprint(&status)), Some(&2));
    assert_eq!(
        j.seen.values().sum::<u32>(),
        3,
        "the log line is not counted"
    );
    assert_eq!(j.grants, vec!["cargo test".to_string()]);
}
