//! The driver of one run: makes the worktree, has the planner decompose the goal, keeps the
//! task tree (dependencies, a concurrency limit, cancelling subtrees), runs each ready task's
//! agent, and carries a verified patch through approval to the person's working tree. Inputs
//! from front ends (decisions, chat, cancels) arrive on a channel; everything that happens is
//! an event. The lifecycle: planning -> working -> awaiting approval -> applying -> done, or
//! blocked (waiting for the person), failed, cancelled.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::planner;
use super::policy::{Action, Ruling};
use super::resume::Catchup;
use super::roles::{self, Job, TaskOutcome};
use super::shared::{Shared, lock};
use crate::core::patches;
use crate::core::tools::Workspace;
use crate::core::worktree::Worktree;
use crate::protocol::{
    AgentId, AgentStatus, ApprovalSubject, ChatRole, Decision, Event, LogLevel, PatchId, RunState,
    TaskId, TaskStatus,
};

/// What a front end tells a running run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunInput {
    /// The person decided an approval.
    Decide {
        /// The approval.
        approval: crate::protocol::ApprovalId,
        /// The answer.
        decision: Decision,
        /// Who decided.
        by: String,
    },
    /// The person said something in chat.
    Chat {
        /// The message.
        text: String,
    },
    /// Cancel a task and its subtree.
    CancelTask {
        /// The task.
        task: TaskId,
    },
    /// Cancel the run.
    Cancel {
        /// Who cancelled.
        by: String,
    },
    /// Try the fix again with the person's hint (sent by the planner's chat handling).
    Retry,
    /// Commands starting with `prefix` run without asking from now on.
    Grant {
        /// The start of a command line.
        prefix: String,
        /// This run, or the repository.
        scope: crate::protocol::GrantScope,
        /// Who granted it.
        by: String,
    },
}

struct Node {
    parent: Option<TaskId>,
    deps: Vec<TaskId>,
    role: String,
    title: String,
    status: TaskStatus,
    agent: Option<AgentId>,
    /// Under way when warroom stopped: start it again with its agent, catching up.
    catch_up: bool,
}

enum Done {
    Task(TaskId, TaskOutcome),
    Applied(Result<String, String>),
}

/// One task of the tree as the driver records it (a driver step), so a resumed run knows
/// each task's role without asking the planner again.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Planned {
    task: TaskId,
    parent: Option<TaskId>,
    deps: Vec<TaskId>,
    role: String,
    title: String,
}

/// The tree the planner made: the root task and its children.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Tree {
    root: TaskId,
    tasks: Vec<Planned>,
}

/// The run's driver; returns the run's final state. A resumed run (its `Shared` holds the
/// journal) catches up first: the opening steps replay without asking the planner again,
/// the tree is rebuilt from the log, and unfinished tasks start again catching up.
pub async fn conduct(
    shared: Arc<Shared>,
    rx: mpsc::Receiver<RunInput>,
    tx: mpsc::Sender<RunInput>,
) -> RunState {
    let resumed = shared.replay.is_some();
    if resumed {
        announce_resume(&shared).await;
    }
    let opened = Catchup::scope(resumed, open(&shared)).await;
    let (planner_agent, worktree, tree) = match opened {
        Ok(opened) => opened,
        Err(why) => return finish(&shared, RunState::Failed, why).await,
    };
    let mut nodes: BTreeMap<TaskId, Node> = BTreeMap::new();
    for planned in &tree.tasks {
        nodes.insert(planned.task, node(planned));
    }
    let mut board = Board {
        planner: planner_agent,
        root: tree.root,
        nodes,
        verified: None,
        blocked: None,
    };
    if resumed {
        rebuild(&shared, &mut board);
    }
    work(shared, worktree, board, rx, tx).await
}

/// What the driver knows of the run between events.
struct Board {
    planner: AgentId,
    root: TaskId,
    nodes: BTreeMap<TaskId, Node>,
    verified: Option<(PatchId, String, Vec<String>)>,
    blocked: Option<String>,
}

fn node(planned: &Planned) -> Node {
    Node {
        parent: planned.parent,
        deps: planned.deps.clone(),
        role: planned.role.clone(),
        title: planned.title.clone(),
        status: TaskStatus::Pending,
        agent: None,
        catch_up: false,
    }
}

/// The opening: the planner, the goal in chat, the worktree and the task tree.
async fn open(shared: &Arc<Shared>) -> Result<(AgentId, Arc<Worktree>, Tree), String> {
    let planner_agent = shared.spawn_agent("planner", None).await;
    shared
        .emit(Event::ChatMessagePosted {
            role: ChatRole::User,
            text: shared.goal.clone(),
        })
        .await;
    set_state(
        shared,
        RunState::Planning,
        "the planner is splitting the goal into tasks",
    )
    .await;
    shared
        .status(planner_agent, AgentStatus::Thinking, None)
        .await;
    let worktree = Arc::new(make_worktree(shared).await?);
    let tree = shared
        .step(None, "tasks", plan_tree(shared, planner_agent))
        .await;
    set_status(shared, tree.root, TaskStatus::Running, 1).await;
    shared
        .status(planner_agent, AgentStatus::Idle, Some(tree.root))
        .await;
    set_state(shared, RunState::Working, "").await;
    Ok((planner_agent, worktree, tree))
}

/// Has the planner decompose the goal and records the tasks.
async fn plan_tree(shared: &Arc<Shared>, planner_agent: AgentId) -> Tree {
    let plan = planner::decompose(shared, planner_agent).await;
    let root = shared.next_task();
    shared
        .emit(Event::TaskCreated {
            task: root,
            parent: None,
            title: one_line(&shared.goal),
            deps: Vec::new(),
            owner: Some(planner_agent),
        })
        .await;
    let mut tasks = Vec::new();
    let mut ids = Vec::new();
    for planned in &plan {
        let id = shared.next_task();
        let deps: Vec<TaskId> = planned
            .depends_on
            .iter()
            .filter_map(|d| ids.get(*d).copied())
            .collect();
        shared
            .emit(Event::TaskCreated {
                task: id,
                parent: Some(root),
                title: planned.title.clone(),
                deps: deps.clone(),
                owner: None,
            })
            .await;
        tasks.push(Planned {
            task: id,
            parent: Some(root),
            deps,
            role: planned.role.clone(),
            title: planned.title.clone(),
        });
        ids.push(id);
    }
    Tree { root, tasks }
}

/// Says the run is picked up again, and closes the model and tool calls the stop cut off.
async fn announce_resume(shared: &Arc<Shared>) {
    let Some(replay) = &shared.replay else {
        return;
    };
    let (after, open_calls, open_tools) =
        replay.with_journal(|j| (j.after, j.open_calls.clone(), j.open_tools.clone()));
    let interrupted: Vec<String> = open_tools
        .iter()
        .filter(|t| !t.read_only() && !t.awaiting_approval && t.ended.is_none())
        .map(|t| t.describe())
        .collect();
    shared.emit(Event::RunResumed { after, interrupted }).await;
    for (call, agent) in open_calls {
        shared
            .emit(Event::LlmCallEnded {
                call,
                agent,
                input_tokens: 0,
                output_tokens: 0,
                cached_tokens: 0,
                cost_usd: 0.0,
                ttft_ms: None,
                latency_ms: 0,
                cache_hit: false,
                outcome: crate::protocol::CallOutcome::Cancelled,
            })
            .await;
    }
    for tool in open_tools.into_iter().filter(|t| t.ended.is_none()) {
        let summary = if tool.awaiting_approval {
            "waiting for approval when warroom stopped; asked again on resume"
        } else if tool.read_only() {
            "cut off when warroom stopped; run again on resume"
        } else {
            "interrupted: warroom stopped while it ran"
        };
        shared
            .emit(Event::ToolCallEnded {
                call: tool.call,
                agent: tool.agent,
                ok: false,
                exit_code: None,
                duration_ms: 0,
                summary: summary.into(),
            })
            .await;
    }
}

/// Brings the board to where the log says the run was: tasks added by hints, each task's
/// status, the tasks to start again (catching up, with their agents), a verified patch not
/// applied yet, and whether the run waits for a hint.
fn rebuild(shared: &Arc<Shared>, board: &mut Board) {
    let Some(replay) = &shared.replay else {
        return;
    };
    replay.with_journal(|j| {
        for value in j.step_values_of(None, "retry") {
            if let Ok(planned) = serde_json::from_str::<Planned>(&value) {
                board.nodes.insert(planned.task, node(&planned));
            }
        }
        for (id, n) in board.nodes.iter_mut() {
            let Some(entry) = j.tasks.get(id) else {
                continue;
            };
            match entry.status {
                TaskStatus::Pending => {}
                // It was under way: start it again with its agent, catching up.
                TaskStatus::Running | TaskStatus::Blocked if entry.agent.is_some() => {
                    n.agent = entry.agent;
                    n.catch_up = entry.status == TaskStatus::Running;
                    n.status = if n.catch_up {
                        TaskStatus::Pending
                    } else {
                        TaskStatus::Blocked
                    };
                }
                status => {
                    n.status = status;
                    n.agent = entry.agent;
                }
            }
        }
        if let Some((patch, task, diff, files)) = j.verified_unapplied() {
            let task_done = task
                .and_then(|t| board.nodes.get(&t))
                .is_some_and(|n| n.status == TaskStatus::Done);
            if task_done {
                board.verified = Some((patch, diff, files));
            }
        }
        if j.state == Some(RunState::Blocked) {
            board.blocked = Some("blocked when warroom stopped".into());
        }
        // What the driver did before the stop is on the board now; from here it is live.
        j.steps.remove(&None);
    });
    for n in board.nodes.values() {
        if let (true, Some(agent)) = (n.catch_up, n.agent) {
            replay.claim_agent(agent);
        }
    }
}

/// The driver's loop: starts ready tasks, reacts to their outcomes and to the person.
async fn work(
    shared: Arc<Shared>,
    worktree: Arc<Worktree>,
    board: Board,
    mut rx: mpsc::Receiver<RunInput>,
    tx: mpsc::Sender<RunInput>,
) -> RunState {
    let Board {
        planner: planner_agent,
        root,
        mut nodes,
        verified,
        blocked,
    } = board;
    let concurrency = shared.env.config.team.concurrency;
    let mut running: JoinSet<Done> = JoinSet::new();
    let mut handles: HashMap<TaskId, AbortHandle> = HashMap::new();
    let mut verified = verified;
    let mut blocked = blocked;
    let mut applying = false;
    loop {
        // Start what is ready, up to the limit.
        let ready: Vec<TaskId> = nodes
            .iter()
            .filter(|(_, n)| n.status == TaskStatus::Pending)
            .filter(|(_, n)| {
                n.deps
                    .iter()
                    .all(|d| nodes.get(d).is_some_and(|n| n.status == TaskStatus::Done))
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ready {
            if handles.len() >= concurrency {
                break;
            }
            let Some(node) = nodes.get_mut(&id) else {
                continue;
            };
            // One verified patch reaches the goal: a later fix task has nothing left to do.
            if node.role == "analyst" && verified.is_some() {
                node.status = TaskStatus::Done;
                set_status(&shared, id, TaskStatus::Done, 1).await;
                shared
                    .log(
                        None,
                        LogLevel::Info,
                        format!("task {id} skipped: a verified patch already reaches the goal"),
                    )
                    .await;
                continue;
            }
            // A task under way when warroom stopped goes on with its agent, catching up.
            let catch_up = std::mem::take(&mut node.catch_up);
            let agent = match (catch_up, node.agent) {
                (true, Some(agent)) => agent,
                _ => {
                    let agent = shared.spawn_agent(&node.role, Some(planner_agent)).await;
                    node.agent = Some(agent);
                    set_status(&shared, id, TaskStatus::Running, 1).await;
                    shared.status(agent, AgentStatus::Thinking, Some(id)).await;
                    agent
                }
            };
            node.status = TaskStatus::Running;
            let job = Job {
                task: id,
                title: node.title.clone(),
                role: node.role.clone(),
                agent,
            };
            let (s, w) = (Arc::clone(&shared), Arc::clone(&worktree));
            let handle = running.spawn(Catchup::scope(catch_up, async move {
                Done::Task(id, roles::run(s, job, w).await)
            }));
            handles.insert(id, handle);
        }
        // Everything ended: apply, wait for the person, or give up.
        if running.is_empty() {
            if let Some((patch, diff, files)) = verified.take() {
                applying = true;
                let (s, t) = (Arc::clone(&shared), root);
                running.spawn(async move {
                    Done::Applied(apply(&s, planner_agent, t, patch, diff, files).await)
                });
            } else if blocked.is_none() {
                let failed: Vec<&str> = nodes
                    .values()
                    .filter(|n| n.status == TaskStatus::Failed)
                    .map(|n| n.title.as_str())
                    .collect();
                let why = if failed.is_empty() {
                    "the tasks ended without a verified patch".to_string()
                } else {
                    format!("failed: {}", failed.join("; "))
                };
                set_status(&shared, root, TaskStatus::Failed, 1).await;
                return finish(&shared, RunState::Failed, why).await;
            }
        }
        tokio::select! {
            Some(joined) = running.join_next(), if !running.is_empty() => {
                let Ok(done) = joined else { continue };
                match done {
                    Done::Applied(result) => {
                        return match result {
                            Ok(summary) => {
                                set_status(&shared, root, TaskStatus::Done, 1).await;
                                finish(&shared, RunState::Done, summary).await
                            }
                            Err(why) => {
                                set_status(&shared, root, TaskStatus::Failed, 1).await;
                                let state = if why.starts_with("declined") { RunState::Cancelled } else { RunState::Failed };
                                finish(&shared, state, why).await
                            }
                        };
                    }
                    Done::Task(id, outcome) => {
                        handles.remove(&id);
                        let agent = nodes.get(&id).and_then(|n| n.agent);
                        let (status, agent_status) = match &outcome {
                            TaskOutcome::Done(_) | TaskOutcome::Verified { .. } => (TaskStatus::Done, AgentStatus::Done),
                            TaskOutcome::NeedsHelp(_) => (TaskStatus::Blocked, AgentStatus::Blocked),
                            TaskOutcome::Failed(_) => (TaskStatus::Failed, AgentStatus::Failed),
                        };
                        if let Some(node) = nodes.get_mut(&id) {
                            node.status = status;
                        }
                        set_status(&shared, id, status, 1).await;
                        if let Some(agent) = agent {
                            shared.status(agent, agent_status, None).await;
                        }
                        match outcome {
                            TaskOutcome::Done(summary) => shared.log(agent, LogLevel::Info, summary).await,
                            TaskOutcome::Verified { patch, diff, files } => verified = Some((patch, diff, files)),
                            TaskOutcome::NeedsHelp(summary) => {
                                shared.emit(Event::ChatMessagePosted { role: ChatRole::Planner, text: summary.clone() }).await;
                                set_state(&shared, RunState::Blocked, &one_line(&summary)).await;
                                blocked = Some(summary);
                            }
                            TaskOutcome::Failed(why) => {
                                shared.emit(Event::ErrorRaised { agent, source: "task".into(), message: why }).await;
                                cancel_dependents(&shared, &mut nodes, id).await;
                            }
                        }
                    }
                }
            }
            input = rx.recv() => {
                let Some(input) = input else {
                    running.abort_all();
                    return finish(&shared, RunState::Cancelled, "warroom is shutting down".into()).await;
                };
                match input {
                    RunInput::Decide { approval, decision, by } => {
                        if !shared.decide(approval, decision, &by).await {
                            shared.log(None, LogLevel::Warn, format!("approval {approval} is not waiting (already decided or unknown); {by}'s decision is ignored")).await;
                        }
                    }
                    RunInput::Chat { text } => planner::chat(Arc::clone(&shared), planner_agent, text, blocked.is_some(), tx.clone()),
                    RunInput::Retry if blocked.is_some() && !applying => {
                        blocked = None;
                        set_state(&shared, RunState::Working, "trying again with your hint").await;
                        let planned = shared.step(None, "retry", async {
                            let id = shared.next_task();
                            let title = "Fix again, with the person's hint".to_string();
                            shared.emit(Event::TaskCreated { task: id, parent: Some(root), title: title.clone(), deps: Vec::new(), owner: None }).await;
                            Planned { task: id, parent: Some(root), deps: Vec::new(), role: "analyst".into(), title }
                        }).await;
                        nodes.insert(planned.task, node(&planned));
                    }
                    RunInput::Retry => {}
                    RunInput::Grant { prefix, scope, by } => {
                        lock(&shared.rules).grant(&prefix);
                        shared.emit(Event::PrefixGranted { prefix, scope, by }).await;
                    }
                    RunInput::CancelTask { task } => {
                        for id in subtree(&nodes, task) {
                            if let Some(handle) = handles.remove(&id) {
                                handle.abort();
                            }
                            if let Some(node) = nodes.get_mut(&id) {
                                if !node.status.is_terminal() {
                                    node.status = TaskStatus::Cancelled;
                                    set_status(&shared, id, TaskStatus::Cancelled, 1).await;
                                    if let Some(agent) = node.agent {
                                        shared.status(agent, AgentStatus::Idle, None).await;
                                    }
                                }
                            }
                            cancel_dependents(&shared, &mut nodes, id).await;
                        }
                        if task == root {
                            running.abort_all();
                            return finish(&shared, RunState::Cancelled, "the goal's task was cancelled".into()).await;
                        }
                    }
                    RunInput::Cancel { by } => {
                        running.abort_all();
                        for (id, node) in nodes.iter_mut() {
                            if !node.status.is_terminal() {
                                node.status = TaskStatus::Cancelled;
                                set_status(&shared, *id, TaskStatus::Cancelled, 1).await;
                            }
                        }
                        set_status(&shared, root, TaskStatus::Cancelled, 1).await;
                        return finish(&shared, RunState::Cancelled, format!("cancelled by {by}")).await;
                    }
                }
            }
        }
    }
}

/// Asks for the apply (per policy), then applies the patch to the working tree.
async fn apply(
    shared: &Arc<Shared>,
    planner: AgentId,
    root: TaskId,
    mut patch: PatchId,
    mut diff: String,
    files: Vec<String>,
) -> Result<String, String> {
    let ruling = lock(&shared.rules).rule(Action::Apply);
    match ruling {
        Ruling::Deny { reason } => {
            return Err(format!(
                "declined: patch {patch} is verified but was not applied ({reason}); it stays in \
                 the run's worktree"
            ));
        }
        Ruling::Ask { .. } => {
            set_state(
                shared,
                RunState::AwaitingApproval,
                &format!("patch {patch} is verified; approve it to apply it to your working tree"),
            )
            .await;
            let subject = ApprovalSubject::Patch {
                diff: diff.clone(),
                files: files.clone(),
            };
            let reason = match shared.ask_person(planner, Some(root), subject).await {
                Decision::Approved => None,
                Decision::ApprovedPartial { diff: part } => {
                    // Only the hunks the person accepted, recorded as a patch of their own.
                    (patch, diff, _) =
                        super::part::take(shared, planner, root, patch, &diff, part).await?;
                    None
                }
                Decision::ApprovedEdited { .. } => {
                    Some("an edited command is no answer to a patch".to_string())
                }
                Decision::Denied { reason } => Some(reason),
            };
            if let Some(reason) = reason {
                return Err(format!(
                    "declined: patch {patch} was not applied{}; it stays in the run's worktree",
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(" ({reason})")
                    }
                ));
            }
        }
        Ruling::Allow => {}
    }
    set_state(
        shared,
        RunState::Applying,
        &format!("applying patch {patch}"),
    )
    .await;
    let repo = shared.env.repo.clone();
    // Resumed after a stop between `git apply` and its record: the patch is in already.
    let resumed = shared.replay.is_some();
    let applied = tokio::task::spawn_blocking(move || {
        if resumed
            && patches::check_apply(&repo, &diff).is_err()
            && patches::check_rollback(&repo, &diff).is_ok()
        {
            return Ok(super::roles::files_of(&diff));
        }
        patches::apply(&repo, &diff)
    })
    .await;
    match applied {
        Ok(Ok(changed)) => {
            shared
                .emit(Event::PatchApplied {
                    patch,
                    files: changed.clone(),
                })
                .await;
            Ok(format!(
                "patch {patch} is verified and applied to {} (`warroom rollback {patch}` takes it back)",
                changed.join(", ")
            ))
        }
        Ok(Err(e)) => Err(format!(
            "patch {patch} is verified but was not applied: {e}"
        )),
        Err(e) => Err(format!("patch {patch}: applying stopped: {e}")),
    }
}

async fn make_worktree(shared: &Arc<Shared>) -> Result<Worktree, String> {
    let (repo, run) = (shared.env.repo.clone(), shared.run);
    // A resumed run goes on in the worktree it had (the agents' edits are there).
    let resumed = shared.replay.is_some();
    let made = tokio::task::spawn_blocking(move || match Worktree::open(&repo, run) {
        Ok(worktree) if resumed => Ok(worktree),
        _ => Worktree::create(&repo, run),
    })
    .await;
    let worktree = match made {
        Ok(Ok(w)) => w,
        Ok(Err(e)) => return Err(format!("cannot make the run's worktree: {e}")),
        Err(e) => return Err(format!("cannot make the run's worktree: {e}")),
    };
    for warning in &worktree.warnings {
        shared.log(None, LogLevel::Warn, warning.clone()).await;
        shared
            .emit(Event::ChatMessagePosted {
                role: ChatRole::System,
                text: warning.clone(),
            })
            .await;
    }
    if resumed {
        let root = worktree.path.clone();
        let removed = tokio::task::spawn_blocking(move || {
            crate::core::tools::files::remove_stale_temps(&root)
        })
        .await
        .unwrap_or_default();
        if !removed.is_empty() {
            shared
                .log(
                    None,
                    LogLevel::Warn,
                    format!(
                        "removed {} half-written temp file(s) a killed tool left: {}",
                        removed.len(),
                        removed.join(", ")
                    ),
                )
                .await;
        }
    }
    let ws = Workspace::new(&worktree.path).map_err(|e| format!("the run's worktree: {e}"))?;
    *lock(&shared.workspace) = Some(ws);
    Ok(worktree)
}

async fn cancel_dependents(
    shared: &Arc<Shared>,
    nodes: &mut BTreeMap<TaskId, Node>,
    failed: TaskId,
) {
    let mut stack = vec![failed];
    while let Some(id) = stack.pop() {
        let dependents: Vec<TaskId> = nodes
            .iter()
            .filter(|(_, n)| n.deps.contains(&id) && !n.status.is_terminal())
            .map(|(d, _)| *d)
            .collect();
        for d in dependents {
            if let Some(node) = nodes.get_mut(&d) {
                node.status = TaskStatus::Cancelled;
            }
            set_status(shared, d, TaskStatus::Cancelled, 1).await;
            stack.push(d);
        }
    }
}

fn subtree(nodes: &BTreeMap<TaskId, Node>, root: TaskId) -> Vec<TaskId> {
    let mut out = vec![root];
    let mut i = 0;
    while let Some(id) = out.get(i).copied() {
        out.extend(
            nodes
                .iter()
                .filter(|(_, n)| n.parent == Some(id))
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    out
}

async fn set_status(shared: &Shared, task: TaskId, status: TaskStatus, attempt: u32) {
    shared
        .emit(Event::TaskStatusChanged {
            task,
            status,
            attempt,
        })
        .await;
}

async fn set_state(shared: &Shared, state: RunState, reason: &str) {
    shared
        .emit(Event::RunStateChanged {
            state,
            reason: reason.to_string(),
        })
        .await;
}

async fn finish(shared: &Shared, state: RunState, summary: String) -> RunState {
    shared
        .emit(Event::ChatMessagePosted {
            role: ChatRole::Planner,
            text: summary.clone(),
        })
        .await;
    shared.emit(Event::RunFinished { state, summary }).await;
    if let Err(e) = shared.env.store.flush().await {
        tracing::error!("team: flushing the run's last events: {e}");
    }
    state
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(100).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    out
}
