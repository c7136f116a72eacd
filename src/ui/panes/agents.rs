//! The agent family tree pane: one row per visible agent (tree glyphs, expand marker, status
//! glyph, role#id, then as many of status, elapsed, model, task, tokens, dollars and subtree
//! totals as the width allows), a header, and a footer with everything about the selected
//! agent. Subtrees collapse; Enter focuses an agent, and then the lower part of the pane shows
//! its live detail (`agent_focus`). Draws only the rows on screen. Holds the selection, the
//! collapsed set and the focused agent; never folds events.

use std::collections::HashSet;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::protocol::{AgentId, AgentStatus, Millis};

use super::super::format;
use super::super::keymap::KeyAction;
use super::super::text::{self, pad, pad_left};
use super::super::theme::Theme;
use super::super::views::RunView;
use super::super::views::agents::AgentsView;
use super::{Column, Cursor, PaneId, agent_focus, empty, fit_columns, footer, frame, tree_name};

/// The columns after the name, in display order.
const COLUMNS: [Column; 7] = [
    Column { width: 8, rank: 6 },  // status
    Column { width: 6, rank: 5 },  // elapsed
    Column { width: 16, rank: 1 }, // model
    Column { width: 5, rank: 2 },  // task
    Column { width: 6, rank: 3 },  // tokens
    Column { width: 7, rank: 4 },  // dollars
    Column { width: 15, rank: 0 }, // subtree
];
const HEADERS: [&str; 7] = [
    "status", "time", "model", "task", "tokens", "cost", "subtree",
];
/// The columns whose header is right-aligned (numbers).
const RIGHT: [usize; 4] = [1, 4, 5, 6];

/// The family tree pane.
#[derive(Debug, Clone, Default)]
pub struct AgentsPane {
    cursor: Cursor,
    selected: Option<AgentId>,
    collapsed: HashSet<AgentId>,
    /// Positions in the view's rows of the rows shown (collapsed subtrees left out).
    visible: Vec<usize>,
    /// The agent focused with Enter, whose detail is shown.
    focused_agent: Option<AgentId>,
}

/// The status glyph drawn before an agent.
pub fn glyph(status: AgentStatus) -> &'static str {
    match status {
        AgentStatus::Idle => "○",
        AgentStatus::Thinking => "◐",
        AgentStatus::CallingTool => "▸",
        AgentStatus::WaitingApproval => "?",
        AgentStatus::Blocked => "■",
        AgentStatus::Done => "✓",
        AgentStatus::Failed => "✗",
    }
}

impl AgentsPane {
    /// Moves the selection; returns whether the key was a list move.
    pub fn navigate(&mut self, action: KeyAction, view: &AgentsView) -> bool {
        self.sync(view);
        let moved = self.cursor.navigate(action, self.visible.len());
        self.remember(view);
        moved
    }

    /// The agent under the cursor.
    pub fn selected(&mut self, view: &AgentsView) -> Option<AgentId> {
        self.sync(view);
        self.selected
    }

    /// The agent whose detail is shown.
    pub fn focused_agent(&self) -> Option<AgentId> {
        self.focused_agent
    }

    /// Shows the detail of `agent` (`None` hides it).
    pub fn set_focused_agent(&mut self, agent: Option<AgentId>) {
        self.focused_agent = agent;
    }

    /// Collapses or expands the selected agent's subtree; returns a hint when it has none.
    pub fn toggle(&mut self, view: &AgentsView) -> Option<String> {
        self.sync(view);
        let Some(&index) = self.visible.get(self.cursor.selected) else {
            return Some("no agent to expand yet".into());
        };
        let row = view.rows().get(index)?;
        if !row.has_children {
            return Some(format!("{} has no children to expand", view.label(row.id)));
        }
        if !self.collapsed.remove(&row.id) {
            self.collapsed.insert(row.id);
        }
        None
    }

    /// Draws the pane.
    pub fn render(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        run: &RunView,
        now: Millis,
        focused: bool,
        theme: &Theme,
    ) {
        let view = &run.agents;
        let detail = if view.is_empty() {
            String::new()
        } else {
            let busy = view.len()
                - view.count(AgentStatus::Idle)
                - view.count(AgentStatus::Done)
                - view.count(AgentStatus::Failed);
            format!("{} · {busy} busy", view.len())
        };
        let inner = frame(buf, area, PaneId::Agents, &detail, focused, theme);
        if inner.is_empty() {
            return;
        }
        if view.is_empty() {
            empty(
                buf,
                inner,
                "no agents yet; they appear when a run starts",
                theme,
            );
            return;
        }
        self.sync(view);
        let inner = match self.focused_agent {
            Some(agent) => {
                let (tree, detail) = agent_focus::split(inner);
                agent_focus::render(buf, detail, run, agent, now, theme);
                tree
            }
            None => inner,
        };
        let list = if self.focused_agent.is_some() {
            inner
        } else {
            footer(buf, inner, &self.describe_selected(run, now), 2, theme)
        };
        let width = usize::from(list.width);
        let mut y = list.y;
        let mut height = usize::from(list.height);
        let header = height >= 4;
        if header {
            height -= 1;
        }
        let range = self.cursor.window(height, self.visible.len());
        let natural = self.visible[range.clone()]
            .iter()
            .filter_map(|i| {
                let r = view.rows().get(*i)?;
                Some(text::width(&r.prefix) + 4 + text::width(&view.get(r.id)?.label()))
            })
            .max()
            .unwrap_or(0);
        let (keep, name_w) = fit_columns(&COLUMNS, width.saturating_sub(1), 12);
        let name_w = name_w.min(natural.max(12));
        if header {
            let mut spans = vec![Span::raw(" "), Span::raw(pad("agent", name_w))];
            for (i, header) in HEADERS.iter().enumerate().filter(|(i, _)| keep[*i]) {
                spans.push(Span::raw(" "));
                let cell = if RIGHT.contains(&i) {
                    pad_left(header, COLUMNS[i].width)
                } else {
                    pad(header, COLUMNS[i].width)
                };
                spans.push(Span::raw(cell));
            }
            buf.set_line(list.x, y, &Line::from(spans).style(theme.dim()), list.width);
            y += 1;
        }
        for pos in range {
            let Some(row) = self.visible.get(pos).and_then(|i| view.rows().get(*i)) else {
                continue;
            };
            let Some(agent) = view.get(row.id) else {
                continue;
            };
            let selected = pos == self.cursor.selected;
            // "+" rather than "▸" for a collapsed agent: "▸" is the calling-a-tool glyph.
            let marker = match (row.has_children, self.collapsed.contains(&row.id)) {
                (false, _) => " ",
                (true, false) => "▾",
                (true, true) => "+",
            };
            let pointer = match (selected && focused, self.focused_agent == Some(row.id)) {
                (true, _) => "›",
                (false, true) => "•",
                (false, false) => " ",
            };
            let mut spans = vec![Span::raw(pointer)];
            spans.extend(tree_name(
                &row.prefix,
                vec![
                    Span::styled(marker, theme.dim()),
                    Span::styled(glyph(agent.status), theme.agent_status(agent.status)),
                ],
                &agent.label(),
                name_w,
                theme,
            ));
            let cells = [
                (
                    pad(agent.status.as_str(), 8),
                    theme.agent_status(agent.status),
                ),
                (
                    pad_left(
                        &agent
                            .elapsed(now)
                            .map_or_else(|| "-".to_string(), format::elapsed),
                        6,
                    ),
                    theme.dim(),
                ),
                (pad(&agent.model, 16), theme.dim()),
                (
                    pad(
                        &agent.task.map_or(String::from("-"), |t| format!("#{t}")),
                        5,
                    ),
                    theme.dim(),
                ),
                (
                    pad_left(&format::tokens(agent.tokens()), 6),
                    Default::default(),
                ),
                (
                    pad_left(&format::dollars(agent.cost_usd), 7),
                    Default::default(),
                ),
                (
                    if row.has_children {
                        pad_left(
                            &format!(
                                "Σ{} {}",
                                format::tokens(row.subtree.tokens),
                                format::dollars(row.subtree.cost_usd)
                            ),
                            15,
                        )
                    } else {
                        pad("", 15)
                    },
                    theme.dim(),
                ),
            ];
            for ((text, style), _) in cells.into_iter().zip(keep.iter()).filter(|(_, k)| **k) {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(text, style));
            }
            buf.set_line(list.x, y, &Line::from(spans), list.width);
            if selected {
                buf.set_style(Rect::new(list.x, y, list.width, 1), theme.selected(focused));
            }
            y += 1;
        }
    }

    /// Rebuilds the visible rows (collapsed subtrees left out) and keeps the cursor on the
    /// selected agent when rows are inserted above it.
    fn sync(&mut self, view: &AgentsView) {
        self.visible.clear();
        let rows = view.rows();
        let mut i = 0;
        while i < rows.len() {
            self.visible.push(i);
            i = if self.collapsed.contains(&rows[i].id) {
                subtree_end(rows, i)
            } else {
                i + 1
            };
        }
        let position = self
            .selected
            .and_then(|id| view.row_of(id))
            .and_then(|row| self.visible.binary_search(&row).ok());
        match position {
            Some(pos) => self.cursor.selected = pos,
            None => self.remember(view),
        }
    }

    fn remember(&mut self, view: &AgentsView) {
        self.selected = self
            .visible
            .get(self.cursor.selected)
            .and_then(|i| view.rows().get(*i))
            .map(|r| r.id);
    }

    fn describe_selected(&self, run: &RunView, now: Millis) -> String {
        let view = &run.agents;
        let Some(agent) = self.selected.and_then(|id| view.get(id)) else {
            return String::new();
        };
        let mut text = format!(
            "{} · {} · {}",
            agent.label(),
            agent.model,
            agent.status.as_str()
        );
        if let Some(ms) = agent.elapsed(now) {
            text.push_str(&format!(" {}", format::elapsed(ms)));
        }
        if let Some(task) = agent.task {
            let title = run.tasks.get(task).map_or("", |t| t.title.as_str());
            text.push_str(&format!(" · task #{task} {title}"));
        }
        text.push_str(&format!(
            " · {} tok {}",
            format::tokens(agent.tokens()),
            format::dollars(agent.cost_usd)
        ));
        if let Some(row) = view.row_of(agent.id).and_then(|i| view.rows().get(i)) {
            if row.has_children {
                text.push_str(&format!(
                    " · with its team {} tok {}",
                    format::tokens(row.subtree.tokens),
                    format::dollars(row.subtree.cost_usd)
                ));
            }
        }
        text.push_str(" · Enter focuses");
        text
    }
}

/// One past the last descendant of row `i` (rows are in pre-order, each knows its parent).
fn subtree_end(rows: &[super::super::views::agents::TreeRow], i: usize) -> usize {
    let mut end = i + 1;
    while end < rows.len() {
        let mut parent = rows[end].parent_row;
        let mut inside = false;
        while let Some(p) = parent {
            if p == i {
                inside = true;
                break;
            }
            if p < i {
                break;
            }
            parent = rows[p].parent_row;
        }
        if !inside {
            break;
        }
        end += 1;
    }
    end
}
