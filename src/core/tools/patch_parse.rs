//! Parsing unified diffs (`git diff`, `diff -u`, and what models write) into [`FilePatch`]es.
//! Lenient where it is safe (hunk line counts that do not add up, `@@ @@` without numbers,
//! text around the diff), strict where it is not (binary patches, copies, hunks before any
//! file header). Works on any input without panicking: no unchecked indexing.

use super::{FilePatch, Hunk, HunkLine};
use crate::core::tools::ToolError;

/// Parses `diff`; see [`super::parse`].
pub(super) fn parse(diff: &str) -> Result<Vec<FilePatch>, ToolError> {
    let mut lines: Vec<&str> = diff.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let mut files: Vec<FilePatch> = Vec::new();
    let mut current: Option<FilePatch> = None;
    let mut i = 0;
    while let Some(&raw) = lines.get(i) {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix("diff --git ") {
            files.extend(current.take());
            let (old, new) = git_header_paths(rest);
            current = Some(FilePatch {
                old_path: old,
                new_path: new,
                hunks: Vec::new(),
                git_header: true,
            });
        } else if line.starts_with("GIT binary patch")
            || (line.starts_with("Binary files ") && line.ends_with(" differ"))
        {
            let what = current
                .as_ref()
                .and_then(|f| f.new_path.clone().or_else(|| f.old_path.clone()))
                .unwrap_or_else(|| "a file".into());
            return Err(ToolError::BadArgs(format!(
                "the diff holds a binary patch (for {what}); apply_patch takes text diffs only"
            )));
        } else if line.starts_with("copy from ") || line.starts_with("copy to ") {
            return Err(ToolError::BadArgs(
                "the diff copies a file (`copy from`/`copy to`); write the copy with write_file"
                    .into(),
            ));
        } else if let Some(file) = current
            .as_mut()
            .filter(|f| f.git_header && f.hunks.is_empty())
            && let Some(header) = git_extended_header(line)
        {
            match header {
                Extended::NewFile => file.old_path = None,
                Extended::DeletedFile => file.new_path = None,
                Extended::RenameFrom(path) => file.old_path = Some(path),
                Extended::RenameTo(path) => file.new_path = Some(path),
                Extended::Ignored => {}
            }
        } else if let Some(old) = line.strip_prefix("--- ")
            && let Some(new) = lines.get(i + 1).and_then(|l| l.strip_prefix("+++ "))
        {
            let (old, new) =
                strip_prefixes(header_path(old), header_path(new.trim_end_matches('\r')));
            match current.as_mut() {
                Some(file) if file.git_header && file.hunks.is_empty() => {
                    file.old_path = old;
                    file.new_path = new;
                }
                _ => {
                    files.extend(current.take());
                    current = Some(FilePatch {
                        old_path: old,
                        new_path: new,
                        hunks: Vec::new(),
                        git_header: false,
                    });
                }
            }
            i += 1;
        } else if line.starts_with("@@") {
            let Some(file) = current.as_mut() else {
                return Err(ToolError::BadArgs(format!(
                    "line {}: a hunk (`{}`) comes before any `--- a/file` / `+++ b/file` header",
                    i + 1,
                    short(line)
                )));
            };
            let (hunk, next) = read_hunk(&lines, i);
            file.hunks.push(hunk);
            i = next;
            continue;
        }
        i += 1;
    }
    files.extend(current.take());
    files.retain(|f| !f.hunks.is_empty() || f.old_path != f.new_path);
    if files.is_empty() {
        return Err(ToolError::BadArgs(
            "the diff is empty: no `--- a/file` / `+++ b/file` headers with `@@` hunks found"
                .into(),
        ));
    }
    Ok(files)
}

/// A hunk starting at `lines[start]` (its `@@` line); returns it and the index after it.
fn read_hunk(lines: &[&str], start: usize) -> (Hunk, usize) {
    let header = lines.get(start).map_or("", |l| l.trim_end_matches('\r'));
    let ranges = hunk_ranges(header);
    let mut hunk = Hunk {
        header: header.to_string(),
        old_start: ranges.map(|r| r.0),
        new_start: ranges.map(|r| r.2),
        lines: Vec::new(),
        old_no_newline: false,
        new_no_newline: false,
    };
    let (old_len, new_len) = ranges.map_or((usize::MAX, usize::MAX), |r| (r.1, r.3));
    let (mut old_seen, mut new_seen) = (0usize, 0usize);
    let mut i = start + 1;
    while let Some(&line) = lines.get(i) {
        let complete = old_seen >= old_len && new_seen >= new_len;
        let next_is_new_header = lines.get(i + 1).is_some_and(|l| l.starts_with("+++ "));
        if line.starts_with("@@")
            || line.starts_with("diff ")
            || (line.starts_with("--- ") && next_is_new_header)
            || (complete && (line.is_empty() || line == "-- " || line == "--"))
        {
            break;
        }
        // Past the header's counts, another body line means the counts were wrong (models
        // miscount): keep reading rather than silently dropping the rest of the hunk.
        let body = line.get(1..).unwrap_or("").to_string();
        match line.as_bytes().first() {
            Some(b' ') => {
                hunk.lines.push(HunkLine::Context(body));
                old_seen += 1;
                new_seen += 1;
            }
            // A blank context line whose leading space an editor stripped.
            None => {
                hunk.lines.push(HunkLine::Context(String::new()));
                old_seen += 1;
                new_seen += 1;
            }
            Some(b'-') => {
                hunk.lines.push(HunkLine::Remove(body));
                old_seen += 1;
            }
            Some(b'+') => {
                hunk.lines.push(HunkLine::Add(body));
                new_seen += 1;
            }
            Some(b'\\') => match hunk.lines.last() {
                Some(HunkLine::Remove(_)) => hunk.old_no_newline = true,
                Some(HunkLine::Add(_)) => hunk.new_no_newline = true,
                Some(HunkLine::Context(_)) => {
                    hunk.old_no_newline = true;
                    hunk.new_no_newline = true;
                }
                None => {}
            },
            Some(_) => break,
        }
        i += 1;
    }
    (hunk, i)
}

/// `(old_start, old_len, new_start, new_len)` of `@@ -a,b +c,d @@`; `None` when the header
/// holds no usable numbers (`@@ @@`).
fn hunk_ranges(header: &str) -> Option<(usize, usize, usize, usize)> {
    let inner = header.strip_prefix("@@")?.trim_start();
    let inner = inner.split("@@").next()?;
    let mut parts = inner.split_whitespace();
    let old = range(parts.next()?.strip_prefix('-')?)?;
    let new = range(parts.next()?.strip_prefix('+')?)?;
    Some((old.0, old.1, new.0, new.1))
}

fn range(text: &str) -> Option<(usize, usize)> {
    match text.split_once(',') {
        Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
        None => Some((text.parse().ok()?, 1)),
    }
}

enum Extended {
    NewFile,
    DeletedFile,
    RenameFrom(String),
    RenameTo(String),
    Ignored,
}

fn git_extended_header(line: &str) -> Option<Extended> {
    if line.starts_with("new file mode") {
        Some(Extended::NewFile)
    } else if line.starts_with("deleted file mode") {
        Some(Extended::DeletedFile)
    } else if let Some(path) = line.strip_prefix("rename from ") {
        Some(Extended::RenameFrom(unquote(path)))
    } else if let Some(path) = line.strip_prefix("rename to ") {
        Some(Extended::RenameTo(unquote(path)))
    } else if [
        "index ",
        "old mode ",
        "new mode ",
        "similarity index ",
        "dissimilarity index ",
    ]
    .iter()
    .any(|p| line.starts_with(p))
    {
        Some(Extended::Ignored)
    } else {
        None
    }
}

/// The two paths of `diff --git a/x b/x`, prefixes stripped. With spaces in names the split
/// is ambiguous; the one giving equal names wins (the `---`/`+++` lines, when present,
/// override these anyway).
fn git_header_paths(rest: &str) -> (Option<String>, Option<String>) {
    if rest.starts_with('"') {
        let (old, tail) = quoted(rest);
        let new = unquote(tail.trim_start());
        return strip_prefixes(Some(old), Some(new));
    }
    let splits: Vec<usize> = rest.match_indices(" b/").map(|(at, _)| at).collect();
    let equal = splits.iter().copied().find(|&at| {
        let (old, new) = (
            rest.get(..at).unwrap_or(""),
            rest.get(at + 1..).unwrap_or(""),
        );
        old.get(2..) == new.get(2..)
    });
    match equal.or_else(|| splits.first().copied()) {
        Some(at) => strip_prefixes(
            rest.get(..at).map(str::to_string),
            rest.get(at + 1..).map(str::to_string),
        ),
        None => {
            let mut parts = rest.splitn(2, ' ');
            let old = parts.next().map(str::to_string);
            let new = parts.next().map(str::to_string);
            strip_prefixes(old, new)
        }
    }
}

/// The path of a `---`/`+++` line: unquoted, cut at a tab (`diff -u` puts dates there);
/// `None` for `/dev/null`.
fn header_path(text: &str) -> Option<String> {
    let path = if text.starts_with('"') {
        quoted(text).0
    } else {
        text.split('\t').next().unwrap_or("").trim_end().to_string()
    };
    (path != "/dev/null").then_some(path)
}

/// Strips git's `a/` and `b/` when both sides carry them (or the other side is /dev/null).
fn strip_prefixes(old: Option<String>, new: Option<String>) -> (Option<String>, Option<String>) {
    let old_ok = old.as_deref().is_none_or(|p| p.starts_with("a/"));
    let new_ok = new.as_deref().is_none_or(|p| p.starts_with("b/"));
    if old_ok && new_ok {
        let strip = |p: Option<String>| p.map(|p| p.get(2..).unwrap_or("").to_string());
        (strip(old), strip(new))
    } else {
        (old, new)
    }
}

fn unquote(text: &str) -> String {
    if text.starts_with('"') {
        quoted(text).0
    } else {
        text.to_string()
    }
}

/// A C-style quoted string at the start of `text` (git's quoting of unusual names), and
/// what follows it. Octal escapes are bytes of UTF-8.
fn quoted(text: &str) -> (String, &str) {
    let mut out: Vec<u8> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'"' => break,
            b'\\' => {
                let Some(&e) = bytes.get(i) else { break };
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'0'..=b'7' => {
                        let mut value = u32::from(e - b'0');
                        for _ in 0..2 {
                            match bytes.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(u8::try_from(value & 0xff).unwrap_or(b'?'));
                    }
                    other => out.push(other),
                }
            }
            other => out.push(other),
        }
    }
    (
        String::from_utf8_lossy(&out).into_owned(),
        text.get(i..).unwrap_or(""),
    )
}

fn short(line: &str) -> &str {
    crate::core::tools::files::cut(line, 80).0
}
