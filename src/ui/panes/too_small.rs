//! The floor: below 40x10 the screen shows only "terminal too small (WxH), need at least
//! 40x10", centred and wrapped to whatever room there is (even 1x1). Draws only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::super::layout::{MIN_HEIGHT, MIN_WIDTH};
use super::super::text::{width, wrap};
use super::super::theme::Theme;

/// Draws the message over the whole of `area`.
pub fn render(buf: &mut Buffer, area: Rect, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let words = format!(
        "terminal too small ({}x{}), need at least {MIN_WIDTH}x{MIN_HEIGHT}",
        area.width, area.height
    );
    let lines = wrap(&words, usize::from(area.width));
    let shown = lines.len().min(usize::from(area.height));
    let top = area.y + (area.height - shown as u16) / 2;
    for (y, line) in (top..).zip(lines.iter().take(shown)) {
        let x = area.x + (area.width.saturating_sub(width(line) as u16)) / 2;
        buf.set_line(
            x,
            y,
            &Line::styled(line.as_str(), theme.warning()),
            area.right() - x,
        );
    }
}
