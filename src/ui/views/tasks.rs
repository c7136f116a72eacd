//! The task tree as a fold: hierarchy and dependencies from `TaskCreated`, status and
//! attempts from `TaskStatusChanged`, progress from `TaskProgressed`. The flattened order and
//! each subtree's done fraction are caches rebuilt by [`TasksView::refresh`] only when stale,
//! so drawing 10,000 tasks costs only the rows on screen. Pure: no IO, no ratatui.

use std::collections::{BTreeMap, HashMap};

use crate::protocol::{AgentId, Event, TaskId, TaskStatus};
use crate::store::TaskRow;

use super::tree;

/// One task as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The task.
    pub id: TaskId,
    /// Its parent.
    pub parent: Option<TaskId>,
    /// Its title.
    pub title: String,
    /// Tasks it waits for.
    pub deps: Vec<TaskId>,
    /// The agent that owns it.
    pub owner: Option<AgentId>,
    /// Its status.
    pub status: TaskStatus,
    /// Attempts so far (0 before the first start).
    pub attempts: u32,
    /// Its own fraction done, 0.0 to 1.0.
    pub progress: f64,
}

/// One line of the flattened tree.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskLine {
    /// The task on this line.
    pub id: TaskId,
    /// Tree glyphs drawn before it.
    pub prefix: String,
    /// One past its last descendant: its subtree is `row..end`.
    pub end: usize,
    /// Its parent's row.
    pub parent_row: Option<usize>,
    /// Done descendants.
    pub done: u32,
    /// All descendants.
    pub descendants: u32,
    /// What the gauge shows: the done fraction of its descendants, or its own progress.
    pub fraction: f64,
}

/// The task tree.
#[derive(Debug, Clone, Default)]
pub struct TasksView {
    tasks: BTreeMap<TaskId, Task>,
    lines: Vec<TaskLine>,
    index: HashMap<TaskId, usize>,
    done: usize,
    generation: u64,
    tree_dirty: bool,
    progress_dirty: bool,
}

impl TasksView {
    /// The tree of a snapshot's tasks.
    pub fn from_rows(rows: &[TaskRow]) -> Self {
        let mut view = TasksView::default();
        for row in rows {
            view.tasks.insert(
                row.id,
                Task {
                    id: row.id,
                    parent: row.parent,
                    title: row.title.clone(),
                    deps: row.deps.clone(),
                    owner: row.owner,
                    status: row.status,
                    attempts: row.attempts,
                    progress: row.progress.clamp(0.0, 1.0),
                },
            );
        }
        view.tree_dirty = true;
        view.refresh();
        view
    }

    /// Folds one event; returns whether anything changed. Call [`refresh`](Self::refresh)
    /// after a batch.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::TaskCreated {
                task,
                parent,
                title,
                deps,
                owner,
            } => {
                self.tasks.insert(
                    *task,
                    Task {
                        id: *task,
                        parent: *parent,
                        title: title.clone(),
                        deps: deps.clone(),
                        owner: *owner,
                        status: TaskStatus::Pending,
                        attempts: 0,
                        progress: 0.0,
                    },
                );
                self.tree_dirty = true;
            }
            Event::TaskStatusChanged {
                task,
                status,
                attempt,
            } => {
                let Some(t) = self.tasks.get_mut(task) else {
                    return false;
                };
                t.status = *status;
                t.attempts = *attempt;
                self.progress_dirty = true;
            }
            Event::TaskProgressed { task, progress } => {
                let Some(t) = self.tasks.get_mut(task) else {
                    return false;
                };
                t.progress = if progress.is_finite() {
                    progress.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                self.progress_dirty = true;
            }
            _ => return false,
        }
        true
    }

    /// Rebuilds the order and the gauges if they are stale.
    pub fn refresh(&mut self) {
        if self.tree_dirty {
            self.lines = tree::flatten(self.tasks.values().map(|t| (t.id, t.parent)))
                .into_iter()
                .map(|r| TaskLine {
                    id: r.id,
                    prefix: r.prefix,
                    end: r.end,
                    parent_row: r.parent_row,
                    done: 0,
                    descendants: 0,
                    fraction: 0.0,
                })
                .collect();
            self.index = self
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| (l.id, i))
                .collect();
            self.generation += 1;
            self.tree_dirty = false;
            self.progress_dirty = true;
        }
        if self.progress_dirty {
            self.add_up();
            self.progress_dirty = false;
        }
    }

    /// The tree in display order, every task included (panes skip collapsed subtrees).
    pub fn lines(&self) -> &[TaskLine] {
        &self.lines
    }

    /// Changes whenever [`lines`](Self::lines) is rebuilt, so panes can cache what they
    /// derive from it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// One task.
    pub fn get(&self, id: TaskId) -> Option<&Task> {
        self.tasks.get(&id)
    }

    /// Where a task is in [`lines`](Self::lines).
    pub fn line_of(&self, id: TaskId) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// How many tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether there are no tasks.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// How many tasks are done.
    pub fn done(&self) -> usize {
        self.done
    }

    /// One backward pass: children come after their parent in pre-order.
    fn add_up(&mut self) {
        let tasks = &self.tasks;
        let is_done = |id: TaskId| tasks.get(&id).is_some_and(|t| t.status == TaskStatus::Done);
        for line in &mut self.lines {
            line.done = 0;
            line.descendants = 0;
        }
        for i in (0..self.lines.len()).rev() {
            let (id, done, descendants) = {
                let l = &self.lines[i];
                (l.id, l.done, l.descendants)
            };
            self.lines[i].fraction = if descendants > 0 {
                f64::from(done) / f64::from(descendants)
            } else {
                tasks.get(&id).map_or(0.0, |t| {
                    if t.status == TaskStatus::Done {
                        1.0
                    } else {
                        t.progress
                    }
                })
            };
            if let Some(p) = self.lines[i].parent_row {
                let parent = &mut self.lines[p];
                parent.descendants += 1 + descendants;
                parent.done += done + u32::from(is_done(id));
            }
        }
        self.done = self
            .tasks
            .values()
            .filter(|t| t.status == TaskStatus::Done)
            .count();
    }
}
