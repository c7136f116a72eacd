//! Applying a verified patch to the person's working tree, and taking it back out. Every
//! change is checked first (`git apply --check`) and git applies a patch whole or not at all,
//! so a patch that no longer fits (the person edited the same lines since) touches nothing
//! and the error names the files. Works in plain folders as well as git repositories; git's
//! path safety (no writes outside the folder, no `..`) stays on. Never commits, stages or
//! stashes.

use std::path::Path;

use super::worktree::git::{self, GitFailure};

/// Why a patch was not applied or rolled back. Nothing in the working tree was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The working tree no longer matches what the patch expects.
    #[error("{}", conflict_words(*reverse, files, message))]
    Conflict {
        /// Whether this was a rollback (the patch taken back out).
        reverse: bool,
        /// The files where it does not fit, relative to the repository.
        files: Vec<String>,
        /// What git said.
        message: String,
    },
    /// The text is not a patch git can read.
    #[error("the patch is damaged or not a unified diff: {message}")]
    Malformed {
        /// What git said.
        message: String,
    },
    /// The patch changes nothing.
    #[error("the patch is empty: it changes no file")]
    Empty,
    /// git failed for another reason (not installed, cannot write a file, ...).
    #[error("`{command}` failed in {path}: {message}")]
    Git {
        /// The command line.
        command: String,
        /// The folder.
        path: String,
        /// Git's words.
        message: String,
    },
}

/// Checks that `diff` applies to the working tree at `repo` without changing anything.
pub fn check_apply(repo: &Path, diff: &str) -> Result<(), ApplyError> {
    check(repo, diff, false)
}

/// Applies `diff` to the working tree at `repo`; returns the files it changed.
pub fn apply(repo: &Path, diff: &str) -> Result<Vec<String>, ApplyError> {
    check(repo, diff, false)?;
    let files = files(repo, diff)?;
    run(repo, &["apply", "--whitespace=nowarn", "-"], diff, false)?;
    Ok(files)
}

/// Checks that `diff`, applied earlier, can be taken back out of `repo` unchanged.
pub fn check_rollback(repo: &Path, diff: &str) -> Result<(), ApplyError> {
    check(repo, diff, true)
}

/// Takes an applied `diff` back out of the working tree at `repo` (`git apply -R`); returns
/// the files it changed. Refused, touching nothing, when the person edited those lines since.
pub fn rollback(repo: &Path, diff: &str) -> Result<Vec<String>, ApplyError> {
    check(repo, diff, true)?;
    let files = files(repo, diff)?;
    run(
        repo,
        &["apply", "-R", "--whitespace=nowarn", "-"],
        diff,
        true,
    )?;
    Ok(files)
}

/// Lines added and removed by a unified diff (hunk lines only, not the `---`/`+++` headers).
pub use crate::store::diff_line_counts as line_counts;

fn check(repo: &Path, diff: &str, reverse: bool) -> Result<(), ApplyError> {
    if diff.trim().is_empty() {
        return Err(ApplyError::Empty);
    }
    let args: &[&str] = if reverse {
        &["apply", "-R", "--check", "--whitespace=nowarn", "-"]
    } else {
        &["apply", "--check", "--whitespace=nowarn", "-"]
    };
    run(repo, args, diff, reverse).map(|_| ())
}

/// The paths a diff touches, as git reads them (`--numstat -z`: quoting and renames handled).
fn files(repo: &Path, diff: &str) -> Result<Vec<String>, ApplyError> {
    let out = run(repo, &["apply", "--numstat", "-z", "-"], diff, false)?;
    let mut files = Vec::new();
    let mut fields = out.stdout.split(|b| *b == 0);
    while let Some(field) = fields.next() {
        let field = String::from_utf8_lossy(field);
        let mut parts = field.splitn(3, '\t');
        let (Some(_), Some(_), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if path.is_empty() {
            // A rename: the old and the new path follow as their own fields.
            for _ in 0..2 {
                if let Some(p) = fields.next() {
                    files.push(String::from_utf8_lossy(p).into_owned());
                }
            }
        } else {
            files.push(path.to_string());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn run(
    repo: &Path,
    args: &[&str],
    diff: &str,
    reverse: bool,
) -> Result<git::GitOutput, ApplyError> {
    git::run(repo, args, Some(diff.as_bytes())).map_err(|failure| classify(failure, reverse))
}

/// Turns git's refusal into the kind of error the person can act on.
fn classify(failure: GitFailure, reverse: bool) -> ApplyError {
    let message = failure.message;
    if !failure.started {
        return ApplyError::Git {
            command: failure.command,
            path: failure.dir.display().to_string(),
            message,
        };
    }
    const DAMAGED: [&str; 4] = [
        "corrupt patch",
        "No valid patches in input",
        "patch fragment without header",
        "unrecognized input",
    ];
    if DAMAGED.iter().any(|d| message.contains(d)) {
        return ApplyError::Malformed { message };
    }
    let files = conflicting_files(&message);
    if files.is_empty() {
        return ApplyError::Git {
            command: failure.command,
            path: failure.dir.display().to_string(),
            message,
        };
    }
    ApplyError::Conflict {
        reverse,
        files,
        message,
    }
}

/// The paths named in `git apply`'s `error:` lines ("patch failed: src/x.py:12",
/// "src/x.py: patch does not apply", "src/y.py: already exists in working directory").
fn conflicting_files(message: &str) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for line in message.lines() {
        let Some(rest) = line.strip_prefix("error: ") else {
            continue;
        };
        let path = match rest.strip_prefix("patch failed: ") {
            Some(at) => at.rsplit_once(':').map_or(at, |(path, _)| path),
            None => match rest.split_once(": ") {
                Some((path, _)) => path,
                None => continue,
            },
        };
        if !files.iter().any(|f| f == path) {
            files.push(path.to_string());
        }
    }
    files
}

fn conflict_words(reverse: bool, files: &[String], message: &str) -> String {
    let names = match files {
        [] => "the files".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let git_said = message.lines().collect::<Vec<_>>().join("; ");
    if reverse {
        format!(
            "you changed {names} since the patch was applied; it cannot be taken back out there: {git_said}"
        )
    } else {
        format!(
            "you changed {names} since the run started; the patch no longer applies there: {git_said}"
        )
    }
}

#[cfg(test)]
#[path = "patches_tests.rs"]
mod tests;
