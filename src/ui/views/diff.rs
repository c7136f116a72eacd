//! A patch laid out for the inbox's diff view: one row per line to draw (file headings, hunk
//! headings, context, added and removed lines, "binary file"), each knowing its hunk, built
//! once per approval from `crate::hunks`. Rows hold byte ranges into the shared diff, not
//! copies, so a 5,000-line diff costs one pass to index and the pane cleans only the rows it
//! draws. Pure: no IO, no ratatui.

use std::ops::Range;
use std::sync::Arc;

/// What a row of the diff view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A file's heading (its path; the text is the path, not a diff line).
    File,
    /// A header line under the heading (`index`, `new file mode`, ...).
    Meta,
    /// A hunk's `@@` line.
    Hunk,
    /// An unchanged line.
    Context,
    /// An added line.
    Added,
    /// A removed line.
    Removed,
    /// `\ No newline at end of file` and the like.
    Note,
    /// A binary file: nothing to show line by line.
    Binary,
}

/// One row: its kind, its text (a range of the diff, or of the row's own label) and the part
/// (hunk, or hunkless file) it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What it is.
    pub kind: RowKind,
    /// Where its text is in [`DiffView::text`], line ending excluded.
    pub span: Range<usize>,
    /// The part it belongs to (an index of the per-part choices), if any.
    pub part: Option<usize>,
}

/// A diff indexed for drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffView {
    text: Arc<str>,
    labels: String,
    rows: Vec<Row>,
    /// The first row of each part, in part order.
    starts: Vec<usize>,
    files: usize,
}

impl DiffView {
    /// Indexes `diff` (shared, not copied).
    pub fn new(diff: Arc<str>) -> Self {
        let mut labels = String::new();
        let mut rows = Vec::new();
        let mut starts = Vec::new();
        let parsed = crate::hunks::parse(&diff);
        let files = parsed.files.len();
        let base = diff.as_ptr() as usize;
        // Rows of labels point past the diff's end: `text()` tells the two apart.
        let label = |labels: &mut String, text: &str| {
            let start = diff.len() + labels.len();
            labels.push_str(text);
            start..diff.len() + labels.len()
        };
        let span_of = |line: &str| {
            let start = line.as_ptr() as usize - base;
            start..start + line.trim_end_matches(['\n', '\r']).len()
        };
        for file in &parsed.files {
            let hunkless = file.hunks.is_empty();
            let own = hunkless.then(|| {
                starts.push(rows.len());
                starts.len() - 1
            });
            let path = if file.path.is_empty() {
                "(unnamed file)"
            } else {
                &file.path
            };
            rows.push(Row {
                kind: RowKind::File,
                span: label(&mut labels, path),
                part: own,
            });
            // A binary patch's payload (base85) is no text for people: stop at its start.
            let text_header = file.header.iter().take_while(|l| {
                !(l.starts_with("GIT binary patch") || l.starts_with("Binary files"))
            });
            for line in text_header {
                if is_shown_header(line) {
                    rows.push(Row {
                        kind: RowKind::Meta,
                        span: span_of(line),
                        part: own,
                    });
                }
            }
            if file.binary {
                rows.push(Row {
                    kind: RowKind::Binary,
                    span: label(&mut labels, "binary file: not shown"),
                    part: own,
                });
            }
            for hunk in &file.hunks {
                starts.push(rows.len());
                let part = Some(starts.len() - 1);
                rows.push(Row {
                    kind: RowKind::Hunk,
                    span: span_of(hunk.header),
                    part,
                });
                for line in &hunk.body {
                    let kind = match line.as_bytes().first() {
                        Some(b'+') => RowKind::Added,
                        Some(b'-') => RowKind::Removed,
                        Some(b'\\') => RowKind::Note,
                        _ => RowKind::Context,
                    };
                    rows.push(Row {
                        kind,
                        span: span_of(line),
                        part,
                    });
                }
            }
        }
        if rows.is_empty() && !diff.trim().is_empty() {
            // Not a diff we can read: show it as it is rather than nothing.
            for line in diff.split_inclusive('\n') {
                rows.push(Row {
                    kind: RowKind::Context,
                    span: span_of(line),
                    part: None,
                });
            }
        }
        DiffView {
            text: diff,
            labels,
            rows,
            starts,
            files,
        }
    }

    /// The rows, in order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The raw text of a row (uncleaned: the pane cleans what it draws).
    pub fn text(&self, row: &Row) -> &str {
        let len = self.text.len();
        let slice = if row.span.start >= len {
            self.labels.get(row.span.start - len..row.span.end - len)
        } else {
            self.text.get(row.span.clone())
        };
        slice.unwrap_or("")
    }

    /// How many parts can be accepted or rejected (see `crate::hunks::Diff::units`).
    pub fn parts(&self) -> usize {
        self.starts.len()
    }

    /// The first row of part `part`.
    pub fn part_start(&self, part: usize) -> Option<usize> {
        self.starts.get(part).copied()
    }

    /// How many files the diff touches.
    pub fn files(&self) -> usize {
        self.files
    }

    /// The diff itself.
    pub fn diff(&self) -> &Arc<str> {
        &self.text
    }
}

/// Header lines worth a row: not the `diff --git`, `---` and `+++` lines the heading says.
fn is_shown_header(line: &str) -> bool {
    !(line.starts_with("diff ") || line.starts_with("--- ") || line.starts_with("+++ "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_know_their_parts() {
        let diff = "diff --git a/a.rs b/a.rs\nnew file mode 100644\n--- /dev/null\n+++ b/a.rs\n@@ -0,0 +1,2 @@\n+one\n+two\ndiff --git a/i.png b/i.png\nBinary files a/i.png and b/i.png differ\n";
        let view = DiffView::new(Arc::from(diff));
        let kinds: Vec<RowKind> = view.rows().iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            vec![
                RowKind::File,
                RowKind::Meta,
                RowKind::Hunk,
                RowKind::Added,
                RowKind::Added,
                RowKind::File,
                RowKind::Binary
            ]
        );
        assert_eq!(view.text(&view.rows()[0]), "a.rs");
        assert_eq!(view.text(&view.rows()[3]), "+one");
        assert_eq!(view.text(&view.rows()[6]), "binary file: not shown");
        assert_eq!(view.parts(), 2);
        assert_eq!(view.part_start(1), Some(5));
        assert_eq!(view.rows()[2].part, Some(0));
        assert_eq!(view.rows()[1].part, None);
        assert_eq!(view.files(), 2);
    }

    #[test]
    fn a_binary_patch_shows_no_payload() {
        let diff = "diff --git a/i.png b/i.png\nindex 1..2\nGIT binary patch\nliteral 3\nKcmZ?wbhH6\x00\x1b[2J\n\nliteral 0\nHcmV?d00001\n\n";
        let view = DiffView::new(Arc::from(diff));
        let texts: Vec<&str> = view.rows().iter().map(|r| view.text(r)).collect();
        assert_eq!(texts, vec!["i.png", "index 1..2", "binary file: not shown"]);
    }

    #[test]
    fn text_that_is_no_diff_is_shown_as_it_is() {
        let view = DiffView::new(Arc::from("just words\nmore"));
        assert_eq!(view.rows().len(), 2);
        assert_eq!(view.parts(), 0);
        assert_eq!(view.text(&view.rows()[1]), "more");
    }
}
