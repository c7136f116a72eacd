//! A run's own copy of the repository, where its agents read and write: a git worktree on a
//! fresh branch when the repository has commits, otherwise a copy of the folder with a git
//! repository made inside it so diffs work the same way. Owns creating, re-opening (resume),
//! diffing and removing it. Never edits, stashes or resets the person's working tree; the
//! only things it writes outside `<repo>/.warroom/` are git's own worktree records and the
//! run's branch.

mod checkout;
mod copy;
pub(crate) mod git;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::RepoPaths;
use crate::protocol::RunId;

use git::GitFailure;

/// A run's isolated working copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    /// Where it is: `<repo>/.warroom/worktrees/<run>`.
    pub path: PathBuf,
    /// The person's repository it was made from.
    pub repo: PathBuf,
    /// The run it belongs to.
    pub run: RunId,
    /// The branch checked out in it (`warroom/run-<run>`), for a git worktree.
    pub branch: Option<String>,
    /// The commit the run started from; every diff is taken against it.
    pub base: String,
    /// How it was made.
    pub kind: WorktreeKind,
    /// What the person should know, in words (changes of theirs the agents do not see, links
    /// that were left out of a copy).
    pub warnings: Vec<String>,
}

/// How a worktree was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorktreeKind {
    /// `git worktree add` from the repository's HEAD.
    Git,
    /// A copy of a folder that is not a git repository (or has no commits yet).
    Copy,
}

/// What can go wrong with a worktree, worded for the person who must fix it.
#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    /// A git command failed.
    #[error("`{command}` failed in {path}: {message}")]
    Git {
        /// The command line.
        command: String,
        /// The folder it ran in.
        path: PathBuf,
        /// Git's words.
        message: String,
    },
    /// git could not be run at all.
    #[error(
        "cannot run git in {path} ({message}); warroom needs git installed for worktrees and diffs"
    )]
    NoGit {
        /// The folder.
        path: PathBuf,
        /// Why it could not start.
        message: String,
    },
    /// The run already has a worktree.
    #[error(
        "{path} already exists: run {run} has a worktree there; re-open it to resume, or remove it first"
    )]
    Exists {
        /// The folder.
        path: PathBuf,
        /// The run.
        run: RunId,
    },
    /// The run has no worktree to re-open.
    #[error("run {run} has no worktree at {path}")]
    Missing {
        /// The expected folder.
        path: PathBuf,
        /// The run.
        run: RunId,
    },
    /// A file-system operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Worktree {
    /// Makes run `run`'s worktree from `repo` at `<repo>/.warroom/worktrees/<run>`.
    ///
    /// In a repository with commits it is a git worktree of HEAD on a new branch; the person's
    /// uncommitted and untracked changes stay where they are and `warnings` says how many the
    /// agents do not see. Any other folder is copied (respecting `.gitignore`, leaving out
    /// `.git/` and `.warroom/`) and committed inside the copy.
    pub fn create(repo: &Path, run: RunId) -> Result<Worktree, WorktreeError> {
        let repo = canonical(repo)?;
        let paths = RepoPaths::new(&repo).map_err(|source| io(&repo, "resolve", source))?;
        // Also keeps `.warroom/` out of git, so the worktree inside it is not an untracked
        // change of the person's.
        paths
            .ensure_dir()
            .map_err(|source| io(&paths.dir, "create", source))?;
        let path = worktree_path(&repo, run);
        if path.exists() {
            return Err(WorktreeError::Exists { path, run });
        }
        let parent = worktrees_dir(&repo);
        std::fs::create_dir_all(&parent).map_err(|source| io(&parent, "create", source))?;
        let worktree = match head_commit(&repo)? {
            Some(base) => checkout::create(&repo, run, path, base)?,
            None => copy::create(&repo, run, path)?,
        };
        worktree.save_meta()?;
        Ok(worktree)
    }

    /// Re-opens run `run`'s existing worktree (after a restart).
    pub fn open(repo: &Path, run: RunId) -> Result<Worktree, WorktreeError> {
        let repo = canonical(repo)?;
        let path = worktree_path(&repo, run);
        if !path.is_dir() {
            return Err(WorktreeError::Missing { path, run });
        }
        let meta = std::fs::read(meta_path(&repo, run))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Meta>(&bytes).ok());
        let meta = match meta {
            Some(meta) => meta,
            // Written right after creation; a crash in between leaves HEAD as the base, since
            // agents edit files but never commit.
            None => Meta {
                kind: if path.join(".git").is_dir() {
                    WorktreeKind::Copy
                } else {
                    WorktreeKind::Git
                },
                base: git_text(&path, &["rev-parse", "--verify", "HEAD^{commit}"])?,
                branch: git_text(&path, &["symbolic-ref", "--short", "-q", "HEAD"]).ok(),
            },
        };
        Ok(Worktree {
            path,
            repo,
            run,
            branch: meta.branch.filter(|_| meta.kind == WorktreeKind::Git),
            base: meta.base,
            kind: meta.kind,
            warnings: Vec::new(),
        })
    }

    /// The full unified diff of the worktree against `base`: changed, new and deleted files,
    /// binary files included, in a form `git apply` takes in the person's repository.
    pub fn diff(&self) -> Result<String, WorktreeError> {
        self.stage()?;
        let out = self.git(&[
            "diff",
            "--cached",
            "--no-color",
            "--no-ext-diff",
            "--binary",
            "--no-renames",
            "--no-relative",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            &self.base,
            "--",
        ])?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The files that differ from `base`, relative to the worktree, sorted.
    pub fn changed_files(&self) -> Result<Vec<String>, WorktreeError> {
        self.stage()?;
        let out = self.git(&[
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-relative",
            &self.base,
            "--",
        ])?;
        let mut files = git::nul_fields(&out.stdout);
        files.sort();
        Ok(files)
    }

    /// Deletes the worktree: `git worktree remove --force` and its branch, or the copied
    /// folder. The person's working tree is not touched.
    pub fn remove(self) -> Result<(), WorktreeError> {
        match self.kind {
            WorktreeKind::Git => {
                let path = self.path.to_string_lossy().into_owned();
                if self.path.exists() {
                    git_run(&self.repo, &["worktree", "remove", "--force", &path])?;
                } else {
                    git_run(&self.repo, &["worktree", "prune"])?;
                }
                if let Some(branch) = &self.branch {
                    git_run(&self.repo, &["branch", "-D", branch])?;
                }
            }
            WorktreeKind::Copy => {
                std::fs::remove_dir_all(&self.path)
                    .map_err(|source| io(&self.path, "remove", source))?;
            }
        }
        let meta = meta_path(&self.repo, self.run);
        match std::fs::remove_file(&meta) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(io(&meta, "remove", source)),
        }
    }

    /// Stages everything so new and deleted files show in the diff (the worktree's own index
    /// belongs to warroom).
    fn stage(&self) -> Result<(), WorktreeError> {
        self.git(&["add", "-A", "--", "."]).map(|_| ())
    }

    fn git(&self, args: &[&str]) -> Result<git::GitOutput, WorktreeError> {
        git::run(&self.path, args, None).map_err(from_git)
    }

    fn save_meta(&self) -> Result<(), WorktreeError> {
        let meta = Meta {
            kind: self.kind,
            base: self.base.clone(),
            branch: self.branch.clone(),
        };
        let path = meta_path(&self.repo, self.run);
        let body = serde_json::to_vec_pretty(&meta).unwrap_or_default();
        std::fs::write(&path, body).map_err(|source| io(&path, "write", source))
    }
}

/// What `open` needs to know that the folder does not say: kept next to the worktree.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    kind: WorktreeKind,
    base: String,
    branch: Option<String>,
}

fn worktrees_dir(repo: &Path) -> PathBuf {
    repo.join(".warroom").join("worktrees")
}

fn worktree_path(repo: &Path, run: RunId) -> PathBuf {
    worktrees_dir(repo).join(run.to_string())
}

fn meta_path(repo: &Path, run: RunId) -> PathBuf {
    worktrees_dir(repo).join(format!("{run}.json"))
}

fn canonical(repo: &Path) -> Result<PathBuf, WorktreeError> {
    repo.canonicalize()
        .map_err(|source| io(repo, "open the repository", source))
}

/// HEAD's commit when `repo` is the top of a git repository with commits; `None` for a plain
/// folder or a repository with no commits yet.
fn head_commit(repo: &Path) -> Result<Option<String>, WorktreeError> {
    match git::run(repo, &["rev-parse", "--is-inside-work-tree"], None) {
        Ok(out) if out.text() == "true" => {}
        Ok(_) => return Ok(None),
        Err(failure) if !failure.started => return Err(from_git(failure)),
        Err(_) => return Ok(None),
    }
    Ok(git_text(repo, &["rev-parse", "--verify", "-q", "HEAD^{commit}"]).ok())
}

fn git_run(dir: &Path, args: &[&str]) -> Result<git::GitOutput, WorktreeError> {
    git::run(dir, args, None).map_err(from_git)
}

fn git_text(dir: &Path, args: &[&str]) -> Result<String, WorktreeError> {
    git_run(dir, args).map(|out| out.text())
}

fn from_git(failure: GitFailure) -> WorktreeError {
    if failure.started {
        WorktreeError::Git {
            command: failure.command,
            path: failure.dir,
            message: failure.message,
        }
    } else {
        WorktreeError::NoGit {
            path: failure.dir,
            message: failure.message,
        }
    }
}

fn io(path: &Path, action: &'static str, source: std::io::Error) -> WorktreeError {
    WorktreeError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

#[cfg(test)]
mod tests;
