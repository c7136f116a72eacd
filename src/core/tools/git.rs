//! The `git_status` and `git_diff` tools: the real `git` binary run on the worktree
//! (`git -C <root> --no-pager`, colour off, no prompts, no pager, no external diff tools),
//! its output capped. A folder that is not a git repository is told as such. Nothing here
//! changes the repository.

use std::process::Command;

use serde::Deserialize;
use serde_json::json;

use super::files::{MAX_CONTENT_BYTES, cut, parse_args};
use super::{ToolError, ToolOutput, Workspace, paths};
use crate::core::llm::ToolSpec;

/// The `git_status` tool's name.
pub const STATUS_NAME: &str = "git_status";
/// The `git_diff` tool's name.
pub const DIFF_NAME: &str = "git_diff";

/// The arguments of both tools.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// A file or folder to limit the answer to, relative to the worktree root.
    #[serde(default)]
    pub path: Option<String>,
}

/// `git_status` as the model sees it.
pub fn status_spec() -> ToolSpec {
    ToolSpec {
        name: STATUS_NAME.into(),
        description: "Show the repository's git status: the current branch and the files \
                      changed, staged or untracked (`git status --short --branch`)."
            .into(),
        parameters: path_schema("Limit to this file or folder (relative to the repository root)."),
    }
}

/// `git_diff` as the model sees it.
pub fn diff_spec() -> ToolSpec {
    ToolSpec {
        name: DIFF_NAME.into(),
        description: "Show the uncommitted changes of the repository as a unified diff \
                      (`git diff HEAD`: staged and unstaged together). New untracked files \
                      are not in it; git_status lists them."
            .into(),
        parameters: path_schema(
            "Limit the diff to this file or folder (relative to the repository root).",
        ),
    }
}

/// Runs `git status --short --branch [-- path]`.
pub fn status(ws: &Workspace, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
    let args: Args = parse_args(args)?;
    let mut argv = vec!["status", "--short", "--branch", "--untracked-files=all"];
    let path = scope(ws, &args)?;
    if let Some(path) = &path {
        argv.extend(["--", path.as_str()]);
    }
    let out = git(ws, &argv)?;
    let changed = out.content.lines().filter(|l| !l.starts_with("##")).count();
    let summary = format!("git status: {changed} changed files");
    Ok(finish(out, summary, "(clean)"))
}

/// Runs `git diff HEAD [-- path]` (or `git diff --cached` before the first commit).
pub fn diff(ws: &Workspace, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
    let args: Args = parse_args(args)?;
    let path = scope(ws, &args)?;
    let has_head = git(ws, &["rev-parse", "--verify", "--quiet", "HEAD"])?.ok;
    let mut argv = vec!["diff", "--no-ext-diff", "--no-textconv"];
    argv.push(if has_head { "HEAD" } else { "--cached" });
    if let Some(path) = &path {
        argv.extend(["--", path.as_str()]);
    }
    let out = git(ws, &argv)?;
    let files = out
        .content
        .lines()
        .filter(|l| l.starts_with("diff --git "))
        .count();
    let summary = format!("git diff: {files} files changed");
    Ok(finish(out, summary, "(no changes)"))
}

/// The pathspec for `args.path`, checked like any tool path; `None` for the whole tree.
fn scope(ws: &Workspace, args: &Args) -> Result<Option<String>, ToolError> {
    match args.path.as_deref() {
        None | Some(".") | Some("") => Ok(None),
        Some(rel) => {
            let real = paths::resolve(ws, rel)?;
            // A literal pathspec: a name holding `*` or `:` means that file.
            Ok(Some(format!(":(literal){}", paths::relative(ws, &real))))
        }
    }
}

/// Runs git on the worktree; a non-zero exit is an output that is not ok, except "not a git
/// repository", which is an error worded for the model.
fn git(ws: &Workspace, argv: &[&str]) -> Result<ToolOutput, ToolError> {
    let mut command = Command::new("git");
    // Git must not find a repository above the worktree: a copy of a non-git folder may sit
    // inside the person's own repository (under `.warroom/`), whose status is not the run's.
    if let Some(parent) = ws.root().parent() {
        command.env("GIT_CEILING_DIRECTORIES", parent);
    }
    let output = command
        .arg("-C")
        .arg(ws.root())
        .args([
            "--no-pager",
            "-c",
            "color.ui=false",
            "-c",
            "core.quotepath=false",
        ])
        .args(argv)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PAGER", "cat")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| ToolError::Command(format!("could not run git: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() && stderr.contains("not a git repository") {
        return Err(ToolError::Command(
            "this folder is not a git repository, so there is no git status or diff; \
             use list_files and read_file instead"
                .into(),
        ));
    }
    let mut content = stdout.into_owned();
    if !output.status.success() {
        content.push_str(&stderr);
    }
    Ok(ToolOutput {
        ok: output.status.success(),
        content,
        summary: String::new(),
        exit_code: output.status.code(),
    })
}

/// Caps the content, notes an empty answer, and sets the summary.
fn finish(mut out: ToolOutput, summary: String, empty: &str) -> ToolOutput {
    let (shown, cut_bytes) = cut(&out.content, MAX_CONTENT_BYTES);
    let mut content = shown.to_string();
    if cut_bytes > 0 {
        let more_lines = out.content.get(shown.len()..).unwrap_or("").lines().count();
        content.push_str(&format!(
            "\n(truncated: {more_lines} more lines; give a path to see one part)\n"
        ));
    } else if content.trim().is_empty() {
        content = format!("{empty}\n");
    }
    out.content = content;
    out.summary = if out.ok {
        summary
    } else {
        format!("git failed (exit {})", out.exit_code.unwrap_or(-1))
    };
    out
}

fn path_schema(description: &str) -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "path": { "type": "string", "description": description }
        },
        "additionalProperties": false
    })
}

#[cfg(test)]
#[path = "git_tests.rs"]
mod tests;
