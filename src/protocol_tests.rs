//! Round-trip tests for every `Event` and `Command` variant.

use super::*;
use std::collections::BTreeSet;

fn all_events() -> Vec<Event> {
    vec![
        Event::RunStarted {
            goal: "fix parse_dates".into(),
            repo: "/src/app".into(),
        },
        Event::RunStateChanged {
            state: RunState::AwaitingApproval,
            reason: "patch verified".into(),
        },
        Event::RunFinished {
            state: RunState::Done,
            summary: "fixed".into(),
        },
        Event::AgentSpawned {
            agent: AgentId(1),
            parent: Some(AgentId(0)),
            role: "observer".into(),
            model: "qwen".into(),
        },
        Event::AgentStatusChanged {
            agent: AgentId(1),
            status: AgentStatus::CallingTool,
            task: Some(TaskId(3)),
        },
        Event::AgentUsageUpdated {
            agent: AgentId(1),
            input_tokens: 1200,
            output_tokens: 300,
            cost_usd: 0.0123,
        },
        Event::TaskCreated {
            task: TaskId(3),
            parent: Some(TaskId(1)),
            title: "reproduce".into(),
            deps: vec![TaskId(2)],
            owner: None,
        },
        Event::TaskStatusChanged {
            task: TaskId(3),
            status: TaskStatus::Running,
            attempt: 2,
        },
        Event::TaskProgressed {
            task: TaskId(3),
            progress: 0.375,
        },
        Event::LogLine {
            agent: None,
            level: LogLevel::Warn,
            text: "\u{1b}[31mred\u{1b}[0m and ünïcödé".into(),
        },
        Event::LlmCallBegan {
            call: LlmCallId(7),
            agent: AgentId(2),
            provider: "local".into(),
            model: "qwen".into(),
        },
        Event::LlmDelta {
            call: LlmCallId(7),
            agent: AgentId(2),
            text: "Hel".into(),
        },
        Event::LlmCallEnded {
            call: LlmCallId(7),
            agent: AgentId(2),
            input_tokens: 10,
            output_tokens: 20,
            cached_tokens: 5,
            cost_usd: 0.5,
            ttft_ms: Some(120),
            latency_ms: 900,
            cache_hit: false,
            outcome: CallOutcome::Failed {
                error: "429".into(),
            },
        },
        Event::LlmRetried {
            call: LlmCallId(7),
            agent: AgentId(2),
            provider: "openai".into(),
            attempt: 2,
            delay_ms: 750,
            reason: "rate limited".into(),
        },
        Event::LlmFellBack {
            call: LlmCallId(7),
            agent: AgentId(2),
            from: "openai/gpt-4o-mini".into(),
            to: "local/qwen".into(),
            reason: "circuit open".into(),
        },
        Event::ToolCallBegan {
            call: ToolCallId(4),
            agent: AgentId(3),
            tool: "run_tests".into(),
            args: r#"{"filter":"parse"}"#.into(),
        },
        Event::ToolOutputDelta {
            call: ToolCallId(4),
            agent: AgentId(3),
            stream: OutputStream::Stderr,
            text: "FAILED".into(),
        },
        Event::ToolCallEnded {
            call: ToolCallId(4),
            agent: AgentId(3),
            ok: false,
            exit_code: Some(1),
            duration_ms: 3400,
            summary: "1 failed".into(),
        },
        Event::ApprovalRequested {
            approval: ApprovalId(1),
            agent: AgentId(2),
            subject: ApprovalSubject::Patch {
                diff: "--- a/x\n+++ b/x\n".into(),
                files: vec!["x".into()],
            },
        },
        Event::ApprovalDecided {
            approval: ApprovalId(1),
            decision: Decision::Denied {
                reason: "too broad".into(),
            },
            by: "owner".into(),
        },
        Event::MemoryWritten {
            memory: MemoryId(9),
            memory_kind: MemoryKind::RepoFact,
            text: "tests run with pytest -q".into(),
            agent: Some(AgentId(1)),
            task: None,
        },
        Event::MemoryForgotten {
            memory: MemoryId(9),
        },
        Event::ChatMessagePosted {
            role: ChatRole::User,
            text: "status?".into(),
        },
        Event::FilesChanged {
            paths: vec!["src/lib.rs".into()],
        },
        Event::RepoDetected {
            languages: vec!["python".into()],
            build: None,
            test: Some("python3 -m pytest -q".into()),
            run: None,
            sources: vec!["pyproject.toml [tool.pytest.ini_options]".into()],
        },
        Event::TestsRan {
            agent: AgentId(3),
            label: "baseline".into(),
            command: "cargo test".into(),
            exit_code: Some(101),
            passed: vec!["a::ok".into()],
            failed: vec!["a::broken".into()],
            duration_ms: 1200,
        },
        Event::PatchProposed {
            patch: PatchId(1),
            task: Some(TaskId(2)),
            agent: AgentId(2),
            files: vec!["src/lib.rs".into()],
            diff: "--- a/src/lib.rs\n+++ b/src/lib.rs\n".into(),
        },
        Event::PatchJudged {
            patch: PatchId(1),
            verified: false,
            reason: "a::broken still fails".into(),
        },
        Event::PatchApplied {
            patch: PatchId(1),
            files: vec!["src/lib.rs".into()],
        },
        Event::PatchRolledBack { patch: PatchId(1) },
        Event::ModelsChosen {
            summary: "default: local/qwen".into(),
        },
        Event::PrefixGranted {
            prefix: "cargo test".into(),
            scope: GrantScope::Repo,
            by: "owner".into(),
        },
        Event::AgentInput {
            agent: AgentId(2),
            task: Some(TaskId(3)),
            input: AgentInputRecord::Answer {
                text: String::new(),
                tool_calls: vec![RecordedToolCall {
                    id: "c1".into(),
                    name: "read_file".into(),
                    arguments: r#"{"path":"a.py"}"#.into(),
                }],
            },
        },
        Event::ContextUpdated {
            agent: AgentId(2),
            parts: vec![ContextPart {
                kind: "system".into(),
                label: "analyst prompt".into(),
                tokens: 420,
            }],
            window: 8192,
        },
        Event::StepRecorded {
            task: Some(TaskId(3)),
            step: 1,
            label: "baseline".into(),
            value: "{}".into(),
        },
        Event::RunResumed {
            after: EventId(41),
            interrupted: vec!["write_file a.py".into()],
        },
        Event::MemoryPinned {
            memory: MemoryId(3),
            pinned: true,
        },
        Event::MemoryEdited {
            memory: MemoryId(3),
            text: "tests run with `pytest -q`".into(),
        },
        Event::MemoryFlagged {
            memory: MemoryId(3),
            reason: "src/app.py changed".into(),
        },
        Event::MemoryInjected {
            agent: AgentId(2),
            task: Some(TaskId(3)),
            memories: vec![MemoryId(3)],
            tokens: 12,
            text: "- tests run with `pytest -q`".into(),
        },
        Event::ApprovalStale {
            approval: ApprovalId(1),
            files: vec!["src/app.py".into()],
        },
        Event::AgentStalled {
            agent: AgentId(2),
            idle_ms: 60_000,
            step: StallStep::Retried,
        },
        Event::ErrorRaised {
            agent: Some(AgentId(2)),
            source: "llm".into(),
            message: "401: key from OPENAI_API_KEY was refused".into(),
        },
    ]
}

fn all_commands() -> Vec<Command> {
    vec![
        Command::SubmitGoal {
            text: "make it start".into(),
        },
        Command::ResumeRun { run: None },
        Command::SendChat { text: "hi".into() },
        Command::DecideApproval {
            run: RunId(1),
            approval: ApprovalId(2),
            decision: Decision::Approved,
        },
        Command::CancelTask {
            run: RunId(1),
            task: TaskId(4),
        },
        Command::CancelRun { run: RunId(1) },
        Command::ForgetMemory {
            memory: MemoryId(3),
        },
        Command::RollbackPatch { patch: PatchId(1) },
        Command::GrantPrefix {
            run: RunId(1),
            prefix: "npm install".into(),
            scope: GrantScope::Run,
        },
    ]
}

/// Every variant, listed by a match with no wildcard: adding a variant breaks this until the
/// samples above cover it too.
fn variant_count(event: &Event) -> usize {
    match event {
        Event::RunStarted { .. }
        | Event::RunStateChanged { .. }
        | Event::RunFinished { .. }
        | Event::AgentSpawned { .. }
        | Event::AgentStatusChanged { .. }
        | Event::AgentUsageUpdated { .. }
        | Event::TaskCreated { .. }
        | Event::TaskStatusChanged { .. }
        | Event::TaskProgressed { .. }
        | Event::LogLine { .. }
        | Event::LlmCallBegan { .. }
        | Event::LlmDelta { .. }
        | Event::LlmCallEnded { .. }
        | Event::LlmRetried { .. }
        | Event::LlmFellBack { .. }
        | Event::ToolCallBegan { .. }
        | Event::ToolOutputDelta { .. }
        | Event::ToolCallEnded { .. }
        | Event::ApprovalRequested { .. }
        | Event::ApprovalDecided { .. }
        | Event::MemoryWritten { .. }
        | Event::MemoryForgotten { .. }
        | Event::ChatMessagePosted { .. }
        | Event::FilesChanged { .. }
        | Event::RepoDetected { .. }
        | Event::TestsRan { .. }
        | Event::PatchProposed { .. }
        | Event::PatchJudged { .. }
        | Event::PatchApplied { .. }
        | Event::PatchRolledBack { .. }
        | Event::PrefixGranted { .. }
        | Event::ModelsChosen { .. }
        | Event::AgentInput { .. }
        | Event::ContextUpdated { .. }
        | Event::RunResumed { .. }
        | Event::StepRecorded { .. }
        | Event::MemoryPinned { .. }
        | Event::MemoryEdited { .. }
        | Event::MemoryFlagged { .. }
        | Event::MemoryInjected { .. }
        | Event::ApprovalStale { .. }
        | Event::AgentStalled { .. }
        | Event::ErrorRaised { .. } => 43,
    }
}

#[test]
fn every_event_variant_round_trips_through_json() {
    let events = all_events();
    let kinds: BTreeSet<&str> = events.iter().map(Event::kind).collect();
    assert_eq!(
        kinds.len(),
        variant_count(&events[0]),
        "a variant has no sample"
    );
    for event in events {
        let json = serde_json::to_string(&event).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value["kind"],
            event.kind(),
            "tag differs from kind() in {json}"
        );
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
    }
}

#[test]
fn every_command_variant_round_trips_through_json() {
    for command in all_commands() {
        let json = serde_json::to_string(&command).unwrap();
        let back: Command = serde_json::from_str(&json).unwrap();
        assert_eq!(back, command);
    }
}

#[test]
fn records_round_trip_and_ids_are_plain_numbers() {
    let record = Record {
        id: EventId(42),
        run: RunId(3),
        at: Millis(1_700_000_000_000),
        event: Event::TaskProgressed {
            task: TaskId(1),
            progress: 0.1,
        },
    };
    let json = serde_json::to_string(&record).unwrap();
    assert!(
        json.starts_with(r#"{"id":42,"run":3,"at":1700000000000,"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), record);
}

#[test]
fn an_unknown_kind_is_an_error_not_a_panic() {
    let err = serde_json::from_str::<Event>(r#"{"kind":"from_the_future","x":1}"#).unwrap_err();
    assert!(err.to_string().contains("from_the_future"), "{err}");
}
