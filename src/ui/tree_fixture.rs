//! Extra records for the tree and memory tests: the analyst (agent 3) streaming a model call
//! with its context window and injected memories, two patches for task 7 (one refuted, one
//! verified) with their test runs, and a baseline test run of the verifier. Applied on top of
//! the populated fixture. Test-only.

use crate::protocol::*;

use super::App;
use super::fixture::{RUN, T0};

/// The records, numbered after the fixture's own.
pub fn detail_records() -> Vec<Record> {
    let part = |kind: &str, label: &str, tokens: u64| ContextPart {
        kind: kind.into(),
        label: label.into(),
        tokens,
    };
    let events = vec![
        Event::ContextUpdated {
            agent: AgentId(3),
            parts: vec![
                part("system", "analyst role", 850),
                part("memory", "memory #12, #14", 340),
                part("brief", "Handle two-digit years (日本語 notes)", 1200),
                part("tool", "read_file src/dates.rs", 4100),
            ],
            window: 200_000,
        },
        Event::MemoryInjected {
            agent: AgentId(3),
            task: Some(TaskId(7)),
            memories: vec![MemoryId(12), MemoryId(14)],
            tokens: 340,
            text: "facts".into(),
        },
        Event::PatchProposed {
            patch: PatchId(1),
            task: Some(TaskId(7)),
            agent: AgentId(3),
            files: vec!["src/dates.rs".into()],
            diff: String::new(),
        },
        Event::TestsRan {
            agent: AgentId(4),
            label: "patch 1".into(),
            command: "pytest -q".into(),
            exit_code: Some(1),
            passed: vec!["a".into(); 41],
            failed: vec!["test_parse_dates".into()],
            duration_ms: 2300,
        },
        Event::PatchJudged {
            patch: PatchId(1),
            verified: false,
            reason: "test_parse_dates still fails".into(),
        },
        Event::PatchProposed {
            patch: PatchId(2),
            task: Some(TaskId(7)),
            agent: AgentId(3),
            files: vec!["src/dates.rs".into(), "tests/test_dates.py".into()],
            diff: String::new(),
        },
        Event::TestsRan {
            agent: AgentId(4),
            label: "patch 2".into(),
            command: "pytest -q".into(),
            exit_code: Some(0),
            passed: vec!["a".into(); 42],
            failed: Vec::new(),
            duration_ms: 2100,
        },
        Event::PatchJudged {
            patch: PatchId(2),
            verified: true,
            reason: "target passes, no regressions".into(),
        },
        Event::LlmCallBegan {
            call: LlmCallId(50),
            agent: AgentId(3),
            provider: "anthropic".into(),
            model: "claude-sonnet-4".into(),
        },
        Event::LlmDelta {
            call: LlmCallId(50),
            agent: AgentId(3),
            text: "Two-digit years below 70 belong to the 2000s, so ".into(),
        },
        Event::LlmDelta {
            call: LlmCallId(50),
            agent: AgentId(3),
            text: "widen them before comparing.".into(),
        },
    ];
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Record {
            id: EventId(5000 + i as i64),
            run: RUN,
            at: Millis(T0 + 700_000 + i as i64 * 1000),
            event,
        })
        .collect()
}

/// The populated screen with [`detail_records`] applied.
pub fn detailed_app(mode: super::Mode) -> App {
    let mut app = super::fixture::populated_app(mode);
    app.apply(&detail_records());
    app
}
