//! The compact layout's tab strip: the five pane names with their numbers, the shown one
//! reversed, so the person always knows what else there is and which key reaches it. Fits in
//! 40 columns; padded when there is room. Draws only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::super::theme::Theme;
use super::PaneId;

/// Draws the strip with `active` highlighted.
pub fn render(buf: &mut Buffer, area: Rect, active: PaneId, theme: &Theme) {
    let names: Vec<String> = PaneId::ALL
        .iter()
        .map(|p| format!("{} {}", p.number(), p.title()))
        .collect();
    let bare: usize = names.iter().map(String::len).sum::<usize>() + names.len() - 1;
    let padded = bare + names.len() * 2 - (names.len() - 1);
    let pad = usize::from(area.width) >= padded;
    let mut spans = Vec::new();
    for (pane, name) in PaneId::ALL.iter().zip(names) {
        if !spans.is_empty() && !pad {
            spans.push(Span::raw(" "));
        }
        let text = if pad { format!(" {name} ") } else { name };
        spans.push(Span::styled(text, theme.tab(*pane == active)));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}
