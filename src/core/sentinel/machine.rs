//! The sentinel's state machine: a heartbeat per agent, folded from the run's events, and the
//! steps taken when a busy agent shows no progress: warn, then cancel and retry its model call,
//! then ask the person. Pure: time comes in as `Instant`s (monotonic), so a jump of the wall
//! clock changes nothing; no IO, no async. `sentinel.rs` feeds it and performs its effects.
//!
//! What counts as progress: any event concerning the agent (`Event::agent()`), except the
//! sentinel's own. A *stall* (the steps taken so far) ends only when the agent finishes
//! something (a model answer or error, a tool call, a test run, a patch) or stops being busy;
//! a few streamed tokens refresh the heartbeat but do not end it, so a provider that drips a
//! little and hangs again is still escalated after its retry.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::protocol::LlmCallId;
use crate::protocol::{
    AgentId, AgentStatus, CallOutcome, ChatRole, Event, StallStep, TaskId, ToolCallId,
};
use crate::timefmt;

/// The `source` of the sentinel's own `ErrorRaised` events.
pub const SOURCE: &str = "sentinel";

/// How long an agent may be silent before each step. Each is counted from the agent's last
/// sign of life or from the previous step, whichever is later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Silence before the warning.
    pub warn: Duration,
    /// Further silence after the warning before the model call is cancelled and sent again.
    pub retry: Duration,
    /// Further silence after the retry before the person is asked.
    pub escalate: Duration,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Append this event to the run.
    Emit(Event),
    /// Cancel the agent's model call in flight (it is issued again once).
    Interrupt(AgentId),
}

/// One run's heartbeats.
#[derive(Debug, Clone)]
pub struct Machine {
    thresholds: Thresholds,
    agents: BTreeMap<AgentId, Heartbeat>,
    titles: HashMap<TaskId, String>,
}

/// What an agent is waiting on.
#[derive(Debug, Clone, PartialEq)]
enum Doing {
    /// Nothing the sentinel saw begin.
    Nothing,
    /// A model call ("provider/model").
    Model { call: LlmCallId, model: String },
    /// A tool.
    Tool { call: ToolCallId, tool: String },
}

#[derive(Debug, Clone)]
struct Heartbeat {
    role: String,
    status: AgentStatus,
    task: Option<TaskId>,
    doing: Doing,
    last_progress: Instant,
    /// The furthest step taken in the current stall, and when.
    step: Option<(StallStep, Instant)>,
    /// The last sign of life before the current stall's warning.
    stuck_since: Instant,
}

impl Heartbeat {
    fn new(role: String, now: Instant) -> Heartbeat {
        Heartbeat {
            role,
            status: AgentStatus::Idle,
            task: None,
            doing: Doing::Nothing,
            last_progress: now,
            step: None,
            stuck_since: now,
        }
    }

    fn busy(&self) -> bool {
        matches!(
            self.status,
            AgentStatus::Thinking | AgentStatus::CallingTool
        )
    }

    /// When the next step falls due, if the agent is busy and not yet escalated.
    fn due(&self, thresholds: &Thresholds) -> Option<Instant> {
        if !self.busy() {
            return None;
        }
        let (wait, since) = match self.step {
            None => (thresholds.warn, self.last_progress),
            Some((StallStep::Warned, at)) => (thresholds.retry, at.max(self.last_progress)),
            Some((StallStep::Retried, at)) => (thresholds.escalate, at.max(self.last_progress)),
            Some((StallStep::Escalated, _)) => return None,
        };
        since.checked_add(wait)
    }
}

impl Machine {
    /// A machine that knows no agent yet.
    pub fn new(thresholds: Thresholds) -> Machine {
        Machine {
            thresholds,
            agents: BTreeMap::new(),
            titles: HashMap::new(),
        }
    }

    /// Folds one of the run's events, seen at `now`.
    pub fn observe(&mut self, now: Instant, event: &Event) {
        match event {
            Event::AgentSpawned { agent, role, .. } => {
                self.agents
                    .insert(*agent, Heartbeat::new(role.clone(), now));
                return;
            }
            Event::TaskCreated { task, title, .. } => {
                self.titles.insert(*task, title.clone());
            }
            // The sentinel's own doing is not the agent's progress.
            Event::AgentStalled { .. } => return,
            Event::ErrorRaised { source, .. } if source == SOURCE => return,
            _ => {}
        }
        let Some(agent) = event.agent() else { return };
        let beat = self
            .agents
            .entry(agent)
            .or_insert_with(|| Heartbeat::new("agent".into(), now));
        beat.last_progress = now;
        let finished_something = match event {
            Event::AgentStatusChanged { status, task, .. } => {
                beat.status = *status;
                beat.task = *task;
                !beat.busy()
            }
            Event::LlmCallBegan {
                call,
                provider,
                model,
                ..
            } => {
                beat.doing = Doing::Model {
                    call: *call,
                    model: format!("{provider}/{model}"),
                };
                false
            }
            Event::LlmCallEnded { call, outcome, .. } => {
                if matches!(&beat.doing, Doing::Model { call: c, .. } if c == call) {
                    beat.doing = Doing::Nothing;
                }
                // A cancelled call is the sentinel's retry (or a cancelled task), not an answer.
                *outcome != CallOutcome::Cancelled
            }
            Event::ToolCallBegan { call, tool, .. } => {
                beat.doing = Doing::Tool {
                    call: *call,
                    tool: tool.clone(),
                };
                false
            }
            Event::ToolCallEnded { call, .. } => {
                if matches!(&beat.doing, Doing::Tool { call: c, .. } if c == call) {
                    beat.doing = Doing::Nothing;
                }
                true
            }
            Event::TestsRan { .. } | Event::PatchProposed { .. } => true,
            _ => false,
        };
        if finished_something {
            beat.step = None;
        }
    }

    /// After missed events: the agents' statuses as the database has them now. Each counts
    /// as having shown life now (events were flowing).
    pub fn resync(
        &mut self,
        now: Instant,
        agents: &[(AgentId, String, AgentStatus, Option<TaskId>)],
    ) {
        for (agent, role, status, task) in agents {
            let beat = self
                .agents
                .entry(*agent)
                .or_insert_with(|| Heartbeat::new(role.clone(), now));
            beat.status = *status;
            beat.task = *task;
            beat.last_progress = now;
            if !beat.busy() {
                beat.step = None;
                beat.doing = Doing::Nothing;
            }
        }
    }

    /// The steps that fall due at `now`: at most one per agent, so a clock that jumps far
    /// ahead yields a warning, not a warning, a retry and an escalation at once.
    pub fn tick(&mut self, now: Instant) -> Vec<Effect> {
        let thresholds = self.thresholds;
        let mut effects = Vec::new();
        let due: Vec<AgentId> = self
            .agents
            .iter()
            .filter(|(_, beat)| beat.due(&thresholds).is_some_and(|due| due <= now))
            .map(|(agent, _)| *agent)
            .collect();
        for agent in due {
            let Some(beat) = self.agents.get(&agent) else {
                continue;
            };
            let idle_ms = millis(now.saturating_duration_since(beat.last_progress));
            let next = match beat.step {
                None => StallStep::Warned,
                Some((StallStep::Warned, _)) if matches!(beat.doing, Doing::Model { .. }) => {
                    StallStep::Retried
                }
                // A tool is not run twice (that may not be safe); nothing else can be retried.
                Some(_) => StallStep::Escalated,
            };
            let stuck_since = match next {
                StallStep::Warned => beat.last_progress,
                _ => beat.stuck_since,
            };
            let stuck_ms = millis(now.saturating_duration_since(stuck_since));
            effects.push(Effect::Emit(Event::AgentStalled {
                agent,
                idle_ms,
                step: next,
            }));
            match next {
                StallStep::Warned => {}
                StallStep::Retried => effects.push(Effect::Interrupt(agent)),
                StallStep::Escalated => {
                    let (error, chat) = self.escalation(agent, beat, stuck_ms);
                    effects.push(Effect::Emit(Event::ErrorRaised {
                        agent: Some(agent),
                        source: SOURCE.into(),
                        message: error,
                    }));
                    effects.push(Effect::Emit(Event::ChatMessagePosted {
                        role: ChatRole::Planner,
                        text: chat,
                    }));
                }
            }
            if let Some(beat) = self.agents.get_mut(&agent) {
                beat.step = Some((next, now));
                beat.stuck_since = stuck_since;
            }
        }
        effects
    }

    /// When the next step falls due for any agent; `None` when no agent is busy.
    pub fn next_due(&self) -> Option<Instant> {
        self.agents
            .values()
            .filter_map(|beat| beat.due(&self.thresholds))
            .min()
    }

    /// The error's message and the planner's words to the person.
    fn escalation(&self, agent: AgentId, beat: &Heartbeat, stuck_ms: u64) -> (String, String) {
        let who = format!("the {} (agent {agent})", beat.role);
        let task = match beat.task {
            Some(task) => match self.titles.get(&task) {
                Some(title) => format!(" on task {task} \"{title}\""),
                None => format!(" on task {task}"),
            },
            None => String::new(),
        };
        let stuck = timefmt::duration(i64::try_from(stuck_ms).unwrap_or(i64::MAX));
        let doing = match &beat.doing {
            Doing::Model { call, model } => format!(
                "it is waiting on model {model} (call {call}); cancelling the call and sending \
                 it again did not help"
            ),
            Doing::Tool { tool, .. } => format!(
                "it is running the tool {tool}, which is not run twice (that may not be safe); \
                 sandbox.timeout_secs ends it"
            ),
            Doing::Nothing => format!("it is {}", beat.status.as_str()),
        };
        let error = format!("{who} has been stuck for {stuck}{task}: {doing}");
        let chat = format!(
            "I need you: {who} has been stuck for {stuck}{task}. {}. You can wait (the \
             provider's own timeouts may still end it), stop the run with /cancel, or look at \
             the provider with `warroom errors` and `warroom doctor`.",
            capitalized(&doing)
        );
        (error, chat)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
