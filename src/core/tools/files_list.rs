//! The `list_files` tool: the files under a folder of the worktree, recursively, as paths
//! relative to the worktree root (so each can be passed to `read_file` as is), sorted, one a
//! line. Only files are listed (and symlinks, not followed); folders show through the paths.
//! The repository's ignore rules apply (`.gitignore`, `.ignore`, git's exclude file, also in
//! a folder that is not a git repository); hidden files are listed, `.git` never is.

use serde::Deserialize;
use serde_json::json;

use super::{cut, io_error, parse_args};
use crate::core::llm::ToolSpec;
use crate::core::tools::{ToolError, ToolOutput, Workspace, paths};

/// The tool's name.
pub const NAME: &str = "list_files";
/// `max_entries` when not given.
pub const DEFAULT_MAX_ENTRIES: usize = 500;
/// The largest `max_entries` accepted.
pub const MAX_ENTRIES_LIMIT: usize = 5_000;

/// The arguments of `list_files`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The folder to list, relative to the worktree root; `.` when not given.
    #[serde(default = "dot")]
    pub path: String,
    /// The most paths to return.
    #[serde(default = "default_max")]
    pub max_entries: usize,
}

/// The tool as the model sees it.
pub fn spec() -> ToolSpec {
    ToolSpec {
        name: NAME.into(),
        description: "List the files under a folder of the repository, recursively, one path \
                      per line, relative to the repository root. Files ignored by .gitignore \
                      are left out."
            .into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": "Folder relative to the repository root (default \".\")."
                },
                "max_entries": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_ENTRIES_LIMIT,
                    "description": format!("Most paths to return (default {DEFAULT_MAX_ENTRIES}).")
                }
            },
            "additionalProperties": false
        }),
    }
}

/// Lists the files.
pub fn run(ws: &Workspace, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
    let args: Args = parse_args(args)?;
    if args.max_entries == 0 || args.max_entries > MAX_ENTRIES_LIMIT {
        return Err(ToolError::BadArgs(format!(
            "`max_entries` must be between 1 and {MAX_ENTRIES_LIMIT}, not {}",
            args.max_entries
        )));
    }
    let dir = paths::resolve(ws, &args.path)?;
    let meta = std::fs::symlink_metadata(&dir).map_err(|e| io_error(&args.path, &e))?;
    let mut files = if meta.is_dir() {
        walk(ws, &dir)
    } else {
        vec![paths::relative(ws, &dir)]
    };
    files.sort_unstable();
    let total = files.len();
    let mut content = String::new();
    let mut shown = 0;
    for file in files.iter().take(args.max_entries) {
        if content.len() + file.len() + 1 > super::MAX_CONTENT_BYTES {
            break;
        }
        content.push_str(cut(file, 1024).0);
        content.push('\n');
        shown += 1;
    }
    if shown < total {
        content.push_str(&format!(
            "(truncated: {} more files; list a subfolder to see them)\n",
            total - shown
        ));
    }
    if total == 0 {
        content.push_str("(no files)\n");
    }
    Ok(ToolOutput {
        ok: true,
        content,
        summary: format!("listed {total} files under {}", args.path),
        exit_code: None,
    })
}

/// Every file under `dir` that the ignore rules let through, relative to the root.
fn walk(ws: &Workspace, dir: &std::path::Path) -> Vec<String> {
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();
    walker
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| !t.is_dir()))
        .map(|entry| paths::relative(ws, entry.path()))
        .collect()
}

fn dot() -> String {
    ".".into()
}

fn default_max() -> usize {
    DEFAULT_MAX_ENTRIES
}
