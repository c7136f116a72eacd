//! What every agent of one run shares: where events go, the run's id counters, the worktree,
//! the detected repo profile and baseline, the approval requests waiting for a decision, and
//! the way a model call is made and collected. The run's driver (`run.rs`) owns it; agents hold
//! an `Arc` of it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::StreamExt;
use tokio::sync::oneshot;

use super::journal::Journal;
use super::policy::Rules;
use super::resume::{self, Adopted, Replay};
use super::verdict::TestRun;
use crate::config::Config;
use crate::core::llm::router::{CallContext, Router};
use crate::core::llm::{
    ChatRequest, LlmError, Message, Params, ResponseFormat, StreamEvent, ToolCall, ToolSpec,
};
use crate::core::tools::Workspace;
use crate::core::tools::detect::RepoProfile;
use crate::core::tools::sandbox::Sandbox;
use crate::protocol::{
    AgentId, AgentStatus, ApprovalId, ApprovalSubject, Decision, Event, LlmCallId, LogLevel,
    PatchId, RunId, TaskId, ToolCallId,
};
use crate::store::Store;

/// What the whole process gives every run.
#[derive(Clone)]
pub struct TeamEnv {
    /// The event log.
    pub store: Store,
    /// Model calls.
    pub router: Router,
    /// The effective config.
    pub config: Arc<Config>,
    /// How commands are confined.
    pub sandbox: Arc<Sandbox>,
    /// The person's repository.
    pub repo: PathBuf,
    /// The next patch id (patch ids are unique in the repository's database).
    pub next_patch: Arc<std::sync::atomic::AtomicI64>,
}

/// A model's complete answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// Its text.
    pub text: String,
    /// Its tool calls.
    pub tool_calls: Vec<ToolCall>,
}

/// One run's shared state.
pub struct Shared {
    /// The process's parts.
    pub env: TeamEnv,
    /// The run.
    pub run: RunId,
    /// The goal in the person's words.
    pub goal: String,
    /// The run's worktree, once made.
    pub workspace: Mutex<Option<Workspace>>,
    /// What the observer detected.
    pub profile: Mutex<Option<RepoProfile>>,
    /// The tests before any patch.
    pub baseline: Mutex<Option<TestRun>>,
    /// What finished tasks found, for later briefs.
    pub findings: Mutex<Vec<String>>,
    /// The person's hints for the running goal.
    pub hints: Mutex<Vec<String>>,
    /// The approval rules.
    pub rules: Mutex<Rules>,
    approvals: Mutex<HashMap<ApprovalId, oneshot::Sender<Decision>>>,
    verifier: tokio::sync::OnceCell<AgentId>,
    /// What is left to replay when the run was resumed after its process ended.
    pub replay: Option<Replay>,
    steps: Mutex<HashMap<Option<TaskId>, u32>>,
    agents: AtomicU32,
    tasks: AtomicU32,
    calls: AtomicU32,
    tools: AtomicU32,
    approval_ids: AtomicU32,
    interrupts: Mutex<HashMap<AgentId, Arc<tokio::sync::Notify>>>,
}

impl Shared {
    /// The shared state of a new run.
    pub fn new(env: TeamEnv, run: RunId, goal: String, rules: Rules) -> Arc<Shared> {
        Arc::new(Shared {
            env,
            run,
            goal,
            workspace: Mutex::new(None),
            profile: Mutex::new(None),
            baseline: Mutex::new(None),
            findings: Mutex::new(Vec::new()),
            hints: Mutex::new(Vec::new()),
            rules: Mutex::new(rules),
            approvals: Mutex::new(HashMap::new()),
            verifier: tokio::sync::OnceCell::new(),
            replay: None,
            steps: Mutex::new(HashMap::new()),
            agents: AtomicU32::new(0),
            tasks: AtomicU32::new(0),
            calls: AtomicU32::new(0),
            tools: AtomicU32::new(0),
            approval_ids: AtomicU32::new(0),
            interrupts: Mutex::new(HashMap::new()),
        })
    }

    /// The shared state of a run resumed from its `journal`: ids go on after the last ones
    /// used, the verifier is the one spawned before, what finished tasks found is known again,
    /// and every approval the log records is kept for the code that asked it (a pending one
    /// can be decided right away).
    pub fn resumed(env: TeamEnv, run: RunId, journal: Journal, rules: Rules) -> Arc<Shared> {
        let mut approvals = HashMap::new();
        let mut adopted = Vec::new();
        for asked in journal.approvals.iter().cloned() {
            let rx = if asked.decision.is_none() {
                let (tx, rx) = oneshot::channel();
                approvals.insert(asked.approval, tx);
                Some(rx)
            } else {
                None
            };
            adopted.push(Adopted { asked, rx });
        }
        let verifier = tokio::sync::OnceCell::new();
        if let Some(agent) = journal.agent_of_role("verifier") {
            let _ = verifier.set(agent);
        }
        // Tasks that will run again push their findings again.
        let findings = journal
            .step_values_of_done("finding")
            .iter()
            .filter_map(|v| serde_json::from_str::<String>(v).ok())
            .filter(|f| !f.is_empty())
            .collect();
        let baseline = journal
            .step_values("baseline")
            .last()
            .and_then(|v| {
                serde_json::from_str::<Result<super::verify::TestsOutcome, String>>(v).ok()
            })
            .and_then(Result::ok)
            .map(|o| o.run);
        let profile = journal
            .step_values("detect")
            .last()
            .and_then(|v| serde_json::from_str::<Result<RepoProfile, String>>(v).ok())
            .and_then(Result::ok);
        let counters = (
            journal.next_agent,
            journal.next_task,
            journal.next_call,
            journal.next_tool,
            journal.next_approval,
        );
        let goal = journal.goal.clone();
        Arc::new(Shared {
            env,
            run,
            goal,
            workspace: Mutex::new(None),
            profile: Mutex::new(profile),
            baseline: Mutex::new(baseline),
            findings: Mutex::new(findings),
            hints: Mutex::new(Vec::new()),
            rules: Mutex::new(rules),
            approvals: Mutex::new(approvals),
            verifier,
            replay: Some(Replay::new(journal, adopted)),
            steps: Mutex::new(HashMap::new()),
            agents: AtomicU32::new(counters.0),
            tasks: AtomicU32::new(counters.1),
            calls: AtomicU32::new(counters.2),
            tools: AtomicU32::new(counters.3),
            approval_ids: AtomicU32::new(counters.4),
            interrupts: Mutex::new(HashMap::new()),
        })
    }

    /// Does `work` as step `label` of `scope` (a task, or `None` for the driver) and records
    /// its value, or, in a resumed run catching up, returns the value recorded before the stop
    /// without doing it again.
    pub async fn step<T, F>(&self, scope: Option<TaskId>, label: &str, work: F) -> T
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
        F: std::future::Future<Output = T>,
    {
        let step = {
            let mut steps = lock(&self.steps);
            let n = steps.entry(scope).or_default();
            *n += 1;
            *n - 1
        };
        if let Some(replay) = &self.replay {
            if let Some(value) = replay.step(scope, label) {
                match serde_json::from_str(&value) {
                    Ok(value) => return value,
                    Err(e) => tracing::warn!(
                        run = %self.run,
                        "resume: step {label} has an unreadable value ({e}); doing it again"
                    ),
                }
            }
            resume::go_live();
        }
        let value = work.await;
        match serde_json::to_string(&value) {
            Ok(text) => {
                self.emit(Event::StepRecorded {
                    task: scope,
                    step,
                    label: label.to_string(),
                    value: text,
                })
                .await;
            }
            Err(e) => {
                tracing::error!(run = %self.run, "step {label}: cannot record its value: {e}")
            }
        }
        value
    }

    /// Appends an event to the run; a refused append is logged (the run goes on). A resumed
    /// task catching up does not append what the log already has.
    pub async fn emit(&self, event: Event) {
        if self.replay.as_ref().is_some_and(|r| r.swallow(&event)) {
            return;
        }
        if let Err(e) = self.env.store.append(self.run, event).await {
            tracing::error!(run = %self.run, "team: the store refused an event: {e}");
        }
    }

    /// A log line for the logs pane.
    pub async fn log(&self, agent: Option<AgentId>, level: LogLevel, text: impl Into<String>) {
        self.emit(Event::LogLine {
            agent,
            level,
            text: text.into(),
        })
        .await;
    }

    /// An agent's new status.
    pub async fn status(&self, agent: AgentId, status: AgentStatus, task: Option<TaskId>) {
        self.emit(Event::AgentStatusChanged {
            agent,
            status,
            task,
        })
        .await;
    }

    /// Adds an agent of `role` under `parent` to the family tree.
    pub async fn spawn_agent(&self, role: &str, parent: Option<AgentId>) -> AgentId {
        let adopted = self
            .replay
            .as_ref()
            .and_then(|r| r.adopt_agent(role, parent));
        let agent = adopted.unwrap_or_else(|| AgentId(self.agents.fetch_add(1, Ordering::Relaxed)));
        let model = self
            .env
            .router
            .chain(role)
            .ok()
            .and_then(|chain| chain.into_iter().next())
            .unwrap_or_else(|| "(no model)".into());
        self.emit(Event::AgentSpawned {
            agent,
            parent,
            role: role.to_string(),
            model,
        })
        .await;
        agent
    }

    /// The root planner (always the first agent).
    pub fn planner(&self) -> AgentId {
        AgentId(0)
    }

    /// The run's verifier, spawned under the planner the first time it is needed.
    pub async fn verifier(&self) -> AgentId {
        *self
            .verifier
            .get_or_init(|| self.spawn_agent("verifier", Some(self.planner())))
            .await
    }

    /// A task's progress, 0.0 to 1.0.
    pub async fn progress(&self, task: TaskId, progress: f64) {
        self.emit(Event::TaskProgressed { task, progress }).await;
    }

    /// A new task id.
    pub fn next_task(&self) -> TaskId {
        TaskId(self.tasks.fetch_add(1, Ordering::Relaxed))
    }

    /// A new tool call id.
    pub fn next_tool_call(&self) -> ToolCallId {
        ToolCallId(self.tools.fetch_add(1, Ordering::Relaxed))
    }

    /// A new patch id.
    pub fn next_patch(&self) -> PatchId {
        PatchId(self.env.next_patch.fetch_add(1, Ordering::Relaxed))
    }

    /// The worktree's workspace (made before any task runs).
    pub fn workspace(&self) -> Option<Workspace> {
        lock(&self.workspace).clone()
    }

    /// Asks the model for `role` and collects the whole answer (deltas and usage become
    /// events on the way, through the router).
    pub async fn ask_model(
        &self,
        agent: AgentId,
        role: &str,
        messages: Vec<Message>,
        tools: Vec<ToolSpec>,
        format: Option<ResponseFormat>,
    ) -> Result<Answer, LlmError> {
        let request = ChatRequest {
            model: String::new(),
            messages,
            tools,
            params: Params {
                response_format: format,
                ..Params::default()
            },
        };
        // The sentinel may cancel a call that makes no progress: it is sent again, once.
        let signal = self.interrupt_signal(agent);
        let started = std::time::Instant::now();
        for _ in 0..2 {
            let interrupted = signal.notified();
            tokio::select! {
                answer = self.answer(agent, role, request.clone()) => return answer,
                () = interrupted => {}
            }
        }
        Err(LlmError::Timeout {
            provider: crate::core::sentinel::SOURCE.into(),
            phase: "progress (the call was cancelled twice)",
            after: started.elapsed(),
        })
    }

    /// Cancels `agent`'s model call in flight, if any ([`Shared::ask_model`] sends it again,
    /// once). The sentinel's retry of a call that makes no progress.
    pub fn interrupt(&self, agent: AgentId) {
        self.interrupt_signal(agent).notify_waiters();
    }

    fn interrupt_signal(&self, agent: AgentId) -> Arc<tokio::sync::Notify> {
        Arc::clone(lock(&self.interrupts).entry(agent).or_default())
    }

    /// One model call, its whole answer collected.
    async fn answer(
        &self,
        agent: AgentId,
        role: &str,
        request: ChatRequest,
    ) -> Result<Answer, LlmError> {
        let ctx = CallContext {
            run: self.run,
            agent,
            call: LlmCallId(self.calls.fetch_add(1, Ordering::Relaxed)),
            role: role.to_string(),
        };
        let mut stream = self.env.router.stream(ctx, request).await?;
        let mut answer = Answer::default();
        while let Some(event) = stream.next().await {
            match event? {
                StreamEvent::TextDelta { text } => answer.text.push_str(&text),
                StreamEvent::ToolCall { call } => answer.tool_calls.push(call),
                StreamEvent::Done { .. } => break,
                StreamEvent::ToolCallDelta { .. } | StreamEvent::Usage { .. } => {}
            }
        }
        Ok(answer)
    }

    /// Asks the person and waits for the decision (from the screen, another terminal or the
    /// headless prompt). The first decision wins; see [`Shared::decide`].
    pub async fn ask_person(
        &self,
        agent: AgentId,
        task: Option<TaskId>,
        subject: ApprovalSubject,
    ) -> Decision {
        // Asked before the stop: wait on that one, or take its recorded decision.
        if let Some(adopted) = self
            .replay
            .as_ref()
            .and_then(|r| r.adopt_approval(agent, &subject))
        {
            let decision = match (adopted.asked.decision, adopted.rx) {
                (Some(decision), _) => decision,
                (None, Some(rx)) => {
                    self.status(agent, AgentStatus::WaitingApproval, task).await;
                    rx.await.unwrap_or(Decision::Denied {
                        reason: "the run stopped before a decision".into(),
                    })
                }
                (None, None) => Decision::Denied {
                    reason: "the run stopped before a decision".into(),
                },
            };
            self.status(agent, AgentStatus::CallingTool, task).await;
            return decision;
        }
        resume::go_live();
        let approval = ApprovalId(self.approval_ids.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        lock(&self.approvals).insert(approval, tx);
        self.status(agent, AgentStatus::WaitingApproval, task).await;
        self.emit(Event::ApprovalRequested {
            approval,
            agent,
            subject,
        })
        .await;
        let decision = rx.await.unwrap_or(Decision::Denied {
            reason: "the run stopped before a decision".into(),
        });
        self.status(agent, AgentStatus::CallingTool, task).await;
        decision
    }

    /// Applies a decision if the approval still waits: exactly once, whoever decides first.
    /// Returns false when it was already decided or never asked.
    pub async fn decide(&self, approval: ApprovalId, decision: Decision, by: &str) -> bool {
        let Some(waiting) = lock(&self.approvals).remove(&approval) else {
            return false;
        };
        self.emit(Event::ApprovalDecided {
            approval,
            decision: decision.clone(),
            by: by.to_string(),
        })
        .await;
        // The asking agent may be gone (its task was cancelled); the decision stands.
        let _ = waiting.send(decision);
        true
    }

    /// Whether `approval` is waiting in this run.
    pub fn is_waiting(&self, approval: ApprovalId) -> bool {
        lock(&self.approvals).contains_key(&approval)
    }
}

/// A poisoned lock still holds usable data here (plain values, no invariants across fields).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
