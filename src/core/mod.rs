//! The core: carries out `Command`s from front ends (the owner's screen, headless mode, and
//! viewers through the `commands` table) and records what happened as `Event`s in the store.
//! Never imports the UI. The decisions are a pure function ([`plan`]) over a small state; the
//! driver ([`run`]) performs the effects: it readies the agent team (`team::setup`) and starts
//! one team per run, forwarding decisions, chat and cancels to the live run. When no model can
//! be reached, a new goal is recorded as a run marked blocked with the reason and the way to
//! configure one, so nothing pretends to work.

pub mod llm;
pub mod memory;
pub mod patches;
pub mod sentinel;
pub mod team;
pub mod tools;
pub mod watch;
pub mod worktree;

#[cfg(test)]
mod test_git;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::{Config, Policy};
use crate::protocol::{
    ChatRole, Command, Event, LogLevel, PatchId, RunId, RunState, TaskId, TaskStatus,
};
use crate::store::{Reader, Store, StoreError, TaskRow};
pub use team::RunInput;

/// Why a new goal cannot progress before the team is ready.
pub const NO_TEAM: &str = "the agent team is not ready yet (its models are still being looked for)";

/// What the core needs to know to decide.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoreState {
    /// The run the chat talks to: the newest one.
    pub current: Option<(RunId, RunState)>,
    /// Why no team can work on a goal; `None` when the team is ready.
    pub no_team: Option<String>,
    /// The run whose team works in this process.
    pub live: Option<RunId>,
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
    /// Pass an input to the run's live team.
    Forward(RunId, RunInput),
    /// Take an applied patch back out of the working tree.
    Rollback(PatchId),
    /// Pick up an unfinished run whose process ended.
    Resume(RunId),
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
            None => match &state.no_team {
                None => vec![Effect::StartRun {
                    goal: text.clone(),
                    then: Vec::new(),
                }],
                Some(reason) => vec![Effect::StartRun {
                    goal: text.clone(),
                    then: vec![
                        Event::ChatMessagePosted {
                            role: ChatRole::User,
                            text: text.clone(),
                        },
                        Event::RunStateChanged {
                            state: RunState::Blocked,
                            reason: reason.clone(),
                        },
                        Event::LogLine {
                            agent: None,
                            level: LogLevel::Warn,
                            text: reason.clone(),
                        },
                    ],
                }],
            },
        },
        Command::ResumeRun { run } => {
            let Some((run, run_state)) = run
                .map(|r| (r, state.current.filter(|c| c.0 == r).map(|c| c.1)))
                .or(state.current.map(|(r, s)| (r, Some(s))))
            else {
                return Vec::new();
            };
            let refuse = |why: String| {
                vec![Effect::Append(
                    run,
                    Event::LogLine {
                        agent: None,
                        level: LogLevel::Warn,
                        text: format!("run {run} cannot be resumed: {why}"),
                    },
                )]
            };
            let named = command_names_run(command);
            if !named && (state.live.is_some() || run_state.is_some_and(RunState::is_terminal)) {
                // The war room opening asks for "the unfinished run, if any": none is no news.
                Vec::new()
            } else if state.live == Some(run) {
                refuse("it is running in this process".into())
            } else if run_state.is_some_and(RunState::is_terminal) {
                refuse("it has finished".into())
            } else if let Some(reason) = &state.no_team {
                refuse(reason.clone())
            } else {
                vec![Effect::Resume(run)]
            }
        }
        Command::SendChat { text } if live(state).is_some() => match live(state) {
            Some(run) => vec![Effect::Forward(run, RunInput::Chat { text: text.clone() })],
            None => Vec::new(),
        },
        Command::CancelRun { run } if live(state) == Some(*run) => {
            vec![Effect::Forward(*run, RunInput::Cancel { by: by.to_string() })]
        }
        Command::CancelTask { run, task } if live(state) == Some(*run) => {
            vec![Effect::Forward(*run, RunInput::CancelTask { task: *task })]
        }
        Command::DecideApproval {
            run,
            approval,
            decision,
        } if live(state) == Some(*run) => vec![Effect::Forward(
            *run,
            RunInput::Decide {
                approval: *approval,
                decision: decision.clone(),
                by: by.to_string(),
            },
        )],
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
                        text: "no planner is working on this run (it has ended, or no model is configured); your message is kept in the run's log".into(),
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
        Command::PinMemory { memory, pinned } => match state.current {
            Some((run, _)) => vec![Effect::Append(run, Event::MemoryPinned { memory: *memory, pinned: *pinned })],
            None => Vec::new(),
        },
        Command::EditMemory { memory, text } => match state.current {
            Some((run, _)) => vec![Effect::Append(run, Event::MemoryEdited { memory: *memory, text: text.clone() })],
            None => Vec::new(),
        },
        Command::RollbackPatch { patch } => vec![Effect::Rollback(*patch)],
        Command::GrantPrefix { run, prefix, scope } if live(state) == Some(*run) => {
            vec![Effect::Forward(
                *run,
                RunInput::Grant {
                    prefix: prefix.clone(),
                    scope: *scope,
                    by: by.to_string(),
                },
            )]
        }
        Command::GrantPrefix { run, prefix, scope } => vec![Effect::Append(
            *run,
            Event::PrefixGranted {
                prefix: prefix.clone(),
                scope: *scope,
                by: by.to_string(),
            },
        )],
    }
}

/// Whether a resume names its run (`warroom resume --run N`) rather than asking for "the
/// unfinished one, if any" (the war room opening), which is silent when there is none.
fn command_names_run(command: &Command) -> bool {
    matches!(command, Command::ResumeRun { run: Some(_) })
}

/// The run with a live team, if it is the current one and has not ended.
fn live(state: &CoreState) -> Option<RunId> {
    state.live.filter(|run| {
        state
            .current
            .is_some_and(|(c, s)| c == *run && !s.is_terminal())
    })
}

/// Folds a committed event into the core's state.
pub fn observe(state: &mut CoreState, run: RunId, event: &Event) {
    if matches!(event, Event::RunFinished { .. }) && state.live == Some(run) {
        state.live = None;
    }
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

/// How the owner process's team works.
#[derive(Debug, Clone, Default)]
pub struct TeamOptions {
    /// The effective config (models, roles, approvals, sandbox).
    pub config: Config,
    /// Headless `--approve auto|deny`: the answer to every "ask".
    pub approve: Option<Policy>,
    /// Record every model call to this file (`--record`), for replays.
    pub record: Option<std::path::PathBuf>,
    /// A line posted in every run's chat when it starts (the demo says it is a replay).
    pub announce: Option<String>,
}

/// Starts the core on the current tokio runtime.
pub fn spawn(
    store: Store,
    reader: Reader,
    team: TeamOptions,
) -> (CoreHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(256);
    let task = tokio::spawn(run(store, reader, rx, team));
    (CoreHandle { tx }, task)
}

/// What the driver holds besides the pure state.
struct Driver {
    store: Store,
    reader: Reader,
    team: Option<team::TeamEnv>,
    /// How the team's models were chosen, told at the start of each run.
    models: String,
    options: TeamOptions,
    runs: HashMap<RunId, team::RunHandle>,
}

/// The driver: commands from the screen and from the `commands` table, until the screen's
/// sender is dropped.
async fn run(store: Store, reader: Reader, mut rx: mpsc::Receiver<Command>, options: TeamOptions) {
    let mut state = CoreState {
        no_team: Some(NO_TEAM.into()),
        ..CoreState::default()
    };
    if let Ok(Some(latest)) = reader.latest_run() {
        state.current = Some((latest.id, latest.state));
    }
    let next_patch = reader.max_patch_id().map(|id| id.0 + 1).unwrap_or(1);
    let mut driver = Driver {
        store: store.clone(),
        reader,
        team: None,
        models: String::new(),
        options,
        runs: HashMap::new(),
    };
    let prepared = team::setup::prepare(
        &driver.options.config,
        &store,
        next_patch,
        driver.options.record.as_deref(),
    )
    .await;
    match prepared {
        Ok(ready) => {
            tracing::info!(models = %ready.models, "core: the team is ready");
            driver.team = Some(ready.env);
            driver.models = ready.models;
            state.no_team = None;
        }
        Err(why) => {
            tracing::warn!("core: no team: {why}");
            state.no_team = Some(why);
        }
    }
    // Watches the person's edits while a run is active; stops when the core does.
    let _watch = watch::spawn(store.clone(), &driver.options.config);
    let mut committed = store.subscribe();
    let mut viewers = tokio::time::interval(Duration::from_millis(500));
    viewers.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            command = rx.recv() => {
                let Some(command) = command else { break };
                let effects = decide(&driver.reader, &state, &command, "owner");
                perform_all(&mut driver, &mut state, effects).await;
            }
            batch = committed.recv() => match batch {
                Ok(batch) => batch.iter().for_each(|r| observe(&mut state, r.run, &r.event)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if let Ok(Some(latest)) = driver.reader.latest_run() {
                        state.current = Some((latest.id, latest.state));
                        if latest.state.is_terminal() && state.live == Some(latest.id) {
                            state.live = None;
                        }
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            _ = viewers.tick() => {
                driver.runs.retain(|_, handle| !handle.join.is_finished());
                if state.live.is_some_and(|run| !driver.runs.contains_key(&run)) {
                    state.live = None;
                }
                match store.take_commands().await {
                    Ok(commands) => for command in commands {
                        match command {
                            Ok(command) => {
                                let effects = decide(&driver.reader, &state, &command, "viewer");
                                perform_all(&mut driver, &mut state, effects).await;
                            }
                            Err(message) => report(&store, &state, message).await,
                        }
                    },
                    Err(e) => tracing::warn!("core: cannot read viewer commands: {e}"),
                }
            }
        }
    }
    for handle in driver.runs.values() {
        let _ = handle
            .tx
            .send(RunInput::Cancel {
                by: "warroom shutting down".into(),
            })
            .await;
    }
    for (_, handle) in driver.runs.drain() {
        let _ = tokio::time::timeout(Duration::from_secs(3), handle.join).await;
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

async fn perform_all(driver: &mut Driver, state: &mut CoreState, effects: Vec<Effect>) {
    for effect in effects {
        if let Err(e) = perform(driver, state, effect).await {
            tracing::error!("core: {e}");
        }
    }
}

async fn perform(
    driver: &mut Driver,
    state: &mut CoreState,
    effect: Effect,
) -> Result<(), StoreError> {
    let store = driver.store.clone();
    match effect {
        Effect::StartRun { goal, then } => {
            let repo = store.paths().repo.to_string_lossy().into_owned();
            let run = store.create_run(&goal, &repo).await?;
            observe(
                state,
                run,
                &Event::RunStarted {
                    goal: goal.clone(),
                    repo,
                },
            );
            let start_team = then.is_empty();
            for event in then {
                observe(state, run, &event);
                store.append(run, event).await?;
            }
            if let (true, Some(text)) = (start_team, driver.options.announce.clone()) {
                let event = Event::ChatMessagePosted {
                    role: ChatRole::System,
                    text,
                };
                store.append(run, event).await?;
            }
            if let (true, Some(env)) = (start_team, driver.team.clone()) {
                let event = Event::ModelsChosen {
                    summary: driver.models.clone(),
                };
                store.append(run, event).await?;
                let mut rules = team::policy::Rules::new(driver.options.config.approvals.clone());
                for prefix in driver.reader.repo_grants().unwrap_or_default() {
                    rules.grant(&prefix);
                }
                if let Some(policy) = driver.options.approve {
                    rules.override_asks(policy);
                }
                let handle = team::start(env, run, goal, rules);
                driver.runs.insert(run, handle);
                state.live = Some(run);
            }
        }
        Effect::Append(run, event) => {
            observe(state, run, &event);
            store.append(run, event).await?;
        }
        Effect::Forward(run, input) => {
            let sent = match driver.runs.get(&run) {
                Some(handle) => handle.tx.send(input).await.is_ok(),
                None => false,
            };
            if !sent {
                state.live = None;
                report(
                    &store,
                    state,
                    format!("run {run} has no live team any more"),
                )
                .await;
            }
        }
        Effect::Rollback(patch) => rollback(&store, state, patch).await,
        Effect::Resume(run) => resume(driver, state, run).await?,
    }
    Ok(())
}

/// Picks up an unfinished run from its event log (`warroom resume`, or the war room opening
/// on a repository whose last run never finished).
async fn resume(driver: &mut Driver, state: &mut CoreState, run: RunId) -> Result<(), StoreError> {
    let Some(env) = driver.team.clone() else {
        return Ok(());
    };
    let (records, last) = driver.reader.journal_events(run)?;
    let mut journal = team::journal::Journal::fold(&records);
    journal.after = last;
    let run_state = journal.state.unwrap_or(RunState::Planning);
    if records.is_empty() || run_state.is_terminal() {
        report(
            &driver.store,
            state,
            format!("run {run} has nothing to resume"),
        )
        .await;
        return Ok(());
    }
    let mut rules = team::policy::Rules::new(driver.options.config.approvals.clone());
    for prefix in driver.reader.repo_grants().unwrap_or_default() {
        rules.grant(&prefix);
    }
    for prefix in &journal.grants {
        rules.grant(prefix);
    }
    if let Some(policy) = driver.options.approve {
        rules.override_asks(policy);
    }
    tracing::info!(%run, after = %last, "core: resuming the run");
    let handle = team::resume(env, run, journal, rules);
    // A decision taken from the commands table by an owner that died before recording it.
    let pending: Vec<_> = driver
        .reader
        .pending_approvals(run)?
        .iter()
        .map(|a| a.id)
        .collect();
    for (approval, decision) in driver.reader.queued_decisions(run)? {
        if pending.contains(&approval) {
            let input = RunInput::Decide {
                approval,
                decision,
                by: "viewer (queued before the restart)".into(),
            };
            let _ = handle.tx.send(input).await;
        }
    }
    driver.runs.insert(run, handle);
    state.current = Some((run, run_state));
    state.live = Some(run);
    Ok(())
}

/// Takes an applied patch back out of the working tree and records it in the patch's run.
async fn rollback(store: &Store, state: &CoreState, patch: PatchId) {
    let busy = Duration::from_secs(5);
    let db = store.paths().db.clone();
    let repo = store.paths().repo.clone();
    let done = tokio::task::spawn_blocking(move || -> Result<(RunId, Vec<String>), String> {
        let reader = Reader::open(&db, busy).map_err(|e| e.to_string())?;
        let row = reader
            .patch(patch)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("there is no patch {patch}"))?;
        if row.state != crate::store::PatchState::Applied {
            return Err(format!(
                "patch {patch} is not applied (it is {})",
                row.state.as_str()
            ));
        }
        let diff = row
            .diff
            .ok_or_else(|| format!("patch {patch} has no readable diff in the database"))?;
        let files = patches::rollback(&repo, &diff).map_err(|e| e.to_string())?;
        Ok((row.run, files))
    })
    .await;
    match done {
        Ok(Ok((run, files))) => {
            let _ = store.append(run, Event::PatchRolledBack { patch }).await;
            let _ = store
                .append(
                    run,
                    Event::LogLine {
                        agent: None,
                        level: LogLevel::Info,
                        text: format!("patch {patch} rolled back from {}", files.join(", ")),
                    },
                )
                .await;
        }
        Ok(Err(message)) => {
            report(
                store,
                state,
                format!("rollback of patch {patch}: {message}"),
            )
            .await
        }
        Err(e) => {
            report(
                store,
                state,
                format!("rollback of patch {patch} stopped: {e}"),
            )
            .await
        }
    }
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
