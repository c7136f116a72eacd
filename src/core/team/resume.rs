//! Catching up after a restart. A resumed run starts its unfinished tasks again from the top,
//! and each one replays what the log recorded instead of doing it again: a recorded step
//! returns its value, an agent is fed the inputs it was fed before (model answers and tool
//! results, so no model is asked and no tool runs twice), and the events it emits on the way
//! are matched against the committed ones and dropped. The task goes live at the first thing
//! the log does not have: a model call in flight is issued again, a tool call that was cut off
//! runs again if it only reads and is otherwise reported to its agent as interrupted.
//!
//! Which task is catching up is a tokio task-local ([`Catchup`]) set around each task's future
//! by the run's driver; code outside one (the driver, chat, the sentinel) is always live.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::oneshot;

use super::journal::{self, AskedApproval, Journal, OpenTool};
use super::shared::lock;
use crate::protocol::{AgentId, AgentInputRecord, ApprovalId, Decision, Event, TaskId};

tokio::task_local! {
    static CATCHUP: Catchup;
}

/// Whether the current task's future is still replaying the log.
pub struct Catchup {
    replaying: AtomicBool,
}

impl Catchup {
    /// Runs `future` replaying (`replaying`) or live.
    pub async fn scope<F: Future>(replaying: bool, future: F) -> F::Output {
        CATCHUP
            .scope(
                Catchup {
                    replaying: AtomicBool::new(replaying),
                },
                future,
            )
            .await
    }
}

/// Whether the code running now replays the log.
pub fn replaying() -> bool {
    CATCHUP
        .try_with(|c| c.replaying.load(Ordering::Relaxed))
        .unwrap_or(false)
}

/// The current task goes live: from now on everything it does is done and recorded.
pub fn go_live() {
    let _ = CATCHUP.try_with(|c| c.replaying.store(false, Ordering::Relaxed));
}

/// An approval recorded before the stop, waiting to be taken up by the code that asked it.
pub struct Adopted {
    /// What the log says about it.
    pub asked: AskedApproval,
    /// Where a decision arrives (for one still pending).
    pub rx: Option<oneshot::Receiver<Decision>>,
}

/// What a resumed run has left of its journal.
pub struct Replay {
    journal: Mutex<Journal>,
    adopted: Mutex<Vec<Adopted>>,
    agents: Mutex<VecDeque<AgentId>>,
    interrupted: Mutex<Vec<String>>,
}

impl Replay {
    /// The replay of `journal`; `adopted` are its approvals with their receivers.
    pub fn new(journal: Journal, adopted: Vec<Adopted>) -> Replay {
        let agents = journal.agents.keys().copied().collect();
        Replay {
            journal: Mutex::new(journal),
            adopted: Mutex::new(adopted),
            agents: Mutex::new(agents),
            interrupted: Mutex::new(Vec::new()),
        }
    }

    /// Reads or changes the journal.
    pub fn with_journal<T>(&self, f: impl FnOnce(&mut Journal) -> T) -> T {
        f(&mut lock(&self.journal))
    }

    /// Whether `event`, emitted while replaying, is already in the log (or is chatter that
    /// the log needs no second copy of) and must not be appended.
    pub fn swallow(&self, event: &Event) -> bool {
        if !replaying() {
            return false;
        }
        if journal::is_chatter(event) {
            return true;
        }
        let mut j = lock(&self.journal);
        match j.seen.get_mut(&journal::fingerprint(event)) {
            Some(count) if *count > 0 => {
                *count -= 1;
                true
            }
            // Not committed before the stop: append it now.
            _ => false,
        }
    }

    /// The value recorded for the next step of `scope`, if it is `label`. Anything else means
    /// the task went another way: its remaining steps are dropped and it goes live.
    pub fn step(&self, scope: Option<TaskId>, label: &str) -> Option<String> {
        if !replaying() {
            return None;
        }
        let mut j = lock(&self.journal);
        let steps = j.steps.get_mut(&scope)?;
        match steps.front() {
            Some(step) if step.label == label => steps.pop_front().map(|s| s.value),
            Some(_) => {
                steps.clear();
                None
            }
            None => None,
        }
    }

    /// The next recorded input of `agent`, if the current task replays.
    pub fn next_input(&self, agent: AgentId) -> Option<AgentInputRecord> {
        if !replaying() {
            return None;
        }
        lock(&self.journal).inputs.get_mut(&agent)?.pop_front()
    }

    /// Drops what is left of `agent`'s recorded inputs (it went another way).
    pub fn forget_inputs(&self, agent: AgentId) {
        lock(&self.journal).inputs.remove(&agent);
    }

    /// The agent recorded for the next spawn of `role` under `parent` while replaying.
    pub fn adopt_agent(&self, role: &str, parent: Option<AgentId>) -> Option<AgentId> {
        if !replaying() {
            return None;
        }
        let j = lock(&self.journal);
        let mut free = lock(&self.agents);
        let at = free.iter().position(|a| {
            j.agents
                .get(a)
                .is_some_and(|e| e.role == role && e.parent == parent)
        })?;
        free.remove(at)
    }

    /// Marks `agent` as taken (the driver reuses it for its task).
    pub fn claim_agent(&self, agent: AgentId) {
        lock(&self.agents).retain(|a| *a != agent);
    }

    /// The tool call of `agent` for `tool` with `args` that the stop cut off, if one was.
    pub fn open_tool(&self, agent: AgentId, tool: &str, args: &str) -> Option<OpenTool> {
        let mut j = lock(&self.journal);
        let at = j
            .open_tools
            .iter()
            .position(|t| t.agent == agent && t.tool == tool && t.args == args)?;
        Some(j.open_tools.remove(at))
    }

    /// Notes a tool call reported to its agent as interrupted.
    pub fn note_interrupted(&self, what: String) {
        lock(&self.interrupted).push(what);
    }

    /// The tool calls reported as interrupted so far.
    pub fn interrupted(&self) -> Vec<String> {
        lock(&self.interrupted).clone()
    }

    /// Takes the recorded approval `agent` asked with `subject`, if there is one.
    pub fn adopt_approval(
        &self,
        agent: AgentId,
        subject: &crate::protocol::ApprovalSubject,
    ) -> Option<Adopted> {
        // A decided approval is taken up only by code catching up (or by the apply of the
        // patch it was about): live code asking the same thing asks again.
        let decided_ok =
            replaying() || matches!(subject, crate::protocol::ApprovalSubject::Patch { .. });
        let mut adopted = lock(&self.adopted);
        let at = adopted.iter().position(|a| {
            a.asked.agent == agent
                && &a.asked.subject == subject
                && (a.asked.decision.is_none() || decided_ok)
        })?;
        Some(adopted.remove(at))
    }

    /// The ids of the approvals still waiting for a decision.
    pub fn pending(&self) -> Vec<ApprovalId> {
        lock(&self.adopted)
            .iter()
            .filter(|a| a.asked.decision.is_none())
            .map(|a| a.asked.approval)
            .collect()
    }
}
