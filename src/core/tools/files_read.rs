//! The `read_file` tool: a text file of the worktree, or a range of its lines, each line
//! prefixed with its 1-based number and a tab (like `cat -n`) so the model can cite it. Binary
//! files are refused; the answer is capped at [`super::MAX_CONTENT_BYTES`] and very long lines
//! are cut, with a note saying where to continue.

use std::io::{BufRead, BufReader};

use serde::Deserialize;
use serde_json::json;

use super::{MAX_CONTENT_BYTES, cut, io_error, looks_binary, parse_args};
use crate::core::llm::ToolSpec;
use crate::core::tools::{ToolError, ToolOutput, Workspace, paths};

/// The tool's name.
pub const NAME: &str = "read_file";
/// The longest line shown in full; longer ones are cut.
pub const MAX_LINE_BYTES: usize = 2_000;
/// The largest file read (every line is scanned to count them).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The arguments of `read_file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The file, relative to the worktree root.
    pub path: String,
    /// The first line to show, 1-based; 1 when not given.
    #[serde(default)]
    pub start_line: Option<usize>,
    /// The last line to show, inclusive; the end of the file when not given.
    #[serde(default)]
    pub end_line: Option<usize>,
}

/// The tool as the model sees it.
pub fn spec() -> ToolSpec {
    ToolSpec {
        name: NAME.into(),
        description: "Read a text file of the repository. Each line comes prefixed with its \
                      number and a tab (the number is not part of the file). Long files are \
                      cut; read further with start_line."
            .into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": "File relative to the repository root."
                },
                "start_line": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "First line to read, 1-based (default 1)."
                },
                "end_line": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Last line to read, inclusive (default: the end)."
                }
            },
            "required": ["path"],
            "additionalProperties": false
        }),
    }
}

/// Reads the file.
pub fn run(ws: &Workspace, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
    let args: Args = parse_args(args)?;
    let start = args.start_line.unwrap_or(1);
    if start == 0 || args.end_line == Some(0) {
        return Err(ToolError::BadArgs("lines are numbered from 1".into()));
    }
    if let Some(end) = args.end_line.filter(|&end| end < start) {
        return Err(ToolError::BadArgs(format!(
            "`end_line` ({end}) is before `start_line` ({start})"
        )));
    }
    let path = paths::resolve(ws, &args.path)?;
    if path.is_dir() {
        return Err(ToolError::BadArgs(format!(
            "{} is a folder; use list_files to see what it holds",
            args.path
        )));
    }
    let file = std::fs::File::open(&path).map_err(|e| io_error(&args.path, &e))?;
    let size = file.metadata().map_err(|e| io_error(&args.path, &e))?.len();
    if size > MAX_FILE_BYTES {
        return Err(ToolError::BadArgs(format!(
            "{} is {size} bytes; read_file reads files up to {MAX_FILE_BYTES} bytes (use search)",
            args.path
        )));
    }
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let head = reader.fill_buf().map_err(|e| io_error(&args.path, &e))?;
    if looks_binary(head) {
        return Err(ToolError::BadArgs(format!(
            "{} is a binary file; read_file shows text files only",
            args.path
        )));
    }
    let lines =
        read_lines(&mut reader, start, args.end_line).map_err(|e| io_error(&args.path, &e))?;
    if lines.total == 0 {
        return Ok(output(
            format!("{}: (empty file)\n", args.path),
            &args.path,
            "empty",
        ));
    }
    if start > lines.total {
        return Err(ToolError::BadArgs(format!(
            "`start_line` {start} is past the end of {} ({} lines)",
            args.path, lines.total
        )));
    }
    let mut content = lines.text;
    let last = lines.last_shown;
    let wanted_last = args.end_line.unwrap_or(lines.total).min(lines.total);
    if last < wanted_last {
        content.push_str(&format!(
            "(truncated: {} more lines; read on with start_line={})\n",
            wanted_last - last,
            last + 1
        ));
    }
    let range = format!("lines {start}-{last} of {}", lines.total);
    Ok(output(content, &args.path, &range))
}

/// What [`read_lines`] found.
struct Lines {
    /// The numbered lines shown.
    text: String,
    /// The number of the last line shown (`start - 1` when none).
    last_shown: usize,
    /// Lines in the whole file.
    total: usize,
}

/// Reads every line (to count them), keeping the numbered lines from `start` to `end` while
/// they fit in the cap.
fn read_lines(
    reader: &mut impl BufRead,
    start: usize,
    end: Option<usize>,
) -> std::io::Result<Lines> {
    let mut text = String::new();
    let mut last_shown = start.saturating_sub(1);
    let mut full = false;
    let mut buf = Vec::new();
    let mut number = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        number += 1;
        let wanted = number >= start && end.is_none_or(|end| number <= end);
        if !wanted || full {
            continue;
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (shown, cut_bytes) = cut(line, MAX_LINE_BYTES);
        let mut numbered = format!("{number:>6}\t{shown}");
        if cut_bytes > 0 {
            numbered.push_str(&format!(" ... ({cut_bytes} more bytes on this line)"));
        }
        if text.len() + numbered.len() + 1 > MAX_CONTENT_BYTES {
            full = true;
            continue;
        }
        text.push_str(&numbered);
        text.push('\n');
        last_shown = number;
    }
    Ok(Lines {
        text,
        last_shown,
        total: number,
    })
}

fn output(content: String, path: &str, range: &str) -> ToolOutput {
    ToolOutput {
        ok: true,
        content,
        summary: format!("read {path} ({range})"),
        exit_code: None,
    }
}
