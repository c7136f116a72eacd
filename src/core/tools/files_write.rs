//! The `write_file` tool: creates or replaces a whole file of the worktree (parent folders
//! created), atomically (temp file in the same folder, then rename). Paths into `.git` or out
//! of the worktree are refused by [`crate::core::tools::paths::resolve_for_write`].

use serde::Deserialize;
use serde_json::json;

use super::{io_error, parse_args, write_atomic};
use crate::core::llm::ToolSpec;
use crate::core::tools::{ToolError, ToolOutput, Workspace, paths};

/// The tool's name.
pub const NAME: &str = "write_file";
/// The largest content accepted.
pub const MAX_WRITE_BYTES: usize = 4 * 1024 * 1024;

/// The arguments of `write_file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The file, relative to the worktree root.
    pub path: String,
    /// The file's whole new content.
    pub content: String,
}

/// The tool as the model sees it.
pub fn spec() -> ToolSpec {
    ToolSpec {
        name: NAME.into(),
        description: "Create a file or replace its whole content. Parent folders are created. \
                      To change part of an existing file, prefer apply_patch."
            .into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": "File relative to the repository root."
                },
                "content": {
                    "type": "string",
                    "description": "The complete new content of the file."
                }
            },
            "required": ["path", "content"],
            "additionalProperties": false
        }),
    }
}

/// Writes the file.
pub fn run(ws: &Workspace, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
    let args: Args = parse_args(args)?;
    if args.content.len() > MAX_WRITE_BYTES {
        return Err(ToolError::BadArgs(format!(
            "`content` is {} bytes; the most write_file takes is {MAX_WRITE_BYTES}",
            args.content.len()
        )));
    }
    let path = paths::resolve_for_write(ws, &args.path)?;
    let existed = path.exists();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(&args.path, &e))?;
    }
    write_atomic(&path, args.content.as_bytes()).map_err(|e| io_error(&args.path, &e))?;
    let lines = args.content.lines().count();
    let how = if existed { "replaced" } else { "created" };
    Ok(ToolOutput {
        ok: true,
        content: format!(
            "{how} {} ({lines} lines, {} bytes)",
            args.path,
            args.content.len()
        ),
        summary: format!("{how} {} ({lines} lines)", args.path),
        exit_code: None,
    })
}
