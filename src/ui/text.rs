//! Display text: cleaning untrusted text (agent output, tool output, model output) so nothing
//! can move the cursor or recolour the screen, and measuring, fitting and wrapping it by
//! terminal columns (unicode-width; a wide character is never split). Pure string functions:
//! no ratatui types, no IO, no knowledge of events.

use unicode_width::UnicodeWidthChar;

/// The most characters of one log line kept for display; the rest is summarised by size.
pub const MAX_LINE_CHARS: usize = 512;

/// A cleaned line and whether the raw text had more than was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// The display text: no escape sequences, no control characters.
    pub text: String,
    /// Whether `max_chars` cut the text short.
    pub truncated: bool,
}

/// Cleans `raw` into one display line of at most `max_chars` characters: ANSI/VT escape
/// sequences (CSI, OSC, DCS, 8-bit C1) and control characters are dropped, tabs, carriage
/// returns and newlines become one space, bidirectional overrides are dropped. Stops reading
/// once `max_chars` are kept, so a 1 MB line costs no more than a short one.
pub fn clean_line(raw: &str, max_chars: usize) -> Cleaned {
    let mut cleaned = clean(raw, max_chars, false);
    let trimmed = cleaned.text.trim_end().len();
    cleaned.text.truncate(trimmed);
    cleaned
}

/// [`clean_line`] for a piece of a stream (a model's delta): edge spaces are kept, since the
/// next piece continues the same text.
pub fn clean_fragment(raw: &str, max_chars: usize) -> Cleaned {
    clean(raw, max_chars, true)
}

fn clean(raw: &str, max_chars: usize, keep_edges: bool) -> Cleaned {
    let mut text = String::with_capacity(raw.len().min(max_chars * 2));
    let mut kept = 0usize;
    let mut chars = raw.chars().peekable();
    let mut truncated = false;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_until_final(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' => {
                if (keep_edges || !text.is_empty()) && !text.ends_with(' ') {
                    push_counted(&mut text, ' ', &mut kept);
                }
            }
            c if c.is_control() || is_bidi_control(c) => {}
            c => push_counted(&mut text, c, &mut kept),
        }
        if kept >= max_chars {
            truncated = chars.peek().is_some() && has_visible(chars.clone());
            break;
        }
    }
    Cleaned { text, truncated }
}

/// The display width of `s` in terminal columns.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// `s` cut to at most `max` columns; a cut ends in "…". Never splits a wide character.
pub fn fit(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` fitted to exactly `columns` columns: cut with "…" or padded with spaces on the right.
pub fn pad(s: &str, columns: usize) -> String {
    let mut out = fit(s, columns);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', columns.saturating_sub(w)));
    out
}

/// `s` fitted to exactly `columns` columns, padded on the left (for numbers).
pub fn pad_left(s: &str, columns: usize) -> String {
    let fitted = fit(s, columns);
    let w = width(&fitted);
    let mut out: String = std::iter::repeat_n(' ', columns.saturating_sub(w)).collect();
    out.push_str(&fitted);
    out
}

/// Word-wraps one clean line into lines of at most `columns` columns; a word longer than a
/// line is broken between characters. An empty input gives one empty line.
pub fn wrap(s: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in s.split(' ') {
        let w = width(word);
        if used > 0 && used + 1 + w <= columns {
            line.push(' ');
            line.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        for c in word.chars() {
            let cw = char_width(c);
            if used + cw > columns && used > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    lines.push(line);
    lines
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

fn push_counted(text: &mut String, c: char, kept: &mut usize) {
    text.push(c);
    *kept += 1;
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Whether anything printable is left (so trailing newlines do not count as truncation).
fn has_visible(rest: impl Iterator<Item = char>) -> bool {
    let mut rest = rest.peekable();
    while let Some(c) = rest.next() {
        match c {
            '\u{1b}' => skip_escape(&mut rest),
            c if c.is_whitespace() || c.is_control() => {}
            _ => return true,
        }
    }
    false
}

/// Skips what follows an ESC: a CSI, an OSC/DCS-style string or a short escape.
fn skip_escape(chars: &mut std::iter::Peekable<impl Iterator<Item = char>>) {
    match chars.next() {
        Some('[') => skip_until_final(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        Some('(' | ')' | '*' | '+' | '-' | '.' | '/' | '#' | '%' | ' ') => {
            chars.next();
        }
        _ => {}
    }
}

/// Skips a CSI's parameter and intermediate bytes and its final byte.
fn skip_until_final(chars: &mut std::iter::Peekable<impl Iterator<Item = char>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            // Not a well-formed sequence; stop eating text.
            return;
        }
    }
}

/// Skips a string sequence up to BEL, ST (ESC \) or the 8-bit ST.
fn skip_string(chars: &mut std::iter::Peekable<impl Iterator<Item = char>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_osc_and_controls() {
        let raw = "\u{1b}[1;31mred\u{1b}[0m\tand\r\n\u{1b}]0;title\u{7}osc\u{7}bel\u{1b}]8;;http://x\u{1b}\\link";
        assert_eq!(clean_line(raw, 100).text, "red and oscbellink");
    }

    #[test]
    fn eight_bit_csi_and_bidi_are_dropped() {
        assert_eq!(clean_line("a\u{9b}2Jb\u{202e}c", 100).text, "abc");
    }

    #[test]
    fn long_lines_stop_early_and_say_so() {
        let raw = "x".repeat(1_000_000);
        let cleaned = clean_line(&raw, MAX_LINE_CHARS);
        assert_eq!(cleaned.text.len(), MAX_LINE_CHARS);
        assert!(cleaned.truncated);
        assert!(!clean_line("abc\n\n", 3).truncated);
    }

    #[test]
    fn fit_never_splits_wide_chars() {
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(width(&fit("日本語テキスト", 6)), 5);
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
    }

    #[test]
    fn wrap_breaks_words_and_long_runs() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), vec![""]);
        assert_eq!(wrap("日本語", 3), vec!["日", "本", "語"]);
    }
}
