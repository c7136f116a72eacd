//! Tests of path resolution on real folders and symlinks.

use std::os::unix::fs::symlink;

use tempfile::TempDir;

use super::*;

fn workspace() -> (TempDir, Workspace) {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "fn f() {}\n").unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".git/config"), "[core]\n").unwrap();
    let ws = Workspace::new(dir.path()).unwrap();
    (dir, ws)
}

fn why(result: Result<PathBuf, ToolError>) -> String {
    match result {
        Err(ToolError::PathRefused { why, .. }) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn plain_paths_resolve_under_the_root() {
    let (_dir, ws) = workspace();
    assert_eq!(
        resolve(&ws, "src/lib.rs").unwrap(),
        ws.root().join("src/lib.rs")
    );
    assert_eq!(
        resolve(&ws, "./src/lib.rs").unwrap(),
        ws.root().join("src/lib.rs")
    );
    assert_eq!(resolve(&ws, ".").unwrap(), ws.root());
    assert_eq!(
        resolve(&ws, "src/new.rs").unwrap(),
        ws.root().join("src/new.rs")
    );
    assert_eq!(
        resolve_for_write(&ws, "a/b/c.txt").unwrap(),
        ws.root().join("a/b/c.txt")
    );
    assert_eq!(relative(&ws, &ws.root().join("src/lib.rs")), "src/lib.rs");
    assert_eq!(relative(&ws, ws.root()), ".");
}

#[test]
fn lexical_escapes_are_refused() {
    let (_dir, ws) = workspace();
    assert!(why(resolve(&ws, "../x")).contains(".."));
    assert!(why(resolve(&ws, "src/../../x")).contains(".."));
    assert!(why(resolve(&ws, "src/../lib.rs")).contains(".."));
    assert!(why(resolve(&ws, "/etc/passwd")).contains("absolute"));
    assert!(why(resolve(&ws, "")).contains("empty"));
    assert!(why(resolve(&ws, "  ")).contains("empty"));
    assert!(why(resolve(&ws, "a\0b")).contains("NUL"));
    assert!(why(resolve(&ws, ".git/config")).contains(".git"));
    assert!(why(resolve(&ws, "sub/.git/HEAD")).contains(".git"));
    assert!(why(resolve_for_write(&ws, ".git")).contains(".git"));
    assert!(why(resolve_for_write(&ws, ".")).contains("root"));
    assert!(why(resolve_for_write(&ws, "src")).contains("folder"));
    // Names that merely contain ".git" or ".." are ordinary.
    assert!(resolve(&ws, ".gitignore").is_ok());
    assert!(resolve(&ws, "a..b").is_ok());
}

#[test]
fn symlinks_leading_out_are_refused() {
    let (_dir, ws) = workspace();
    let root = ws.root();
    symlink("/etc/passwd", root.join("passwd")).unwrap();
    symlink("/etc", root.join("etc")).unwrap();
    symlink(".git", root.join("gitdir")).unwrap();
    symlink("/nonexistent/target", root.join("dangling")).unwrap();
    assert!(why(resolve(&ws, "passwd")).contains("outside"));
    assert!(why(resolve_for_write(&ws, "passwd")).contains("outside"));
    assert!(why(resolve(&ws, "etc/hostname")).contains("outside"));
    assert!(why(resolve_for_write(&ws, "etc/new-file")).contains("outside"));
    assert!(why(resolve_for_write(&ws, "etc/deep/new")).contains("outside"));
    assert!(why(resolve(&ws, "gitdir/config")).contains(".git"));
    assert!(why(resolve_for_write(&ws, "dangling")).contains("does not exist"));
}

#[test]
fn symlinks_inside_the_worktree_are_followed() {
    let (_dir, ws) = workspace();
    symlink("src", ws.root().join("source")).unwrap();
    symlink("lib.rs", ws.root().join("src/alias.rs")).unwrap();
    assert_eq!(
        resolve(&ws, "source/lib.rs").unwrap(),
        ws.root().join("src/lib.rs")
    );
    assert_eq!(
        resolve(&ws, "src/alias.rs").unwrap(),
        ws.root().join("src/lib.rs")
    );
    assert_eq!(
        resolve_for_write(&ws, "source/new.rs").unwrap(),
        ws.root().join("src/new.rs")
    );
}

#[test]
fn a_workspace_reached_through_a_symlink_still_works() {
    let (dir, _ws) = workspace();
    let outer = TempDir::new().unwrap();
    let link = outer.path().join("wt");
    symlink(dir.path(), &link).unwrap();
    let ws = Workspace::new(&link).unwrap();
    assert_eq!(
        resolve(&ws, "src/lib.rs").unwrap(),
        ws.root().join("src/lib.rs")
    );
}
