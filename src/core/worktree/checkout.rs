//! The worktree of a repository with commits: `git worktree add` of HEAD on a fresh
//! `warroom/run-<run>` branch, and the words that tell the person which of their changes the
//! agents do not see. Reads the person's checkout (`git status`), never changes its files.

use std::path::{Path, PathBuf};

use crate::protocol::RunId;

use super::{Worktree, WorktreeError, WorktreeKind, git, git_run};

pub(super) fn create(
    repo: &Path,
    run: RunId,
    path: PathBuf,
    base: String,
) -> Result<Worktree, WorktreeError> {
    // A folder deleted by hand leaves git's record of it behind, which would refuse the path.
    git_run(repo, &["worktree", "prune"])?;
    let branch = free_branch(repo, run)?;
    let target = path.to_string_lossy().into_owned();
    git_run(
        repo,
        &["worktree", "add", "--quiet", "-b", &branch, &target, &base],
    )?;
    let warnings = local_changes(repo, &base)?;
    Ok(Worktree {
        path,
        repo: repo.to_path_buf(),
        run,
        branch: Some(branch),
        base,
        kind: WorktreeKind::Git,
        warnings,
    })
}

/// `warroom/run-<run>`, or with a suffix when an earlier attempt left that branch behind.
fn free_branch(repo: &Path, run: RunId) -> Result<String, WorktreeError> {
    let first = format!("warroom/run-{run}");
    let candidates =
        std::iter::once(first.clone()).chain((2..1000).map(|n| format!("{first}-{n}")));
    for branch in candidates {
        let exists = git::run(
            repo,
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
            None,
        )
        .is_ok();
        if !exists {
            return Ok(branch);
        }
    }
    Err(WorktreeError::Git {
        command: "git branch".into(),
        path: repo.to_path_buf(),
        message: format!("branches {first} to {first}-999 all exist; delete old ones"),
    })
}

/// Words for the person's changes that the worktree (made from `base`) does not contain.
fn local_changes(repo: &Path, base: &str) -> Result<Vec<String>, WorktreeError> {
    let out = git_run(
        repo,
        &["status", "--porcelain=v1", "-z", "--untracked-files=all"],
    )?;
    let (mut changed, mut untracked) = (0usize, 0usize);
    let mut fields = git::nul_fields(&out.stdout).into_iter();
    while let Some(entry) = fields.next() {
        let (code, file) = entry.split_at(entry.len().min(3));
        if code.starts_with('R') || code.starts_with('C') {
            // A rename carries its old path in the next field.
            fields.next();
        }
        if file == ".warroom" || file.starts_with(".warroom/") {
            continue;
        }
        if code == "?? " {
            untracked += 1;
        } else {
            changed += 1;
        }
    }
    let short = &base[..base.len().min(10)];
    let mut warnings = Vec::new();
    if changed > 0 {
        warnings.push(format!(
            "your {changed} uncommitted {} not in the agents' copy and stay{} untouched; the agents start from the last commit ({short})",
            plural(changed, "change is", "changes are"),
            if changed == 1 { "s" } else { "" },
        ));
    }
    if untracked > 0 {
        warnings.push(format!(
            "your {untracked} untracked {} not in the agents' copy and stay{} untouched",
            plural(untracked, "file is", "files are"),
            if untracked == 1 { "s" } else { "" },
        ));
    }
    Ok(warnings)
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
