//! The quit question, shown while a run is active in owner mode: a small centred box that
//! names the run and lists the answers from the key table; and [`ask`], the same box for any
//! yes/no question (a `/cancel` typed in chat). Draws only; the App decides.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::super::keymap::{BINDINGS, Group, keys_label};
use super::super::text::wrap;
use super::super::theme::Theme;

/// Draws the question centred over `area`; `question` names what is still going on.
pub fn render(buf: &mut Buffer, area: Rect, question: &str, theme: &Theme) {
    let answers: Vec<(String, &str)> = BINDINGS
        .iter()
        .filter(|b| b.group == Group::Quit)
        .map(|b| (keys_label(b.keys), b.help))
        .collect();
    ask(buf, area, " Quit? ", question, &answers, theme);
}

/// Draws `question` in a centred box titled `title`, with `answers` (keys, words) below it.
pub fn ask(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    question: &str,
    answers: &[(String, &str)],
    theme: &Theme,
) {
    let width = area.width.saturating_sub(4).min(52);
    let inner_w = usize::from(width.saturating_sub(4)).max(1);
    let mut lines: Vec<Line<'static>> =
        wrap(question, inner_w).into_iter().map(Line::raw).collect();
    lines.push(Line::raw(""));
    let mut spans = Vec::new();
    for (keys, help) in answers {
        if !spans.is_empty() {
            spans.push(Span::raw("   "));
        }
        spans.push(Span::styled(
            keys.clone(),
            theme.hint().add_modifier(ratatui::style::Modifier::BOLD),
        ));
        spans.push(Span::raw(format!(" {help}")));
    }
    lines.push(Line::from(spans));
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
        .title(Line::styled(title.to_string(), theme.title(true)));
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
