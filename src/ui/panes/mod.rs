//! The panes: each `XxxPane` holds only what the screen adds to a view (selection, scroll,
//! collapsed rows, the chat input) and draws its `XxxView` into a `Rect`. Panes never fold
//! events and never do IO. Shared here: the pane ids, the bordered frame, the list cursor.
//!
//! - [`agents`]: the agent family tree; [`agent_focus`]: the focused agent's live detail.
//! - [`tasks`]: the task tree with progress gauges; [`task_detail`]: one task in full.
//! - [`logs`]: the streaming log window (follow, scroll back, fetch older pages).
//! - [`memory`]: the memory inspector; [`memory_detail`]: one entry, its provenance, the editor.
//! - [`chat`]: the conversation and the input; [`chat_lines`]: its messages as lines.
//! - [`inbox`], [`inbox_draw`]: the approval inbox (queue, command or diff detail, prompts).
//! - [`status_bar`], [`tabs`], [`help`], [`confirm`], [`too_small`]: the chrome around them.

pub mod agent_focus;
pub mod agents;
pub mod chat;
pub mod chat_lines;
pub mod confirm;
pub mod help;
pub mod inbox;
pub mod inbox_draw;
pub mod log_rows;
pub mod logs;
pub mod memory;
pub mod memory_detail;
pub mod side_approvals;
pub mod status_bar;
pub mod tabs;
pub mod task_detail;
pub mod tasks;
pub mod too_small;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Widget};

use super::keymap::KeyAction;
use super::theme::Theme;

/// The five panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    /// 1: the agent family tree.
    Agents,
    /// 2: the task tree.
    Tasks,
    /// 3: the logs.
    Logs,
    /// 4: the memory inspector.
    Memory,
    /// 5: the chat.
    Chat,
}

impl PaneId {
    /// All panes in focus order.
    pub const ALL: [PaneId; 5] = [
        PaneId::Agents,
        PaneId::Tasks,
        PaneId::Logs,
        PaneId::Memory,
        PaneId::Chat,
    ];

    /// The digit that focuses the pane.
    pub fn number(self) -> u8 {
        match self {
            PaneId::Agents => 1,
            PaneId::Tasks => 2,
            PaneId::Logs => 3,
            PaneId::Memory => 4,
            PaneId::Chat => 5,
        }
    }

    /// The pane a digit focuses.
    pub fn from_digit(c: char) -> Option<PaneId> {
        PaneId::ALL
            .into_iter()
            .find(|p| char::from(b'0' + p.number()) == c)
    }

    /// The pane's name.
    pub fn title(self) -> &'static str {
        match self {
            PaneId::Agents => "Agents",
            PaneId::Tasks => "Tasks",
            PaneId::Logs => "Logs",
            PaneId::Memory => "Memory",
            PaneId::Chat => "Chat",
        }
    }

    /// The pane after this one, wrapping.
    pub fn next(self) -> PaneId {
        let i = usize::from(self.number()) % PaneId::ALL.len();
        PaneId::ALL[i]
    }

    /// The pane before this one, wrapping.
    pub fn prev(self) -> PaneId {
        let i = (usize::from(self.number()) + PaneId::ALL.len() - 2) % PaneId::ALL.len();
        PaneId::ALL[i]
    }
}

/// Draws a pane's border titled "N Title · detail" and returns the inside.
pub fn frame(
    buf: &mut Buffer,
    area: Rect,
    pane: PaneId,
    detail: &str,
    focused: bool,
    theme: &Theme,
) -> Rect {
    let mut title = vec![Span::styled(
        format!(" {} {} ", pane.number(), pane.title()),
        theme.title(focused),
    )];
    if !detail.is_empty() {
        title.push(Span::styled(format!("{detail} "), theme.dim()));
    }
    let block = Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(focused))
        .title(Line::from(title));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// Writes a dim one-line message at the top of an empty pane.
pub fn empty(buf: &mut Buffer, area: Rect, text: &str, theme: &Theme) {
    for (i, line) in super::text::wrap(text, usize::from(area.width))
        .into_iter()
        .take(usize::from(area.height))
        .enumerate()
    {
        let y = area.y + i as u16;
        buf.set_line(area.x, y, &Line::styled(line, theme.dim()), area.width);
    }
}

/// A table column: its width, and how much it matters when space runs out (higher stays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Columns wide.
    pub width: usize,
    /// Kept before columns of lower rank.
    pub rank: u8,
}

/// Which of `columns` fit beside a flexible name column of at least `min_name` in `width`
/// (each column costs a space before it); returns the kept flags and the name's width.
pub fn fit_columns(columns: &[Column], width: usize, min_name: usize) -> (Vec<bool>, usize) {
    let mut keep = vec![true; columns.len()];
    let cost = |keep: &[bool]| -> usize {
        columns
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c.width + 1)
            .sum()
    };
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|i| columns[*i].rank);
    for i in order {
        if width.saturating_sub(cost(&keep)) >= min_name {
            break;
        }
        keep[i] = false;
    }
    let name = width.saturating_sub(cost(&keep));
    (keep, name)
}

/// Draws a detail footer at the bottom of `area` (a rule, then `text` wrapped to at most
/// `max_lines`) when the pane is tall enough; returns the space left above it.
pub fn footer(buf: &mut Buffer, area: Rect, text: &str, max_lines: usize, theme: &Theme) -> Rect {
    if area.height < 8 || text.is_empty() {
        return area;
    }
    let mut lines = super::text::wrap(text, usize::from(area.width));
    lines.truncate(max_lines);
    let used = lines.len() as u16 + 1;
    let top = area.y + area.height - used;
    let rule = "─".repeat(usize::from(area.width));
    buf.set_stringn(area.x, top, rule, usize::from(area.width), theme.dim());
    for (i, line) in lines.iter().enumerate() {
        buf.set_stringn(
            area.x,
            top + 1 + i as u16,
            line,
            usize::from(area.width),
            ratatui::style::Style::default(),
        );
    }
    Rect {
        height: area.height - used,
        ..area
    }
}

/// The name cell of a tree row in exactly `width` columns: dim tree glyphs, the `marks`
/// (one-column glyphs), a space, and `label` (cut with "…" if need be). Deep glyphs give way
/// to the label.
pub fn tree_name<'a>(
    prefix: &str,
    marks: Vec<Span<'a>>,
    label: &str,
    width: usize,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let marks_w: usize = marks.iter().map(|m| super::text::width(&m.content)).sum();
    let prefix_w = super::text::width(prefix).min(width.saturating_sub(marks_w + 5));
    let label_w = width.saturating_sub(prefix_w + marks_w + 1);
    let mut spans = vec![Span::styled(
        super::text::fit(prefix, prefix_w),
        theme.dim(),
    )];
    spans.extend(marks);
    spans.push(Span::raw(" "));
    spans.push(Span::raw(super::text::pad(label, label_w)));
    spans
}

/// Where a list's selection and scroll stand. Indices are into the list as it is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The selected row.
    pub selected: usize,
    /// The first row shown.
    pub offset: usize,
    /// How many rows were shown last time (page size).
    pub height: usize,
}

impl Cursor {
    /// Moves the selection for a list key; returns whether the action was a list move.
    pub fn navigate(&mut self, action: KeyAction, len: usize) -> bool {
        let page = self.height.max(1);
        let last = len.saturating_sub(1);
        self.selected = match action {
            KeyAction::Up => self.selected.saturating_sub(1),
            KeyAction::Down => (self.selected + 1).min(last),
            KeyAction::PageUp => self.selected.saturating_sub(page),
            KeyAction::PageDown => (self.selected + page).min(last),
            KeyAction::Top => 0,
            KeyAction::Bottom => last,
            _ => return false,
        };
        true
    }

    /// The rows to draw in `height` lines, scrolling just enough to keep the selection in view.
    pub fn window(&mut self, height: usize, len: usize) -> std::ops::Range<usize> {
        self.height = height;
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if height > 0 && self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
        self.offset..(self.offset + height).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focus_order_wraps() {
        assert_eq!(PaneId::Chat.next(), PaneId::Agents);
        assert_eq!(PaneId::Agents.prev(), PaneId::Chat);
        assert_eq!(PaneId::from_digit('3'), Some(PaneId::Logs));
        assert_eq!(PaneId::from_digit('6'), None);
    }

    #[test]
    fn cursor_keeps_selection_visible() {
        let mut cursor = Cursor::default();
        assert_eq!(cursor.window(3, 10), 0..3);
        cursor.navigate(KeyAction::Bottom, 10);
        assert_eq!(cursor.window(3, 10), 7..10);
        cursor.navigate(KeyAction::PageUp, 10);
        assert_eq!(cursor.window(3, 10), 6..9);
        assert_eq!(cursor.window(3, 0), 0..0);
    }
}
