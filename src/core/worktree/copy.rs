//! The worktree of a folder that git cannot branch (not a repository, or no commits yet): a
//! copy of its files, then a git repository made inside the copy with one commit, so diffs
//! and `git apply` work as they do for a git worktree. Reads the person's folder, never
//! writes it.

use std::path::{Component, Path, PathBuf};

use crate::protocol::RunId;

use super::{Worktree, WorktreeError, WorktreeKind, git_run, git_text, io};

/// Identity for the copy's one commit, so nothing depends on the person's git config.
const IDENTITY: [&str; 8] = [
    "-c",
    "user.name=warroom",
    "-c",
    "user.email=warroom@localhost",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "init.defaultBranch=main",
];

/// Copies `repo` into `path`, then `git init` + one commit there.
pub(super) fn create(repo: &Path, run: RunId, path: PathBuf) -> Result<Worktree, WorktreeError> {
    std::fs::create_dir(&path).map_err(|source| io(&path, "create", source))?;
    let skipped = copy_tree(repo, &path)?;
    let message = format!("warroom: the files of {} for run {run}", repo.display());
    let mut init = IDENTITY.to_vec();
    init.extend(["init", "-q"]);
    git_run(&path, &init)?;
    git_run(&path, &["add", "-A", "--", "."])?;
    let mut commit = IDENTITY.to_vec();
    commit.extend([
        "commit",
        "-q",
        "--no-verify",
        "--allow-empty",
        "-m",
        &message,
    ]);
    git_run(&path, &commit)?;
    let base = git_text(&path, &["rev-parse", "--verify", "HEAD^{commit}"])?;
    let mut warnings = Vec::new();
    if repo.join(".git").exists() {
        warnings.push(
            "this repository has no commits yet, so the agents work on a copy of its files"
                .to_string(),
        );
    }
    if !skipped.is_empty() {
        warnings.push(format!(
            "{} symbolic link(s) pointing outside the folder were left out of the agents' copy: {}",
            skipped.len(),
            skipped.join(", ")
        ));
    }
    Ok(Worktree {
        path,
        repo: repo.to_path_buf(),
        run,
        branch: None,
        base,
        kind: WorktreeKind::Copy,
        warnings,
    })
}

/// Copies the files of `from` that `.gitignore` keeps, with their modes, into `to`. Symbolic
/// links are recreated, not followed; a link that leads outside `from` is left out and named
/// in the result.
fn copy_tree(from: &Path, to: &Path) -> Result<Vec<String>, WorktreeError> {
    let top = from.to_path_buf();
    let walker = ignore::WalkBuilder::new(from)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |entry| {
            let name = entry.file_name();
            let at_top = entry.path().parent() == Some(top.as_path());
            !(name == ".git" || (at_top && name == ".warroom"))
        })
        .build();
    let mut skipped = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| WorktreeError::Io {
            path: from.to_path_buf(),
            action: "walk",
            source: std::io::Error::other(e.to_string()),
        })?;
        let Ok(relative) = entry.path().strip_prefix(from) else {
            continue;
        };
        if relative.as_os_str().is_empty() {
            continue;
        }
        let target = to.join(relative);
        let Some(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|source| io(&target, "create", source))?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path())
                .map_err(|source| io(entry.path(), "read the link", source))?;
            if stays_inside(relative, &link) {
                std::os::unix::fs::symlink(&link, &target)
                    .map_err(|source| io(&target, "create the link", source))?;
            } else {
                skipped.push(relative.display().to_string());
            }
        } else if kind.is_file() {
            // std::fs::copy keeps the permission bits (the executable bit matters to git).
            std::fs::copy(entry.path(), &target)
                .map_err(|source| io(entry.path(), "copy", source))?;
        }
    }
    skipped.sort();
    Ok(skipped)
}

/// Whether a link at `relative` (inside the folder) pointing to `link` resolves inside the
/// folder, judged by the path alone: absolute targets and `..` past the top lead out.
fn stays_inside(relative: &Path, link: &Path) -> bool {
    if link.is_absolute() {
        return false;
    }
    let mut depth: usize = relative.components().count().saturating_sub(1);
    for part in link.components() {
        match part {
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}
