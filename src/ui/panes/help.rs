//! The help overlay: every binding of the key table in effect (`keymap::BINDINGS` with the
//! person's `[keys]` over it), grouped, so it can never disagree with what the keys do. Two
//! columns when there is room, scrollable when there is not. Holds only its scroll position.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::super::keymap::{Group, KeyAction, keys_label};
use super::super::keys_config::Keymap;
use super::super::text::{pad, wrap};
use super::super::theme::Theme;

/// Key column width.
const KEYS_COLUMNS: usize = 12;
/// The narrowest a column of help gets before one column is used instead.
const COLUMN_MIN: usize = 44;

/// The help overlay.
#[derive(Debug, Clone, Default)]
pub struct HelpPane {
    scroll: usize,
    height: usize,
}

impl HelpPane {
    /// Back to the top (each opening starts there).
    pub fn reset(&mut self) {
        self.scroll = 0;
    }

    /// Scrolls; returns whether the key was a scroll key.
    pub fn navigate(&mut self, action: KeyAction) -> bool {
        let page = self.height.max(1);
        self.scroll = match action {
            KeyAction::Up => self.scroll.saturating_sub(1),
            KeyAction::Down => self.scroll.saturating_add(1),
            KeyAction::PageUp => self.scroll.saturating_sub(page),
            KeyAction::PageDown => self.scroll.saturating_add(page),
            _ => return false,
        };
        true
    }

    /// Draws the overlay centred over `area`; `about` is a first line on the mode; `keys` is
    /// the table in effect, so remapped keys show as they work.
    pub fn render(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        about: &str,
        keys: &Keymap,
        theme: &Theme,
    ) {
        let width = area.width.saturating_sub(4).min(110);
        let inner_w = usize::from(width.saturating_sub(2));
        let two = inner_w >= COLUMN_MIN * 2 + 2;
        let column_w = if two { (inner_w - 2) / 2 } else { inner_w };
        let mut head = wrap(about, inner_w.max(1));
        head.push(String::new());
        let mut groups: Vec<Vec<Line<'static>>> = Group::ALL
            .iter()
            .map(|g| group_lines(keys, *g, column_w, theme))
            .collect();
        groups.extend(
            FIXED
                .iter()
                .map(|(title, rows)| fixed_lines(title, rows, column_w, theme)),
        );
        let columns: Vec<Vec<Line<'static>>> = if two {
            let total: usize = groups.iter().map(Vec::len).sum();
            let mut left = Vec::new();
            let mut right = Vec::new();
            for group in groups {
                if left.len() < total / 2 {
                    left.extend(group);
                } else {
                    right.extend(group);
                }
            }
            vec![left, right]
        } else {
            vec![groups.into_iter().flatten().collect()]
        };
        let tallest = columns.iter().map(Vec::len).max().unwrap_or(0);
        let wanted = u16::try_from(head.len() + tallest + 2).unwrap_or(u16::MAX);
        let height = area.height.saturating_sub(2).min(wanted);
        let rect = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        Clear.render(rect, buf);
        let block = Block::bordered()
            .border_type(BorderType::Thick)
            .border_style(theme.border(true))
            .title(Line::styled(" Help ", theme.title(true)))
            .title_bottom(Line::styled(footer(keys), theme.dim()));
        let inner = block.inner(rect);
        block.render(rect, buf);
        if inner.is_empty() {
            return;
        }
        let body_h = usize::from(inner.height).saturating_sub(head.len());
        self.height = body_h;
        self.scroll = self.scroll.min(tallest.saturating_sub(body_h));
        let mut y = inner.y;
        for line in head.into_iter().take(usize::from(inner.height)) {
            buf.set_line(inner.x, y, &Line::styled(line, theme.dim()), inner.width);
            y += 1;
        }
        for (c, column) in columns.iter().enumerate() {
            let x = inner.x + (c * (column_w + 2)) as u16;
            for (row, line) in (y..inner.bottom()).zip(column.iter().skip(self.scroll)) {
                buf.set_line(x, row, line, column_w as u16);
            }
        }
    }
}

/// The bottom line, from the keys in effect: " ?/Esc close · j/k scroll " by default.
fn footer(keys: &Keymap) -> String {
    let first = |action: KeyAction, n: usize| {
        keys.group(Group::Help)
            .find(|b| b.action == action)
            .map(|b| keys_label(&b.keys[..b.keys.len().min(n)]))
            .unwrap_or_default()
    };
    format!(
        " {} close · {}/{} scroll ",
        first(KeyAction::CloseHelp, 2),
        first(KeyAction::Down, 1),
        first(KeyAction::Up, 1)
    )
}

/// Keys that are not in the key table (so `[keys]` does not remap them): the chat input's own
/// editing keys and replay's stepping keys.
const FIXED: &[(&str, &[(&str, &str)])] = &[
    (
        "Chat input (fixed keys)",
        &[
            ("Alt-Enter", "add a line"),
            ("↑ / ↓", "on the first / last line: what you sent before"),
        ],
    ),
    (
        "Replay, warroom replay (fixed keys)",
        &[
            ("→ / ←", "one event forward / back"),
            ("PgDn / PgUp", "100 events forward / back"),
            ("Home / End", "the first / last event"),
            ("Space", "play or pause"),
            ("+ / -", "play faster / slower"),
        ],
    ),
];

/// A heading, then one line per fixed key (descriptions wrap under themselves), then a gap.
fn fixed_lines(
    title: &'static str,
    rows: &[(&str, &str)],
    column_w: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let rows = rows.iter().map(|(keys, help)| (keys.to_string(), *help));
    titled_rows(title, rows, column_w, theme)
}

/// A heading, then one line per binding (descriptions wrap under themselves), then a gap.
fn group_lines(keys: &Keymap, group: Group, column_w: usize, theme: &Theme) -> Vec<Line<'static>> {
    let rows = keys
        .group(group)
        .map(|binding| (keys_label(&binding.keys), binding.help));
    titled_rows(group.title(), rows, column_w, theme)
}

/// `title`, then each (keys, words) row with its words wrapped under themselves, then a gap.
fn titled_rows<'h>(
    title: &'static str,
    rows: impl Iterator<Item = (String, &'h str)>,
    column_w: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(title, theme.bold())];
    let text_w = column_w.saturating_sub(KEYS_COLUMNS + 2).max(8);
    for (keys, help) in rows {
        for (i, words) in wrap(help, text_w).into_iter().enumerate() {
            let keys = if i == 0 {
                pad(&keys, KEYS_COLUMNS)
            } else {
                pad("", KEYS_COLUMNS)
            };
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(keys, theme.hint()),
                Span::raw(words),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines
}
