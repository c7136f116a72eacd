//! The compact layout's tab strip: the five pane names with their numbers, the shown one
//! reversed, so the person always knows what else there is and which key reaches it. Fits in
//! 40 columns; padded when there is room. Draws, and says which tab a column falls on (a
//! mouse click).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::super::theme::Theme;
use super::PaneId;

/// Each tab's text and whether a space separates tabs, for a strip `width` columns wide.
fn labels(width: u16) -> (Vec<(PaneId, String)>, bool) {
    let names: Vec<String> = PaneId::ALL
        .iter()
        .map(|p| format!("{} {}", p.number(), p.title()))
        .collect();
    let bare: usize = names.iter().map(String::len).sum::<usize>() + names.len() - 1;
    let padded = bare + names.len() * 2 - (names.len() - 1);
    let pad = usize::from(width) >= padded;
    let labels = PaneId::ALL
        .iter()
        .zip(names)
        .map(|(pane, name)| (*pane, if pad { format!(" {name} ") } else { name }))
        .collect();
    (labels, !pad)
}

/// Draws the strip with `active` highlighted.
pub fn render(buf: &mut Buffer, area: Rect, active: PaneId, theme: &Theme) {
    let (labels, gaps) = labels(area.width);
    let mut spans = Vec::new();
    for (pane, text) in labels {
        if !spans.is_empty() && gaps {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(text, theme.tab(pane == active)));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// The tab drawn at `column` of the strip in `area`, if any.
pub fn at(area: Rect, column: u16) -> Option<PaneId> {
    let (labels, gaps) = labels(area.width);
    let mut x = area.x;
    for (pane, text) in labels {
        let end = x.saturating_add(text.len() as u16);
        if (x..end).contains(&column) {
            return Some(pane);
        }
        x = end.saturating_add(u16::from(gaps));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_names_the_tab_drawn_there() {
        for width in [40, 80] {
            let area = Rect::new(0, 3, width, 1);
            let mut buf = Buffer::empty(area);
            render(&mut buf, area, PaneId::Agents, &Theme::new(false));
            for pane in PaneId::ALL {
                let digit = char::from(b'0' + pane.number()).to_string();
                let x = (0..width)
                    .find(|x| buf[(*x, 3)].symbol() == digit)
                    .expect("digit drawn");
                assert_eq!(at(area, x), Some(pane), "{pane:?} at {width}");
            }
            assert_eq!(at(area, width - 1), None);
        }
    }
}
