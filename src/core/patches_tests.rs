//! Applying and rolling back patches in real git repositories and plain folders in temp dirs.

use super::*;
use crate::core::test_git::git;
use std::path::PathBuf;

/// A repository with two committed files, and a diff made by editing a clone of it (the way a
/// run's worktree produces one).
fn repo_and_diff() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::create_dir(repo.join("src")).unwrap();
    std::fs::write(
        repo.join("src/x.py"),
        "def f():\n    return 1\n\nprint(f())\n",
    )
    .unwrap();
    std::fs::write(repo.join("gone.txt"), "old\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "start"]);
    let other = dir.path().join("other");
    git(dir.path(), &["clone", "-q", "repo", "other"]);
    std::fs::write(
        other.join("src/x.py"),
        "def f():\n    return 2\n\nprint(f())\n",
    )
    .unwrap();
    std::fs::write(other.join("new.txt"), "fresh\n").unwrap();
    std::fs::remove_file(other.join("gone.txt")).unwrap();
    git(&other, &["add", "-A"]);
    let diff = git(
        &other,
        &["diff", "--cached", "--no-color", "--binary", "HEAD"],
    );
    (dir, repo, diff)
}

fn snapshot(repo: &Path) -> Vec<(String, Option<String>)> {
    ["src/x.py", "new.txt", "gone.txt"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read_to_string(repo.join(f)).ok()))
        .collect()
}

#[test]
fn a_patch_applies_and_rolls_back_to_the_same_files() {
    let (_dir, repo, diff) = repo_and_diff();
    let before = snapshot(&repo);
    check_apply(&repo, &diff).unwrap();
    let files = apply(&repo, &diff).unwrap();
    assert_eq!(files, ["gone.txt", "new.txt", "src/x.py"]);
    assert!(
        std::fs::read_to_string(repo.join("src/x.py"))
            .unwrap()
            .contains("return 2")
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("new.txt")).unwrap(),
        "fresh\n"
    );
    assert!(!repo.join("gone.txt").exists());
    // Nothing is staged or committed for the person.
    assert_eq!(git(&repo, &["diff", "--cached", "--name-only"]), "");
    check_rollback(&repo, &diff).unwrap();
    let files = rollback(&repo, &diff).unwrap();
    assert_eq!(files, ["gone.txt", "new.txt", "src/x.py"]);
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn a_conflicting_patch_is_refused_naming_the_file_and_nothing_changes() {
    let (_dir, repo, diff) = repo_and_diff();
    // The person edits the same line after the run started.
    std::fs::write(
        repo.join("src/x.py"),
        "def f():\n    return 7\n\nprint(f())\n",
    )
    .unwrap();
    let before = snapshot(&repo);
    let err = apply(&repo, &diff).unwrap_err();
    match &err {
        ApplyError::Conflict { reverse, files, .. } => {
            assert!(!reverse);
            assert_eq!(files, &["src/x.py"]);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let words = err.to_string();
    assert!(
        words.starts_with(
            "you changed src/x.py since the run started; the patch no longer applies there:"
        ),
        "{words}"
    );
    // Whole or nothing: the other two files were not touched either.
    assert_eq!(snapshot(&repo), before);
    assert!(check_apply(&repo, &diff).is_err());
}

#[test]
fn rollback_is_refused_after_the_person_edits_the_same_lines() {
    let (_dir, repo, diff) = repo_and_diff();
    apply(&repo, &diff).unwrap();
    std::fs::write(
        repo.join("src/x.py"),
        "def f():\n    return 3\n\nprint(f())\n",
    )
    .unwrap();
    let before = snapshot(&repo);
    let err = rollback(&repo, &diff).unwrap_err();
    assert!(
        matches!(&err, ApplyError::Conflict { reverse: true, files, .. } if files == &["src/x.py"]),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("since the patch was applied"),
        "{err}"
    );
    assert_eq!(snapshot(&repo), before);
    assert!(
        repo.join("new.txt").exists(),
        "the new file stays while the rollback is refused"
    );
}

#[test]
fn a_plain_folder_takes_a_patch_too() {
    let (dir, repo, diff) = repo_and_diff();
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(plain.join("src")).unwrap();
    std::fs::copy(repo.join("src/x.py"), plain.join("src/x.py")).unwrap();
    std::fs::copy(repo.join("gone.txt"), plain.join("gone.txt")).unwrap();
    let files = apply(&plain, &diff).unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(
        std::fs::read_to_string(plain.join("new.txt")).unwrap(),
        "fresh\n"
    );
    rollback(&plain, &diff).unwrap();
    assert!(!plain.join("new.txt").exists());
    assert_eq!(
        std::fs::read_to_string(plain.join("gone.txt")).unwrap(),
        "old\n"
    );
}

#[test]
fn damaged_empty_and_escaping_patches_are_refused() {
    let (_dir, repo, _diff) = repo_and_diff();
    let before = snapshot(&repo);
    assert_eq!(apply(&repo, "  \n"), Err(ApplyError::Empty));
    // A hunk cut short: it promises four lines and carries two.
    let cut = "diff --git a/src/x.py b/src/x.py\n--- a/src/x.py\n+++ b/src/x.py\n@@ -1,4 +1,4 @@\n def f():\n-    return 1\n";
    let err = apply(&repo, cut).unwrap_err();
    assert!(matches!(err, ApplyError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("damaged"), "{err}");
    let err = apply(&repo, "hello, I am not a diff\n").unwrap_err();
    assert!(matches!(err, ApplyError::Malformed { .. }), "{err:?}");
    let escaping = "diff --git a/../evil.txt b/../evil.txt\nnew file mode 100644\n--- /dev/null\n+++ b/../evil.txt\n@@ -0,0 +1 @@\n+x\n";
    assert!(apply(&repo, escaping).is_err());
    assert!(!repo.parent().unwrap().join("evil.txt").exists());
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn line_counts_skip_headers_and_count_hunk_lines() {
    let (_dir, _repo, diff) = repo_and_diff();
    // x.py: one line changed; new.txt: one added; gone.txt: one removed.
    assert_eq!(line_counts(&diff), (2, 2));
    let tricky =
        "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n--- was a rule\n+++ is a rule\n";
    assert_eq!(line_counts(tricky), (1, 1));
    assert_eq!(line_counts(""), (0, 0));
}
