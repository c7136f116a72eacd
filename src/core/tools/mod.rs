//! The tools agents use on a run's worktree: files (list, read, write), search, patches, git,
//! sandboxed commands, test runs with parsed results, and repo detection. Each tool is a plain
//! function over a [`Workspace`]; the agent driver (`core::team`) dispatches model tool calls
//! to them, asks for approvals and turns results into events. Nothing here knows about agents,
//! the store or the UI.
//!
//! A tool's failure that the model can correct (bad arguments, a path outside the worktree, a
//! hunk that does not apply) is a [`ToolError`] whose text is sent back to the model.

pub mod detect;
pub mod exec;
pub mod files;
pub mod git;
pub mod patch;
pub mod paths;
pub mod sandbox;
pub mod search;
pub mod testparse;

use std::path::{Path, PathBuf};

/// The folder a run's tools work in (the run's worktree), canonicalized once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// A workspace over `root`, which must exist.
    pub fn new(root: &Path) -> Result<Workspace, ToolError> {
        let root = root.canonicalize().map_err(|e| ToolError::Io {
            path: root.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(Workspace { root })
    }

    /// The canonical root.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// What a tool gives back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolOutput {
    /// Whether the tool did what was asked (a command that exited non-zero is not ok).
    pub ok: bool,
    /// The text the model sees (already capped to a size a model can take).
    pub content: String,
    /// One line for the person (the `ToolCallEnded` summary).
    pub summary: String,
    /// A process's exit code, when the tool ran one.
    pub exit_code: Option<i32>,
}

/// A tool failure, worded for the model (and the person) to act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The arguments are missing, of the wrong type or out of range.
    #[error("bad arguments: {0}")]
    BadArgs(String),
    /// A path that is not allowed (outside the worktree, absolute, `..`, `.git/`, a symlink
    /// that leads out).
    #[error("path {path:?} refused: {why}")]
    PathRefused {
        /// The path as given.
        path: String,
        /// Why.
        why: String,
    },
    /// A file or folder could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error in words.
        message: String,
    },
    /// A patch could not be applied; nothing was written.
    #[error("patch not applied: {0}")]
    Patch(String),
    /// A command could not be started or was refused.
    #[error("command failed: {0}")]
    Command(String),
}
