//! Searching the logs: a query (smart case: all lower case matches any case, a capital
//! makes it exact), where it matches in a line (for the highlight) and which line of the
//! window matches next going older or newer. The pane continues into older pages from the
//! store when the window has no more. Pure: no IO, no ratatui.

use std::collections::VecDeque;
use std::ops::Range;

use super::logs::LogEntry;

/// What the person searches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    text: String,
    folded: Vec<char>,
    exact: bool,
}

impl Query {
    /// A query for `text`; `None` for an empty one.
    pub fn new(text: &str) -> Option<Query> {
        if text.is_empty() {
            return None;
        }
        let exact = text.chars().any(char::is_uppercase);
        Some(Query {
            text: text.to_string(),
            folded: text.chars().map(|c| fold(c, exact)).collect(),
            exact,
        })
    }

    /// The words searched for.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The byte ranges of `line` that match, left to right, not overlapping.
    pub fn matches(&self, line: &str) -> Vec<Range<usize>> {
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let n = self.folded.len();
        let mut out = Vec::new();
        let mut i = 0;
        while i + n <= chars.len() {
            let hit = self
                .folded
                .iter()
                .zip(&chars[i..i + n])
                .all(|(q, (_, c))| *q == fold(*c, self.exact));
            if hit {
                let end = chars.get(i + n).map_or(line.len(), |(b, _)| *b);
                out.push(chars[i].0..end);
                i += n;
            } else {
                i += 1;
            }
        }
        out
    }

    /// Whether `line` matches anywhere.
    pub fn is_in(&self, line: &str) -> bool {
        if self.exact {
            return line.contains(&self.text);
        }
        !self.matches(line).is_empty()
    }
}

/// The index of the nearest matching line strictly before `from` (going older) or strictly
/// after it (going newer); `from` may be one past either end.
pub fn find(lines: &VecDeque<LogEntry>, query: &Query, from: i64, older: bool) -> Option<usize> {
    let len = lines.len() as i64;
    if older {
        let start = from.min(len);
        (0..start.max(0))
            .rev()
            .map(|i| i as usize)
            .find(|i| query.is_in(&lines[*i].text))
    } else {
        ((from + 1).max(0)..len)
            .map(|i| i as usize)
            .find(|i| query.is_in(&lines[*i].text))
    }
}

fn fold(c: char, exact: bool) -> char {
    if exact {
        c
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Event, EventId, LogLevel, Millis, Record, RunId};

    fn lines(texts: &[&str]) -> VecDeque<LogEntry> {
        texts
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                LogEntry::from_record(&Record {
                    id: EventId(i as i64 + 1),
                    run: RunId(1),
                    at: Millis(0),
                    event: Event::LogLine {
                        agent: None,
                        level: LogLevel::Info,
                        text: (*t).to_string(),
                    },
                })
            })
            .collect()
    }

    #[test]
    fn smart_case() {
        let q = Query::new("err").unwrap();
        assert_eq!(q.matches("Err: an error"), vec![0..3, 8..11]);
        let exact = Query::new("Err").unwrap();
        assert_eq!(exact.matches("Err: an error"), vec![0..3]);
        assert!(Query::new("").is_none());
        assert_eq!(Query::new("ö").unwrap().matches("aÖb"), vec![1..3]);
    }

    #[test]
    fn finds_older_and_newer_lines() {
        let l = lines(&["panic here", "ok", "PANIC again", "ok"]);
        let q = Query::new("panic").unwrap();
        assert_eq!(find(&l, &q, 4, true), Some(2));
        assert_eq!(find(&l, &q, 2, true), Some(0));
        assert_eq!(find(&l, &q, 0, true), None);
        assert_eq!(find(&l, &q, -1, false), Some(0));
        assert_eq!(find(&l, &q, 0, false), Some(2));
        assert_eq!(find(&l, &q, 2, false), None);
    }
}
