//! Tests of apply_patch on real files: modify, create, delete, rename, offsets, rejections
//! that leave every file untouched, `\ No newline`, binary refusal, path refusals, and
//! garbage that must never panic.

use std::os::unix::fs::symlink;

use serde_json::json;
use tempfile::TempDir;

use super::*;

fn workspace(files: &[(&str, &str)]) -> (TempDir, Workspace) {
    let dir = TempDir::new().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let ws = Workspace::new(dir.path()).unwrap();
    (dir, ws)
}

fn read(ws: &Workspace, rel: &str) -> String {
    std::fs::read_to_string(ws.root().join(rel)).unwrap()
}

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

#[test]
fn modifies_creates_and_deletes_in_one_patch() {
    let (_dir, ws) = workspace(&[("src/a.rs", "one\ntwo\nthree\n"), ("old/gone.txt", "bye\n")]);
    let diff = "\
diff --git a/src/a.rs b/src/a.rs
index 1111111..2222222 100644
--- a/src/a.rs
+++ b/src/a.rs
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
diff --git a/src/new.rs b/src/new.rs
new file mode 100644
--- /dev/null
+++ b/src/new.rs
@@ -0,0 +1,2 @@
+fn new() {}
+// end
diff --git a/old/gone.txt b/old/gone.txt
deleted file mode 100644
--- a/old/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
";
    let report = apply(&ws, diff).unwrap();
    assert_eq!(report.modified, ["src/a.rs"]);
    assert_eq!(report.created, ["src/new.rs"]);
    assert_eq!(report.deleted, ["old/gone.txt"]);
    assert_eq!(report.hunks_applied, 3);
    assert_eq!(read(&ws, "src/a.rs"), "one\nTWO\nthree\n");
    assert_eq!(read(&ws, "src/new.rs"), "fn new() {}\n// end\n");
    assert!(!ws.root().join("old/gone.txt").exists());
    // The folder the deletion emptied goes too, as with git.
    assert!(!ws.root().join("old").exists());
}

#[test]
fn plain_diff_u_without_prefixes_and_with_dates() {
    let (_dir, ws) = workspace(&[("notes.txt", "alpha\nbeta\n")]);
    let diff = "--- notes.txt\t2024-01-01 10:00:00.000000000 +0000\n\
                +++ notes.txt\t2024-01-02 10:00:00.000000000 +0000\n\
                @@ -1,2 +1,3 @@\n alpha\n+inserted\n beta\n";
    apply(&ws, diff).unwrap();
    assert_eq!(read(&ws, "notes.txt"), "alpha\ninserted\nbeta\n");
}

#[test]
fn hunks_apply_with_an_offset_and_say_so() {
    let (_dir, ws) = workspace(&[("f.txt", &numbered(40))]);
    // Headers say lines 5 and 30; the text is 3 lines lower (three lines were added above).
    let mut text = String::from("new a\nnew b\nnew c\n");
    text.push_str(&numbered(40));
    std::fs::write(ws.root().join("f.txt"), &text).unwrap();
    let diff = "--- a/f.txt\n+++ b/f.txt\n\
                @@ -5,3 +5,3 @@\n line 5\n-line 6\n+LINE 6\n line 7\n\
                @@ -30,3 +30,3 @@\n line 30\n-line 31\n+LINE 31\n line 32\n";
    let report = apply(&ws, diff).unwrap();
    assert_eq!(report.hunks_applied, 2);
    assert_eq!(report.notes.len(), 2, "{:?}", report.notes);
    assert!(
        report.notes[0].contains("hunk 1 applied 3 lines lower"),
        "{:?}",
        report.notes
    );
    let after = read(&ws, "f.txt");
    assert!(after.contains("line 5\nLINE 6\nline 7\n"));
    assert!(after.contains("line 30\nLINE 31\nline 32\n"));
    assert!(!after.contains("\nline 6\n") && !after.contains("\nline 31\n"));
}

#[test]
fn a_rejected_hunk_leaves_every_file_untouched_and_is_named() {
    let (_dir, ws) = workspace(&[("a.txt", "keep\nme\n"), ("b.txt", &numbered(10))]);
    let diff = "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n keep\n-me\n+you\n\
                --- a/b.txt\n+++ b/b.txt\n@@ -4,3 +4,3 @@\n line 4\n-line five\n+line 5!\n line 6\n\
                --- /dev/null\n+++ b/c.txt\n@@ -0,0 +1 @@\n+new\n";
    let e = apply(&ws, diff).unwrap_err();
    let ToolError::Patch(text) = &e else {
        panic!("{e:?}")
    };
    assert!(text.contains("no file was changed"), "{text}");
    assert!(
        text.contains("b.txt: hunk 1 `@@ -4,3 +4,3 @@` does not match"),
        "{text}"
    );
    assert!(text.contains("  |line five"), "{text}");
    assert!(text.contains("      5|line 5"), "{text}");
    assert!(
        text.contains("`line five` is nowhere in the file"),
        "{text}"
    );
    assert_eq!(read(&ws, "a.txt"), "keep\nme\n");
    assert_eq!(read(&ws, "b.txt"), numbered(10));
    assert!(!ws.root().join("c.txt").exists());
    // `check` agrees and writes nothing either.
    assert!(check(&ws, diff).is_err());
}

#[test]
fn the_whitespace_hint_points_at_indentation() {
    let (_dir, ws) = workspace(&[("x.py", "def f():\n    return 1\n")]);
    let diff = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n def f():\n-  return 1\n+  return 2\n";
    let e = apply(&ws, diff).unwrap_err().to_string();
    assert!(e.contains("other whitespace"), "{e}");
}

#[test]
fn no_newline_at_end_of_file_both_ways() {
    let (_dir, ws) = workspace(&[("a.txt", "x\ny"), ("b.txt", "x\ny\n")]);
    let add_newline =
        "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n";
    apply(&ws, add_newline).unwrap();
    assert_eq!(read(&ws, "a.txt"), "x\ny\n");
    let drop_newline =
        "--- a/b.txt\n+++ b/b.txt\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n\\ No newline at end of file\n";
    apply(&ws, drop_newline).unwrap();
    assert_eq!(read(&ws, "b.txt"), "x\nz");
    // A hunk whose old side has no final newline only matches at the end of the file.
    let (_dir2, ws2) = workspace(&[("c.txt", "y\nmore\n")]);
    let e = apply(
        &ws2,
        "--- a/c.txt\n+++ b/c.txt\n@@ -1 +1 @@\n-y\n\\ No newline at end of file\n+z\n",
    );
    assert!(e.is_err());
}

#[test]
fn renames_and_empty_new_files_from_git() {
    let (_dir, ws) = workspace(&[("old.rs", "a\nb\n")]);
    let diff = "\
diff --git a/old.rs b/new.rs
similarity index 90%
rename from old.rs
rename to new.rs
--- a/old.rs
+++ b/new.rs
@@ -1,2 +1,2 @@
 a
-b
+c
diff --git a/empty.txt b/empty.txt
new file mode 100644
index 0000000..e69de29
";
    let report = apply(&ws, diff).unwrap();
    assert_eq!(
        report.renamed,
        [("old.rs".to_string(), "new.rs".to_string())]
    );
    assert_eq!(report.created, ["empty.txt"]);
    assert!(!ws.root().join("old.rs").exists());
    assert_eq!(read(&ws, "new.rs"), "a\nc\n");
    assert_eq!(read(&ws, "empty.txt"), "");
}

#[test]
fn creating_an_existing_file_or_changing_a_missing_one_is_rejected() {
    let (_dir, ws) = workspace(&[("here.txt", "x\n")]);
    let e = apply(&ws, "--- /dev/null\n+++ b/here.txt\n@@ -0,0 +1 @@\n+y\n").unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = apply(&ws, "--- a/nope.txt\n+++ b/nope.txt\n@@ -1 +1 @@\n-a\n+b\n").unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    let e = apply(&ws, "--- a/here.txt\n+++ /dev/null\n@@ -0,0 +0,0 @@\n").unwrap_err();
    assert!(e.to_string().contains("does not remove"), "{e}");
    assert_eq!(read(&ws, "here.txt"), "x\n");
}

#[test]
fn miscounted_and_numberless_hunks_from_models() {
    let (_dir, ws) = workspace(&[("m.rs", "fn a() {}\n\nfn b() {}\nfn c() {}\n")]);
    // Counts say 2 lines but the body has 4: the rest is not dropped.
    let diff = "--- a/m.rs\n+++ b/m.rs\n@@ -1,2 +1,2 @@\n fn a() {}\n\n-fn b() {}\n+fn b() { 2 }\n";
    apply(&ws, diff).unwrap();
    assert_eq!(read(&ws, "m.rs"), "fn a() {}\n\nfn b() { 2 }\nfn c() {}\n");
    let diff = "--- a/m.rs\n+++ b/m.rs\n@@ @@\n-fn c() {}\n+fn c() { 1 }\n";
    apply(&ws, diff).unwrap();
    assert_eq!(
        read(&ws, "m.rs"),
        "fn a() {}\n\nfn b() { 2 }\nfn c() { 1 }\n"
    );
}

#[test]
fn binary_and_empty_diffs_are_bad_args() {
    let (_dir, ws) = workspace(&[("logo.png", "x")]);
    let binary =
        "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nGIT binary patch\nliteral 5\nabcde\n";
    let e = apply(&ws, binary).unwrap_err();
    assert!(
        matches!(&e, ToolError::BadArgs(m) if m.contains("binary")),
        "{e}"
    );
    let e = apply(
        &ws,
        "diff --git a/p.bin b/p.bin\nBinary files a/p.bin and b/p.bin differ\n",
    )
    .unwrap_err();
    assert!(
        matches!(&e, ToolError::BadArgs(m) if m.contains("binary")),
        "{e}"
    );
    for empty in ["", "\n\n", "just some prose\n", "--- a/x\n+++ b/x\n"] {
        let e = apply(&ws, empty).unwrap_err();
        assert!(
            matches!(&e, ToolError::BadArgs(m) if m.contains("the diff is empty")),
            "{empty:?}: {e}"
        );
    }
    let e = apply(&ws, "@@ -1 +1 @@\n-a\n+b\n").unwrap_err();
    assert!(e.to_string().contains("before any"), "{e}");
}

#[test]
fn binary_files_on_disk_are_not_patched() {
    let (_dir, ws) = workspace(&[]);
    std::fs::write(ws.root().join("blob.dat"), b"a\0b\n").unwrap();
    let e = apply(&ws, "--- a/blob.dat\n+++ b/blob.dat\n@@ -1 +1 @@\n-a\n+b\n").unwrap_err();
    assert!(e.to_string().contains("binary file"), "{e}");
}

#[test]
fn paths_out_of_the_worktree_are_refused() {
    let (_dir, ws) = workspace(&[("a.txt", "a\n")]);
    let outside = TempDir::new().unwrap();
    symlink(outside.path(), ws.root().join("out")).unwrap();
    std::fs::create_dir_all(ws.root().join(".git/hooks")).unwrap();
    for path in [
        "../escape.txt",
        "/tmp/abs.txt",
        ".git/hooks/pre-commit",
        "out/x.txt",
    ] {
        let diff = format!("--- /dev/null\n+++ {path}\n@@ -0,0 +1 @@\n+pwned\n");
        let e = apply(&ws, &diff).unwrap_err();
        assert!(matches!(e, ToolError::PathRefused { .. }), "{path}: {e}");
    }
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    assert!(!ws.root().join(".git/hooks/pre-commit").exists());
}

#[test]
fn the_tool_wraps_apply() {
    let (_dir, ws) = workspace(&[("a.txt", "a\n")]);
    let out = run(
        &ws,
        json!({"diff": "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n"}),
    )
    .unwrap();
    assert!(out.ok);
    assert_eq!(
        out.content,
        "applied: 1 modified, 0 created, 0 deleted, 0 renamed (1 hunks)\nmodified a.txt\n"
    );
    let e = run(&ws, json!({"patch": "x"})).unwrap_err();
    assert!(e.to_string().contains("unknown field `patch`"), "{e}");
}

#[test]
fn parse_reads_git_quoted_names_and_counts() {
    let files = parse(
        "diff --git \"a/sp ace\\303\\251.txt\" \"b/sp ace\\303\\251.txt\"\n\
         --- \"a/sp ace\\303\\251.txt\"\n+++ \"b/sp ace\\303\\251.txt\"\n@@ -3,2 +3,3 @@ fn x()\n a\n+b\n c\n",
    )
    .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].new_path.as_deref(), Some("sp aceé.txt"));
    let hunk = &files[0].hunks[0];
    assert_eq!((hunk.old_start, hunk.new_start), (Some(3), Some(3)));
    assert_eq!(hunk.lines.len(), 3);
}

/// A small deterministic generator (xorshift) for the fuzz-style test.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn garbage_never_panics() {
    let (_dir, ws) = workspace(&[("a.txt", &numbered(5)), ("src/b.rs", "fn b() {}\n")]);
    let pieces = [
        "--- a/a.txt\n",
        "+++ b/a.txt\n",
        "--- /dev/null\n",
        "+++ /dev/null\n",
        "@@ -1,2 +1,3 @@\n",
        "@@ -0,0 +0,0 @@\n",
        "@@ -99999999999999999999,1 +1 @@\n",
        "@@ -3 +3 @@ x\n",
        "@@\n",
        "@@ -,\n",
        " line 1\n",
        "-line 2\n",
        "+added\n",
        "\\ No newline at end of file\n",
        "diff --git a/src/b.rs b/src/b.rs\n",
        "diff --git \"a/\\",
        "rename from \n",
        "rename to a.txt\n",
        "new file mode 100644\n",
        "deleted file mode 100644\n",
        "\n",
        "-- \n",
        "é",
        "\r\n",
        "\"",
        "--- \"a/\\777\n",
        "+++ \"b/\\\n",
        "\0",
        "+++ b/src/b.rs\n",
        "-fn b() {}\n",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..3_000 {
        let mut diff = String::new();
        for _ in 0..(next(&mut state) % 14) {
            diff.push_str(pieces[(next(&mut state) % pieces.len() as u64) as usize]);
        }
        let _ = parse(&diff);
        let _ = check(&ws, &diff);
    }
    // Random bytes as text too.
    for _ in 0..2_000 {
        let len = (next(&mut state) % 200) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (next(&mut state) % 128) as u8).collect();
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }
    // Whatever `check` accepted, nothing on disk changed.
    assert_eq!(read(&ws, "a.txt"), numbered(5));
    assert_eq!(read(&ws, "src/b.rs"), "fn b() {}\n");
}
