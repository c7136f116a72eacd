//! The agent team: a root planner that splits a goal into a task tree and delegates to an
//! observer (repo detection, reproduction), an analyst (patches in the run's worktree) and a
//! verifier (tests before and after, verdict from exit codes and parsed results), plus any
//! roles from config. Agents are pure state machines (`agent.rs`); the run's driver
//! (`run.rs`) performs their effects. Never imports the UI.
//!
//! - `agent.rs`: the tool loop of one agent (pure).
//! - `plan.rs`: the planner's structured answers, parsed (pure).
//! - `policy.rs`: approval rules (pure).
//! - `verdict.rs`: the verifier's verdict (pure).
//! - `shared.rs`: a run's shared state, model calls and approvals.
//! - `toolbox.rs`: tool specs by role and dispatch of a tool call.
//! - `verify.rs`: test runs in the sandbox, parsed.
//! - `roles.rs`: what each role does with a task, incl. the fix loop.
//! - `planner.rs`: decomposition and chat.
//! - `run.rs`: the driver of one run.
//! - `recall.rs`: memories injected into briefs, and what a finished task is remembered as.
//! - `conversation.rs`: the chat with the planner across runs, older turns summarized.
//! - `drive.rs`: performing an agent's effects, its journal and context view.
//! - `journal.rs`: a resumed run's event log, folded (pure).
//! - `resume.rs`: a resumed run catching up with its journal.

pub mod agent;
pub mod conversation;
pub mod drive;
pub mod journal;
pub mod part;
pub mod plan;
pub mod planner;
pub mod policy;
pub mod prompts;
pub mod recall;
pub mod resume;
pub mod roles;
pub mod run;
pub mod setup;
pub mod shared;
pub mod toolbox;
pub mod verdict;
pub mod verify;

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use run::RunInput;
pub use shared::TeamEnv;

use crate::protocol::{RunId, RunState};

/// A run being worked on.
pub struct RunHandle {
    /// The run.
    pub run: RunId,
    /// Where its inputs go.
    pub tx: mpsc::Sender<RunInput>,
    /// The driver; yields the final state.
    pub join: JoinHandle<RunState>,
}

/// Picks up `run` after its process ended, from its `journal`.
pub fn resume(
    env: TeamEnv,
    run: RunId,
    journal: journal::Journal,
    rules: policy::Rules,
) -> RunHandle {
    let (tx, rx) = mpsc::channel(64);
    let shared = shared::Shared::resumed(env, run, journal, rules);
    crate::core::sentinel::watch(&shared);
    let join = tokio::spawn(run::conduct(Arc::clone(&shared), rx, tx.clone()));
    RunHandle { run, tx, join }
}

/// Starts the team on `run` (already created in the store) with `goal`.
pub fn start(env: TeamEnv, run: RunId, goal: String, rules: policy::Rules) -> RunHandle {
    let (tx, rx) = mpsc::channel(64);
    let shared = shared::Shared::new(env, run, goal, rules);
    // Before the run's first event, so the sentinel sees every agent from its spawn.
    crate::core::sentinel::watch(&shared);
    let join = tokio::spawn(run::conduct(Arc::clone(&shared), rx, tx.clone()));
    RunHandle { run, tx, join }
}
