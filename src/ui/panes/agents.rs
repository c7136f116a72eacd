//! The agent family tree pane: one row per agent (tree glyphs, status glyph, role#id, then
//! as many of status, model, task, tokens, dollars and subtree totals as the width allows),
//! a header, and a footer with everything about the selected agent. Draws only the rows on
//! screen. Holds the selection; never folds events.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::protocol::{AgentId, AgentStatus};

use super::super::format;
use super::super::keymap::KeyAction;
use super::super::text::{self, pad, pad_left};
use super::super::theme::Theme;
use super::super::views::RunView;
use super::super::views::agents::AgentsView;
use super::{Column, Cursor, PaneId, empty, fit_columns, footer, frame, tree_name};

/// The columns after the name, in display order.
const COLUMNS: [Column; 6] = [
    Column { width: 8, rank: 5 },  // status
    Column { width: 16, rank: 1 }, // model
    Column { width: 5, rank: 2 },  // task
    Column { width: 6, rank: 3 },  // tokens
    Column { width: 7, rank: 4 },  // dollars
    Column { width: 15, rank: 0 }, // subtree
];
const HEADERS: [&str; 6] = ["status", "model", "task", "tokens", "cost", "subtree"];

/// The family tree pane.
#[derive(Debug, Clone, Default)]
pub struct AgentsPane {
    cursor: Cursor,
    selected: Option<AgentId>,
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
        let moved = self.cursor.navigate(action, view.rows().len());
        self.selected = view.rows().get(self.cursor.selected).map(|r| r.id);
        moved
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
        let list = footer(buf, inner, &self.describe_selected(run), 2, theme);
        let width = usize::from(list.width);
        let mut y = list.y;
        let mut height = usize::from(list.height);
        let header = height >= 4;
        if header {
            height -= 1;
        }
        let range = self.cursor.window(height, view.rows().len());
        let natural = view.rows()[range.clone()]
            .iter()
            .filter_map(|r| {
                Some(text::width(&r.prefix) + 2 + text::width(&view.get(r.id)?.label()))
            })
            .max()
            .unwrap_or(0);
        let (keep, name_w) = fit_columns(&COLUMNS, width.saturating_sub(1), 12);
        let name_w = name_w.min(natural.max(12));
        if header {
            let mut spans = vec![Span::raw(" "), Span::raw(pad("agent", name_w))];
            for (i, header) in HEADERS.iter().enumerate().filter(|(i, _)| keep[*i]) {
                spans.push(Span::raw(" "));
                let cell = if (2..=4).contains(&i) {
                    pad_left(header, COLUMNS[i].width)
                } else {
                    pad(header, COLUMNS[i].width)
                };
                spans.push(Span::raw(cell));
            }
            buf.set_line(list.x, y, &Line::from(spans).style(theme.dim()), list.width);
            y += 1;
        }
        for i in range {
            let row = &view.rows()[i];
            let Some(agent) = view.get(row.id) else {
                continue;
            };
            let selected = i == self.cursor.selected;
            let mut spans = vec![Span::raw(if selected && focused { "›" } else { " " })];
            spans.extend(tree_name(
                &row.prefix,
                vec![Span::styled(
                    glyph(agent.status),
                    theme.agent_status(agent.status),
                )],
                &agent.label(),
                name_w,
                theme,
            ));
            let cells = [
                (
                    pad(agent.status.as_str(), 8),
                    theme.agent_status(agent.status),
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

    /// Keeps the cursor on the selected agent when rows are inserted above it.
    fn sync(&mut self, view: &AgentsView) {
        if let Some(row) = self.selected.and_then(|id| view.row_of(id)) {
            self.cursor.selected = row;
        } else {
            self.selected = view.rows().get(self.cursor.selected).map(|r| r.id);
        }
    }

    fn describe_selected(&self, run: &RunView) -> String {
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
        text
    }
}
