//! The quit question, shown while a run is active in owner mode: a small centred box that
//! names the run and lists the answers from the key table. Draws only; the App decides.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::super::keymap::{BINDINGS, Group, keys_label};
use super::super::text::wrap;
use super::super::theme::Theme;

/// Draws the question centred over `area`; `question` names what is still going on.
pub fn render(buf: &mut Buffer, area: Rect, question: &str, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(52);
    let inner_w = usize::from(width.saturating_sub(4)).max(1);
    let mut lines: Vec<Line<'static>> =
        wrap(question, inner_w).into_iter().map(Line::raw).collect();
    lines.push(Line::raw(""));
    let mut answers = Vec::new();
    for binding in BINDINGS.iter().filter(|b| b.group == Group::Quit) {
        if !answers.is_empty() {
            answers.push(Span::raw("   "));
        }
        answers.push(Span::styled(
            keys_label(binding.keys),
            theme.hint().add_modifier(ratatui::style::Modifier::BOLD),
        ));
        answers.push(Span::raw(format!(" {}", binding.help)));
    }
    lines.push(Line::from(answers));
    let height = (lines.len() as u16 + 2).min(area.height);
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
        .title(Line::styled(" Quit? ", theme.title(true)));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    for (y, line) in (inner.y..inner.bottom()).zip(lines.iter()) {
        buf.set_line(inner.x, y, line, inner.width);
    }
}
