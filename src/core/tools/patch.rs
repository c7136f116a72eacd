//! The `apply_patch` tool: applies a unified diff to the worktree, all or nothing. Owns the
//! diff's types ([`FilePatch`], [`Hunk`]), [`parse`] (in `patch_parse.rs`), the in-memory
//! hunk matching (in `patch_apply.rs`) and the write-out: every file's new text is computed
//! first; only when every hunk of every file matched are files written (temp file + rename
//! each), and a failed write puts back the files already written. Every path goes through
//! [`super::paths`].

#[path = "patch_apply.rs"]
mod apply_hunks;
#[path = "patch_parse.rs"]
mod parse_diff;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;

use self::apply_hunks::{Text, apply_hunks};
use super::files::{MAX_CONTENT_BYTES, cut, looks_binary, parse_args, write_atomic};
use super::{ToolError, ToolOutput, Workspace, paths};
use crate::core::llm::ToolSpec;

pub use self::apply_hunks::MAX_OFFSET;

/// The tool's name.
pub const NAME: &str = "apply_patch";
/// The largest diff accepted.
pub const MAX_DIFF_BYTES: usize = 4 * 1024 * 1024;

/// The arguments of `apply_patch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// A unified diff (`git diff` or `diff -u` output).
    pub diff: String,
}

/// One file's part of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    /// The path before (prefix `a/` stripped); `None` for a file the diff creates.
    pub old_path: Option<String>,
    /// The path after (prefix `b/` stripped); `None` for a file the diff deletes.
    pub new_path: Option<String>,
    /// The hunks, in file order.
    pub hunks: Vec<Hunk>,
    /// Whether the part began with a `diff --git` line.
    pub git_header: bool,
}

/// One `@@` hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// The `@@ -a,b +c,d @@` line as written.
    pub header: String,
    /// The first old line (1-based; 0 with an empty old side); `None` when the header gives
    /// no numbers (the hunk is then looked for anywhere after the previous one).
    pub old_start: Option<usize>,
    /// The first new line, as the header says.
    pub new_start: Option<usize>,
    /// The body.
    pub lines: Vec<HunkLine>,
    /// `\ No newline at end of file` after the old side's last line.
    pub old_no_newline: bool,
    /// `\ No newline at end of file` after the new side's last line.
    pub new_no_newline: bool,
}

/// A line of a hunk's body, without its leading ` `, `-` or `+`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HunkLine {
    /// Kept.
    Context(String),
    /// Removed.
    Remove(String),
    /// Added.
    Add(String),
}

/// What a patch did (or, from [`check`], would do).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PatchReport {
    /// Files changed in place.
    pub modified: Vec<String>,
    /// Files created.
    pub created: Vec<String>,
    /// Files deleted.
    pub deleted: Vec<String>,
    /// Files renamed, `(from, to)`.
    pub renamed: Vec<(String, String)>,
    /// Hunks applied, over all files.
    pub hunks_applied: usize,
    /// Hunks applied away from their header's line, and the like.
    pub notes: Vec<String>,
}

impl PatchReport {
    /// One line for the person: `2 files changed, 1 created, 0 deleted (5 hunks)`.
    pub fn summary(&self) -> String {
        format!(
            "{} modified, {} created, {} deleted, {} renamed ({} hunks)",
            self.modified.len(),
            self.created.len(),
            self.deleted.len(),
            self.renamed.len(),
            self.hunks_applied
        )
    }
}

/// The tool as the model sees it.
pub fn spec() -> ToolSpec {
    ToolSpec {
        name: NAME.into(),
        description: "Apply a unified diff (like `git diff` output) to the repository. Paths \
                      are relative to the repository root (a/ and b/ prefixes are fine); \
                      --- /dev/null creates a file, +++ /dev/null deletes one. Context and \
                      removed lines must match the file exactly; a hunk may sit a few lines \
                      away from its @@ line numbers. If any hunk does not match, nothing is \
                      changed and the answer shows what the file has there."
            .into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "diff": {
                    "type": "string",
                    "description": "The unified diff, with ---/+++ file headers and @@ hunks."
                }
            },
            "required": ["diff"],
            "additionalProperties": false
        }),
    }
}

/// Applies the diff in the arguments.
pub fn run(ws: &Workspace, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
    let args: Args = parse_args(args)?;
    let report = apply(ws, &args.diff)?;
    let mut content = format!("applied: {}\n", report.summary());
    let lists = [
        ("modified", &report.modified),
        ("created", &report.created),
        ("deleted", &report.deleted),
    ];
    for (word, files) in lists {
        for file in files {
            content.push_str(&format!("{word} {file}\n"));
        }
    }
    for (from, to) in &report.renamed {
        content.push_str(&format!("renamed {from} -> {to}\n"));
    }
    for note in &report.notes {
        content.push_str(&format!("note: {note}\n"));
    }
    Ok(ToolOutput {
        ok: true,
        content: cut(&content, MAX_CONTENT_BYTES).0.to_string(),
        summary: format!("patch applied: {}", report.summary()),
        exit_code: None,
    })
}

/// Parses a unified diff into its files' parts. Binary patches and copies are refused; a diff
/// with no file headers and hunks is [`ToolError::BadArgs`] ("the diff is empty").
pub fn parse(diff: &str) -> Result<Vec<FilePatch>, ToolError> {
    parse_diff::parse(diff)
}

/// Applies `diff` to the worktree, all or nothing: a hunk that does not match anywhere is a
/// [`ToolError::Patch`] naming each rejected hunk with what the file has there, and then no
/// file is touched.
pub fn apply(ws: &Workspace, diff: &str) -> Result<PatchReport, ToolError> {
    let plan = plan(ws, diff)?;
    write_out(ws, &plan.staged)?;
    Ok(plan.report)
}

/// What [`apply`] would do, without writing anything.
pub fn check(ws: &Workspace, diff: &str) -> Result<PatchReport, ToolError> {
    plan(ws, diff).map(|plan| plan.report)
}

/// The files' new contents (`None`: delete), keyed by real path, and the report.
struct Plan {
    staged: BTreeMap<PathBuf, Option<String>>,
    report: PatchReport,
}

fn plan(ws: &Workspace, diff: &str) -> Result<Plan, ToolError> {
    if diff.len() > MAX_DIFF_BYTES {
        return Err(ToolError::BadArgs(format!(
            "the diff is {} bytes; the most apply_patch takes is {MAX_DIFF_BYTES}",
            diff.len()
        )));
    }
    let files = parse(diff)?;
    let mut staged: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
    let mut report = PatchReport::default();
    let mut rejected: Vec<String> = Vec::new();
    for file in &files {
        let old = match &file.old_path {
            Some(rel) => Some((rel.as_str(), paths::resolve_for_write(ws, rel)?)),
            None => None,
        };
        let new = match &file.new_path {
            Some(rel) => Some((rel.as_str(), paths::resolve_for_write(ws, rel)?)),
            None => None,
        };
        let name = new.as_ref().or(old.as_ref()).map_or("?", |(rel, _)| *rel);
        let before = match &old {
            Some((rel, path)) => match current(&staged, path, rel) {
                Ok(Some(text)) => text,
                Ok(None) => {
                    rejected.push(format!("{rel}: the diff changes it, but it does not exist"));
                    continue;
                }
                Err(why) => {
                    rejected.push(why);
                    continue;
                }
            },
            None => Text::default(),
        };
        let renamed = matches!((&old, &new), (Some((_, a)), Some((_, b))) if a != b);
        if let Some((rel, path)) = &new
            && (old.is_none() || renamed)
            && !matches!(current(&staged, path, rel), Ok(None))
        {
            rejected.push(format!("{rel}: the diff creates it, but it already exists"));
            continue;
        }
        let after = match apply_hunks(&before, &file.hunks, name) {
            Ok(applied) => {
                report.notes.extend(applied.notes);
                applied.text
            }
            Err(reasons) => {
                rejected.extend(reasons);
                continue;
            }
        };
        report.hunks_applied += file.hunks.len();
        match (old, new) {
            (Some((rel, path)), None) => {
                if !after.lines.is_empty() {
                    rejected.push(format!(
                        "{rel}: the diff deletes it, but the file has lines the diff does not remove"
                    ));
                    continue;
                }
                staged.insert(path, None);
                report.deleted.push(rel.to_string());
            }
            (None, Some((rel, path))) => {
                staged.insert(path, Some(after.render()));
                report.created.push(rel.to_string());
            }
            (Some((from, old_path)), Some((to, new_path))) => {
                if renamed {
                    staged.insert(old_path, None);
                    report.renamed.push((from.to_string(), to.to_string()));
                } else {
                    report.modified.push(to.to_string());
                }
                staged.insert(new_path, Some(after.render()));
            }
            (None, None) => {}
        }
    }
    if !rejected.is_empty() {
        let mut text = format!(
            "{} problem(s); no file was changed. Fix the diff against the file's current \
             content (read_file) and send it again.\n\n",
            rejected.len()
        );
        text.push_str(&rejected.join("\n"));
        return Err(ToolError::Patch(
            cut(&text, MAX_CONTENT_BYTES).0.to_string(),
        ));
    }
    Ok(Plan { staged, report })
}

/// The text of `path` as this patch has left it so far: staged, or on disk. `Ok(None)` when it
/// does not exist; `Err` (the words for the model) when it is not a text file.
fn current(
    staged: &BTreeMap<PathBuf, Option<String>>,
    path: &Path,
    rel: &str,
) -> Result<Option<Text>, String> {
    if let Some(content) = staged.get(path) {
        return Ok(content.as_deref().map(Text::parse));
    }
    match std::fs::read(path) {
        Ok(bytes) if looks_binary(&bytes) || std::str::from_utf8(&bytes).is_err() => Err(format!(
            "{rel}: a binary file; apply_patch edits text files only"
        )),
        Ok(bytes) => Ok(Some(Text::parse(&String::from_utf8_lossy(&bytes)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{rel}: {e}")),
    }
}

/// Writes the staged files; on a failure, puts back what was already changed.
fn write_out(ws: &Workspace, staged: &BTreeMap<PathBuf, Option<String>>) -> Result<(), ToolError> {
    let mut done: Vec<(&Path, Option<Vec<u8>>)> = Vec::new();
    for (path, content) in staged {
        let original = std::fs::read(path).ok();
        let result = match content {
            Some(text) => path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| write_atomic(path, text.as_bytes())),
            None if original.is_some() => std::fs::remove_file(path),
            None => Ok(()),
        };
        if let Err(e) = result {
            let undone = undo(&done);
            let rel = paths::relative(ws, path);
            return Err(ToolError::Io {
                path: rel,
                message: format!("{e}; {undone}"),
            });
        }
        if content.is_none() {
            remove_empty_parents(ws.root(), path);
        }
        done.push((path, original));
    }
    Ok(())
}

/// Puts back files already written; says whether that worked.
fn undo(done: &[(&Path, Option<Vec<u8>>)]) -> String {
    let mut failed = 0;
    for (path, original) in done {
        let result = match original {
            Some(bytes) => path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| write_atomic(path, bytes)),
            None => std::fs::remove_file(path),
        };
        failed += usize::from(result.is_err());
    }
    if failed == 0 {
        "the files already written were put back; nothing changed".into()
    } else {
        format!("{failed} file(s) already written could not be put back")
    }
}

/// Removes the folders a deletion left empty, up to (not including) the root, as git does.
fn remove_empty_parents(root: &Path, path: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(root) && *d != root) {
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
