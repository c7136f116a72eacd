//! The memory inspector pane: the newest memory entries one per line (pinned marker, kind,
//! words cut to the width), and the selected entry in full below. Holds the selection; never
//! folds events.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::protocol::MemoryId;

use super::super::format;
use super::super::keymap::KeyAction;
use super::super::text::{fit, pad};
use super::super::theme::Theme;
use super::super::views::memory::{MemoryView, kind_label};
use super::{Cursor, PaneId, empty, footer, frame};

/// The kind column.
const KIND_COLUMNS: usize = 7;

/// The memory pane.
#[derive(Debug, Clone, Default)]
pub struct MemoryPane {
    cursor: Cursor,
    selected: Option<MemoryId>,
}

impl MemoryPane {
    /// Moves the selection; returns whether the key was a list move.
    pub fn navigate(&mut self, action: KeyAction, view: &MemoryView) -> bool {
        self.sync(view);
        let moved = self.cursor.navigate(action, view.entries().len());
        self.selected = view.entries().get(self.cursor.selected).map(|e| e.id);
        moved
    }

    /// Draws the pane.
    pub fn render(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        view: &MemoryView,
        focused: bool,
        theme: &Theme,
    ) {
        let entries = view.entries();
        let pinned = entries.iter().filter(|e| e.pinned).count();
        let detail = match (entries.len(), pinned) {
            (0, _) => String::new(),
            (n, 0) => format!("{n} newest"),
            (n, p) => format!("{n} newest · {p} pinned"),
        };
        let inner = frame(buf, area, PaneId::Memory, &detail, focused, theme);
        if inner.is_empty() {
            return;
        }
        if entries.is_empty() {
            empty(
                buf,
                inner,
                "memory is empty; agents write what they learn here",
                theme,
            );
            return;
        }
        self.sync(view);
        let about = entries
            .get(self.cursor.selected)
            .map(|e| {
                format!(
                    "#{} {} · {} · {}",
                    e.id,
                    e.kind,
                    format::clock(e.created_at),
                    e.text
                )
            })
            .unwrap_or_default();
        let list = footer(buf, inner, &about, 4, theme);
        let text_w = usize::from(list.width).saturating_sub(KIND_COLUMNS + 4);
        for (y, i) in (list.y..).zip(self.cursor.window(usize::from(list.height), entries.len())) {
            let entry = &entries[i];
            let selected = i == self.cursor.selected;
            let spans = vec![
                Span::raw(if selected && focused { "›" } else { " " }),
                Span::styled(if entry.pinned { "*" } else { " " }, theme.pinned()),
                Span::raw(" "),
                Span::styled(pad(kind_label(&entry.kind), KIND_COLUMNS), theme.dim()),
                Span::raw(" "),
                Span::raw(fit(&entry.text, text_w)),
            ];
            buf.set_line(list.x, y, &Line::from(spans), list.width);
            if selected {
                buf.set_style(Rect::new(list.x, y, list.width, 1), theme.selected(focused));
            }
        }
    }

    fn sync(&mut self, view: &MemoryView) {
        match self
            .selected
            .and_then(|id| view.entries().iter().position(|e| e.id == id))
        {
            Some(i) => self.cursor.selected = i,
            None => self.selected = view.entries().get(self.cursor.selected).map(|e| e.id),
        }
    }
}
