//! Tests of the scope filter and the search tool on real folders.

use serde_json::json;
use tempfile::TempDir;

use super::*;

fn workspace() -> (TempDir, Workspace) {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    for folder in [
        "src/util",
        "target/debug",
        "node_modules/pkg",
        ".hidden",
        ".git",
        "docs",
    ] {
        std::fs::create_dir_all(root.join(folder)).unwrap();
    }
    let files = [
        (".gitignore", "target/\nnode_modules/\n/generated.rs\n"),
        (".ignore", "docs/private.md\n"),
        ("src/main.rs", "fn main() {\n    parse_dates();\n}\n"),
        (
            "src/util/dates.rs",
            "pub fn parse_dates() {}\n// TODO: time zones\n",
        ),
        ("src/util/notes.txt", "parse_dates in a text file\n"),
        ("generated.rs", "fn parse_dates_generated() {}\n"),
        ("target/debug/build.rs", "fn parse_dates() {}\n"),
        ("node_modules/pkg/index.js", "parse_dates()\n"),
        (".hidden/secret.rs", "fn parse_dates() {}\n"),
        ("docs/guide.md", "call parse_dates\n"),
        ("docs/private.md", "parse_dates internals\n"),
        ("Makefile", "test:\n\tcargo test parse_dates\n"),
        ("Dockerfile.dev", "FROM rust\n"),
        ("logo.png", "parse_dates"),
    ];
    for (path, text) in files {
        std::fs::write(root.join(path), text).unwrap();
    }
    let ws = Workspace::new(root).unwrap();
    (dir, ws)
}

fn sorted(mut paths: Vec<PathBuf>) -> Vec<String> {
    paths.sort();
    paths.iter().map(|p| p.display().to_string()).collect()
}

#[test]
fn scope_walk_honours_ignore_rules_and_extensions() {
    let (_dir, ws) = workspace();
    assert_eq!(
        sorted(scope_walk(ws.root())),
        [
            "Dockerfile.dev",
            "Makefile",
            "docs/guide.md",
            "src/main.rs",
            "src/util/dates.rs"
        ]
    );
}

#[test]
fn the_serial_fallback_finds_the_same_files() {
    let (_dir, ws) = workspace();
    assert_eq!(sorted(walk_serial(ws.root())), sorted(walk(ws.root())));
}

#[test]
fn scope_walk_honours_git_exclude_in_a_real_repo() {
    let (_dir, ws) = workspace();
    let status = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(ws.root())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(ws.root().join(".git/info/exclude"), "Makefile\n").unwrap();
    let found = sorted(scope_walk(ws.root()));
    assert!(!found.contains(&"Makefile".to_string()), "{found:?}");
    assert!(found.contains(&"src/main.rs".to_string()), "{found:?}");
}

#[test]
fn in_scope_by_extension_and_name() {
    for name in [
        "a.rs",
        "b.py",
        "c.tsx",
        "d.go",
        "e.hpp",
        "F.java",
        "g.rb",
        "h.sh",
        "Cargo.toml",
    ] {
        assert!(in_scope(name), "{name}");
    }
    for name in [
        "justfile",
        "Makefile",
        "Dockerfile",
        "package.json",
        "ci.yml",
        "README.md",
    ] {
        assert!(in_scope(name), "{name}");
    }
    for name in [
        "logo.png",
        "notes.txt",
        "LICENSE",
        "archive.tar.gz",
        "rs",
        "Cargo.lock",
    ] {
        assert!(!in_scope(name), "{name}");
    }
}

#[test]
fn search_answers_path_line_text_in_scope_only() {
    let (_dir, ws) = workspace();
    let out = run(&ws, json!({"pattern": r"parse_dates\("})).unwrap();
    assert_eq!(
        out.content,
        "src/main.rs:2:     parse_dates();\nsrc/util/dates.rs:1: pub fn parse_dates() {}\n"
    );
    let out = run(&ws, json!({"pattern": "parse_dates"})).unwrap();
    let files: Vec<&str> = out
        .content
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "Makefile",
            "docs/guide.md",
            "src/main.rs",
            "src/util/dates.rs"
        ]
    );
    let out = run(&ws, json!({"pattern": "(?i)todo", "path": "src/util"})).unwrap();
    assert_eq!(out.content, "src/util/dates.rs:2: // TODO: time zones\n");
    let out = run(
        &ws,
        json!({"pattern": "parse_dates", "path": "src/util/notes.txt"}),
    )
    .unwrap();
    assert_eq!(
        out.content,
        "src/util/notes.txt:1: parse_dates in a text file\n"
    );
    let out = run(&ws, json!({"pattern": "nothing_like_this"})).unwrap();
    assert!(out.content.starts_with("no match"), "{}", out.content);
}

#[test]
fn search_caps_results_and_says_how_many_more() {
    let (_dir, ws) = workspace();
    let many: String = (0..50).map(|i| format!("let x{i} = hit;\n")).collect();
    std::fs::write(ws.root().join("src/many.rs"), many).unwrap();
    let out = run(&ws, json!({"pattern": "hit", "max_results": 5})).unwrap();
    let lines: Vec<&str> = out.content.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0], "src/many.rs:1: let x0 = hit;");
    assert_eq!(
        lines[5],
        "(truncated: 45 more matches; narrow the pattern or the path)"
    );
}

#[test]
fn bad_arguments_are_bad_args() {
    let (_dir, ws) = workspace();
    let e = run(&ws, json!({"pattern": "fn (unclosed"})).unwrap_err();
    assert!(
        matches!(&e, ToolError::BadArgs(m) if m.contains("regex")),
        "{e}"
    );
    let e = run(&ws, json!({"pattern": "x", "max_results": 0})).unwrap_err();
    assert!(matches!(e, ToolError::BadArgs(_)), "{e}");
    let e = run(&ws, json!({"pattern": "x", "path": "../"})).unwrap_err();
    assert!(matches!(e, ToolError::PathRefused { .. }), "{e}");
    let e = run(&ws, json!({"pattern": "x", "path": ".git"})).unwrap_err();
    assert!(matches!(e, ToolError::PathRefused { .. }), "{e}");
    let e = run(&ws, json!({"path": "src"})).unwrap_err();
    assert!(e.to_string().contains("`pattern`"), "{e}");
}
