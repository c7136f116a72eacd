//! The sentinel's machine with a fake clock: instants built from one origin plus offsets.

use std::time::{Duration, Instant};

use super::*;
use crate::protocol::{LlmCallId, OutputStream, ToolCallId};

const A: AgentId = AgentId(3);

fn thresholds() -> Thresholds {
    Thresholds {
        warn: Duration::from_secs(10),
        retry: Duration::from_secs(20),
        escalate: Duration::from_secs(30),
    }
}

/// A clock that only moves when told.
struct Clock(Instant);

impl Clock {
    fn at(&self, secs: u64) -> Instant {
        self.0 + Duration::from_secs(secs)
    }
}

fn spawned(agent: AgentId, role: &str) -> Event {
    Event::AgentSpawned {
        agent,
        parent: None,
        role: role.into(),
        model: "fake/m".into(),
    }
}

fn status(agent: AgentId, status: AgentStatus, task: Option<TaskId>) -> Event {
    Event::AgentStatusChanged {
        agent,
        status,
        task,
    }
}

fn began(call: u32) -> Event {
    Event::LlmCallBegan {
        call: LlmCallId(call),
        agent: A,
        provider: "fake".into(),
        model: "m".into(),
    }
}

fn delta(call: u32) -> Event {
    Event::LlmDelta {
        call: LlmCallId(call),
        agent: A,
        text: "tok".into(),
    }
}

fn ended(call: u32, outcome: CallOutcome) -> Event {
    Event::LlmCallEnded {
        call: LlmCallId(call),
        agent: A,
        input_tokens: 1,
        output_tokens: 1,
        cached_tokens: 0,
        cost_usd: 0.0,
        ttft_ms: None,
        latency_ms: 5,
        cache_hit: false,
        outcome,
    }
}

/// An analyst on task 2 "Fix", thinking, with model call 7 in flight since t=0.
fn in_model_call() -> (Machine, Clock) {
    let clock = Clock(Instant::now());
    let mut m = Machine::new(thresholds());
    let t0 = clock.at(0);
    m.observe(
        t0,
        &Event::TaskCreated {
            task: TaskId(2),
            parent: None,
            title: "Fix".into(),
            deps: Vec::new(),
            owner: None,
        },
    );
    m.observe(t0, &spawned(A, "analyst"));
    m.observe(t0, &status(A, AgentStatus::Thinking, Some(TaskId(2))));
    m.observe(t0, &began(7));
    (m, clock)
}

fn steps(effects: &[Effect]) -> Vec<StallStep> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Emit(Event::AgentStalled { step, .. }) => Some(*step),
            _ => None,
        })
        .collect()
}

fn interrupts(effects: &[Effect]) -> Vec<AgentId> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Interrupt(a) => Some(*a),
            _ => None,
        })
        .collect()
}

#[test]
fn a_busy_agent_is_warned_once_its_silence_reaches_the_threshold() {
    let (mut m, clock) = in_model_call();
    assert_eq!(m.tick(clock.at(9)), Vec::new());
    let effects = m.tick(clock.at(10));
    assert_eq!(
        effects,
        vec![Effect::Emit(Event::AgentStalled {
            agent: A,
            idle_ms: 10_000,
            step: StallStep::Warned
        })]
    );
    assert_eq!(m.tick(clock.at(11)), Vec::new(), "warned once");
}

#[test]
fn warned_then_retried_then_escalated_in_that_order() {
    let (mut m, clock) = in_model_call();
    assert_eq!(steps(&m.tick(clock.at(10))), [StallStep::Warned]);
    assert_eq!(
        m.tick(clock.at(29)),
        Vec::new(),
        "retry counts from the warning"
    );
    let retried = m.tick(clock.at(30));
    assert_eq!(steps(&retried), [StallStep::Retried]);
    assert_eq!(interrupts(&retried), [A]);
    // The call is issued again: it begins, drips a token, and hangs.
    m.observe(clock.at(30), &ended(7, CallOutcome::Cancelled));
    m.observe(clock.at(31), &began(8));
    m.observe(clock.at(32), &delta(8));
    assert_eq!(
        m.tick(clock.at(61)),
        Vec::new(),
        "escalation counts from the token"
    );
    let escalated = m.tick(clock.at(62));
    assert_eq!(steps(&escalated), [StallStep::Escalated]);
    assert!(interrupts(&escalated).is_empty());
    let Some(Effect::Emit(Event::ErrorRaised {
        agent,
        source,
        message,
    })) = escalated.get(1)
    else {
        panic!("an error follows the escalation: {escalated:?}");
    };
    assert_eq!((*agent, source.as_str()), (Some(A), SOURCE));
    assert!(message.contains("the analyst (agent 3)"), "{message}");
    // Stuck since its last token before the warning (t=0), not since the retry's token.
    assert!(message.contains("has been stuck for 1m02s"), "{message}");
    assert!(message.contains("task 2 \"Fix\""), "{message}");
    assert!(message.contains("model fake/m (call 8)"), "{message}");
    let Some(Effect::Emit(Event::ChatMessagePosted {
        role: ChatRole::Planner,
        text,
    })) = escalated.get(2)
    else {
        panic!("the planner tells the person: {escalated:?}");
    };
    assert!(
        text.starts_with("I need you: the analyst (agent 3)"),
        "{text}"
    );
    assert!(
        text.contains("/cancel") && text.contains("warroom errors"),
        "{text}"
    );
    assert_eq!(
        m.tick(clock.at(1000)),
        Vec::new(),
        "nothing after escalating"
    );
    assert_eq!(m.next_due(), None);
}

#[test]
fn a_tool_is_never_retried_the_person_is_asked_instead() {
    let clock = Clock(Instant::now());
    let mut m = Machine::new(thresholds());
    m.observe(clock.at(0), &spawned(A, "verifier"));
    m.observe(clock.at(0), &status(A, AgentStatus::CallingTool, None));
    m.observe(
        clock.at(0),
        &Event::ToolCallBegan {
            call: ToolCallId(4),
            agent: A,
            tool: "run_tests".into(),
            args: "{}".into(),
        },
    );
    assert_eq!(steps(&m.tick(clock.at(10))), [StallStep::Warned]);
    let effects = m.tick(clock.at(30));
    assert_eq!(steps(&effects), [StallStep::Escalated]);
    assert!(interrupts(&effects).is_empty());
    assert!(
        matches!(&effects[1], Effect::Emit(Event::ErrorRaised { message, .. }) if message.contains("tool run_tests")),
        "{effects:?}"
    );
}

#[test]
fn agents_that_are_not_busy_are_never_stalled() {
    for idle in [
        AgentStatus::WaitingApproval,
        AgentStatus::Done,
        AgentStatus::Failed,
        AgentStatus::Idle,
        AgentStatus::Blocked,
    ] {
        let (mut m, clock) = in_model_call();
        m.observe(clock.at(1), &status(A, idle, None));
        assert_eq!(m.next_due(), None, "{idle:?}");
        assert_eq!(m.tick(clock.at(100_000)), Vec::new(), "{idle:?}");
    }
}

#[test]
fn a_spawned_agent_is_idle_until_its_status_says_otherwise() {
    let clock = Clock(Instant::now());
    let mut m = Machine::new(thresholds());
    m.observe(clock.at(0), &spawned(A, "observer"));
    assert_eq!(m.tick(clock.at(1000)), Vec::new());
}

#[test]
fn any_event_of_the_agent_is_a_heartbeat() {
    let (mut m, clock) = in_model_call();
    m.observe(clock.at(9), &delta(7));
    assert_eq!(m.tick(clock.at(18)), Vec::new());
    m.observe(
        clock.at(18),
        &Event::ToolOutputDelta {
            call: ToolCallId(1),
            agent: A,
            stream: OutputStream::Stdout,
            text: "x".into(),
        },
    );
    assert_eq!(m.tick(clock.at(27)), Vec::new());
    assert_eq!(m.next_due(), Some(clock.at(28)));
    // Another agent's events are not this one's heartbeat.
    m.observe(
        clock.at(27),
        &Event::LlmDelta {
            call: LlmCallId(9),
            agent: AgentId(5),
            text: "t".into(),
        },
    );
    assert_eq!(steps(&m.tick(clock.at(28))), [StallStep::Warned]);
}

#[test]
fn the_sentinels_own_events_are_not_progress() {
    let (mut m, clock) = in_model_call();
    assert_eq!(steps(&m.tick(clock.at(10))), [StallStep::Warned]);
    m.observe(
        clock.at(11),
        &Event::AgentStalled {
            agent: A,
            idle_ms: 10_000,
            step: StallStep::Warned,
        },
    );
    m.observe(
        clock.at(12),
        &Event::ErrorRaised {
            agent: Some(A),
            source: SOURCE.into(),
            message: "x".into(),
        },
    );
    assert_eq!(m.next_due(), Some(clock.at(30)));
}

#[test]
fn finishing_something_ends_the_stall_and_starts_afresh() {
    let (mut m, clock) = in_model_call();
    assert_eq!(steps(&m.tick(clock.at(10))), [StallStep::Warned]);
    m.observe(clock.at(15), &ended(7, CallOutcome::Ok));
    m.observe(clock.at(15), &began(9));
    // The next silence begins with a warning again, not a retry.
    assert_eq!(m.tick(clock.at(24)), Vec::new());
    assert_eq!(steps(&m.tick(clock.at(25))), [StallStep::Warned]);
}

#[test]
fn a_failed_call_tool_end_test_run_or_patch_also_ends_the_stall() {
    let finishers = [
        ended(
            7,
            CallOutcome::Failed {
                error: "500".into(),
            },
        ),
        Event::ToolCallEnded {
            call: ToolCallId(1),
            agent: A,
            ok: false,
            exit_code: Some(1),
            duration_ms: 3,
            summary: "exit 1".into(),
        },
        Event::TestsRan {
            agent: A,
            label: "baseline".into(),
            command: "pytest".into(),
            exit_code: Some(0),
            passed: Vec::new(),
            failed: Vec::new(),
            duration_ms: 1,
        },
        Event::PatchProposed {
            patch: crate::protocol::PatchId(1),
            task: None,
            agent: A,
            files: Vec::new(),
            diff: String::new(),
        },
    ];
    for finisher in finishers {
        let (mut m, clock) = in_model_call();
        assert_eq!(steps(&m.tick(clock.at(10))), [StallStep::Warned]);
        m.observe(clock.at(12), &finisher);
        assert_eq!(m.next_due(), Some(clock.at(22)), "{finisher:?}");
    }
}

#[test]
fn tokens_after_a_warning_delay_the_retry_but_do_not_start_over() {
    let (mut m, clock) = in_model_call();
    assert_eq!(steps(&m.tick(clock.at(10))), [StallStep::Warned]);
    m.observe(clock.at(25), &delta(7));
    assert_eq!(m.tick(clock.at(44)), Vec::new());
    assert_eq!(steps(&m.tick(clock.at(45))), [StallStep::Retried]);
}

#[test]
fn a_cancelled_call_does_not_end_the_stall() {
    let (mut m, clock) = in_model_call();
    m.tick(clock.at(10));
    m.tick(clock.at(30));
    m.observe(clock.at(31), &ended(7, CallOutcome::Cancelled));
    assert_eq!(m.next_due(), Some(clock.at(61)));
    // With nothing in flight after the retry, the next step is still the escalation.
    let effects = m.tick(clock.at(61));
    assert_eq!(steps(&effects), [StallStep::Escalated]);
    assert!(
        matches!(&effects[1], Effect::Emit(Event::ErrorRaised { message, .. }) if message.contains("it is thinking")),
        "{effects:?}"
    );
}

#[test]
fn a_clock_jumping_far_ahead_takes_one_step_at_a_time() {
    let (mut m, clock) = in_model_call();
    assert_eq!(steps(&m.tick(clock.at(86_400))), [StallStep::Warned]);
    assert_eq!(m.tick(clock.at(86_401)), Vec::new());
    assert_eq!(steps(&m.tick(clock.at(86_420))), [StallStep::Retried]);
}

#[test]
fn an_instant_before_the_last_heartbeat_does_nothing() {
    let (mut m, clock) = in_model_call();
    m.observe(clock.at(100), &delta(7));
    // A tick read before the event was seen (threads racing): no underflow, no step.
    assert_eq!(m.tick(clock.at(50)), Vec::new());
    assert_eq!(m.tick(clock.at(109)), Vec::new());
    assert_eq!(steps(&m.tick(clock.at(110))), [StallStep::Warned]);
}

#[test]
fn next_due_is_the_earliest_step_of_any_busy_agent() {
    let (mut m, clock) = in_model_call();
    assert_eq!(m.next_due(), Some(clock.at(10)));
    m.observe(clock.at(3), &spawned(AgentId(4), "observer"));
    m.observe(
        clock.at(3),
        &status(AgentId(4), AgentStatus::Thinking, None),
    );
    assert_eq!(m.next_due(), Some(clock.at(10)));
    m.tick(clock.at(10));
    assert_eq!(m.next_due(), Some(clock.at(13)));
    m.tick(clock.at(13));
    assert_eq!(m.next_due(), Some(clock.at(30)));
}

#[test]
fn events_of_an_agent_never_seen_spawning_are_still_watched() {
    let clock = Clock(Instant::now());
    let mut m = Machine::new(thresholds());
    m.observe(clock.at(0), &status(A, AgentStatus::Thinking, None));
    let effects = m.tick(clock.at(10));
    assert_eq!(steps(&effects), [StallStep::Warned]);
}

#[test]
fn resync_takes_the_statuses_and_counts_as_a_heartbeat() {
    let (mut m, clock) = in_model_call();
    m.tick(clock.at(10));
    m.resync(
        clock.at(15),
        &[
            (A, "analyst".into(), AgentStatus::Done, None),
            (
                AgentId(8),
                "verifier".into(),
                AgentStatus::CallingTool,
                None,
            ),
        ],
    );
    assert_eq!(m.next_due(), Some(clock.at(25)));
    let effects = m.tick(clock.at(25));
    assert!(
        matches!(
            &effects[..],
            [Effect::Emit(Event::AgentStalled {
                agent: AgentId(8),
                step: StallStep::Warned,
                ..
            })]
        ),
        "{effects:?}"
    );
}
