//! The side-pane layout's approvals box (40-60 columns, under the family tree): one line per
//! waiting approval, oldest first, "#2 analyst#3: run `cargo test` (needs network)", cut to
//! the width, with a count of those that do not fit and the key to the inbox. Draws only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::super::text::{clean_line, fit};
use super::super::theme::Theme;
use super::super::views::RunView;

/// Draws the box over `area`.
pub fn render(
    buf: &mut Buffer,
    area: Rect,
    view: &RunView,
    keys: &super::status_bar::DecideKeys,
    theme: &Theme,
) {
    let pending = view.approvals.pending();
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(Line::styled(
            format!(" Waiting approvals ({}) ", pending.len()),
            theme.warning(),
        ))
        .title_bottom(Line::styled(
            format!(" {} inbox · {} approve ", keys.inbox, keys.approve),
            theme.dim(),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    let rows = usize::from(inner.height);
    if rows == 0 {
        return;
    }
    let width = usize::from(inner.width);
    let more = pending.len().saturating_sub(rows);
    let shown = if more > 0 { rows - 1 } else { rows };
    for (y, p) in (inner.y..).zip(pending.iter().take(shown)) {
        let id = format!("#{} ", p.id);
        let asked = format!("{}: {}", view.agents.label(p.agent), p.asked.words());
        let text = clean_line(&asked, 1000).text;
        let rest = width.saturating_sub(id.len());
        let line = Line::from(vec![
            Span::styled(id, theme.hint()),
            Span::raw(fit(&text, rest)),
        ]);
        buf.set_line(inner.x, y, &line, inner.width);
    }
    if more > 0 {
        let y = inner.y + shown as u16;
        let words = format!("… {more} more (A opens the inbox)");
        buf.set_line(
            inner.x,
            y,
            &Line::styled(fit(&words, width), theme.dim()),
            inner.width,
        );
    }
}
