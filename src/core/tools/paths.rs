//! Turns a path a model gave into a real path inside a run's worktree, or refuses it. Every
//! file tool (read, write, list, search, patch) goes through here; nothing else in `tools`
//! joins a model's path onto the root by hand.
//!
//! Refused, with a reason the model can act on: empty paths, NUL bytes, absolute paths, `..`
//! components, anything under a `.git` folder, and paths whose existing part is (or goes
//! through) a symlink that leads outside the worktree or into `.git`.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use super::{ToolError, Workspace};

/// The real path for reading `rel` (relative to the worktree; `.` is the root itself).
///
/// An existing path is returned canonical (symlinks followed, and checked to stay inside).
/// A path that does not exist yet is returned joined onto its canonical existing ancestor, so
/// the caller's own "not found" error names it.
pub fn resolve(ws: &Workspace, rel: &str) -> Result<PathBuf, ToolError> {
    let parts = checked_parts(rel)?;
    anchored(ws, rel, &parts)
}

/// The real path for writing the file `rel`: as [`resolve`], and also not the worktree root
/// itself and not an existing folder.
pub fn resolve_for_write(ws: &Workspace, rel: &str) -> Result<PathBuf, ToolError> {
    let parts = checked_parts(rel)?;
    if parts.is_empty() {
        return Err(refused(rel, "it names the worktree root, not a file"));
    }
    let path = anchored(ws, rel, &parts)?;
    if path.is_dir() {
        return Err(refused(rel, "it is an existing folder, not a file"));
    }
    Ok(path)
}

/// `path` (under the root) as the worktree-relative text a model should use, `/`-separated.
pub fn relative(ws: &Workspace, path: &Path) -> String {
    let rel = path.strip_prefix(ws.root()).unwrap_or(path);
    let text: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if text.is_empty() {
        ".".to_string()
    } else {
        text.join("/")
    }
}

/// Lexical checks: returns the normal components of `rel` (`.` dropped).
fn checked_parts(rel: &str) -> Result<Vec<&OsStr>, ToolError> {
    if rel.trim().is_empty() {
        return Err(refused(
            rel,
            "the path is empty; give one relative to the worktree root",
        ));
    }
    if rel.contains('\0') {
        return Err(refused(rel, "the path holds a NUL byte"));
    }
    let mut parts = Vec::new();
    for component in Path::new(rel).components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err(refused(
                    rel,
                    "absolute paths are not allowed; give a path relative to the worktree root",
                ));
            }
            Component::ParentDir => {
                return Err(refused(
                    rel,
                    "`..` is not allowed; give a path relative to the worktree root",
                ));
            }
            Component::CurDir => {}
            Component::Normal(name) => {
                if name == ".git" {
                    return Err(refused(
                        rel,
                        "`.git` belongs to git; use the git tools to see the repository's state",
                    ));
                }
                parts.push(name);
            }
        }
    }
    Ok(parts)
}

/// Joins `parts` onto the root: canonicalizes the longest existing prefix and checks that it
/// stays in the worktree and out of `.git`; the rest (not yet existing) is appended as is.
fn anchored(ws: &Workspace, rel: &str, parts: &[&OsStr]) -> Result<PathBuf, ToolError> {
    let root = ws.root();
    let mut existing = root.to_path_buf();
    let mut split = 0;
    for (i, part) in parts.iter().enumerate() {
        let next = existing.join(part);
        // symlink_metadata: a dangling symlink exists too, and must not be written through.
        if std::fs::symlink_metadata(&next).is_err() {
            break;
        }
        existing = next;
        split = i + 1;
    }
    let canonical = match existing.canonicalize() {
        Ok(path) => path,
        Err(_) if existing.is_symlink() => {
            return Err(refused(
                rel,
                "it goes through a symlink whose target does not exist",
            ));
        }
        Err(e) => {
            return Err(ToolError::Io {
                path: rel.to_string(),
                message: e.to_string(),
            });
        }
    };
    let Ok(inside) = canonical.strip_prefix(root) else {
        return Err(refused(
            rel,
            "it goes through a symlink that leads outside the worktree",
        ));
    };
    if inside.components().any(|c| c.as_os_str() == ".git") {
        return Err(refused(rel, "it goes through a symlink into `.git`"));
    }
    let mut path = canonical;
    for part in parts.get(split..).unwrap_or_default() {
        path.push(part);
    }
    Ok(path)
}

fn refused(rel: &str, why: &str) -> ToolError {
    ToolError::PathRefused {
        path: rel.to_string(),
        why: why.to_string(),
    }
}

#[cfg(test)]
#[path = "paths_tests.rs"]
mod tests;
