//! The task tree as a fold: hierarchy and dependencies from `TaskCreated`, status and
//! attempts from `TaskStatusChanged`, progress from `TaskProgressed`, patches, verdicts and
//! test runs in [`TaskRecords`]. The flattened order and
//! each subtree's done fraction are caches rebuilt by [`TasksView::refresh`] only when stale,
//! so drawing 10,000 tasks costs only the rows on screen. Pure: no IO, no ratatui.

use std::collections::{BTreeMap, HashMap};

use crate::protocol::{AgentId, Event, TaskId, TaskStatus};
use crate::store::TaskRow;

use super::task_records::TaskRecords;
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
    records: TaskRecords,
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
                let was_done = t.status == TaskStatus::Done;
                t.status = *status;
                t.attempts = *attempt;
                self.update_gauges(*task, was_done);
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
                let was_done = t.status == TaskStatus::Done;
                self.update_gauges(*task, was_done);
            }
            Event::PatchProposed { .. } | Event::PatchJudged { .. } | Event::TestsRan { .. } => {
                let tasks = &self.tasks;
                return self.records.apply(event, |agent| {
                    tasks
                        .values()
                        .rev()
                        .find(|t| t.owner == Some(agent) && t.status == TaskStatus::Running)
                        .map(|t| t.id)
                });
            }
            _ => return false,
        }
        true
    }

    /// Patches, verdicts and test runs of every task.
    pub fn records(&self) -> &TaskRecords {
        &self.records
    }

    /// How many tasks below `id` are not yet done, failed or cancelled.
    pub fn open_descendants(&self, id: TaskId) -> usize {
        let Some(row) = self.line_of(id) else {
            return 0;
        };
        let end = self.lines.get(row).map_or(row + 1, |l| l.end);
        self.lines
            .get(row + 1..end)
            .unwrap_or(&[])
            .iter()
            .filter(|l| {
                self.tasks.get(&l.id).is_some_and(|t| {
                    !matches!(
                        t.status,
                        TaskStatus::Done | TaskStatus::Failed | TaskStatus::Cancelled
                    )
                })
            })
            .count()
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

    /// Updates the gauges a status or progress change touches: the task's own line, and when
    /// it became or stopped being done, the counts of its ancestors. O(depth), so a progress
    /// event costs nothing like a full pass over 10,000 lines. A stale tree is left to
    /// [`refresh`](Self::refresh).
    fn update_gauges(&mut self, id: TaskId, was_done: bool) {
        if self.tree_dirty || self.progress_dirty {
            self.progress_dirty = true;
            return;
        }
        let Some(task) = self.tasks.get(&id) else {
            return;
        };
        let now_done = task.status == TaskStatus::Done;
        let own = if now_done { 1.0 } else { task.progress };
        let Some(&row) = self.index.get(&id) else {
            return;
        };
        if self.lines[row].descendants == 0 {
            self.lines[row].fraction = own;
        }
        if was_done == now_done {
            return;
        }
        if now_done {
            self.done += 1;
        } else {
            self.done = self.done.saturating_sub(1);
        }
        let mut parent = self.lines[row].parent_row;
        while let Some(p) = parent {
            let line = &mut self.lines[p];
            line.done = if now_done {
                line.done + 1
            } else {
                line.done.saturating_sub(1)
            };
            line.fraction = f64::from(line.done) / f64::from(line.descendants.max(1));
            parent = line.parent_row;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gauges(view: &TasksView) -> Vec<(TaskId, u32, u32, u64, usize)> {
        view.lines()
            .iter()
            .map(|l| {
                (
                    l.id,
                    l.done,
                    l.descendants,
                    l.fraction.to_bits(),
                    view.done(),
                )
            })
            .collect()
    }

    /// The O(depth) update must agree with a full pass after every kind of change.
    #[test]
    fn incremental_gauges_match_a_full_recount() {
        let mut view = TasksView::default();
        for id in 0..40u32 {
            let parent = (id > 0).then(|| TaskId((id * 7 + 3) % id.max(1)));
            view.apply(&Event::TaskCreated {
                task: TaskId(id),
                parent,
                title: format!("t{id}"),
                deps: Vec::new(),
                owner: None,
            });
        }
        view.refresh();
        let statuses = [
            TaskStatus::Done,
            TaskStatus::Running,
            TaskStatus::Done,
            TaskStatus::Failed,
        ];
        for step in 0..400u32 {
            let task = TaskId((step * 13) % 40);
            let event = if step % 3 == 0 {
                Event::TaskProgressed {
                    task,
                    progress: f64::from(step % 10) / 10.0,
                }
            } else {
                Event::TaskStatusChanged {
                    task,
                    status: statuses[(step % 4) as usize],
                    attempt: 1,
                }
            };
            view.apply(&event);
            view.refresh();
            let mut full = view.clone();
            full.progress_dirty = true;
            full.refresh();
            assert_eq!(gauges(&view), gauges(&full), "after step {step}: {event:?}");
        }
    }
}
