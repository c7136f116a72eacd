//! A synthetic event source for tests and benchmarks (not a user-facing command).
//!
//! Produces realistic runs: a planner with observer, analyst and verifier children (and more
//! roles to reach the asked-for team size), a nested task tree with dependencies, log floods,
//! streamed LLM tokens with usage, tool output with ANSI colors, approvals, memory and chat.
//! Deterministic for a given seed. Writes through the real [`Store`]; knows nothing of the UI.

use crate::protocol::{
    AgentId, AgentStatus, ApprovalId, ApprovalSubject, CallOutcome, ChatRole, Event, LlmCallId,
    LogLevel, MemoryId, MemoryKind, OutputStream, RunId, RunState, TaskId, TaskStatus, ToolCallId,
};
use crate::store::{Store, StoreError};

/// The shape of a synthetic run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// Agents in the family tree (at least 1).
    pub agents: u32,
    /// Tasks in the task tree.
    pub tasks: u32,
    /// Events after the team and the tree are set up (logs, deltas, tool output, usage...).
    pub events: u64,
    /// Seed for the deterministic generator.
    pub seed: u64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            agents: 6,
            tasks: 15,
            events: 200,
            seed: 7,
        }
    }
}

/// Writes a whole run with this scenario into the store; returns its id once all of it is
/// committed.
pub async fn write_run(store: &Store, goal: &str, scenario: Scenario) -> Result<RunId, StoreError> {
    let run = store
        .create_run(goal, &store.paths().repo.to_string_lossy())
        .await?;
    for event in Generator::new(scenario) {
        store.append(run, event).await?;
    }
    store.flush().await?;
    Ok(run)
}

/// The events of a scenario, in order, without the `RunStarted` that `create_run` writes.
pub struct Generator {
    scenario: Scenario,
    rng: Rng,
    setup: std::vec::IntoIter<Event>,
    emitted: u64,
    usage: Vec<(u64, u64, f64)>,
    next_call: u32,
}

impl Generator {
    /// A generator for `scenario`.
    pub fn new(scenario: Scenario) -> Self {
        let mut rng = Rng(scenario.seed.max(1));
        let setup = setup_events(scenario, &mut rng);
        Generator {
            usage: vec![(0, 0, 0.0); scenario.agents.max(1) as usize],
            scenario,
            rng,
            setup: setup.into_iter(),
            emitted: 0,
            next_call: 0,
        }
    }

    fn flood_event(&mut self) -> Event {
        let agents = self.scenario.agents.max(1);
        let agent = AgentId(self.rng.below(u64::from(agents)) as u32);
        let roll = self.rng.below(100);
        let n = self.emitted;
        match roll {
            0..=54 => Event::LogLine {
                agent: Some(agent),
                level: match self.rng.below(20) {
                    0 => LogLevel::Error,
                    1..=2 => LogLevel::Warn,
                    3..=6 => LogLevel::Debug,
                    _ => LogLevel::Info,
                },
                text: LOG_LINES[(n as usize) % LOG_LINES.len()].replace("{n}", &n.to_string()),
            },
            55..=74 => Event::LlmDelta {
                call: LlmCallId(self.next_call),
                agent,
                text: TOKENS[(n as usize) % TOKENS.len()].to_string(),
            },
            75..=89 => Event::ToolOutputDelta {
                call: ToolCallId(self.next_call),
                agent,
                stream: if roll % 3 == 0 {
                    OutputStream::Stderr
                } else {
                    OutputStream::Stdout
                },
                text: TOOL_LINES[(n as usize) % TOOL_LINES.len()].replace("{n}", &n.to_string()),
            },
            90..=93 => {
                self.next_call += 1;
                let (input, output) = (400 + self.rng.below(4000), 20 + self.rng.below(600));
                let cost = (input as f64 * 0.15 + output as f64 * 0.6) / 1_000_000.0;
                let total = &mut self.usage[agent.0 as usize];
                *total = (total.0 + input, total.1 + output, total.2 + cost);
                Event::LlmCallEnded {
                    call: LlmCallId(self.next_call),
                    agent,
                    input_tokens: input,
                    output_tokens: output,
                    cached_tokens: input / 4,
                    cost_usd: cost,
                    ttft_ms: Some(80 + self.rng.below(400)),
                    latency_ms: 500 + self.rng.below(4000),
                    cache_hit: roll == 90,
                    outcome: CallOutcome::Ok,
                }
            }
            94..=96 => {
                let total = self.usage[agent.0 as usize];
                Event::AgentUsageUpdated {
                    agent,
                    input_tokens: total.0,
                    output_tokens: total.1,
                    cost_usd: total.2,
                }
            }
            _ => {
                let tasks = self.scenario.tasks.max(1);
                Event::TaskProgressed {
                    task: TaskId(self.rng.below(u64::from(tasks)) as u32),
                    progress: self.rng.below(101) as f64 / 100.0,
                }
            }
        }
    }
}

impl Iterator for Generator {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if let Some(event) = self.setup.next() {
            return Some(event);
        }
        if self.emitted >= self.scenario.events {
            return None;
        }
        self.emitted += 1;
        Some(self.flood_event())
    }
}

const ROLES: [&str; 7] = [
    "observer",
    "analyst",
    "verifier",
    "architect",
    "qa-engineer",
    "analyst",
    "observer",
];

const STATUSES: [AgentStatus; 7] = [
    AgentStatus::Thinking,
    AgentStatus::CallingTool,
    AgentStatus::WaitingApproval,
    AgentStatus::Idle,
    AgentStatus::Blocked,
    AgentStatus::Done,
    AgentStatus::Failed,
];

const TASK_TITLES: [&str; 8] = [
    "detect build and test commands",
    "reproduce the failing test",
    "read the date parser",
    "patch parse_dates for ISO weeks",
    "run the suite before the patch",
    "run the suite after the patch",
    "check for regressions",
    "write what was learned to memory",
];

const LOG_LINES: [&str; 8] = [
    "reading src/dates.py lines 1-120 (step {n})",
    "running `pytest -q tests/test_dates.py::test_parse_dates`",
    "baseline: 41 passed, 1 failed (test_parse_dates)",
    "hunk 2 of 3 rejected: context mismatch at line 88",
    "patch applied in worktree .warroom/worktrees/run-1",
    "retrying after 429 from provider local (attempt {n})",
    "memory: 3 entries injected (412 tokens)",
    "verifier: target test passes; no regressions among 41",
];

const TOKENS: [&str; 10] = [
    "The ",
    "failure ",
    "comes ",
    "from ",
    "`parse_dates` ",
    "treating ",
    "week 53 ",
    "as ",
    "invalid",
    ".\n",
];

const TOOL_LINES: [&str; 4] = [
    "\u{1b}[32mPASSED\u{1b}[0m tests/test_dates.py::test_{n}",
    "\u{1b}[31mFAILED\u{1b}[0m tests/test_dates.py::test_parse_dates - ValueError",
    "collected 42 items",
    "   Compiling dates v0.{n}.0",
];

fn setup_events(scenario: Scenario, rng: &mut Rng) -> Vec<Event> {
    let mut events = vec![Event::RunStateChanged {
        state: RunState::Working,
        reason: "plan ready".into(),
    }];
    let agents = scenario.agents.max(1);
    for id in 0..agents {
        let (parent, role) = match id {
            0 => (None, "planner"),
            1..=3 => (Some(AgentId(0)), ROLES[(id - 1) as usize]),
            _ => (
                Some(AgentId(1 + rng.below(u64::from(id - 1)) as u32)),
                ROLES[(id as usize) % ROLES.len()],
            ),
        };
        events.push(Event::AgentSpawned {
            agent: AgentId(id),
            parent,
            role: role.into(),
            model: if id == 0 {
                "qwen2.5-coder-1.5b"
            } else {
                "qwen2.5-coder-0.5b"
            }
            .into(),
        });
    }
    for id in 0..scenario.tasks {
        // A few roots, then children under earlier tasks: a tree a few levels deep.
        let parent = if id < 3 {
            None
        } else {
            Some(TaskId(rng.below(u64::from(id.min(40))) as u32))
        };
        let deps = if id > 3 && rng.below(3) == 0 {
            vec![TaskId(id - 1)]
        } else {
            Vec::new()
        };
        let owner = AgentId(1 + rng.below(u64::from(agents.saturating_sub(1).max(1))) as u32)
            .min(AgentId(agents - 1));
        events.push(Event::TaskCreated {
            task: TaskId(id),
            parent,
            title: TASK_TITLES[(id as usize) % TASK_TITLES.len()].into(),
            deps,
            owner: Some(owner),
        });
        let status = match rng.below(6) {
            0 => TaskStatus::Done,
            1 => TaskStatus::Running,
            2 => TaskStatus::Pending,
            3 => TaskStatus::Ready,
            4 => TaskStatus::Failed,
            _ => TaskStatus::Blocked,
        };
        events.push(Event::TaskStatusChanged {
            task: TaskId(id),
            status,
            attempt: 1 + rng.below(3) as u32,
        });
    }
    for id in 0..agents {
        events.push(Event::AgentStatusChanged {
            agent: AgentId(id),
            status: STATUSES[(id as usize) % STATUSES.len()],
            task: (scenario.tasks > 0).then(|| TaskId(id % scenario.tasks)),
        });
    }
    events.push(Event::ChatMessagePosted {
        role: ChatRole::User,
        text: "the test `parse_dates` fails, fix it".into(),
    });
    events.push(Event::ChatMessagePosted {
        role: ChatRole::Planner,
        text: "On it: reproduce, patch in a worktree, verify, then ask you.".into(),
    });
    events.push(Event::MemoryWritten {
        memory: MemoryId(i64::try_from(scenario.seed % 1_000_000).unwrap_or(0) * 10 + 1),
        memory_kind: MemoryKind::RepoFact,
        text: "tests run with `pytest -q`".into(),
        agent: Some(AgentId(agents.min(2) - 1)),
        task: None,
    });
    events.push(Event::ApprovalRequested {
        approval: ApprovalId(1),
        agent: AgentId(agents - 1),
        subject: ApprovalSubject::Command {
            command: "pip install python-dateutil".into(),
            reason: "needs the network".into(),
        },
    });
    events
}

/// xorshift64*: small, fast, deterministic; statistical quality is irrelevant here. Also the
/// benchmarks' generator of synthetic data.
pub struct Rng(pub u64);

impl Rng {
    /// The next value.
    // An endless generator, not an iterator: `Iterator::next` would wrap every value in `Some`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_is_deterministic_and_sized() {
        let scenario = Scenario {
            agents: 200,
            tasks: 1000,
            events: 5000,
            seed: 3,
        };
        let a: Vec<Event> = Generator::new(scenario).collect();
        let b: Vec<Event> = Generator::new(scenario).collect();
        assert_eq!(a, b);
        let spawned = a
            .iter()
            .filter(|e| matches!(e, Event::AgentSpawned { .. }))
            .count();
        let tasks = a
            .iter()
            .filter(|e| matches!(e, Event::TaskCreated { .. }))
            .count();
        assert_eq!((spawned, tasks), (200, 1000));
        let logs = a
            .iter()
            .filter(|e| matches!(e, Event::LogLine { .. }))
            .count();
        assert!(logs > 2000, "mostly log lines: {logs}");
        // Every parent was spawned before its child.
        let mut seen = std::collections::HashSet::new();
        for e in &a {
            if let Event::AgentSpawned { agent, parent, .. } = e {
                assert!(parent.is_none_or(|p| seen.contains(&p)));
                seen.insert(*agent);
            }
        }
    }
}
