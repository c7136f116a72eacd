//! The `search` tool (a regex over the worktree's source files, answered as
//! `path:line: text`) and the scope filter it shares with anything that wants "the source
//! files of this repo": [`scope_walk`]. The scope is the repository's ignore rules
//! (`.gitignore`, `.ignore`, git's exclude file; hidden files and `.git` skipped; symlinks not
//! followed) plus a list of source-file extensions and well-known file names
//! ([`in_scope`]). The walk runs on several threads (`ignore`'s parallel walker) and does not
//! sort; the tool sorts what it shows.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkState};
use serde::Deserialize;
use serde_json::json;

use super::files::{MAX_CONTENT_BYTES, cut, io_error, looks_binary, parse_args};
use super::{ToolError, ToolOutput, Workspace, paths};
use crate::core::llm::ToolSpec;

/// The tool's name.
pub const NAME: &str = "search";
/// `max_results` when not given.
pub const DEFAULT_MAX_RESULTS: usize = 100;
/// The largest `max_results` accepted.
pub const MAX_RESULTS_LIMIT: usize = 1_000;
/// Files larger than this are not searched (generated or vendored, most likely).
pub const MAX_SEARCHED_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// The most of one matching line shown.
pub const MAX_SHOWN_LINE_BYTES: usize = 300;

/// The arguments of `search`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// A regular expression (Rust `regex` syntax), matched against each line.
    pub pattern: String,
    /// A folder or file to search, relative to the worktree root; the whole worktree when not
    /// given.
    #[serde(default)]
    pub path: Option<String>,
    /// The most matching lines to return.
    #[serde(default = "default_max")]
    pub max_results: usize,
}

/// The tool as the model sees it.
pub fn spec() -> ToolSpec {
    ToolSpec {
        name: NAME.into(),
        description: "Search the repository's source files for a regular expression (Rust \
                      regex syntax, matched per line). Answers `path:line: text`, one match a \
                      line. Ignored files (.gitignore) and hidden files are not searched."
            .into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "pattern": {
                    "type": "string",
                    "description": "Regular expression, e.g. \"fn parse_\\\\w+\" or \"(?i)todo\"."
                },
                "path": {
                    "type": "string",
                    "description": "Folder or file to search, relative to the repository root (default: all)."
                },
                "max_results": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_RESULTS_LIMIT,
                    "description": format!("Most matching lines to return (default {DEFAULT_MAX_RESULTS}).")
                }
            },
            "required": ["pattern"],
            "additionalProperties": false
        }),
    }
}

/// Runs the search.
pub fn run(ws: &Workspace, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
    let args: Args = parse_args(args)?;
    if args.max_results == 0 || args.max_results > MAX_RESULTS_LIMIT {
        return Err(ToolError::BadArgs(format!(
            "`max_results` must be between 1 and {MAX_RESULTS_LIMIT}, not {}",
            args.max_results
        )));
    }
    let regex = regex::RegexBuilder::new(&args.pattern)
        .size_limit(8 * 1024 * 1024)
        .build()
        .map_err(|e| ToolError::BadArgs(format!("`pattern` is not a valid regex: {e}")))?;
    let scope = args.path.as_deref().unwrap_or(".");
    let start = paths::resolve(ws, scope)?;
    let meta = std::fs::symlink_metadata(&start).map_err(|e| io_error(scope, &e))?;
    let mut files = if meta.is_dir() {
        walk(&start)
    } else {
        vec![start]
    };
    files.sort_unstable();

    let mut content = String::new();
    let mut shown = 0usize;
    let mut total = 0usize;
    let mut matched_files = 0usize;
    for file in &files {
        let Some(text) = searchable_text(file) else {
            continue;
        };
        if !regex.is_match(&text) {
            continue;
        }
        matched_files += 1;
        let rel = paths::relative(ws, file);
        for (i, line) in text.lines().enumerate() {
            if !regex.is_match(line) {
                continue;
            }
            total += 1;
            if shown >= args.max_results {
                continue;
            }
            let (line, cut_bytes) = cut(line.trim_end_matches('\r'), MAX_SHOWN_LINE_BYTES);
            let more = if cut_bytes > 0 { " ..." } else { "" };
            let hit = format!("{rel}:{}: {line}{more}\n", i + 1);
            if content.len() + hit.len() > MAX_CONTENT_BYTES {
                continue;
            }
            content.push_str(&hit);
            shown += 1;
        }
    }
    if total == 0 {
        content.push_str(&format!("no match for {:?} in {scope}\n", args.pattern));
    } else if shown < total {
        content.push_str(&format!(
            "(truncated: {} more matches; narrow the pattern or the path)\n",
            total - shown
        ));
    }
    Ok(ToolOutput {
        ok: true,
        content,
        summary: format!(
            "{total} matches of {:?} in {matched_files} files ({} searched)",
            args.pattern,
            files.len()
        ),
        exit_code: None,
    })
}

/// Every in-scope file under `root`, relative to it, in no particular order. See the module
/// doc for the rules; a folder that cannot be read is skipped.
pub fn scope_walk(root: &Path) -> Vec<PathBuf> {
    walk(root)
        .into_iter()
        .filter_map(|path| path.strip_prefix(root).ok().map(Path::to_path_buf))
        .collect()
}

/// Whether a file named `name` is a source or config file the scope includes: by extension
/// (Rust, Python, JavaScript/TypeScript, Go, C/C++, Java/Kotlin, Ruby, shell, TOML, JSON,
/// YAML, Markdown, ...) or by name (Makefile, justfile, Dockerfile, Gemfile, ...).
pub fn in_scope(name: &str) -> bool {
    if matches!(
        name,
        "Makefile"
            | "makefile"
            | "GNUmakefile"
            | "justfile"
            | "Justfile"
            | ".justfile"
            | "Dockerfile"
            | "Containerfile"
            | "Gemfile"
            | "Rakefile"
            | "Procfile"
            | "CMakeLists.txt"
    ) || name.starts_with("Dockerfile.")
    {
        return true;
    }
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(
        ext,
        "rs" | "py"
            | "pyi"
            | "js"
            | "jsx"
            | "mjs"
            | "cjs"
            | "ts"
            | "tsx"
            | "mts"
            | "cts"
            | "vue"
            | "svelte"
            | "go"
            | "c"
            | "h"
            | "cc"
            | "cpp"
            | "cxx"
            | "hh"
            | "hpp"
            | "hxx"
            | "java"
            | "kt"
            | "kts"
            | "scala"
            | "rb"
            | "rake"
            | "gemspec"
            | "sh"
            | "bash"
            | "zsh"
            | "toml"
            | "json"
            | "yaml"
            | "yml"
            | "md"
            | "mk"
            | "cmake"
            | "sql"
            | "proto"
            | "html"
            | "css"
            | "scss"
    )
}

/// The in-scope files under `root` as full paths (`root` joined), unsorted.
fn walk(root: &Path) -> Vec<PathBuf> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(12));
    let found = Mutex::new(Vec::new());
    let mut builder = Collector { found: &found };
    // The parallel walker panics when the OS refuses it a thread (EAGAIN under a process
    // limit); the walk is then done again on this thread rather than failing the tool.
    let parallel = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ignore::WalkBuilder::new(root)
            .require_git(false)
            .threads(threads)
            .build_parallel()
            .visit(&mut builder);
    }));
    if parallel.is_err() {
        return walk_serial(root);
    }
    found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// [`walk`] on the calling thread only.
fn walk_serial(root: &Path) -> Vec<PathBuf> {
    ignore::WalkBuilder::new(root)
        .require_git(false)
        .build()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry.file_type().is_some_and(|t| t.is_file())
                && entry.file_name().to_str().is_some_and(in_scope)
        })
        .map(ignore::DirEntry::into_path)
        .collect()
}

/// Builds one [`Gather`] per walker thread.
struct Collector<'s> {
    found: &'s Mutex<Vec<PathBuf>>,
}

impl<'s> ParallelVisitorBuilder<'s> for Collector<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Gather {
            mine: Vec::new(),
            found: self.found,
        })
    }
}

/// One thread's finds, kept without locking and handed over once, when the thread is done.
struct Gather<'s> {
    mine: Vec<PathBuf>,
    found: &'s Mutex<Vec<PathBuf>>,
}

impl ParallelVisitor for Gather<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        if let Ok(entry) = entry
            && entry.file_type().is_some_and(|t| t.is_file())
            && entry.file_name().to_str().is_some_and(in_scope)
        {
            self.mine.push(entry.into_path());
        }
        WalkState::Continue
    }
}

impl Drop for Gather<'_> {
    fn drop(&mut self) {
        let mut found = self
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        found.append(&mut self.mine);
    }
}

/// A file's text, or `None` for a file too large, unreadable or binary.
fn searchable_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_SEARCHED_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    if looks_binary(&bytes) {
        return None;
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn default_max() -> usize {
    DEFAULT_MAX_RESULTS
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
