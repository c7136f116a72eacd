//! The journal of a run being resumed: a pure fold of the run's committed events into what a
//! new process needs to pick the run up where the old one stopped. It says which ids are
//! taken, what each task's recorded steps returned, what each agent's tool loop was fed (so the
//! agent can be rebuilt by feeding it the same inputs), which model and tool calls were cut
//! off, and which approvals still wait. `shared.rs` consumes it; no IO here.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::protocol::{
    AgentId, AgentInputRecord, ApprovalId, ApprovalSubject, Decision, Event, EventId, LlmCallId,
    PatchId, Record, RunState, TaskId, TaskStatus, ToolCallId,
};

/// Tools that change nothing, so a call cut off by the stop can simply run again.
pub const READ_ONLY_TOOLS: &[&str] = &[
    "list_files",
    "read_file",
    "search",
    "git_status",
    "git_diff",
    "run_tests",
];

/// An agent as the log knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEntry {
    /// Its role.
    pub role: String,
    /// Its parent.
    pub parent: Option<AgentId>,
}

/// A task as the log knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskEntry {
    /// Its parent.
    pub parent: Option<TaskId>,
    /// Its title.
    pub title: String,
    /// What it waits for.
    pub deps: Vec<TaskId>,
    /// Its last status.
    pub status: TaskStatus,
    /// The agent that worked on it last (from its status changes).
    pub agent: Option<AgentId>,
}

/// A tool call that began and never ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTool {
    /// The call.
    pub call: ToolCallId,
    /// The agent that made it.
    pub agent: AgentId,
    /// The tool.
    pub tool: String,
    /// Its arguments.
    pub args: String,
    /// An approval asked for it still waits (the tool never started: ask again, not "cut off").
    pub awaiting_approval: bool,
    /// It ended (with this summary) but its result never reached the agent's record.
    pub ended: Option<String>,
}

impl OpenTool {
    /// Whether running it again is harmless.
    pub fn read_only(&self) -> bool {
        READ_ONLY_TOOLS.contains(&self.tool.as_str())
    }

    /// "edit_file by agent 2".
    pub fn describe(&self) -> String {
        format!("{} by agent {}", self.tool, self.agent)
    }
}

/// An approval the log records as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct AskedApproval {
    /// The approval.
    pub approval: ApprovalId,
    /// Who asked.
    pub agent: AgentId,
    /// What for.
    pub subject: ApprovalSubject,
    /// The decision, if one was recorded.
    pub decision: Option<Decision>,
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What it was.
    pub label: String,
    /// Its value as JSON text.
    pub value: String,
}

/// What the log says about one run.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    /// The last event of the run.
    pub after: EventId,
    /// The run's goal.
    pub goal: String,
    /// Its last state.
    pub state: Option<RunState>,
    /// Agents by id.
    pub agents: BTreeMap<AgentId, AgentEntry>,
    /// Tasks by id.
    pub tasks: BTreeMap<TaskId, TaskEntry>,
    /// Recorded steps, by task (`None`: the run's driver), in order.
    pub steps: HashMap<Option<TaskId>, VecDeque<Step>>,
    /// What each agent's tool loop was fed, in order.
    pub inputs: HashMap<AgentId, VecDeque<AgentInputRecord>>,
    /// Tool calls whose result never reached their agent's record (most never ended).
    pub open_tools: Vec<OpenTool>,
    /// Model calls that began and never ended.
    pub open_calls: Vec<(LlmCallId, AgentId)>,
    /// Every approval asked, in order.
    pub approvals: Vec<AskedApproval>,
    /// Patches proposed: task, diff and files.
    pub proposed: BTreeMap<PatchId, (Option<TaskId>, String, Vec<String>)>,
    /// Patches judged: verified or not.
    pub judged: HashMap<PatchId, bool>,
    /// Patches applied (and not rolled back).
    pub applied: HashSet<PatchId>,
    /// Prefixes granted for this run.
    pub grants: Vec<String>,
    /// The next free ids.
    pub next_agent: u32,
    /// The next free task id.
    pub next_task: u32,
    /// The next free model call id.
    pub next_call: u32,
    /// The next free tool call id.
    pub next_tool: u32,
    /// The next free approval id.
    pub next_approval: u32,
    /// How many times each state event was committed (by a hash of its JSON): a resumed task
    /// that emits an event again while it catches up is matched against these, not appended
    /// twice.
    pub seen: HashMap<u64, u32>,
}

/// Events that only the logs show; a task catching up never emits them again.
pub fn is_chatter(event: &Event) -> bool {
    matches!(
        event,
        Event::LogLine { .. } | Event::LlmDelta { .. } | Event::ToolOutputDelta { .. }
    )
}

/// The hash under which `event` is counted in [`Journal::seen`].
pub fn fingerprint(event: &Event) -> u64 {
    let mut hasher = DefaultHasher::new();
    event.kind().hash(&mut hasher);
    serde_json::to_string(event)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

impl Journal {
    /// Folds the run's records, oldest first.
    pub fn fold<'a>(records: impl IntoIterator<Item = &'a Record>) -> Journal {
        let mut j = Journal::default();
        let mut tool_ends: HashMap<ToolCallId, String> = HashMap::new();
        let mut began: Vec<OpenTool> = Vec::new();
        let mut call_ends: HashSet<LlmCallId> = HashSet::new();
        let mut calls: Vec<(LlmCallId, AgentId)> = Vec::new();
        for record in records {
            j.after = record.id;
            j.fold_one(
                &record.event,
                &mut began,
                &mut tool_ends,
                &mut calls,
                &mut call_ends,
            );
        }
        let pending: Vec<AgentId> = j
            .approvals
            .iter()
            .filter(|a| a.decision.is_none())
            .map(|a| a.agent)
            .collect();
        j.open_tools = began
            .into_iter()
            .map(|mut t| {
                t.ended = tool_ends.get(&t.call).cloned();
                t.awaiting_approval = t.ended.is_none() && pending.contains(&t.agent);
                t
            })
            .collect();
        j.open_calls = calls
            .into_iter()
            .filter(|(c, _)| !call_ends.contains(c))
            .collect();
        j
    }

    fn fold_one(
        &mut self,
        event: &Event,
        began: &mut Vec<OpenTool>,
        tool_ends: &mut HashMap<ToolCallId, String>,
        calls: &mut Vec<(LlmCallId, AgentId)>,
        call_ends: &mut HashSet<LlmCallId>,
    ) {
        if !is_chatter(event) {
            *self.seen.entry(fingerprint(event)).or_default() += 1;
        }
        match event {
            Event::RunStarted { goal, .. } => self.goal = goal.clone(),
            Event::RunStateChanged { state, .. } | Event::RunFinished { state, .. } => {
                self.state = Some(*state);
            }
            Event::AgentSpawned {
                agent,
                parent,
                role,
                ..
            } => {
                self.next_agent = self.next_agent.max(agent.0 + 1);
                self.agents.insert(
                    *agent,
                    AgentEntry {
                        role: role.clone(),
                        parent: *parent,
                    },
                );
            }
            Event::AgentStatusChanged {
                agent,
                task: Some(task),
                ..
            } => {
                // The first agent seen on a task is the one the driver started for it (the
                // verifier also reports on the observer's task later).
                if let Some(entry) = self.tasks.get_mut(task) {
                    entry.agent.get_or_insert(*agent);
                }
            }
            Event::TaskCreated {
                task,
                parent,
                title,
                deps,
                owner,
            } => {
                self.next_task = self.next_task.max(task.0 + 1);
                self.tasks.insert(
                    *task,
                    TaskEntry {
                        parent: *parent,
                        title: title.clone(),
                        deps: deps.clone(),
                        status: TaskStatus::Pending,
                        agent: *owner,
                    },
                );
            }
            Event::TaskStatusChanged { task, status, .. } => {
                if let Some(entry) = self.tasks.get_mut(task) {
                    entry.status = *status;
                }
            }
            Event::StepRecorded {
                task, label, value, ..
            } => self.steps.entry(*task).or_default().push_back(Step {
                label: label.clone(),
                value: value.clone(),
            }),
            Event::AgentInput { agent, input, .. } => {
                // The agent's record has the results of the calls it made so far.
                if matches!(input, AgentInputRecord::ToolDone { .. }) {
                    if let Some(at) = began.iter().position(|t| t.agent == *agent) {
                        began.remove(at);
                    }
                }
                self.inputs
                    .entry(*agent)
                    .or_default()
                    .push_back(input.clone());
            }
            Event::LlmCallBegan { call, agent, .. } => {
                self.next_call = self.next_call.max(call.0 + 1);
                calls.push((*call, *agent));
            }
            Event::LlmCallEnded { call, .. } => {
                call_ends.insert(*call);
            }
            Event::ToolCallBegan {
                call,
                agent,
                tool,
                args,
            } => {
                self.next_tool = self.next_tool.max(call.0 + 1);
                began.push(OpenTool {
                    call: *call,
                    agent: *agent,
                    tool: tool.clone(),
                    args: args.clone(),
                    awaiting_approval: false,
                    ended: None,
                });
            }
            Event::ToolCallEnded { call, summary, .. } => {
                tool_ends.insert(*call, summary.clone());
            }
            Event::ApprovalRequested {
                approval,
                agent,
                subject,
            } => {
                self.next_approval = self.next_approval.max(approval.0 + 1);
                self.approvals.push(AskedApproval {
                    approval: *approval,
                    agent: *agent,
                    subject: subject.clone(),
                    decision: None,
                });
            }
            Event::ApprovalDecided {
                approval, decision, ..
            } => {
                if let Some(asked) = self
                    .approvals
                    .iter_mut()
                    .find(|a| a.approval == *approval && a.decision.is_none())
                {
                    asked.decision = Some(decision.clone());
                }
            }
            Event::PatchProposed {
                patch,
                task,
                files,
                diff,
                ..
            } => {
                self.proposed
                    .insert(*patch, (*task, diff.clone(), files.clone()));
            }
            Event::PatchJudged {
                patch, verified, ..
            } => {
                self.judged.insert(*patch, *verified);
            }
            Event::PatchApplied { patch, .. } => {
                self.applied.insert(*patch);
            }
            Event::PatchRolledBack { patch } => {
                self.applied.remove(patch);
            }
            Event::PrefixGranted {
                prefix,
                scope: crate::protocol::GrantScope::Run,
                ..
            } => self.grants.push(prefix.clone()),
            _ => {}
        }
    }

    /// The root planner: the agent without a parent.
    pub fn planner(&self) -> Option<AgentId> {
        self.agents
            .iter()
            .find(|(_, a)| a.parent.is_none())
            .map(|(id, _)| *id)
    }

    /// The root task: the task without a parent.
    pub fn root_task(&self) -> Option<TaskId> {
        self.tasks
            .iter()
            .find(|(_, t)| t.parent.is_none())
            .map(|(id, _)| *id)
    }

    /// The first agent of `role`, if one was spawned.
    pub fn agent_of_role(&self, role: &str) -> Option<AgentId> {
        self.agents
            .iter()
            .find(|(_, a)| a.role == role)
            .map(|(id, _)| *id)
    }

    /// The values of the recorded steps of `scope` called `label`, in order.
    pub fn step_values_of(&self, scope: Option<TaskId>, label: &str) -> Vec<String> {
        self.steps
            .get(&scope)
            .into_iter()
            .flatten()
            .filter(|s| s.label == label)
            .map(|s| s.value.clone())
            .collect()
    }

    /// The values of every recorded step called `label`, in the order of their tasks.
    pub fn step_values(&self, label: &str) -> Vec<String> {
        self.values_where(label, |_| true)
    }

    /// Like [`Journal::step_values`], only from tasks that are done (they will not run again).
    pub fn step_values_of_done(&self, label: &str) -> Vec<String> {
        self.values_where(label, |scope| {
            scope
                .and_then(|t| self.tasks.get(&t))
                .is_some_and(|t| t.status == TaskStatus::Done)
        })
    }

    fn values_where(&self, label: &str, keep: impl Fn(&Option<TaskId>) -> bool) -> Vec<String> {
        let mut keys: Vec<&Option<TaskId>> = self.steps.keys().filter(|k| keep(k)).collect();
        keys.sort();
        keys.into_iter()
            .flat_map(|k| self.steps[k].iter())
            .filter(|s| s.label == label)
            .map(|s| s.value.clone())
            .collect()
    }

    /// The verified patch that has not reached the working tree yet, newest first.
    pub fn verified_unapplied(&self) -> Option<(PatchId, Option<TaskId>, String, Vec<String>)> {
        self.proposed
            .iter()
            .rev()
            .find(|(p, _)| self.judged.get(p) == Some(&true) && !self.applied.contains(p))
            .map(|(p, (task, diff, files))| (*p, *task, diff.clone(), files.clone()))
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
