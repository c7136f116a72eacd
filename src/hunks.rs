//! Unified diffs by hunk: splitting a diff into files and hunks, building the diff of only the
//! hunks a person accepted ([`partial`]) and checking that such a diff is made of whole hunks
//! of the patch that was asked about ([`check_part`]). Pure and shared: the approval inbox
//! builds the partial diff, the core checks it before applying. No IO; a malformed diff is
//! read as well as it can be and never panics.

/// A diff split into files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff<'a> {
    /// The files, in the diff's order.
    pub files: Vec<FilePart<'a>>,
}

/// One file's part of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart<'a> {
    /// The lines before its first hunk (`diff --git`, `index`, `---`, `+++`, mode lines), each
    /// with its line ending.
    pub header: Vec<&'a str>,
    /// The file's path (the new side's, else the old side's), without `a/` or `b/`.
    pub path: String,
    /// Whether the diff says the file is binary (no text hunks to show).
    pub binary: bool,
    /// Its hunks.
    pub hunks: Vec<Hunk<'a>>,
}

/// One hunk: its `@@` line and body lines, each with its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk<'a> {
    /// The `@@ -a,b +c,d @@ ...` line.
    pub header: &'a str,
    /// The old side's start line and line count.
    pub old: (u64, u64),
    /// The new side's start line and line count.
    pub new: (u64, u64),
    /// The body: context, removed, added and `\ No newline` lines.
    pub body: Vec<&'a str>,
}

/// Why a partial diff could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartError {
    /// The choices do not match the diff's hunks.
    #[error("{given} hunk choices for a diff of {units} hunks")]
    Count {
        /// How many choices were given.
        given: usize,
        /// How many hunks (and hunkless files) the diff has.
        units: usize,
    },
    /// Every hunk was rejected.
    #[error("no hunk is accepted; deny the patch instead")]
    Nothing,
}

impl<'a> Diff<'a> {
    /// How many parts a person can accept or reject: every hunk, and every file that has no
    /// hunk (a binary file, a mode change, an empty new file) as one part.
    pub fn units(&self) -> usize {
        self.files.iter().map(|f| f.hunks.len().max(1)).sum()
    }
}

/// Splits `diff` into files and hunks.
pub fn parse(diff: &str) -> Diff<'_> {
    let lines: Vec<&str> = diff.split_inclusive('\n').collect();
    let mut files: Vec<FilePart<'_>> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if starts_file(&lines, i) || (files.is_empty() && line.starts_with("@@")) {
            files.push(FilePart {
                header: Vec::new(),
                path: String::new(),
                binary: false,
                hunks: Vec::new(),
            });
        }
        let Some(file) = files.last_mut() else {
            // Text before the first file (a commit message, say) is not part of any file.
            i += 1;
            continue;
        };
        if let Some((old, new)) = hunk_numbers(line) {
            let (body, next) = hunk_body(&lines, i + 1, old.1, new.1);
            file.hunks.push(Hunk {
                header: line,
                old,
                new,
                body,
            });
            i = next;
            continue;
        }
        if file.hunks.is_empty() {
            note_header(file, line);
            file.header.push(line);
        }
        // A stray line after a file's hunks belongs to nothing we can apply; it is dropped.
        i += 1;
    }
    Diff { files }
}

/// The diff of only the accepted parts of `diff` (one flag per [`Diff::units`], in order).
/// Later hunks of a file are renumbered for the rejected ones before them, so `git apply`
/// takes the result as it is.
pub fn partial(diff: &str, accepted: &[bool]) -> Result<String, PartError> {
    let parsed = parse(diff);
    let units = parsed.units();
    if accepted.len() != units {
        return Err(PartError::Count {
            given: accepted.len(),
            units,
        });
    }
    if !accepted.iter().any(|a| *a) {
        return Err(PartError::Nothing);
    }
    let mut out = String::with_capacity(diff.len());
    let mut flags = accepted.iter().copied();
    for file in &parsed.files {
        if file.hunks.is_empty() {
            if flags.next().unwrap_or(false) {
                file.header.iter().for_each(|l| out.push_str(l));
            }
            continue;
        }
        let keep: Vec<bool> = file
            .hunks
            .iter()
            .map(|_| flags.next().unwrap_or(false))
            .collect();
        if !keep.iter().any(|k| *k) {
            continue;
        }
        file.header.iter().for_each(|l| out.push_str(l));
        // Lines the new side gained by hunks left out before this one.
        let mut shift: i64 = 0;
        for (hunk, kept) in file.hunks.iter().zip(keep) {
            let delta = hunk.new.1 as i64 - hunk.old.1 as i64;
            if !kept {
                shift += delta;
                continue;
            }
            out.push_str(&renumber(hunk, shift));
            hunk.body.iter().for_each(|l| out.push_str(l));
        }
    }
    Ok(out)
}

/// Checks that `part` is made only of whole hunks (and hunkless files) of `full`, each file's
/// hunks in their order; hunk line numbers may differ (they are renumbered). The error says
/// which file or hunk is not in `full`.
pub fn check_part(full: &str, part: &str) -> Result<(), String> {
    let full = parse(full);
    let part = parse(part);
    if part.files.is_empty() {
        return Err("the accepted part holds no file".into());
    }
    for file in &part.files {
        let Some(original) = full
            .files
            .iter()
            .find(|f| f.path == file.path && f.header == file.header)
        else {
            return Err(format!(
                "file {:?} is not part of the approved patch",
                file.path
            ));
        };
        let mut from = 0;
        for (n, hunk) in file.hunks.iter().enumerate() {
            let found = original.hunks[from.min(original.hunks.len())..]
                .iter()
                .position(|h| h.body == hunk.body && h.old == hunk.old);
            match found {
                Some(at) => from += at + 1,
                None => {
                    return Err(format!(
                        "hunk {} of {:?} is not a hunk of the approved patch",
                        n + 1,
                        file.path
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Whether line `i` starts a new file: `diff --git`, or a `---` line followed by `+++`.
fn starts_file(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if line.starts_with("diff ") {
        return true;
    }
    let previous_is_diff = i > 0 && lines[i - 1].starts_with("diff ");
    let previous_is_index = i > 0 && lines[i - 1].starts_with("index ");
    line.starts_with("--- ")
        && lines
            .get(i + 1)
            .is_some_and(|next| next.starts_with("+++ "))
        && !previous_is_diff
        && !previous_is_index
        && !(i > 0 && is_git_meta(lines[i - 1]))
}

/// Lines of a `diff --git` header that may come between it and `---`.
fn is_git_meta(line: &str) -> bool {
    [
        "old mode",
        "new mode",
        "deleted file mode",
        "new file mode",
        "similarity index",
        "dissimilarity index",
        "rename from",
        "rename to",
        "copy from",
        "copy to",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

/// Records what a header line says about the file: its path, and whether it is binary.
fn note_header(file: &mut FilePart<'_>, line: &str) {
    let text = line.trim_end_matches(['\n', '\r']);
    if text.starts_with("Binary files ") || text.starts_with("GIT binary patch") {
        file.binary = true;
    }
    let path = |side: &str, prefix: &str| -> Option<String> {
        let rest = text.strip_prefix(side)?;
        let rest = rest.split('\t').next().unwrap_or(rest);
        (rest != "/dev/null").then(|| rest.strip_prefix(prefix).unwrap_or(rest).to_string())
    };
    if let Some(p) = path("+++ ", "b/") {
        file.path = p;
    } else if let Some(p) = path("--- ", "a/") {
        if file.path.is_empty() {
            file.path = p;
        }
    } else if let Some(rest) = text.strip_prefix("diff --git ") {
        if file.path.is_empty() {
            // "a/x b/x": the new side's name.
            if let Some(b) = rest.rsplit(" b/").next().filter(|b| *b != rest) {
                file.path = b.to_string();
            }
        }
    }
}

/// The `(start, count)` pairs of a `@@ -a,b +c,d @@` line.
fn hunk_numbers(line: &str) -> Option<((u64, u64), (u64, u64))> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    Some((range(old)?, range(new)?))
}

fn range(text: &str) -> Option<(u64, u64)> {
    match text.split_once(',') {
        Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
        None => Some((text.parse().ok()?, 1)),
    }
}

/// The hunk's body from line `start`: as many lines as its counts say (a `\` line counts for
/// neither side); a line that cannot be part of a hunk ends it early.
fn hunk_body<'a>(lines: &[&'a str], start: usize, old: u64, new: u64) -> (Vec<&'a str>, usize) {
    let (mut old, mut new) = (old, new);
    let mut i = start;
    let mut body = Vec::new();
    while i < lines.len() {
        let line = lines[i];
        let done = old == 0 && new == 0;
        match line.as_bytes().first() {
            Some(b'\\') => {}
            _ if done => break,
            Some(b' ') | Some(b'\n') | Some(b'\r') => {
                old = old.saturating_sub(1);
                new = new.saturating_sub(1);
            }
            Some(b'-') => old = old.saturating_sub(1),
            Some(b'+') => new = new.saturating_sub(1),
            _ => break,
        }
        body.push(line);
        i += 1;
    }
    (body, i)
}

/// The hunk's `@@` line with its new start moved back by `shift` lines.
fn renumber(hunk: &Hunk<'_>, shift: i64) -> String {
    if shift == 0 {
        return hunk.header.to_string();
    }
    let start = (hunk.new.0 as i64 - shift).max(0);
    let tail = hunk
        .header
        .strip_prefix("@@ -")
        .and_then(|r| r.split_once(" @@"))
        .map_or("\n", |(_, tail)| tail);
    format!(
        "@@ -{},{} +{},{} @@{}",
        hunk.old.0, hunk.old.1, start, hunk.new.1, tail
    )
}

#[cfg(test)]
#[path = "hunks_tests.rs"]
mod tests;
