//! The core: carries out `Command`s from front ends (the owner's screen, and viewers through
//! the `commands` table) and records what happened as `Event`s in the store. Never imports the
//! UI. The decisions are a pure function ([`plan`]) over a small state; the driver ([`run`])
//! performs the effects.
//!
//! This build has no agent team yet (the LLM providers and agents arrive with later issues):
//! a new goal is recorded as a run and marked blocked with that reason, so nothing pretends to
//! work. Cancelling runs and tasks, deciding approvals and forgetting memory are real.

pub mod llm;
pub mod patches;
pub mod tools;
pub mod worktree;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::protocol::{ChatRole, Command, Event, LogLevel, RunId, RunState, TaskId, TaskStatus};
use crate::store::{Reader, Store, StoreError, TaskRow};

/// Why a new goal cannot progress in this build.
pub const NO_TEAM: &str = "no agent team in this build yet: the goal is recorded, but nothing will work on it until the LLM-provider and agent-team parts land";

/// What the core needs to know to decide.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoreState {
    /// The run the chat talks to: the newest one.
    pub current: Option<(RunId, RunState)>,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Create a run with this goal, then append `then` to it.
    StartRun {
        /// The goal.
        goal: String,
        /// Events for the new run.
        then: Vec<Event>,
    },
    /// Append an event to a run.
    Append(RunId, Event),
}

/// Decides what a command does. `tasks` gives the tasks of a run (for cancelling subtrees);
/// `pending` says whether an approval still waits.
pub fn plan(
    state: &CoreState,
    command: &Command,
    tasks: &dyn Fn(RunId) -> Vec<TaskRow>,
    pending: &dyn Fn(RunId, crate::protocol::ApprovalId) -> bool,
    by: &str,
) -> Vec<Effect> {
    let active = state.current.filter(|(_, s)| !s.is_terminal());
    match command {
        Command::SubmitGoal { text } => match active {
            Some((run, _)) => vec![Effect::Append(
                run,
                Event::ChatMessagePosted {
                    role: ChatRole::System,
                    text: format!(
                        "run {run} is still active; cancel it (/cancel) before starting a new goal"
                    ),
                },
            )],
            None => vec![Effect::StartRun {
                goal: text.clone(),
                then: vec![
                    Event::ChatMessagePosted {
                        role: ChatRole::User,
                        text: text.clone(),
                    },
                    Event::RunStateChanged {
                        state: RunState::Blocked,
                        reason: NO_TEAM.into(),
                    },
                    Event::LogLine {
                        agent: None,
                        level: LogLevel::Warn,
                        text: NO_TEAM.into(),
                    },
                ],
            }],
        },
        Command::SendChat { text } => match state.current {
            Some((run, _)) => vec![
                Effect::Append(
                    run,
                    Event::ChatMessagePosted {
                        role: ChatRole::User,
                        text: text.clone(),
                    },
                ),
                Effect::Append(
                    run,
                    Event::ChatMessagePosted {
                        role: ChatRole::System,
                        text: "no planner is running in this build; your message is kept in the run's log".into(),
                    },
                ),
            ],
            // No run to talk in: a message becomes the goal of a new one.
            None => plan(
                state,
                &Command::SubmitGoal { text: text.clone() },
                tasks,
                pending,
                by,
            ),
        },
        Command::CancelRun { run } => match state.current {
            Some((current, s)) if current == *run && !s.is_terminal() => vec![Effect::Append(
                *run,
                Event::RunFinished {
                    state: RunState::Cancelled,
                    summary: format!("cancelled by {by}"),
                },
            )],
            _ => Vec::new(),
        },
        Command::CancelTask { run, task } => cancel_subtree(&tasks(*run), *task)
            .into_iter()
            .map(|(task, attempt)| {
                Effect::Append(
                    *run,
                    Event::TaskStatusChanged {
                        task,
                        status: TaskStatus::Cancelled,
                        attempt,
                    },
                )
            })
            .collect(),
        Command::DecideApproval {
            run,
            approval,
            decision,
        } if pending(*run, *approval) => vec![Effect::Append(
            *run,
            Event::ApprovalDecided {
                approval: *approval,
                decision: decision.clone(),
                by: by.to_string(),
            },
        )],
        Command::DecideApproval { .. } => Vec::new(),
        Command::ForgetMemory { memory } => match state.current {
            Some((run, _)) => vec![Effect::Append(run, Event::MemoryForgotten { memory: *memory })],
            None => Vec::new(),
        },
        // Carried out by the driver, which owns the working tree.
        Command::RollbackPatch { .. } => Vec::new(),
    }
}

/// Folds a committed event into the core's state.
pub fn observe(state: &mut CoreState, run: RunId, event: &Event) {
    match event {
        Event::RunStarted { .. } => state.current = Some((run, RunState::Planning)),
        Event::RunStateChanged { state: s, .. } | Event::RunFinished { state: s, .. }
            if state.current.is_some_and(|(r, _)| r == run) =>
        {
            state.current = Some((run, *s));
        }
        _ => {}
    }
}

/// The task and every descendant that has not ended, with their attempt counts.
fn cancel_subtree(tasks: &[TaskRow], root: TaskId) -> Vec<(TaskId, u32)> {
    let mut children: HashMap<TaskId, Vec<&TaskRow>> = HashMap::new();
    for task in tasks {
        if let Some(parent) = task.parent {
            children.entry(parent).or_default().push(task);
        }
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<&TaskRow> = tasks.iter().filter(|t| t.id == root).collect();
    while let Some(task) = stack.pop() {
        if !seen.insert(task.id) {
            continue;
        }
        if !task.status.is_terminal() {
            out.push((task.id, task.attempts));
        }
        stack.extend(children.get(&task.id).into_iter().flatten());
    }
    out.sort();
    out
}

/// A handle to send commands to the running core.
#[derive(Debug, Clone)]
pub struct CoreHandle {
    tx: mpsc::Sender<Command>,
}

impl CoreHandle {
    /// Queues a command from the owner's own screen.
    pub async fn send(&self, command: Command) -> bool {
        self.tx.send(command).await.is_ok()
    }
}

/// Starts the core on the current tokio runtime.
pub fn spawn(store: Store, reader: Reader) -> (CoreHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(256);
    let task = tokio::spawn(run(store, reader, rx));
    (CoreHandle { tx }, task)
}

/// The driver: commands from the screen and from the `commands` table, until the screen's
/// sender is dropped.
async fn run(store: Store, reader: Reader, mut rx: mpsc::Receiver<Command>) {
    let mut state = CoreState::default();
    if let Ok(Some(latest)) = reader.latest_run() {
        state.current = Some((latest.id, latest.state));
    }
    let mut committed = store.subscribe();
    let mut viewers = tokio::time::interval(Duration::from_millis(500));
    viewers.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            command = rx.recv() => {
                let Some(command) = command else { break };
                let effects = decide(&reader, &state, &command, "owner");
                perform_all(&store, &mut state, effects).await;
            }
            batch = committed.recv() => match batch {
                Ok(batch) => batch.iter().for_each(|r| observe(&mut state, r.run, &r.event)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if let Ok(Some(latest)) = reader.latest_run() {
                        state.current = Some((latest.id, latest.state));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            _ = viewers.tick() => match store.take_commands().await {
                Ok(commands) => for command in commands {
                    match command {
                        Ok(command) => {
                            let effects = decide(&reader, &state, &command, "viewer");
                            perform_all(&store, &mut state, effects).await;
                        }
                        Err(message) => report(&store, &state, message).await,
                    }
                },
                Err(e) => tracing::warn!("core: cannot read viewer commands: {e}"),
            },
        }
    }
}

/// Decides with the reader's help; synchronous so no borrow of the reader crosses an await.
fn decide(reader: &Reader, state: &CoreState, command: &Command, by: &str) -> Vec<Effect> {
    let tasks = |run| reader.tasks(run, None, usize::MAX).unwrap_or_default();
    let pending = |run, approval| {
        reader
            .pending_approvals(run)
            .is_ok_and(|rows| rows.iter().any(|a| a.id == approval))
    };
    plan(state, command, &tasks, &pending, by)
}

async fn perform_all(store: &Store, state: &mut CoreState, effects: Vec<Effect>) {
    for effect in effects {
        if let Err(e) = perform(store, state, effect).await {
            tracing::error!("core: {e}");
        }
    }
}

async fn perform(store: &Store, state: &mut CoreState, effect: Effect) -> Result<(), StoreError> {
    match effect {
        Effect::StartRun { goal, then } => {
            let repo = store.paths().repo.to_string_lossy().into_owned();
            let run = store.create_run(&goal, &repo).await?;
            observe(state, run, &Event::RunStarted { goal, repo });
            for event in then {
                observe(state, run, &event);
                store.append(run, event).await?;
            }
        }
        Effect::Append(run, event) => {
            observe(state, run, &event);
            store.append(run, event).await?;
        }
    }
    Ok(())
}

async fn report(store: &Store, state: &CoreState, message: String) {
    tracing::warn!("core: {message}");
    if let Some((run, _)) = state.current {
        let event = Event::ErrorRaised {
            agent: None,
            source: "commands".into(),
            message,
        };
        if let Err(e) = store.append(run, event).await {
            tracing::error!("core: {e}");
        }
    }
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;
