//! Tests of git_status and git_diff on real repositories made with the real git.

use std::process::Command;

use serde_json::json;
use tempfile::TempDir;

use super::*;

fn sh_git(dir: &std::path::Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

fn repo() -> (TempDir, Workspace) {
    let dir = TempDir::new().unwrap();
    sh_git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "fn a() {}\n").unwrap();
    std::fs::write(dir.path().join("README.md"), "# x\n").unwrap();
    sh_git(dir.path(), &["add", "."]);
    sh_git(dir.path(), &["commit", "-q", "-m", "first"]);
    let ws = Workspace::new(dir.path()).unwrap();
    (dir, ws)
}

#[test]
fn status_lists_changed_and_untracked_files() {
    let (_dir, ws) = repo();
    let out = status(&ws, json!({})).unwrap();
    assert!(out.ok);
    assert!(out.content.starts_with("## main"), "{}", out.content);
    assert_eq!(out.summary, "git status: 0 changed files");
    std::fs::write(ws.root().join("src/lib.rs"), "fn a() { 1 }\n").unwrap();
    std::fs::write(ws.root().join("src/new.rs"), "fn n() {}\n").unwrap();
    let out = status(&ws, serde_json::Value::Null).unwrap();
    assert!(out.content.contains(" M src/lib.rs"), "{}", out.content);
    assert!(out.content.contains("?? src/new.rs"), "{}", out.content);
    assert_eq!(out.summary, "git status: 2 changed files");
    let out = status(&ws, json!({"path": "README.md"})).unwrap();
    assert!(!out.content.contains("src/"), "{}", out.content);
}

#[test]
fn diff_shows_staged_and_unstaged_changes() {
    let (_dir, ws) = repo();
    let out = diff(&ws, json!({})).unwrap();
    assert_eq!(out.content, "(no changes)\n");
    std::fs::write(ws.root().join("src/lib.rs"), "fn a() { 1 }\n").unwrap();
    std::fs::write(ws.root().join("README.md"), "# y\n").unwrap();
    sh_git(ws.root(), &["add", "README.md"]);
    let out = diff(&ws, json!({})).unwrap();
    assert!(
        out.content.contains("diff --git a/src/lib.rs b/src/lib.rs"),
        "{}",
        out.content
    );
    assert!(out.content.contains("+fn a() { 1 }"), "{}", out.content);
    assert!(out.content.contains("+# y"), "{}", out.content);
    assert!(!out.content.contains("\u{1b}["), "no colour codes");
    assert_eq!(out.summary, "git diff: 2 files changed");
    let out = diff(&ws, json!({"path": "src"})).unwrap();
    assert_eq!(out.summary, "git diff: 1 files changed");
}

#[test]
fn diff_before_the_first_commit_uses_the_index() {
    let dir = TempDir::new().unwrap();
    sh_git(dir.path(), &["init", "-q"]);
    std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
    sh_git(dir.path(), &["add", "a.txt"]);
    let ws = Workspace::new(dir.path()).unwrap();
    let out = diff(&ws, json!({})).unwrap();
    assert!(out.content.contains("+a"), "{}", out.content);
}

#[test]
fn not_a_repository_is_said_plainly_even_inside_one() {
    // A plain folder inside a repository (as a run's copy under `.warroom/` would be): git must
    // not answer with the outer repository's state.
    let (outer, _ws) = repo();
    let inner = outer.path().join(".warroom/copy");
    std::fs::create_dir_all(&inner).unwrap();
    let ws = Workspace::new(&inner).unwrap();
    let e = status(&ws, json!({})).unwrap_err();
    assert!(e.to_string().contains("not a git repository"), "{e}");
    let e = diff(&ws, json!({})).unwrap_err();
    assert!(e.to_string().contains("not a git repository"), "{e}");
}

#[test]
fn bad_paths_and_arguments_are_refused() {
    let (_dir, ws) = repo();
    let e = status(&ws, json!({"path": "../"})).unwrap_err();
    assert!(matches!(e, ToolError::PathRefused { .. }), "{e}");
    let e = diff(&ws, json!({"path": ".git"})).unwrap_err();
    assert!(matches!(e, ToolError::PathRefused { .. }), "{e}");
    let e = diff(&ws, json!({"rev": "HEAD~1"})).unwrap_err();
    assert!(e.to_string().contains("unknown field `rev`"), "{e}");
}

#[test]
fn big_diffs_are_capped() {
    let (_dir, ws) = repo();
    let big: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(ws.root().join("src/lib.rs"), big).unwrap();
    let out = diff(&ws, json!({})).unwrap();
    assert!(out.content.len() <= MAX_CONTENT_BYTES + 100);
    assert!(
        out.content.contains("(truncated: "),
        "{}",
        &out.content[out.content.len() - 200..]
    );
}
