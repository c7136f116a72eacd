//! The task tree pane: one row per visible task (tree glyphs, expand marker, #id and title,
//! then a progress gauge of its subtree, percent, status, attempts, the latest verdict and
//! dependencies as the width allows), and a footer about the selected task, or with Enter its
//! full details below the tree (`task_detail`). Holds the selection, whether the details are
//! open and which subtrees are collapsed; caches the visible rows until the tree or the collapsed set changes,
//! and draws only the rows on screen.

use std::collections::HashSet;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::protocol::{TaskId, TaskStatus};

use super::super::keymap::KeyAction;
use super::super::text::{self, pad, pad_left};
use super::super::theme::Theme;
use super::super::views::RunView;
use super::super::views::tasks::TasksView;
use super::{
    Column, Cursor, PaneId, agent_focus, empty, fit_columns, footer, frame, task_detail, tree_name,
};

/// The columns after the title, in display order.
const COLUMNS: [Column; 6] = [
    Column { width: 8, rank: 4 },  // gauge
    Column { width: 4, rank: 5 },  // percent
    Column { width: 9, rank: 2 },  // status
    Column { width: 3, rank: 3 },  // attempts
    Column { width: 4, rank: 1 },  // verdict
    Column { width: 10, rank: 0 }, // deps
];
const GAUGE_CELLS: usize = 8;
/// The verdict column's place in [`COLUMNS`].
const VERDICT: usize = 4;

/// The task tree pane.
#[derive(Debug, Clone, Default)]
pub struct TasksPane {
    cursor: Cursor,
    selected: Option<TaskId>,
    collapsed: HashSet<TaskId>,
    visible: Vec<usize>,
    built_for: Option<(u64, u64)>,
    collapse_generation: u64,
    detail: bool,
}

impl TasksPane {
    /// Moves the selection; returns whether the key was a list move.
    pub fn navigate(&mut self, action: KeyAction, view: &TasksView) -> bool {
        self.sync(view);
        let moved = self.cursor.navigate(action, self.visible.len());
        self.remember(view);
        moved
    }

    /// The task under the cursor.
    pub fn selected(&mut self, view: &TasksView) -> Option<TaskId> {
        self.sync(view);
        self.selected
    }

    /// Whether the selected task's details are shown.
    pub fn detail_open(&self) -> bool {
        self.detail
    }

    /// Hides the details.
    pub fn close_detail(&mut self) {
        self.detail = false;
    }

    /// Shows or hides the selected task's details; returns a hint when there is no task.
    pub fn toggle_detail(&mut self, view: &TasksView) -> Option<String> {
        if self.selected(view).is_none() {
            return Some("no task to show yet".into());
        }
        self.detail = !self.detail;
        None
    }

    /// Expands or collapses the selected task; returns a hint when it has no subtasks.
    pub fn toggle(&mut self, view: &TasksView) -> Option<String> {
        self.sync(view);
        let line = self
            .visible
            .get(self.cursor.selected)
            .and_then(|i| view.lines().get(*i))?;
        if line.end <= self.visible[self.cursor.selected] + 1 {
            return Some(format!("task #{} has no subtasks to expand", line.id));
        }
        if !self.collapsed.remove(&line.id) {
            self.collapsed.insert(line.id);
        }
        self.collapse_generation += 1;
        None
    }

    /// Draws the pane.
    pub fn render(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        run: &RunView,
        focused: bool,
        theme: &Theme,
    ) {
        let view = &run.tasks;
        let detail = if view.is_empty() {
            String::new()
        } else {
            format!("{}/{} done", view.done(), view.len())
        };
        let inner = frame(buf, area, PaneId::Tasks, &detail, focused, theme);
        if inner.is_empty() {
            return;
        }
        if view.is_empty() {
            empty(
                buf,
                inner,
                "no tasks yet; the planner breaks the goal into tasks",
                theme,
            );
            return;
        }
        self.sync(view);
        let list = match self.selected.filter(|_| self.detail) {
            Some(task) => {
                let (list, detail) = agent_focus::split(inner);
                task_detail::render(buf, detail, run, task, theme);
                list
            }
            None => footer(buf, inner, &self.describe_selected(run), 2, theme),
        };
        let range = self
            .cursor
            .window(usize::from(list.height), self.visible.len());
        let natural = self.visible[range.clone()]
            .iter()
            .filter_map(|i| {
                let line = view.lines().get(*i)?;
                let task = view.get(line.id)?;
                Some(
                    text::width(&line.prefix)
                        + 4
                        + text::width(&format!("#{} {}", task.id, task.title)),
                )
            })
            .max()
            .unwrap_or(0);
        let (mut keep, mut name_w) =
            fit_columns(&COLUMNS, usize::from(list.width).saturating_sub(1), 22);
        // No patch yet anywhere: the verdict column gives its room to the titles.
        if keep[VERDICT] && !view.records().any_patches() {
            keep[VERDICT] = false;
            name_w += COLUMNS[VERDICT].width + 1;
        }
        let name_w = name_w.min(natural.max(22));
        for (y, pos) in (list.y..).zip(range) {
            let index = self.visible[pos];
            let line = &view.lines()[index];
            let Some(task) = view.get(line.id) else {
                continue;
            };
            let selected = pos == self.cursor.selected;
            let has_children = line.end > index + 1;
            let marker = match (has_children, self.collapsed.contains(&line.id)) {
                (false, _) => " ",
                (true, false) => "▾",
                (true, true) => "▸",
            };
            let mut spans = vec![Span::raw(if selected && focused { "›" } else { " " })];
            spans.extend(tree_name(
                &line.prefix,
                vec![
                    Span::styled(marker, theme.dim()),
                    Span::raw(" "),
                    Span::styled(glyph(task.status), theme.task_status(task.status)),
                ],
                &format!("#{} {}", task.id, task.title),
                name_w,
                theme,
            ));
            let attempts = if task.attempts > 1 {
                format!("×{}", task.attempts)
            } else {
                String::new()
            };
            let deps = if task.deps.is_empty() {
                String::new()
            } else {
                let ids: Vec<String> = task.deps.iter().map(|d| format!("#{d}")).collect();
                format!("after {}", ids.join(","))
            };
            let (filled, rest) = gauge(line.fraction);
            let (verdict, verdict_style) = verdict_cell(view, task.id, theme);
            let cells: [Vec<Span>; 6] = [
                vec![
                    Span::styled(filled, theme.gauge()),
                    Span::styled(rest, theme.dim()),
                ],
                vec![Span::raw(pad_left(
                    &format!("{:.0}%", line.fraction * 100.0),
                    4,
                ))],
                vec![Span::styled(
                    pad(task.status.as_str(), 9),
                    theme.task_status(task.status),
                )],
                vec![Span::styled(pad(&attempts, 3), theme.hint())],
                vec![Span::styled(pad(&verdict, 4), verdict_style)],
                vec![Span::styled(pad(&deps, 10), theme.dim())],
            ];
            for (cell, _) in cells.into_iter().zip(keep.iter()).filter(|(_, k)| **k) {
                spans.push(Span::raw(" "));
                spans.extend(cell);
            }
            buf.set_line(list.x, y, &Line::from(spans), list.width);
            if selected {
                buf.set_style(Rect::new(list.x, y, list.width, 1), theme.selected(focused));
            }
        }
    }

    /// Rebuilds the visible rows when the tree or the collapsed set changed, and keeps the
    /// cursor on the selected task.
    fn sync(&mut self, view: &TasksView) {
        let key = (view.generation(), self.collapse_generation);
        if self.built_for != Some(key) {
            self.visible.clear();
            let lines = view.lines();
            let mut i = 0;
            while i < lines.len() {
                self.visible.push(i);
                i = if self.collapsed.contains(&lines[i].id) {
                    lines[i].end.max(i + 1)
                } else {
                    i + 1
                };
            }
            self.built_for = Some(key);
        }
        let position = self
            .selected
            .and_then(|id| view.line_of(id))
            .and_then(|line| self.visible.binary_search(&line).ok());
        match position {
            Some(pos) => self.cursor.selected = pos,
            None => self.remember(view),
        }
    }

    fn remember(&mut self, view: &TasksView) {
        self.selected = self
            .visible
            .get(self.cursor.selected)
            .and_then(|i| view.lines().get(*i))
            .map(|l| l.id);
    }

    fn describe_selected(&self, run: &RunView) -> String {
        let view = &run.tasks;
        let Some(task) = self.selected.and_then(|id| view.get(id)) else {
            return String::new();
        };
        let mut text = format!("#{} {} · {}", task.id, task.title, task.status.as_str());
        if task.attempts > 0 {
            text.push_str(&format!(", attempt {}", task.attempts));
        }
        if let Some(owner) = task.owner {
            text.push_str(&format!(" · {}", run.agents.label(owner)));
        }
        if !task.deps.is_empty() {
            let ids: Vec<String> = task.deps.iter().map(|d| format!("#{d}")).collect();
            text.push_str(&format!(" · after {}", ids.join(", ")));
        }
        let patches = view.records().patches(task.id).len();
        if patches > 0 {
            text.push_str(&format!(
                " · {patches} patch{}",
                if patches == 1 { "" } else { "es" }
            ));
        }
        text.push_str(&progress_words(view, task.id));
        text.push_str(" · Enter details");
        text
    }
}

/// " · 3/7 subtasks done" for a task with subtasks, " · 40% done" for one without.
pub fn progress_words(view: &TasksView, task: TaskId) -> String {
    match view.line_of(task).and_then(|i| view.lines().get(i)) {
        Some(line) if line.descendants > 0 => {
            format!(" · {}/{} subtasks done", line.done, line.descendants)
        }
        Some(line) => format!(" · {:.0}% done", line.fraction * 100.0),
        None => String::new(),
    }
}

/// The verdict column: the latest patch's verdict ("✓p2" verified, "✗p2" refuted, "…p2"
/// waiting), blank without patches.
fn verdict_cell(view: &TasksView, task: TaskId, theme: &Theme) -> (String, ratatui::style::Style) {
    let patches = view.records().patches(task);
    let Some(last) = patches.last() else {
        return (String::new(), theme.dim());
    };
    let n = patches.len();
    match &last.verdict {
        Some((true, _)) => (format!("✓p{n}"), theme.task_status(TaskStatus::Done)),
        Some((false, _)) => (format!("✗p{n}"), theme.task_status(TaskStatus::Failed)),
        None => (format!("…p{n}"), theme.dim()),
    }
}

/// The status glyph drawn before a task.
pub fn glyph(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Pending => "○",
        TaskStatus::Ready => "◌",
        TaskStatus::Running => "◐",
        TaskStatus::Blocked => "■",
        TaskStatus::Done => "✓",
        TaskStatus::Failed => "✗",
        TaskStatus::Cancelled => "⊘",
    }
}

/// An eight-cell bar in eighths: the filled part and the rest.
fn gauge(fraction: f64) -> (String, String) {
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (fraction.clamp(0.0, 1.0) * (GAUGE_CELLS * 8) as f64).round() as usize;
    let full = eighths / 8;
    let mut filled = "█".repeat(full);
    let mut cells = full;
    if full < GAUGE_CELLS && eighths % 8 > 0 {
        filled.push_str(EIGHTHS[eighths % 8]);
        cells += 1;
    }
    (filled, "░".repeat(GAUGE_CELLS - cells))
}

#[cfg(test)]
mod tests {
    use super::gauge;

    #[test]
    fn gauge_is_always_eight_cells() {
        for f in [0.0, 0.01, 0.5, 0.99, 1.0, 2.0, -1.0] {
            let (a, b) = gauge(f);
            assert_eq!(a.chars().count() + b.chars().count(), 8, "{f}");
        }
        assert_eq!(gauge(0.5), ("████".to_string(), "░░░░".to_string()));
    }
}
