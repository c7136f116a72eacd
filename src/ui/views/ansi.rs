//! Tool output keeps its colours: SGR sequences (`ESC [ ... m`: colours, bold, underline)
//! become style runs over the cleaned text, and everything else (cursor moves, title sets,
//! OSC strings such as an OSC 52 clipboard write, DCS, C1 controls) is dropped by
//! `text::clean_fragment`, which every byte of text passes through. So the display text never
//! holds an escape, and a style is a plain value the pane maps to ratatui. Pure; no ratatui.

use super::super::text;

/// A colour named by an SGR sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnsiColor {
    /// One of the 256 indexed colours (0-15 are the terminal's 16 ANSI colours).
    Indexed(u8),
    /// A 24-bit colour.
    Rgb(u8, u8, u8),
}

/// The style SGR sequences set, from the start of a run to the next one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Sgr {
    /// Foreground colour.
    pub fg: Option<AnsiColor>,
    /// Background colour.
    pub bg: Option<AnsiColor>,
    /// Bold.
    pub bold: bool,
    /// Faint.
    pub dim: bool,
    /// Italic.
    pub italic: bool,
    /// Underlined.
    pub underline: bool,
    /// Reversed.
    pub reversed: bool,
}

/// From this byte of the cleaned text on, this style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StyleRun {
    /// Byte offset in the cleaned text.
    pub start: usize,
    /// The style.
    pub sgr: Sgr,
}

/// Cleaned text with its style runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Styled {
    /// The display text: no escapes, no control characters.
    pub text: String,
    /// Style changes, by increasing `start`; empty when the raw text set no style.
    pub runs: Vec<StyleRun>,
    /// Whether `max_chars` cut the text short.
    pub truncated: bool,
}

/// Cleans `raw` into one display line of at most `max_chars` characters like
/// `text::clean_line`, keeping what its SGR sequences said as style runs.
pub fn clean_styled(raw: &str, max_chars: usize) -> Styled {
    let mut out = Styled::default();
    let mut sgr = Sgr::default();
    let mut kept = 0usize;
    // Like clean_line: line breaks and tabs before the first word are not a space.
    let mut rest = raw.trim_start_matches(['\t', '\n', '\r', '\u{0b}', '\u{0c}']);
    while !rest.is_empty() {
        let (segment, sequence, after) = next_sgr(rest);
        if !segment.is_empty() {
            if kept >= max_chars {
                out.truncated |= !text::clean_line(segment, 1).text.is_empty();
                break;
            }
            let cleaned = text::clean_fragment(segment, max_chars - kept);
            kept += cleaned.text.chars().count();
            out.text.push_str(&cleaned.text);
            if cleaned.truncated {
                out.truncated = true;
                break;
            }
        }
        if let Some(params) = sequence {
            let next = apply(sgr, params);
            if next != sgr {
                sgr = next;
                push_run(&mut out, sgr);
            }
        }
        rest = after;
    }
    // Like clean_line: no trailing spaces.
    let trimmed = out.text.trim_end().len();
    out.text.truncate(trimmed);
    out.runs
        .retain(|r| r.start < out.text.len() || r.start == 0);
    dedup_runs(&mut out.runs);
    if out.runs.iter().all(|r| r.sgr == Sgr::default()) {
        out.runs.clear();
    }
    out
}

/// The style at byte `at` of a line with `runs`.
pub fn style_at(runs: &[StyleRun], at: usize) -> Sgr {
    let i = runs.partition_point(|r| r.start <= at);
    i.checked_sub(1).map_or(Sgr::default(), |i| runs[i].sgr)
}

/// Splits off the text before the next SGR sequence: (text, the sequence's parameters, the
/// rest after it). Without a sequence, all of `s` is text.
fn next_sgr(s: &str) -> (&str, Option<&str>, &str) {
    let mut from = 0;
    while let Some(pos) = s[from..].find("\u{1b}[").map(|p| p + from) {
        let body = &s[pos + 2..];
        let len = body
            .find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':'))
            .unwrap_or(body.len());
        if body[len..].starts_with('m') {
            return (&s[..pos], Some(&body[..len]), &body[len + 1..]);
        }
        from = pos + 2;
    }
    (s, None, "")
}

fn push_run(out: &mut Styled, sgr: Sgr) {
    let start = out.text.len();
    match out.runs.last_mut() {
        Some(last) if last.start == start => last.sgr = sgr,
        _ => out.runs.push(StyleRun { start, sgr }),
    }
}

fn dedup_runs(runs: &mut Vec<StyleRun>) {
    let mut i = 1;
    while i < runs.len() {
        if runs[i].start == runs[i - 1].start {
            runs.remove(i - 1);
        } else if runs[i].sgr == runs[i - 1].sgr {
            runs.remove(i);
        } else {
            i += 1;
        }
    }
}

/// The style after an SGR sequence with `params` ("1;31", "38;5;208", "" for reset).
fn apply(mut sgr: Sgr, params: &str) -> Sgr {
    let mut codes = params.split([';', ':']).map(|p| {
        if p.is_empty() {
            Some(0)
        } else {
            p.parse::<u16>().ok()
        }
    });
    while let Some(code) = codes.next() {
        let Some(code) = code else {
            continue;
        };
        match code {
            0 => sgr = Sgr::default(),
            1 => sgr.bold = true,
            2 => sgr.dim = true,
            3 => sgr.italic = true,
            4 => sgr.underline = true,
            7 => sgr.reversed = true,
            22 => (sgr.bold, sgr.dim) = (false, false),
            23 => sgr.italic = false,
            24 => sgr.underline = false,
            27 => sgr.reversed = false,
            30..=37 => sgr.fg = Some(AnsiColor::Indexed((code - 30) as u8)),
            39 => sgr.fg = None,
            40..=47 => sgr.bg = Some(AnsiColor::Indexed((code - 40) as u8)),
            49 => sgr.bg = None,
            90..=97 => sgr.fg = Some(AnsiColor::Indexed((code - 90 + 8) as u8)),
            100..=107 => sgr.bg = Some(AnsiColor::Indexed((code - 100 + 8) as u8)),
            38 | 48 => {
                let color = extended(&mut codes);
                if code == 38 {
                    sgr.fg = color.or(sgr.fg);
                } else {
                    sgr.bg = color.or(sgr.bg);
                }
            }
            _ => {}
        }
    }
    sgr
}

/// The colour of `38;5;n` or `38;2;r;g;b` after the 38/48.
fn extended(codes: &mut impl Iterator<Item = Option<u16>>) -> Option<AnsiColor> {
    let byte = |c: Option<Option<u16>>| c.flatten().and_then(|v| u8::try_from(v).ok());
    match codes.next().flatten() {
        Some(5) => byte(codes.next()).map(AnsiColor::Indexed),
        Some(2) => {
            let (r, g, b) = (byte(codes.next()), byte(codes.next()), byte(codes.next()));
            Some(AnsiColor::Rgb(r?, g?, b?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red() -> Sgr {
        Sgr {
            fg: Some(AnsiColor::Indexed(1)),
            ..Sgr::default()
        }
    }

    #[test]
    fn colours_become_runs_over_clean_text() {
        let s = clean_styled("\u{1b}[31merror\u{1b}[0m: \u{1b}[1;4mbad\u{1b}[m ok", 100);
        assert_eq!(s.text, "error: bad ok");
        assert_eq!(style_at(&s.runs, 0), red());
        assert_eq!(style_at(&s.runs, 5), Sgr::default());
        let bold = style_at(&s.runs, 7);
        assert!(bold.bold && bold.underline && bold.fg.is_none());
        assert_eq!(style_at(&s.runs, 11), Sgr::default());
    }

    #[test]
    fn extended_colours_and_resets() {
        let s = clean_styled("\u{1b}[38;5;208ma\u{1b}[48;2;1;2;3mb\u{1b}[39mc", 100);
        assert_eq!(s.text, "abc");
        assert_eq!(style_at(&s.runs, 0).fg, Some(AnsiColor::Indexed(208)));
        assert_eq!(style_at(&s.runs, 1).bg, Some(AnsiColor::Rgb(1, 2, 3)));
        assert_eq!(style_at(&s.runs, 2).fg, None);
        assert_eq!(
            clean_styled("\u{1b}[92mx", 9).runs[0].sgr.fg,
            Some(AnsiColor::Indexed(10))
        );
        // A broken extended colour changes nothing and does not panic.
        assert!(
            clean_styled("\u{1b}[38;2;300mx\u{1b}[38m", 9)
                .runs
                .is_empty()
        );
    }

    #[test]
    fn plain_text_has_no_runs() {
        let s = clean_styled("plain words", 100);
        assert_eq!(s.text, "plain words");
        assert!(s.runs.is_empty());
        assert!(clean_styled("\u{1b}[0mx\u{1b}[0m", 9).runs.is_empty());
    }

    /// Hostile text: cursor moves, a title set, an OSC 52 clipboard write, a DCS, 8-bit CSI,
    /// an erase-screen, all between colours. Only printable text and styles survive.
    #[test]
    fn hostile_sequences_are_neutralized() {
        let raw = "\u{1b}[2J\u{1b}[H\u{1b}[31mred\u{1b}[10;20H\u{1b}]0;pwned\u{7}\
                   \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}Pq#0\u{1b}\\\u{9b}5A\u{1b}[0m done\u{1b}[?1049h\r\n";
        let s = clean_styled(raw, 100);
        assert_eq!(s.text, "red done");
        assert!(!s.text.chars().any(|c| c.is_control()));
        assert_eq!(style_at(&s.runs, 0), red());
        assert_eq!(style_at(&s.runs, 4), Sgr::default());
    }

    #[test]
    fn long_lines_are_cut_and_say_so() {
        let raw = format!("\u{1b}[32m{}", "x".repeat(10_000));
        let s = clean_styled(&raw, 512);
        assert_eq!(s.text.len(), 512);
        assert!(s.truncated);
        let s = clean_styled("abc\u{1b}[31mdef", 3);
        assert_eq!(s.text, "abc");
        assert!(s.truncated);
        assert!(!clean_styled("abc\u{1b}[31m\n", 3).truncated);
    }
}
