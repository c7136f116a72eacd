//! Tests of list_files, read_file and write_file on real folders.

use std::os::unix::fs::{PermissionsExt, symlink};

use serde_json::json;
use tempfile::TempDir;

use super::*;
use crate::core::tools::{ToolOutput, Workspace};

fn workspace() -> (TempDir, Workspace) {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/deep")).unwrap();
    std::fs::create_dir_all(root.join("target/debug")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(root.join(".gitignore"), "target/\n*.log\n").unwrap();
    std::fs::write(root.join("src/lib.rs"), "line one\nline two\nline three\n").unwrap();
    std::fs::write(root.join("src/deep/mod.rs"), "// deep\n").unwrap();
    std::fs::write(root.join("target/debug/out"), "built\n").unwrap();
    std::fs::write(root.join("build.log"), "noise\n").unwrap();
    std::fs::write(root.join(".env.example"), "KEY=\n").unwrap();
    let ws = Workspace::new(root).unwrap();
    (dir, ws)
}

fn err(result: Result<ToolOutput, ToolError>) -> ToolError {
    match result {
        Err(e) => e,
        Ok(out) => panic!("expected an error, got {out:?}"),
    }
}

#[test]
fn args_errors_name_the_field() {
    let (_dir, ws) = workspace();
    let e = err(read::run(
        &ws,
        json!({"path": "src/lib.rs", "start_line": "two"}),
    ));
    assert!(e.to_string().contains("`start_line`"), "{e}");
    let e = err(read::run(&ws, json!({})));
    assert!(e.to_string().contains("missing field `path`"), "{e}");
    let e = err(read::run(&ws, json!({"path": "src/lib.rs", "colour": 1})));
    assert!(e.to_string().contains("unknown field `colour`"), "{e}");
    let e = err(list::run(&ws, json!({"max_entries": 0})));
    assert!(matches!(e, ToolError::BadArgs(_)), "{e}");
}

#[test]
fn list_honours_gitignore_and_never_shows_dot_git() {
    let (_dir, ws) = workspace();
    let out = list::run(&ws, serde_json::Value::Null).unwrap();
    let listed: Vec<&str> = out.content.lines().collect();
    assert_eq!(
        listed,
        [
            ".env.example",
            ".gitignore",
            "src/deep/mod.rs",
            "src/lib.rs"
        ]
    );
    let out = list::run(&ws, json!({"path": "src/deep"})).unwrap();
    assert_eq!(out.content, "src/deep/mod.rs\n");
}

#[test]
fn list_caps_and_says_how_many_more() {
    let (_dir, ws) = workspace();
    for i in 0..30 {
        std::fs::write(ws.root().join(format!("src/f{i:02}.rs")), "").unwrap();
    }
    let out = list::run(&ws, json!({"path": "src", "max_entries": 10})).unwrap();
    let lines: Vec<&str> = out.content.lines().collect();
    assert_eq!(lines.len(), 11);
    assert_eq!(
        lines[10],
        "(truncated: 22 more files; list a subfolder to see them)"
    );
    let e = err(list::run(&ws, json!({"path": "nowhere"})));
    assert!(e.to_string().contains("no such file"), "{e}");
    let e = err(list::run(&ws, json!({"path": "../"})));
    assert!(matches!(e, ToolError::PathRefused { .. }), "{e}");
}

#[test]
fn read_numbers_lines_and_honours_ranges() {
    let (_dir, ws) = workspace();
    let out = read::run(&ws, json!({"path": "src/lib.rs"})).unwrap();
    assert_eq!(
        out.content,
        "     1\tline one\n     2\tline two\n     3\tline three\n"
    );
    assert_eq!(out.summary, "read src/lib.rs (lines 1-3 of 3)");
    let out = read::run(
        &ws,
        json!({"path": "src/lib.rs", "start_line": 2, "end_line": 2}),
    )
    .unwrap();
    assert_eq!(out.content, "     2\tline two\n");
    let out = read::run(
        &ws,
        json!({"path": "src/lib.rs", "start_line": 3, "end_line": 99}),
    )
    .unwrap();
    assert_eq!(out.content, "     3\tline three\n");
    let e = err(read::run(
        &ws,
        json!({"path": "src/lib.rs", "start_line": 4}),
    ));
    assert!(e.to_string().contains("past the end"), "{e}");
    let e = err(read::run(
        &ws,
        json!({"path": "src/lib.rs", "start_line": 0}),
    ));
    assert!(e.to_string().contains("numbered from 1"), "{e}");
    let e = err(read::run(
        &ws,
        json!({"path": "src/lib.rs", "start_line": 3, "end_line": 2}),
    ));
    assert!(e.to_string().contains("before"), "{e}");
    let e = err(read::run(&ws, json!({"path": "src"})));
    assert!(e.to_string().contains("folder"), "{e}");
}

#[test]
fn read_caps_big_files_and_long_lines() {
    let (_dir, ws) = workspace();
    let big: String = (1..=20_000).map(|i| format!("line number {i}\n")).collect();
    std::fs::write(ws.root().join("big.txt"), &big).unwrap();
    let out = read::run(&ws, json!({"path": "big.txt"})).unwrap();
    assert!(out.content.len() <= MAX_CONTENT_BYTES + 200);
    let last = out.content.lines().last().unwrap();
    assert!(last.starts_with("(truncated: "), "{last}");
    let next: usize = last
        .rsplit("start_line=")
        .next()
        .unwrap()
        .trim_end_matches(')')
        .parse()
        .unwrap();
    let more = read::run(
        &ws,
        json!({"path": "big.txt", "start_line": next, "end_line": next}),
    )
    .unwrap();
    assert_eq!(more.content, format!("{next:>6}\tline number {next}\n"));

    let long = format!("{}\nshort\n", "é".repeat(5_000));
    std::fs::write(ws.root().join("long.txt"), long).unwrap();
    let out = read::run(&ws, json!({"path": "long.txt"})).unwrap();
    let first = out.content.lines().next().unwrap();
    assert!(first.ends_with("(8000 more bytes on this line)"), "{first}");
    assert!(out.content.contains("     2\tshort\n"));
}

#[test]
fn read_refuses_binary_files() {
    let (_dir, ws) = workspace();
    std::fs::write(ws.root().join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    std::fs::write(ws.root().join("latin1.txt"), b"caf\xe9 au lait\n").unwrap();
    let e = err(read::run(&ws, json!({"path": "logo.png"})));
    assert!(e.to_string().contains("binary"), "{e}");
    let e = err(read::run(&ws, json!({"path": "latin1.txt"})));
    assert!(e.to_string().contains("binary"), "{e}");
    std::fs::write(ws.root().join("empty.txt"), "").unwrap();
    let out = read::run(&ws, json!({"path": "empty.txt"})).unwrap();
    assert!(out.content.contains("(empty file)"));
}

#[test]
fn read_refuses_paths_out_of_the_worktree() {
    let (_dir, ws) = workspace();
    symlink("/etc/hostname", ws.root().join("host")).unwrap();
    for path in ["../x", "/etc/hostname", ".git/HEAD", "host"] {
        let e = err(read::run(&ws, json!({ "path": path })));
        assert!(matches!(e, ToolError::PathRefused { .. }), "{path}: {e}");
    }
}

#[test]
fn write_creates_parents_and_replaces_atomically() {
    let (_dir, ws) = workspace();
    let out = write::run(&ws, json!({"path": "new/dir/a.txt", "content": "hello\n"})).unwrap();
    assert!(
        out.content.starts_with("created new/dir/a.txt"),
        "{}",
        out.content
    );
    assert_eq!(
        std::fs::read_to_string(ws.root().join("new/dir/a.txt")).unwrap(),
        "hello\n"
    );

    let script = ws.root().join("run.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = write::run(
        &ws,
        json!({"path": "run.sh", "content": "#!/bin/sh\necho hi\n"}),
    )
    .unwrap();
    assert!(out.content.starts_with("replaced run.sh"));
    assert_eq!(
        std::fs::read_to_string(&script).unwrap(),
        "#!/bin/sh\necho hi\n"
    );
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    // No temp file is left behind.
    let names: Vec<String> = std::fs::read_dir(ws.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains("warroom-tmp")),
        "{names:?}"
    );
}

#[test]
fn write_replaces_a_reader_s_file_by_rename_not_in_place() {
    let (_dir, ws) = workspace();
    let path = ws.root().join("src/lib.rs");
    let before = std::fs::File::open(&path).unwrap();
    write::run(&ws, json!({"path": "src/lib.rs", "content": "new\n"})).unwrap();
    // A file opened before the write still sees the old content: a new inode replaced it.
    let mut old = String::new();
    std::io::Read::read_to_string(&mut &before, &mut old).unwrap();
    assert_eq!(old, "line one\nline two\nline three\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
}

#[test]
fn write_refuses_git_and_escapes() {
    let (_dir, ws) = workspace();
    let outside = TempDir::new().unwrap();
    symlink(outside.path(), ws.root().join("out")).unwrap();
    for path in [
        ".git/HEAD",
        ".git/hooks/pre-commit",
        "../x",
        "/tmp/x",
        "out/x",
        "src",
    ] {
        let e = err(write::run(&ws, json!({"path": path, "content": "x"})));
        assert!(matches!(e, ToolError::PathRefused { .. }), "{path}: {e}");
    }
    assert_eq!(
        std::fs::read_to_string(ws.root().join(".git/HEAD")).unwrap(),
        "ref: refs/heads/main\n"
    );
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
}

#[test]
fn binary_sniffing_and_cutting() {
    assert!(!looks_binary(b"plain text\n"));
    assert!(looks_binary(b"a\0b"));
    assert!(looks_binary(b"\xff\xfe"));
    // A multi-byte character cut by the sniff window is not binary.
    assert!(!looks_binary("aé".as_bytes().get(..2).unwrap()));
    assert_eq!(cut("héllo", 2), ("h", 5));
    assert_eq!(cut("hello", 9), ("hello", 0));
}

#[test]
fn temp_files_a_killed_write_left_are_removed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/.git")).unwrap();
    std::fs::write(root.join("src/app.py"), "x").unwrap();
    std::fs::write(root.join(format!("src/.app.py{TEMP_MARK}4242-0")), "half").unwrap();
    std::fs::write(root.join(format!(".top{TEMP_MARK}1-3")), "half").unwrap();
    // Inside a .git folder nothing is touched.
    std::fs::write(root.join(format!("src/.git/x{TEMP_MARK}1-1")), "git's").unwrap();
    let removed = remove_stale_temps(root);
    assert_eq!(
        removed,
        vec![
            format!(".top{TEMP_MARK}1-3"),
            format!("src/.app.py{TEMP_MARK}4242-0")
        ]
    );
    assert!(root.join("src/app.py").exists());
    assert!(root.join(format!("src/.git/x{TEMP_MARK}1-1")).exists());
}
