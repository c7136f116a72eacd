//! Worktrees made from real git repositories and plain folders in temp dirs.

use super::*;
use crate::core::test_git::git;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn committed_repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("src/lib.py"), "a = 1\nb = 2\n").unwrap();
    std::fs::write(repo.join("old.txt"), "bye\n").unwrap();
    std::fs::write(repo.join("tool.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(repo.join("tool.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "start"]);
    (dir, repo)
}

/// The agents' edits: one change, one new file, one deletion.
fn edit(worktree: &Worktree) {
    std::fs::write(worktree.path.join("src/lib.py"), "a = 1\nb = 3\n").unwrap();
    std::fs::write(worktree.path.join("new.txt"), "hi\n").unwrap();
    std::fs::remove_file(worktree.path.join("old.txt")).unwrap();
}

#[test]
fn a_git_worktree_starts_from_head_and_leaves_the_persons_changes_alone() {
    let (_dir, repo) = committed_repo();
    let head = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    // Two uncommitted changes and one untracked file of the person's.
    std::fs::write(repo.join("src/lib.py"), "a = 10\nb = 2\n").unwrap();
    std::fs::remove_file(repo.join("old.txt")).unwrap();
    std::fs::write(repo.join("notes.md"), "mine\n").unwrap();
    let status_before = git(&repo, &["status", "--porcelain"]);

    let wt = Worktree::create(&repo, RunId(7)).unwrap();
    assert_eq!(wt.kind, WorktreeKind::Git);
    assert_eq!(wt.base, head);
    assert_eq!(wt.branch.as_deref(), Some("warroom/run-7"));
    assert_eq!(
        wt.path,
        repo.canonicalize().unwrap().join(".warroom/worktrees/7")
    );
    assert_eq!(
        wt.warnings,
        [
            format!(
                "your 2 uncommitted changes are not in the agents' copy and stay untouched; the agents start from the last commit ({})",
                &head[..10]
            ),
            "your 1 untracked file is not in the agents' copy and stays untouched".to_string(),
        ]
    );
    // The agents see HEAD, not the person's edits.
    assert_eq!(
        std::fs::read_to_string(wt.path.join("src/lib.py")).unwrap(),
        "a = 1\nb = 2\n"
    );
    assert!(wt.path.join("old.txt").exists());
    assert!(!wt.path.join("notes.md").exists());
    // The person's tree is as it was (the worktree under .warroom/ is not even untracked).
    assert_eq!(git(&repo, &["status", "--porcelain"]), status_before);
    assert_eq!(git(&repo, &["stash", "list"]), "");
    wt.remove().unwrap();
}

#[test]
fn the_diff_holds_changed_new_and_deleted_files_and_applies_to_the_repo() {
    let (_dir, repo) = committed_repo();
    let wt = Worktree::create(&repo, RunId(1)).unwrap();
    assert!(wt.warnings.is_empty(), "{:?}", wt.warnings);
    assert_eq!(wt.diff().unwrap(), "");
    assert!(wt.changed_files().unwrap().is_empty());
    edit(&wt);
    assert_eq!(
        wt.changed_files().unwrap(),
        ["new.txt", "old.txt", "src/lib.py"]
    );
    let diff = wt.diff().unwrap();
    assert!(diff.contains("-b = 2\n+b = 3\n"), "{diff}");
    assert!(
        diff.contains("new file mode") && diff.contains("deleted file mode"),
        "{diff}"
    );
    // The person's working tree is untouched until the patch is applied there.
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.py")).unwrap(),
        "a = 1\nb = 2\n"
    );
    let files = crate::core::patches::apply(&repo, &diff).unwrap();
    assert_eq!(files, ["new.txt", "old.txt", "src/lib.py"]);
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.py")).unwrap(),
        "a = 1\nb = 3\n"
    );
    assert!(!repo.join("old.txt").exists());
}

#[test]
fn a_leftover_branch_gets_a_fresh_suffix_and_remove_cleans_up() {
    let (_dir, repo) = committed_repo();
    git(&repo, &["branch", "warroom/run-3"]);
    git(&repo, &["branch", "warroom/run-3-2"]);
    let wt = Worktree::create(&repo, RunId(3)).unwrap();
    assert_eq!(wt.branch.as_deref(), Some("warroom/run-3-3"));
    // A second create for the same run is refused; open resumes it.
    let err = Worktree::create(&repo, RunId(3)).unwrap_err();
    assert!(matches!(err, WorktreeError::Exists { .. }), "{err}");
    edit(&wt);
    let reopened = Worktree::open(&repo, RunId(3)).unwrap();
    assert_eq!(
        (&reopened.base, &reopened.branch, reopened.kind),
        (&wt.base, &wt.branch, wt.kind)
    );
    assert_eq!(reopened.diff().unwrap(), wt.diff().unwrap());
    let path = wt.path.clone();
    reopened.remove().unwrap();
    assert!(!path.exists());
    assert_eq!(git(&repo, &["branch", "--list", "warroom/run-3-3"]), "");
    assert!(!git(&repo, &["worktree", "list"]).contains(".warroom"));
    let err = Worktree::open(&repo, RunId(3)).unwrap_err();
    assert!(err.to_string().contains("run 3 has no worktree"), "{err}");
}

#[test]
fn a_folder_deleted_by_hand_does_not_block_a_new_worktree_for_the_run() {
    let (_dir, repo) = committed_repo();
    let wt = Worktree::create(&repo, RunId(4)).unwrap();
    std::fs::remove_dir_all(repo.join(".warroom")).unwrap();
    let again = Worktree::create(&repo, RunId(4)).unwrap();
    assert_ne!(again.branch, wt.branch);
    again.remove().unwrap();
}

#[test]
fn a_plain_folder_is_copied_with_its_ignore_rules_modes_and_safe_links() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("plain");
    std::fs::create_dir_all(folder.join("src")).unwrap();
    std::fs::create_dir_all(folder.join("build")).unwrap();
    std::fs::write(folder.join(".gitignore"), "build/\n*.log\n").unwrap();
    std::fs::write(folder.join("src/main.c"), "int main(){return 1;}\n").unwrap();
    std::fs::write(folder.join("build/out.o"), "junk").unwrap();
    std::fs::write(folder.join("debug.log"), "noise").unwrap();
    std::fs::write(folder.join("run.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(
        folder.join("run.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(dir.path().join("secret"), "outside").unwrap();
    std::os::unix::fs::symlink("../secret", folder.join("escape")).unwrap();
    std::os::unix::fs::symlink("src/main.c", folder.join("inside")).unwrap();

    let wt = Worktree::create(&folder, RunId(2)).unwrap();
    assert_eq!(wt.kind, WorktreeKind::Copy);
    assert_eq!(wt.branch, None);
    assert_eq!(wt.warnings.len(), 1, "{:?}", wt.warnings);
    assert!(wt.warnings[0].contains("escape"), "{:?}", wt.warnings);
    assert!(wt.path.join("src/main.c").is_file());
    assert!(!wt.path.join("build").exists() && !wt.path.join("debug.log").exists());
    assert!(!wt.path.join("escape").exists() && wt.path.join("escape").symlink_metadata().is_err());
    assert_eq!(
        std::fs::read_link(wt.path.join("inside")).unwrap(),
        Path::new("src/main.c")
    );
    assert!(
        !wt.path.join(".warroom").exists(),
        "the copy does not hold itself"
    );
    let mode = std::fs::metadata(wt.path.join("run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111);
    assert!(
        !folder.join(".git").exists(),
        "the person's folder stays a plain folder"
    );

    std::fs::write(wt.path.join("src/main.c"), "int main(){return 0;}\n").unwrap();
    assert_eq!(wt.changed_files().unwrap(), ["src/main.c"]);
    let diff = wt.diff().unwrap();
    crate::core::patches::apply(&folder, &diff).unwrap();
    assert_eq!(
        std::fs::read_to_string(folder.join("src/main.c")).unwrap(),
        "int main(){return 0;}\n"
    );

    let reopened = Worktree::open(&folder, RunId(2)).unwrap();
    assert_eq!(
        (reopened.kind, &reopened.base),
        (WorktreeKind::Copy, &wt.base)
    );
    reopened.remove().unwrap();
    assert!(!wt.path.exists());
    assert!(folder.join("src/main.c").exists());
}

#[test]
fn a_repository_without_commits_is_copied_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("fresh");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("a.txt"), "x\n").unwrap();
    let wt = Worktree::create(&repo, RunId(1)).unwrap();
    assert_eq!(wt.kind, WorktreeKind::Copy);
    assert!(
        wt.warnings[0].contains("no commits yet"),
        "{:?}",
        wt.warnings
    );
    assert!(wt.path.join("a.txt").is_file());
    assert!(wt.path.join(".git").is_dir());
    // The person's repository still has no commits.
    let out = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn a_plain_folder_inside_another_repository_is_not_mistaken_for_it() {
    let (_dir, outer) = committed_repo();
    let inner = outer.join("src");
    let wt = Worktree::create(&inner, RunId(1)).unwrap();
    assert_eq!(wt.kind, WorktreeKind::Copy);
    assert!(wt.path.join("lib.py").is_file());
    assert_eq!(wt.changed_files().unwrap(), Vec::<String>::new());
}
