//! Views: the screen's state as a pure fold of events. A [`RunView`] starts from a store
//! snapshot (or from nothing) and folds committed records, so the live screen, `warroom
//! watch` and a resumed run share one code path. No IO, no ratatui, no key handling; the
//! panes draw these and the App decides which run is shown.
//!
//! - [`status`]: run id, goal, lifecycle state, times.
//! - [`approvals`]: the approvals that wait for the person, with their subjects in words;
//!   [`diff`]: a patch indexed by row and hunk for the inbox's diff view.
//! - [`agents`]: the agent family tree with usage and subtree totals; [`agent_detail`]: one
//!   agent's live stream, context window and injected memories.
//! - [`tasks`]: the task tree with progress; [`task_records`]: patches, verdicts, test runs.
//! - [`logs`]: the bounded log window and its paging requests; [`log_text`] words each event.
//! - [`memory`]: the repository's newest memory entries.
//! - [`chat`]: the conversation.
//! - [`tree`]: flattening a parent-linked forest, shared by agents and tasks.

pub mod agent_detail;
pub mod agents;
pub mod ansi;
pub mod approvals;
pub mod chat;
pub mod diff;
pub mod log_entry;
pub mod log_search;
pub mod log_text;
pub mod logs;
pub mod memory;
pub mod status;
pub mod task_records;
pub mod tasks;
pub mod tree;

use crate::protocol::{Event, EventId, Record, RunId};
use crate::store::RunSnapshot;

use agents::AgentsView;
use approvals::ApprovalsView;
use chat::ChatView;
use logs::LogsView;
use memory::MemoryView;
use status::StatusView;
use tasks::TasksView;

/// Everything the screen shows about one run.
#[derive(Debug, Clone)]
pub struct RunView {
    /// The headline.
    pub status: StatusView,
    /// The approvals that wait.
    pub approvals: ApprovalsView,
    /// The family tree.
    pub agents: AgentsView,
    /// The task tree.
    pub tasks: TasksView,
    /// The log window.
    pub logs: LogsView,
    /// The repository's memory.
    pub memory: MemoryView,
    /// The conversation.
    pub chat: ChatView,
    last_event: Option<EventId>,
}

impl RunView {
    /// No run yet; the log window holds at most `log_window` lines.
    pub fn new(log_window: usize) -> Self {
        RunView {
            status: StatusView::default(),
            approvals: ApprovalsView::default(),
            agents: AgentsView::default(),
            tasks: TasksView::default(),
            logs: LogsView::new(log_window),
            memory: MemoryView::default(),
            chat: ChatView::default(),
            last_event: None,
        }
    }

    /// A fresh view of `run`, of which nothing is known yet.
    pub fn for_run(run: RunId, log_window: usize) -> Self {
        RunView {
            status: StatusView::for_run(run),
            ..RunView::new(log_window)
        }
    }

    /// The view a store snapshot describes (`None`: no run yet).
    pub fn from_snapshot(snapshot: Option<&RunSnapshot>, log_window: usize) -> Self {
        let Some(snapshot) = snapshot else {
            return RunView::new(log_window);
        };
        RunView {
            status: StatusView::from_snapshot(snapshot),
            approvals: ApprovalsView::from_rows(&snapshot.approvals),
            agents: AgentsView::from_rows(&snapshot.agents),
            tasks: TasksView::from_rows(&snapshot.tasks),
            logs: LogsView::from_page(&snapshot.logs, log_window),
            memory: MemoryView::from_rows(&snapshot.memory),
            chat: ChatView::from_page(&snapshot.chat).with_planner(
                snapshot
                    .agents
                    .iter()
                    .find(|a| a.parent.is_none())
                    .map(|a| a.id),
            ),
            last_event: Some(snapshot.last_event),
        }
    }

    /// The run shown.
    pub fn run(&self) -> Option<RunId> {
        self.status.run
    }

    /// Folds one committed record of this run (memory events of any run: memory belongs to
    /// the repository); returns whether the screen changed. A record at or before the last
    /// one folded is ignored, so a snapshot and a tail that overlap do not count twice. Call
    /// [`refresh`](Self::refresh) after a batch.
    pub fn apply(&mut self, record: &Record) -> bool {
        if self.last_event.is_some_and(|last| record.id <= last) {
            return false;
        }
        self.last_event = Some(record.id);
        if is_memory(&record.event) {
            return self.memory.apply_record(record);
        }
        if self.status.run != Some(record.run) {
            return false;
        }
        let mut changed = self.status.apply(record.at, &record.event);
        changed |= self.approvals.apply(record.at, &record.event);
        changed |= self.agents.apply(record.at, &record.event);
        changed |= self.tasks.apply(&record.event);
        changed |= self.logs.apply(record);
        changed |= self.chat.apply(record);
        changed
    }

    /// Rebuilds the trees' caches after a batch of [`apply`](Self::apply).
    pub fn refresh(&mut self) {
        self.agents.refresh();
        self.tasks.refresh();
    }
}

/// Whether an event is about the repository's memory (folded whatever run it belongs to).
pub fn is_memory(event: &Event) -> bool {
    matches!(
        event,
        Event::MemoryWritten { .. }
            | Event::MemoryForgotten { .. }
            | Event::MemoryPinned { .. }
            | Event::MemoryEdited { .. }
            | Event::MemoryFlagged { .. }
    )
}
