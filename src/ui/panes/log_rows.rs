//! Drawing one log entry's words: its colours (the tool's own SGR colours, else the level's),
//! search matches highlighted over them, the "… (N bytes)" mark of a cut line, then either
//! fitted to one row or wrapped over several (by columns; a wide character is never split).
//! Works on styled characters so colours, highlights and wrapping compose. Pure.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use super::super::text;
use super::super::theme::Theme;
use super::super::views::ansi::{self, AnsiColor, Sgr};
use super::super::views::log_search::Query;
use super::super::views::logs::LogEntry;

/// One character and its style.
pub type Cell = (char, Style);

/// The styled characters of `entry`'s words, with `query`'s matches highlighted (`current`:
/// the line the search stands on, highlighted more strongly) and the mark of a cut line.
pub fn cells(entry: &LogEntry, query: Option<&Query>, current: bool, theme: &Theme) -> Vec<Cell> {
    // The theme keeps its colour switch private; the coloured theme is the one that equals it.
    let color = *theme == Theme::new(true);
    let base = theme.log_text(entry.level);
    let hits = query.map(|q| q.matches(&entry.text)).unwrap_or_default();
    let hit_style = match (color, current) {
        (true, true) => Style::new()
            .fg(Color::Black)
            .bg(Color::Yellow)
            .add_modifier(Modifier::BOLD),
        (true, false) => Style::new().fg(Color::Black).bg(Color::DarkGray),
        (false, true) => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        (false, false) => Style::new().add_modifier(Modifier::REVERSED),
    };
    let mut out: Vec<Cell> = entry
        .text
        .char_indices()
        .map(|(at, c)| {
            let style = if entry.runs.is_empty() {
                base
            } else {
                sgr_style(ansi::style_at(&entry.runs, at), color)
            };
            let hit = hits.iter().any(|r| r.contains(&at));
            (c, if hit { style.patch(hit_style) } else { style })
        })
        .collect();
    if let Some(bytes) = entry.cut_from {
        out.extend(
            format!("… ({bytes} bytes)")
                .chars()
                .map(|c| (c, theme.dim())),
        );
    }
    out
}

/// How many rows `entry` takes in `room` columns.
pub fn row_count(entry: &LogEntry, room: usize, wrap: bool) -> usize {
    if !wrap {
        return 1;
    }
    let suffix = entry
        .cut_from
        .map_or(0, |b| text::width(&format!("… ({b} bytes)")));
    (text::width(&entry.text) + suffix)
        .div_ceil(room.max(1))
        .max(1)
}

/// `cells` laid out in `room` columns: wrapped over as many rows as they need, or fitted to
/// one row (a cut ends in "…"; a cut line's byte mark stays visible).
pub fn layout(cells: Vec<Cell>, room: usize, wrap: bool, cut_mark: usize) -> Vec<Vec<Cell>> {
    let room = room.max(1);
    if wrap {
        let mut rows = vec![Vec::new()];
        let mut used = 0;
        for cell in cells {
            let w = char_width(cell.0);
            if used + w > room && used > 0 {
                rows.push(Vec::new());
                used = 0;
            }
            if let Some(row) = rows.last_mut() {
                row.push(cell);
            }
            used += w;
        }
        return rows;
    }
    let total: usize = cells.iter().map(|c| char_width(c.0)).sum();
    if total <= room {
        return vec![cells];
    }
    let (words, mark) = cells.split_at(cells.len() - cut_mark.min(cells.len()));
    let mark_w: usize = mark.iter().map(|c| char_width(c.0)).sum();
    let mut row = Vec::new();
    let mut used = 0;
    let ellipsis = usize::from(mark.is_empty());
    let room_for_words = room.saturating_sub(mark_w + ellipsis);
    for cell in words {
        let w = char_width(cell.0);
        if used + w > room_for_words {
            break;
        }
        row.push(*cell);
        used += w;
    }
    if mark.is_empty() {
        let style = row.last().map_or(Style::default(), |c| c.1);
        row.push(('…', style));
    } else {
        row.extend(mark.iter().copied().take_while(|_| {
            let fits = used < room;
            used += 1;
            fits
        }));
    }
    vec![row]
}

/// How many of an entry's cells are its cut mark.
pub fn cut_mark_len(entry: &LogEntry) -> usize {
    entry
        .cut_from
        .map_or(0, |b| format!("… ({b} bytes)").chars().count())
}

/// A row of cells as spans, one per run of equal style.
pub fn spans(row: &[Cell], extra: Style) -> Vec<Span<'static>> {
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut current = String::new();
    let mut style = None;
    for (c, s) in row {
        if style != Some(*s) {
            if let Some(done) = style {
                out.push(Span::styled(
                    std::mem::take(&mut current),
                    done.patch(extra),
                ));
            }
            style = Some(*s);
        }
        current.push(*c);
    }
    if let Some(done) = style {
        out.push(Span::styled(current, done.patch(extra)));
    }
    out
}

/// A tool's SGR style as a ratatui style; with colour off only the emphasis stays.
pub fn sgr_style(sgr: Sgr, color: bool) -> Style {
    let mut style = Style::new();
    if color {
        if let Some(fg) = sgr.fg {
            style = style.fg(to_color(fg));
        }
        if let Some(bg) = sgr.bg {
            style = style.bg(to_color(bg));
        }
    }
    let flags = [
        (sgr.bold, Modifier::BOLD),
        (sgr.dim, Modifier::DIM),
        (sgr.italic, Modifier::ITALIC),
        (sgr.underline, Modifier::UNDERLINED),
        (sgr.reversed, Modifier::REVERSED),
    ];
    for (on, modifier) in flags {
        if on {
            style = style.add_modifier(modifier);
        }
    }
    style
}

fn to_color(color: AnsiColor) -> Color {
    const BASIC: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match color {
        AnsiColor::Indexed(i) => BASIC
            .get(usize::from(i))
            .copied()
            .unwrap_or(Color::Indexed(i)),
        AnsiColor::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn char_width(c: char) -> usize {
    text::width(c.encode_utf8(&mut [0; 4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> Vec<Cell> {
        s.chars().map(|c| (c, Style::new())).collect()
    }

    fn texts(rows: &[Vec<Cell>]) -> Vec<String> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.0).collect())
            .collect()
    }

    #[test]
    fn fits_or_wraps_by_columns() {
        assert_eq!(texts(&layout(plain("abcdef"), 4, false, 0)), ["abc…"]);
        assert_eq!(texts(&layout(plain("abcdef"), 4, true, 0)), ["abcd", "ef"]);
        assert_eq!(
            texts(&layout(plain("日本語"), 3, true, 0)),
            ["日", "本", "語"]
        );
        assert_eq!(texts(&layout(plain("ab"), 4, false, 0)), ["ab"]);
        // A cut line keeps its byte mark whatever the width.
        assert_eq!(
            texts(&layout(plain("abcdef… (9 bytes)"), 14, false, 11)),
            ["abc… (9 bytes)"]
        );
    }

    #[test]
    fn sgr_colours_map_to_the_16_and_drop_without_colour() {
        let sgr = Sgr {
            fg: Some(AnsiColor::Indexed(9)),
            bold: true,
            ..Sgr::default()
        };
        assert_eq!(
            sgr_style(sgr, true),
            Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            sgr_style(sgr, false),
            Style::new().add_modifier(Modifier::BOLD)
        );
        let rgb = Sgr {
            bg: Some(AnsiColor::Rgb(1, 2, 3)),
            ..Sgr::default()
        };
        assert_eq!(sgr_style(rgb, true).bg, Some(Color::Rgb(1, 2, 3)));
    }
}
