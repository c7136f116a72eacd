//! The file tools: `list_files` ([`list`]), `read_file` ([`read`]), `write_file` ([`write`])
//! and `edit_file` ([`edit`]), each a module with `spec()` and `run()`, and the pieces every tool of this
//! family shares: argument parsing that names the bad field, the atomic write (temp file in
//! the same folder, then rename), binary detection and output capping. Paths always go
//! through [`super::paths`]; nothing here runs a process.

#[path = "files_edit.rs"]
pub mod edit;
#[path = "files_list.rs"]
pub mod list;
#[path = "files_read.rs"]
pub mod read;
#[path = "files_write.rs"]
pub mod write;

use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::DeserializeOwned;

use super::ToolError;

/// The most text a tool sends back to the model in one answer.
pub const MAX_CONTENT_BYTES: usize = 64 * 1024;

/// How many bytes from the start of a file decide whether it is binary.
pub const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Parses a tool's JSON arguments into its args struct. A failure is [`ToolError::BadArgs`]
/// naming the field (`max_entries: invalid type: ...`) or what is missing or unknown. A JSON
/// `null` counts as `{}` (a model calling a tool whose arguments are all optional).
pub fn parse_args<T: DeserializeOwned>(args: serde_json::Value) -> Result<T, ToolError> {
    let args = match args {
        serde_json::Value::Null => serde_json::Value::Object(serde_json::Map::new()),
        other => other,
    };
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ToolError::BadArgs(inner.to_string())
        } else {
            ToolError::BadArgs(format!("`{path}`: {inner}"))
        }
    })
}

/// Whether `head` (the first bytes of a file) looks binary: a NUL byte, or bytes that are not
/// UTF-8 (a multi-byte character cut at the end of `head` does not count).
pub fn looks_binary(head: &[u8]) -> bool {
    let head = head.get(..BINARY_SNIFF_BYTES).unwrap_or(head);
    if head.contains(&0) {
        return true;
    }
    match std::str::from_utf8(head) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some(),
    }
}

/// What the name of a temp file of [`write_atomic`] contains.
pub const TEMP_MARK: &str = ".warroom-tmp-";

/// Removes the temp files [`write_atomic`] left under `root` when its process was killed
/// mid-write (`.git/` aside); returns them, relative to `root`. Only for a folder no live
/// warroom writes in (a resumed run's worktree).
pub fn remove_stale_temps(root: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(path);
                }
            } else if entry.file_name().to_string_lossy().contains(TEMP_MARK)
                && std::fs::remove_file(&path).is_ok()
            {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                removed.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    removed.sort();
    removed
}

/// Writes `bytes` to `path` atomically: a temp file in the same folder, flushed to disk, then
/// renamed over `path`, so a reader sees the old file or the new one, never half of one. An
/// existing file keeps its permissions (an executable script stays executable).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "a file path has a parent")
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}{TEMP_MARK}{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_data()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// An [`std::io::Error`] on `path` as the tool error a model reads.
pub fn io_error(path: &str, e: &std::io::Error) -> ToolError {
    let message = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    ToolError::Io {
        path: path.to_string(),
        message,
    }
}

/// `text` cut to at most `max` bytes on a character boundary, with how many bytes were cut.
pub fn cut(text: &str, max: usize) -> (&str, usize) {
    if text.len() <= max {
        return (text, 0);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text.get(..end).unwrap_or_default(), text.len() - end)
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
