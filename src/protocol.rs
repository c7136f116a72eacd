//! The only types the core and the UI share.
//!
//! `Command` flows from a front end to the core (imperative: do this). `Event` flows from the
//! core to everyone (past tense: this happened); streams come as Begin / Delta / End triads.
//! Both are serde-tagged JSON, so they are also the lines of `warroom export --jsonl` and the
//! `body` column of the `events` table. A `Record` is an event as committed to the log: its id,
//! its run and when it happened. Nothing here does IO.

use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_newtype!(
    /// A run: one goal pursued by one team. The `runs` table's rowid.
    RunId(i64)
);
id_newtype!(
    /// A committed event: the `events` table's rowid, increasing in commit order.
    EventId(i64)
);
id_newtype!(
    /// An agent, unique within its run.
    AgentId(u32)
);
id_newtype!(
    /// A task, unique within its run.
    TaskId(u32)
);
id_newtype!(
    /// One LLM request/response stream, unique within its run.
    LlmCallId(u32)
);
id_newtype!(
    /// One tool invocation, unique within its run.
    ToolCallId(u32)
);
id_newtype!(
    /// A pending or decided approval, unique within its run.
    ApprovalId(u32)
);
id_newtype!(
    /// A memory entry, unique within the repository's database.
    MemoryId(i64)
);
id_newtype!(
    /// A proposed patch, unique within the repository's database (`patches` table).
    PatchId(i64)
);

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Millis(pub i64);

impl Millis {
    /// The current wall-clock time.
    pub fn now() -> Self {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Millis(i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
    }
}

/// An event as committed to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the log; ids increase in commit order and never repeat.
    pub id: EventId,
    /// The run the event belongs to.
    pub run: RunId,
    /// When the core produced the event.
    pub at: Millis,
    /// What happened.
    pub event: Event,
}

/// Where a run is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// The planner is decomposing the goal.
    Planning,
    /// Agents are working on tasks.
    Working,
    /// A verified patch waits for the person's decision.
    AwaitingApproval,
    /// An approved patch is being applied to the working tree.
    Applying,
    /// The run cannot go on without the person (no model, budget spent, ...).
    Blocked,
    /// The goal was reached.
    Done,
    /// The run gave up.
    Failed,
    /// The person stopped the run.
    Cancelled,
}

impl RunState {
    /// Whether the run has ended and nothing more will happen in it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunState::Done | RunState::Failed | RunState::Cancelled
        )
    }

    /// The lowercase name used on screen and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Planning => "planning",
            RunState::Working => "working",
            RunState::AwaitingApproval => "awaiting approval",
            RunState::Applying => "applying",
            RunState::Blocked => "blocked",
            RunState::Done => "done",
            RunState::Failed => "failed",
            RunState::Cancelled => "cancelled",
        }
    }
}

/// What an agent is doing right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Nothing to do.
    Idle,
    /// Waiting on a model.
    Thinking,
    /// Running a tool.
    CallingTool,
    /// Waiting for the person to approve something.
    WaitingApproval,
    /// Cannot proceed (dependency, budget, error).
    Blocked,
    /// Finished its work.
    Done,
    /// Gave up.
    Failed,
}

impl AgentStatus {
    /// The lowercase name used on screen and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Idle => "idle",
            AgentStatus::Thinking => "thinking",
            AgentStatus::CallingTool => "tool",
            AgentStatus::WaitingApproval => "approval",
            AgentStatus::Blocked => "blocked",
            AgentStatus::Done => "done",
            AgentStatus::Failed => "failed",
        }
    }
}

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Created; its dependencies are not done yet.
    Pending,
    /// Dependencies done; waiting for a free slot.
    Ready,
    /// An agent is working on it.
    Running,
    /// Cannot proceed without help.
    Blocked,
    /// Finished successfully.
    Done,
    /// Finished unsuccessfully.
    Failed,
    /// Cancelled, with its subtree.
    Cancelled,
}

impl TaskStatus {
    /// Whether the task will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskStatus::Done | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }

    /// The lowercase name used on screen and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Ready => "ready",
            TaskStatus::Running => "running",
            TaskStatus::Blocked => "blocked",
            TaskStatus::Done => "done",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }
}

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Fine detail.
    Debug,
    /// Normal progress.
    Info,
    /// Something the person may want to look at.
    Warn,
    /// Something went wrong.
    Error,
}

impl LogLevel {
    /// The number stored in the `events.level` column (ordered by severity).
    pub fn as_i64(self) -> i64 {
        match self {
            LogLevel::Debug => 0,
            LogLevel::Info => 1,
            LogLevel::Warn => 2,
            LogLevel::Error => 3,
        }
    }

    /// Short uppercase tag for the logs pane.
    pub fn tag(self) -> &'static str {
        match self {
            LogLevel::Debug => "DBG",
            LogLevel::Info => "INF",
            LogLevel::Warn => "WRN",
            LogLevel::Error => "ERR",
        }
    }
}

/// Which stream a tool's output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// How an LLM call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CallOutcome {
    /// The model finished normally.
    Ok,
    /// The call failed; `error` says why in words.
    Failed {
        /// What went wrong.
        error: String,
    },
    /// The call was cancelled before it finished.
    Cancelled,
}

/// What an approval is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "subject", rename_all = "snake_case")]
pub enum ApprovalSubject {
    /// Run a command that the sandbox does not allow on its own.
    Command {
        /// The command line.
        command: String,
        /// Why approval is needed (network, path outside the worktree, no sandbox, ...).
        reason: String,
    },
    /// Apply a verified patch to the person's working tree.
    Patch {
        /// The unified diff.
        diff: String,
        /// The files it touches, relative to the repository.
        files: Vec<String>,
    },
}

/// The person's answer to an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead.
    Approved,
    /// Do not; `reason` is passed back to the agent.
    Denied {
        /// Why, in the person's words (may be empty).
        reason: String,
    },
    /// Go ahead, but run this command line (the person edited it) instead of the one asked.
    /// Only a `run_command` request can be edited; for anything else nothing runs.
    ApprovedEdited {
        /// The command line to run instead.
        command: String,
    },
    /// Apply only the hunks of the patch the person accepted: `diff` is made of whole hunks
    /// of the asked patch (`crate::hunks::partial`); the core checks it before applying.
    ApprovedPartial {
        /// The accepted hunks, as a unified diff.
        diff: String,
    },
}

impl Decision {
    /// Whether the answer lets the request go ahead (as asked, edited or in part).
    pub fn is_approved(&self) -> bool {
        !matches!(self, Decision::Denied { .. })
    }
}

/// How far an "always allow this prefix" grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    /// This run only.
    Run,
    /// Every run in this repository, from now on.
    Repo,
}

/// One part of what an agent sends its model, for the context view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextPart {
    /// What it is: "system", "memory", "brief", "user", "assistant", "tool".
    pub kind: String,
    /// A short label ("read_file src/app.py", "memory #12").
    pub label: String,
    /// Its size in tokens (estimated where the provider does not say).
    pub tokens: u64,
}

/// A tool call as a model made it, kept in an agent's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedToolCall {
    /// The model's id for the call.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// Its arguments, as JSON text.
    pub arguments: String,
}

/// What was fed to an agent's tool loop. In order, these rebuild the agent after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum AgentInputRecord {
    /// Work began on this brief.
    Start {
        /// The brief.
        brief: String,
    },
    /// The model answered.
    Answer {
        /// Its text.
        text: String,
        /// The tools it called.
        tool_calls: Vec<RecordedToolCall>,
    },
    /// The model could not be reached.
    ModelFailed {
        /// Why.
        error: String,
    },
    /// A tool finished with this result (what the model sees).
    ToolDone {
        /// The model's id for the call.
        call_id: String,
        /// The result.
        content: String,
    },
    /// More work after a finished turn.
    Feedback {
        /// What to act on.
        text: String,
    },
}

/// How far the sentinel has gone with an agent that makes no progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StallStep {
    /// Said so in the logs.
    Warned,
    /// Cancelled its current step and started it again.
    Retried,
    /// Asked the person.
    Escalated,
}

/// The kinds of memory entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryKind {
    /// What a finished task did and found.
    TaskSummary,
    /// An error signature and what resolved it.
    ErrorResolution,
    /// A fact about the repository ("tests run with `pytest -q`").
    RepoFact,
    /// A summary of the conversation with the planner.
    Conversation,
    /// A named variable on a task's scratchpad.
    Scratchpad,
}

impl MemoryKind {
    /// The name used on screen and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MemoryKind::TaskSummary => "task_summary",
            MemoryKind::ErrorResolution => "error_resolution",
            MemoryKind::RepoFact => "repo_fact",
            MemoryKind::Conversation => "conversation",
            MemoryKind::Scratchpad => "scratchpad",
        }
    }
}

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    /// The person.
    User,
    /// The planner agent.
    Planner,
    /// warroom itself (notices, refusals).
    System,
}

/// Something that happened, as told by the core to everyone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A run began with the person's goal.
    RunStarted {
        /// The goal in the person's words.
        goal: String,
        /// The repository the run works on.
        repo: String,
    },
    /// A run moved to another lifecycle state.
    RunStateChanged {
        /// The new state.
        state: RunState,
        /// Why, in words (may be empty).
        reason: String,
    },
    /// A run ended; no more events follow for it.
    RunFinished {
        /// The final state: done, failed or cancelled.
        state: RunState,
        /// A one-paragraph account of the outcome.
        summary: String,
    },
    /// An agent joined the family tree.
    AgentSpawned {
        /// The new agent.
        agent: AgentId,
        /// Its parent, `None` for the root planner.
        parent: Option<AgentId>,
        /// Its role (planner, observer, analyst, verifier, ...).
        role: String,
        /// The model it starts with.
        model: String,
    },
    /// An agent's status or current task changed.
    AgentStatusChanged {
        /// The agent.
        agent: AgentId,
        /// What it is doing now.
        status: AgentStatus,
        /// The task it works on, if any.
        task: Option<TaskId>,
    },
    /// An agent's running totals of tokens and dollars, after a call.
    AgentUsageUpdated {
        /// The agent.
        agent: AgentId,
        /// Prompt tokens so far.
        input_tokens: u64,
        /// Completion tokens so far.
        output_tokens: u64,
        /// Dollars so far.
        cost_usd: f64,
    },
    /// A task was added to the tree.
    TaskCreated {
        /// The new task.
        task: TaskId,
        /// Its parent, `None` for a root task.
        parent: Option<TaskId>,
        /// A short title.
        title: String,
        /// Tasks that must be done before this one can start.
        deps: Vec<TaskId>,
        /// The agent that owns it, if assigned.
        owner: Option<AgentId>,
    },
    /// A task changed status.
    TaskStatusChanged {
        /// The task.
        task: TaskId,
        /// Its new status.
        status: TaskStatus,
        /// How many attempts it has had (1 for the first).
        attempt: u32,
    },
    /// A task made progress.
    TaskProgressed {
        /// The task.
        task: TaskId,
        /// Fraction done, 0.0 to 1.0.
        progress: f64,
    },
    /// A line for the logs pane.
    LogLine {
        /// The agent that logged it, `None` for warroom itself.
        agent: Option<AgentId>,
        /// Its severity.
        level: LogLevel,
        /// The text, possibly long and possibly with ANSI colors.
        text: String,
    },
    /// A model call started.
    LlmCallBegan {
        /// The call.
        call: LlmCallId,
        /// The agent that made it.
        agent: AgentId,
        /// The provider name from config.
        provider: String,
        /// The model name.
        model: String,
    },
    /// A piece of a model's streamed answer.
    LlmDelta {
        /// The call.
        call: LlmCallId,
        /// The agent that made it.
        agent: AgentId,
        /// The new text.
        text: String,
    },
    /// A model call ended.
    LlmCallEnded {
        /// The call.
        call: LlmCallId,
        /// The agent that made it.
        agent: AgentId,
        /// Prompt tokens.
        input_tokens: u64,
        /// Completion tokens.
        output_tokens: u64,
        /// Prompt tokens served from the provider's cache.
        cached_tokens: u64,
        /// Dollars.
        cost_usd: f64,
        /// Time to first token, if any token arrived.
        ttft_ms: Option<u64>,
        /// Time from request to end.
        latency_ms: u64,
        /// Whether warroom's response cache answered.
        cache_hit: bool,
        /// How it ended.
        outcome: CallOutcome,
    },
    /// A model call failed and will be tried again on the same provider after a pause.
    LlmRetried {
        /// The call.
        call: LlmCallId,
        /// The agent that made it.
        agent: AgentId,
        /// The provider that failed.
        provider: String,
        /// Which attempt comes next (2 for the first retry).
        attempt: u32,
        /// How long the router waits first.
        delay_ms: u64,
        /// What went wrong.
        reason: String,
    },
    /// A model call moved to the next model of its role's chain.
    LlmFellBack {
        /// The call.
        call: LlmCallId,
        /// The agent that made it.
        agent: AgentId,
        /// The provider and model given up on ("openai/gpt-4o-mini").
        from: String,
        /// The provider and model tried next.
        to: String,
        /// Why.
        reason: String,
    },
    /// A tool started.
    ToolCallBegan {
        /// The call.
        call: ToolCallId,
        /// The agent that made it.
        agent: AgentId,
        /// The tool's name.
        tool: String,
        /// Its arguments, as JSON text.
        args: String,
    },
    /// A piece of a tool's output.
    ToolOutputDelta {
        /// The call.
        call: ToolCallId,
        /// The agent that made it.
        agent: AgentId,
        /// Which stream.
        stream: OutputStream,
        /// The new text (may hold ANSI colors).
        text: String,
    },
    /// A tool finished.
    ToolCallEnded {
        /// The call.
        call: ToolCallId,
        /// The agent that made it.
        agent: AgentId,
        /// Whether it succeeded.
        ok: bool,
        /// The exit code of a process, if it was one.
        exit_code: Option<i32>,
        /// How long it took.
        duration_ms: u64,
        /// A one-line result or error.
        summary: String,
    },
    /// An agent needs the person's decision.
    ApprovalRequested {
        /// The approval.
        approval: ApprovalId,
        /// Who asks.
        agent: AgentId,
        /// What is asked for.
        subject: ApprovalSubject,
    },
    /// An approval was decided (the first decision wins).
    ApprovalDecided {
        /// The approval.
        approval: ApprovalId,
        /// The answer.
        decision: Decision,
        /// Where it was decided ("owner", "attach pid 123", ...).
        by: String,
    },
    /// A memory entry was written.
    MemoryWritten {
        /// The entry.
        memory: MemoryId,
        /// Its kind.
        memory_kind: MemoryKind,
        /// Its text.
        text: String,
        /// The agent that wrote it.
        agent: Option<AgentId>,
        /// The task it came from.
        task: Option<TaskId>,
    },
    /// A memory entry was forgotten.
    MemoryForgotten {
        /// The entry.
        memory: MemoryId,
    },
    /// A chat message was posted.
    ChatMessagePosted {
        /// Who wrote it.
        role: ChatRole,
        /// What it says.
        text: String,
    },
    /// Files in the person's working tree changed.
    FilesChanged {
        /// The paths, relative to the repository.
        paths: Vec<String>,
    },
    /// The observer found how to build, test and run the repository.
    RepoDetected {
        /// Languages seen ("rust", "python", ...).
        languages: Vec<String>,
        /// The build command, if any.
        build: Option<String>,
        /// The test command, if any.
        test: Option<String>,
        /// The run command, if any.
        run: Option<String>,
        /// Where each command came from ("package.json scripts.test", "repo config", ...).
        sources: Vec<String>,
    },
    /// The verifier ran the tests; the verdict comes from exit codes and parsed results.
    TestsRan {
        /// The agent that ran them.
        agent: AgentId,
        /// What the run was for: "baseline", "patch 3", ...
        label: String,
        /// The command line.
        command: String,
        /// The process's exit code (`None` when it was killed).
        exit_code: Option<i32>,
        /// Names of the tests that passed.
        passed: Vec<String>,
        /// Names of the tests that failed.
        failed: Vec<String>,
        /// How long it took.
        duration_ms: u64,
    },
    /// An analyst proposed a patch (the diff of its worktree against the run's base).
    PatchProposed {
        /// The patch.
        patch: PatchId,
        /// The task it serves.
        task: Option<TaskId>,
        /// The agent that wrote it.
        agent: AgentId,
        /// The files it touches, relative to the repository.
        files: Vec<String>,
        /// The unified diff.
        diff: String,
    },
    /// The verifier judged a patch.
    PatchJudged {
        /// The patch.
        patch: PatchId,
        /// Whether the target tests pass and nothing that passed before fails now.
        verified: bool,
        /// Why, in words (the tests that still fail, the ones that broke, ...).
        reason: String,
    },
    /// A patch was applied to the person's working tree.
    PatchApplied {
        /// The patch.
        patch: PatchId,
        /// The files it changed.
        files: Vec<String>,
    },
    /// An applied patch was taken back out of the person's working tree.
    PatchRolledBack {
        /// The patch.
        patch: PatchId,
    },
    /// The models the team uses in this run, and how they were chosen (config, or what
    /// zero-config detection found and why).
    ModelsChosen {
        /// "planner: openai/gpt-4o-mini; ..." or "qwen (a server answers on 127.0.0.1:8080)".
        summary: String,
    },
    /// Commands starting with `prefix` run without asking from now on.
    PrefixGranted {
        /// The start of a command line ("cargo test", "npm install").
        prefix: String,
        /// This run, or the repository.
        scope: GrantScope,
        /// Who granted it.
        by: String,
    },
    /// What was fed to an agent's tool loop (its journal).
    AgentInput {
        /// The agent.
        agent: AgentId,
        /// The task it works on, if any.
        task: Option<TaskId>,
        /// The input.
        input: AgentInputRecord,
    },
    /// What an agent's context window holds as it asks its model.
    ContextUpdated {
        /// The agent.
        agent: AgentId,
        /// The parts, in the order they are sent.
        parts: Vec<ContextPart>,
        /// The model's context window in tokens (0 when unknown).
        window: u64,
    },
    /// A step of a task (or of the run's driver, `task: None`) finished with this value. A
    /// resumed run takes the value instead of doing the step again.
    StepRecorded {
        /// The task whose step it was; `None` for the run's driver.
        task: Option<TaskId>,
        /// The step's number within its task, from 0.
        step: u32,
        /// What the step was ("baseline", "verify 2", ...).
        label: String,
        /// Its result, as JSON text.
        value: String,
    },
    /// An unfinished run was picked up again after its process ended.
    RunResumed {
        /// The last event committed before the stop.
        after: EventId,
        /// Tool calls that were cut off and reported to their agents as interrupted.
        interrupted: Vec<String>,
    },
    /// A memory entry was pinned or unpinned (pinned entries are always considered first).
    MemoryPinned {
        /// The entry.
        memory: MemoryId,
        /// Pinned or not.
        pinned: bool,
    },
    /// A memory entry's text was edited by the person.
    MemoryEdited {
        /// The entry.
        memory: MemoryId,
        /// The new text.
        text: String,
    },
    /// A memory entry may be out of date (a file it names changed).
    MemoryFlagged {
        /// The entry.
        memory: MemoryId,
        /// Why.
        reason: String,
    },
    /// Memories were put into an agent's context before a task.
    MemoryInjected {
        /// The agent.
        agent: AgentId,
        /// The task.
        task: Option<TaskId>,
        /// The entries, best first.
        memories: Vec<MemoryId>,
        /// Their size in tokens.
        tokens: u64,
        /// Exactly the text that was injected.
        text: String,
    },
    /// A pending approval's files changed in the working tree since it was asked.
    ApprovalStale {
        /// The approval.
        approval: ApprovalId,
        /// The files that changed.
        files: Vec<String>,
    },
    /// The sentinel saw no progress from an agent for a while and acted.
    AgentStalled {
        /// The agent.
        agent: AgentId,
        /// How long it made no progress.
        idle_ms: u64,
        /// What the sentinel did.
        step: StallStep,
    },
    /// Something failed; the person should see it.
    ErrorRaised {
        /// The agent it concerns, if any.
        agent: Option<AgentId>,
        /// Where it happened (a component or tool name).
        source: String,
        /// What went wrong, in words.
        message: String,
    },
}

impl Event {
    /// The tag stored in the `events.kind` column and used in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::RunStarted { .. } => "run_started",
            Event::RunStateChanged { .. } => "run_state_changed",
            Event::RunFinished { .. } => "run_finished",
            Event::AgentSpawned { .. } => "agent_spawned",
            Event::AgentStatusChanged { .. } => "agent_status_changed",
            Event::AgentUsageUpdated { .. } => "agent_usage_updated",
            Event::TaskCreated { .. } => "task_created",
            Event::TaskStatusChanged { .. } => "task_status_changed",
            Event::TaskProgressed { .. } => "task_progressed",
            Event::LogLine { .. } => "log_line",
            Event::LlmCallBegan { .. } => "llm_call_began",
            Event::LlmDelta { .. } => "llm_delta",
            Event::LlmCallEnded { .. } => "llm_call_ended",
            Event::LlmRetried { .. } => "llm_retried",
            Event::LlmFellBack { .. } => "llm_fell_back",
            Event::ToolCallBegan { .. } => "tool_call_began",
            Event::ToolOutputDelta { .. } => "tool_output_delta",
            Event::ToolCallEnded { .. } => "tool_call_ended",
            Event::ApprovalRequested { .. } => "approval_requested",
            Event::ApprovalDecided { .. } => "approval_decided",
            Event::MemoryWritten { .. } => "memory_written",
            Event::MemoryForgotten { .. } => "memory_forgotten",
            Event::ChatMessagePosted { .. } => "chat_message_posted",
            Event::FilesChanged { .. } => "files_changed",
            Event::RepoDetected { .. } => "repo_detected",
            Event::TestsRan { .. } => "tests_ran",
            Event::PatchProposed { .. } => "patch_proposed",
            Event::PatchJudged { .. } => "patch_judged",
            Event::PatchApplied { .. } => "patch_applied",
            Event::PatchRolledBack { .. } => "patch_rolled_back",
            Event::ModelsChosen { .. } => "models_chosen",
            Event::PrefixGranted { .. } => "prefix_granted",
            Event::AgentInput { .. } => "agent_input",
            Event::ContextUpdated { .. } => "context_updated",
            Event::StepRecorded { .. } => "step_recorded",
            Event::RunResumed { .. } => "run_resumed",
            Event::MemoryPinned { .. } => "memory_pinned",
            Event::MemoryEdited { .. } => "memory_edited",
            Event::MemoryFlagged { .. } => "memory_flagged",
            Event::MemoryInjected { .. } => "memory_injected",
            Event::ApprovalStale { .. } => "approval_stale",
            Event::AgentStalled { .. } => "agent_stalled",
            Event::ErrorRaised { .. } => "error_raised",
        }
    }

    /// The agent the event concerns, if one (used to filter logs by agent).
    pub fn agent(&self) -> Option<AgentId> {
        match self {
            Event::AgentSpawned { agent, .. }
            | Event::AgentStatusChanged { agent, .. }
            | Event::AgentUsageUpdated { agent, .. }
            | Event::LlmCallBegan { agent, .. }
            | Event::LlmDelta { agent, .. }
            | Event::LlmCallEnded { agent, .. }
            | Event::LlmRetried { agent, .. }
            | Event::LlmFellBack { agent, .. }
            | Event::ToolCallBegan { agent, .. }
            | Event::ToolOutputDelta { agent, .. }
            | Event::ToolCallEnded { agent, .. }
            | Event::ApprovalRequested { agent, .. }
            | Event::TestsRan { agent, .. }
            | Event::PatchProposed { agent, .. }
            | Event::AgentInput { agent, .. }
            | Event::ContextUpdated { agent, .. }
            | Event::MemoryInjected { agent, .. }
            | Event::AgentStalled { agent, .. } => Some(*agent),
            Event::LogLine { agent, .. }
            | Event::MemoryWritten { agent, .. }
            | Event::ErrorRaised { agent, .. } => *agent,
            Event::TaskCreated { owner, .. } => *owner,
            _ => None,
        }
    }

    /// The severity when the event is shown as a line in the logs pane, `None` when it is not
    /// a log-pane line (state changes are shown by the other panes).
    pub fn log_level(&self) -> Option<LogLevel> {
        match self {
            Event::LogLine { level, .. } => Some(*level),
            Event::ErrorRaised { .. } => Some(LogLevel::Error),
            Event::ToolOutputDelta { stream, .. } => Some(match stream {
                OutputStream::Stdout => LogLevel::Debug,
                OutputStream::Stderr => LogLevel::Info,
            }),
            Event::LlmDelta { .. } => Some(LogLevel::Debug),
            Event::LlmRetried { .. }
            | Event::LlmFellBack { .. }
            | Event::RunResumed { .. }
            | Event::ApprovalStale { .. }
            | Event::MemoryFlagged { .. }
            | Event::AgentStalled { .. } => Some(LogLevel::Warn),
            Event::ToolCallBegan { .. }
            | Event::ToolCallEnded { .. }
            | Event::LlmCallBegan { .. }
            | Event::LlmCallEnded { .. }
            | Event::ApprovalRequested { .. }
            | Event::ApprovalDecided { .. }
            | Event::RunStarted { .. }
            | Event::RunStateChanged { .. }
            | Event::RunFinished { .. }
            | Event::FilesChanged { .. }
            | Event::RepoDetected { .. }
            | Event::TestsRan { .. }
            | Event::PatchProposed { .. }
            | Event::PatchJudged { .. }
            | Event::PatchApplied { .. }
            | Event::PatchRolledBack { .. }
            | Event::PrefixGranted { .. }
            | Event::ModelsChosen { .. }
            | Event::MemoryInjected { .. } => Some(LogLevel::Info),
            _ => None,
        }
    }
}

/// What a front end asks the core to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Start a new run with this goal.
    SubmitGoal {
        /// The goal in the person's words.
        text: String,
    },
    /// Pick up an unfinished run (the newest one when `run` is `None`) after its process ended.
    ResumeRun {
        /// The run.
        run: Option<RunId>,
    },
    /// Say something to the planner in the current run's chat.
    SendChat {
        /// The message.
        text: String,
    },
    /// Decide a pending approval.
    DecideApproval {
        /// The run it belongs to.
        run: RunId,
        /// The approval.
        approval: ApprovalId,
        /// The answer.
        decision: Decision,
    },
    /// Cancel a task and its subtree.
    CancelTask {
        /// The run it belongs to.
        run: RunId,
        /// The task.
        task: TaskId,
    },
    /// Cancel a whole run.
    CancelRun {
        /// The run.
        run: RunId,
    },
    /// Forget a memory entry.
    ForgetMemory {
        /// The entry.
        memory: MemoryId,
    },
    /// Pin or unpin a memory entry.
    PinMemory {
        /// The entry.
        memory: MemoryId,
        /// Pinned or not.
        pinned: bool,
    },
    /// Replace a memory entry's text.
    EditMemory {
        /// The entry.
        memory: MemoryId,
        /// The new text.
        text: String,
    },
    /// Take an applied patch back out of the working tree.
    RollbackPatch {
        /// The patch.
        patch: PatchId,
    },
    /// Let commands starting with `prefix` run without asking.
    GrantPrefix {
        /// The run it is granted in (and whose log records it).
        run: RunId,
        /// The start of a command line.
        prefix: String,
        /// This run, or the repository.
        scope: GrantScope,
    },
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
