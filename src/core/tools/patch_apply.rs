//! Applying one file's hunks to its text in memory: exact context matching at the header's
//! line or up to [`MAX_OFFSET`] lines away (nearest first), like `patch` with fuzz 0. A hunk
//! that matches nowhere becomes a rejection that shows what the diff expected and what the
//! file has there. Never touches the disk.

use super::{Hunk, HunkLine};

/// How far from its header's line a hunk is looked for.
pub const MAX_OFFSET: usize = 1_000;

/// A text file as lines (without their `\n`) and whether the last one ended with `\n`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Text {
    pub lines: Vec<String>,
    pub final_newline: bool,
}

impl Text {
    pub fn parse(content: &str) -> Text {
        if content.is_empty() {
            return Text::default();
        }
        let mut lines: Vec<String> = content.split('\n').map(str::to_string).collect();
        let final_newline = content.ends_with('\n');
        if final_newline {
            lines.pop();
        }
        Text {
            lines,
            final_newline,
        }
    }

    pub fn render(&self) -> String {
        let mut out = self.lines.join("\n");
        if self.final_newline && !self.lines.is_empty() {
            out.push('\n');
        }
        out
    }
}

/// What applying one file's hunks gave.
pub(super) struct Applied {
    pub text: Text,
    /// Notes for hunks found away from their header's line.
    pub notes: Vec<String>,
}

/// Applies `hunks` in order to `text` (the file `name`). Every hunk is tried, so that all the
/// rejections come back at once.
pub(super) fn apply_hunks(text: &Text, hunks: &[Hunk], name: &str) -> Result<Applied, Vec<String>> {
    let lines = &text.lines;
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut cursor = 0usize;
    let mut drift: isize = 0;
    let mut final_newline = text.final_newline;
    let mut notes = Vec::new();
    let mut rejected = Vec::new();
    for (k, hunk) in hunks.iter().enumerate() {
        let old: Vec<&str> = hunk.old_lines().collect();
        let new: Vec<&str> = hunk.new_lines().collect();
        let stated = match hunk.old_start {
            Some(start) if old.is_empty() => start,
            Some(start) => start.saturating_sub(1),
            None => cursor,
        };
        let expected = stated.saturating_add_signed(drift);
        let window = if hunk.old_start.is_some() {
            MAX_OFFSET
        } else {
            usize::MAX
        };
        let Some(at) = find(lines, &old, cursor, expected, window, hunk.old_no_newline) else {
            rejected.push(rejection(name, k, hunk, &old, lines, expected));
            continue;
        };
        if at != stated {
            let (how, by) = if at > stated {
                ("lower", at - stated)
            } else {
                ("higher", stated - at)
            };
            if hunk.old_start.is_some() {
                notes.push(format!(
                    "{name}: hunk {} applied {by} lines {how} than its header says",
                    k + 1
                ));
            }
        }
        drift = isize::try_from(at).unwrap_or(0) - isize::try_from(stated).unwrap_or(0);
        out.extend(lines.get(cursor..at).unwrap_or_default().iter().cloned());
        out.extend(new.iter().map(|l| l.to_string()));
        cursor = at + old.len();
        if cursor >= lines.len() {
            // The end of the file: its newline is what the diff's `\ No newline` markers say;
            // without markers (a model's diff) it stays as it was.
            final_newline = if hunk.old_no_newline || hunk.new_no_newline {
                !hunk.new_no_newline
            } else {
                new.is_empty() || text.final_newline || lines.is_empty()
            };
        }
    }
    if !rejected.is_empty() {
        return Err(rejected);
    }
    out.extend(lines.get(cursor..).unwrap_or_default().iter().cloned());
    Ok(Applied {
        text: Text {
            lines: out,
            final_newline,
        },
        notes,
    })
}

/// The line index where `old` matches `lines`, at or after `from`, nearest to `expected`
/// within `window` lines. An `old` that ends without a newline must match at the end.
fn find(
    lines: &[String],
    old: &[&str],
    from: usize,
    expected: usize,
    window: usize,
    at_end: bool,
) -> Option<usize> {
    let last = lines.len().checked_sub(old.len())?;
    if from > last {
        return None;
    }
    let matches = |at: usize| {
        (!at_end || at == last)
            && lines
                .get(at..at + old.len())
                .is_some_and(|seg| seg.iter().zip(old).all(|(a, b)| a == b))
    };
    let expected = expected.clamp(from, last);
    let reach = window.min(last - from + 1);
    for distance in 0..=reach {
        if let Some(at) = expected.checked_add(distance).filter(|&at| at <= last)
            && matches(at)
        {
            return Some(at);
        }
        if let Some(at) = expected.checked_sub(distance).filter(|&at| at >= from)
            && distance > 0
            && matches(at)
        {
            return Some(at);
        }
    }
    None
}

/// The words sent back for a hunk that matched nowhere.
fn rejection(
    name: &str,
    k: usize,
    hunk: &Hunk,
    old: &[&str],
    lines: &[String],
    expected: usize,
) -> String {
    let mut text = format!(
        "{name}: hunk {} `{}` does not match the file.\nThe diff expects these lines (context and removed):\n",
        k + 1,
        hunk.header
    );
    for line in old.iter().take(30) {
        text.push_str(&format!("  |{line}\n"));
    }
    if old.len() > 30 {
        text.push_str(&format!("  ({} more)\n", old.len() - 30));
    }
    let from = expected.saturating_sub(3).min(lines.len());
    let to = (expected + old.len().min(30) + 3).min(lines.len());
    if from < to {
        text.push_str(&format!("The file has at lines {}-{}:\n", from + 1, to));
        for (i, line) in lines.get(from..to).unwrap_or_default().iter().enumerate() {
            text.push_str(&format!("  {:>5}|{line}\n", from + i + 1));
        }
    } else {
        text.push_str(&format!("The file has only {} lines.\n", lines.len()));
    }
    if let Some(missing) = old.iter().find(|l| !lines.iter().any(|f| f == *l)) {
        text.push_str(&format!("The line `{missing}` is nowhere in the file"));
        let loose = missing.split_whitespace().collect::<Vec<_>>();
        if lines
            .iter()
            .any(|f| f.split_whitespace().collect::<Vec<_>>() == loose)
        {
            text.push_str(" (it is there with other whitespace: check the indentation)");
        }
        text.push_str(".\n");
    }
    text
}

impl Hunk {
    /// The lines the hunk expects in the file: context and removed.
    pub fn old_lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|l| match l {
            HunkLine::Context(s) | HunkLine::Remove(s) => Some(s.as_str()),
            HunkLine::Add(_) => None,
        })
    }

    /// The lines the hunk leaves: context and added.
    pub fn new_lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|l| match l {
            HunkLine::Context(s) | HunkLine::Add(s) => Some(s.as_str()),
            HunkLine::Remove(_) => None,
        })
    }
}
