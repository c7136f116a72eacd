//! The `edit_file` tool: replaces one exact piece of a file's text with another. The piece
//! must occur exactly once (a miss or several matches are errors the model can correct: it is
//! told where the near misses are, or how many matches there were). Small models edit far more
//! reliably this way than by writing a unified diff or a whole file. Written atomically; paths
//! go through [`crate::core::tools::paths::resolve_for_write`].

use serde::Deserialize;
use serde_json::json;

use super::{io_error, looks_binary, parse_args, write_atomic};
use crate::core::llm::ToolSpec;
use crate::core::tools::{ToolError, ToolOutput, Workspace, paths};

/// The tool's name.
pub const NAME: &str = "edit_file";

/// The arguments of `edit_file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The file, relative to the worktree root.
    pub path: String,
    /// The exact text to replace (must occur once).
    pub old_text: String,
    /// What replaces it.
    pub new_text: String,
}

/// The tool as the model sees it.
pub fn spec() -> ToolSpec {
    ToolSpec {
        name: NAME.into(),
        description: "Change part of a file: replace the exact text old_text (which must occur \
                      exactly once in the file; include enough of the surrounding line to make \
                      it unique) with new_text."
            .into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "path": { "type": "string", "description": "File relative to the repository root." },
                "old_text": { "type": "string", "description": "The exact text to replace." },
                "new_text": { "type": "string", "description": "The text that replaces it." }
            },
            "required": ["path", "old_text", "new_text"],
            "additionalProperties": false
        }),
    }
}

/// Makes the edit.
pub fn run(ws: &Workspace, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
    let args: Args = parse_args(args)?;
    if args.old_text.is_empty() {
        return Err(ToolError::BadArgs(
            "`old_text` is empty: give the exact text to replace (use write_file to create a file)"
                .into(),
        ));
    }
    if args.old_text == args.new_text {
        return Err(ToolError::BadArgs(
            "`old_text` and `new_text` are the same: the edit would change nothing".into(),
        ));
    }
    let path = paths::resolve_for_write(ws, &args.path)?;
    let bytes = std::fs::read(&path).map_err(|e| io_error(&args.path, &e))?;
    if looks_binary(&bytes) {
        return Err(ToolError::BadArgs(format!(
            "{} is a binary file; edit_file changes text files only",
            args.path
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| ToolError::BadArgs(format!("{} is not UTF-8 text", args.path)))?;
    let count = text.matches(args.old_text.as_str()).count();
    if count == 0 {
        return Err(ToolError::BadArgs(format!(
            "`old_text` does not occur in {}{}; copy it exactly from the file (read_file shows it)",
            args.path,
            near_miss(&text, &args.old_text)
        )));
    }
    if count > 1 {
        return Err(ToolError::BadArgs(format!(
            "`old_text` occurs {count} times in {}; include more of the surrounding text so it \
             occurs once",
            args.path
        )));
    }
    let edited = text.replacen(args.old_text.as_str(), &args.new_text, 1);
    write_atomic(&path, edited.as_bytes()).map_err(|e| io_error(&args.path, &e))?;
    let line = text
        .find(args.old_text.as_str())
        .map(|at| text[..at].matches('\n').count() + 1)
        .unwrap_or(1);
    Ok(ToolOutput {
        ok: true,
        content: format!("edited {} at line {line}", args.path),
        summary: format!("edited {} at line {line}", args.path),
        exit_code: None,
    })
}

/// ", but line N has ..." for the first line of `wanted` found with other surrounding
/// whitespace, so the model sees what the file really says.
fn near_miss(text: &str, wanted: &str) -> String {
    let first = wanted.lines().map(str::trim).find(|l| !l.is_empty());
    let Some(first) = first else {
        return String::new();
    };
    text.lines()
        .enumerate()
        .find(|(_, line)| line.contains(first))
        .map(|(n, line)| format!(", but line {} has {:?}", n + 1, line))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.py"), "x = 1\ny = x + 1\nz = x + 1\n").unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        (dir, ws)
    }

    #[test]
    fn a_unique_piece_is_replaced() {
        let (dir, ws) = ws();
        let out = run(
            &ws,
            json!({"path": "a.py", "old_text": "y = x + 1", "new_text": "y = x + 2"}),
        )
        .unwrap();
        assert_eq!(out.summary, "edited a.py at line 2");
        let text = std::fs::read_to_string(dir.path().join("a.py")).unwrap();
        assert_eq!(text, "x = 1\ny = x + 2\nz = x + 1\n");
    }

    #[test]
    fn misses_and_repeats_are_errors_the_model_can_act_on() {
        let (dir, ws) = ws();
        let err = run(
            &ws,
            json!({"path": "a.py", "old_text": "x + 1", "new_text": "x"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("occurs 2 times"), "{err}");
        let err = run(
            &ws,
            json!({"path": "a.py", "old_text": "y  =  x + 1\n", "new_text": "y"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("does not occur"), "{err}");
        let err = run(
            &ws,
            json!({"path": "a.py", "old_text": "", "new_text": "y"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = run(
            &ws,
            json!({"path": "../a.py", "old_text": "x", "new_text": "y"}),
        );
        assert!(matches!(err, Err(ToolError::PathRefused { .. })));
        let err = run(&ws, json!({"path": "a.py", "old": "x"})).unwrap_err();
        assert!(matches!(err, ToolError::BadArgs(_)), "{err}");
        // Nothing changed by the failures.
        let text = std::fs::read_to_string(dir.path().join("a.py")).unwrap();
        assert_eq!(text, "x = 1\ny = x + 1\nz = x + 1\n");
    }

    #[test]
    fn a_near_miss_shows_the_line_the_file_really_has() {
        let (_dir, ws) = ws();
        let err = run(
            &ws,
            json!({"path": "a.py", "old_text": "x = 1 \n", "new_text": "x = 2"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("line 1 has \"x = 1\""), "{err}");
    }
}
