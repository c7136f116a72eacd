//! Tests of splitting diffs by hunk, building partial diffs and checking them; the partial
//! diffs are also applied with the real `git apply` to prove they are well formed.

use super::*;

const TWO_FILES: &str = "diff --git a/src/a.py b/src/a.py
index 1111111..2222222 100644
--- a/src/a.py
+++ b/src/a.py
@@ -1,3 +1,4 @@
 one
+one and a half
 two
 three
@@ -10,3 +11,2 @@ def f():
 ten
-eleven
 twelve
@@ -20,2 +20,3 @@
 twenty
+twenty and a bit
 twenty-one
diff --git a/b.txt b/b.txt
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/b.txt
@@ -0,0 +1,2 @@
+hello
+world
";

#[test]
fn splits_files_and_hunks() {
    let diff = parse(TWO_FILES);
    assert_eq!(diff.files.len(), 2);
    assert_eq!(diff.files[0].path, "src/a.py");
    assert_eq!(diff.files[0].hunks.len(), 3);
    assert_eq!(diff.files[0].hunks[1].old, (10, 3));
    assert_eq!(diff.files[0].hunks[1].new, (11, 2));
    assert_eq!(diff.files[0].hunks[1].body.len(), 3);
    assert_eq!(diff.files[1].path, "b.txt");
    assert_eq!(diff.files[1].header.len(), 5);
    assert_eq!(diff.units(), 4);
}

#[test]
fn every_part_accepted_is_the_diff_itself() {
    assert_eq!(partial(TWO_FILES, &[true; 4]).unwrap(), TWO_FILES);
}

#[test]
fn a_rejected_hunk_renumbers_the_later_ones() {
    let part = partial(TWO_FILES, &[false, true, true, false]).unwrap();
    assert!(part.contains("@@ -10,3 +10,2 @@ def f():\n"), "{part}");
    // -1 (first hunk left out) -1 (second kept: removes a line) = starts at 19.
    assert!(part.contains("@@ -20,2 +19,3 @@\n"), "{part}");
    assert!(!part.contains("one and a half"));
    assert!(!part.contains("b.txt"));
    check_part(TWO_FILES, &part).unwrap();
}

#[test]
fn a_whole_file_can_be_left_out() {
    let part = partial(TWO_FILES, &[false, false, false, true]).unwrap();
    assert!(part.starts_with("diff --git a/b.txt b/b.txt\n"));
    assert!(!part.contains("src/a.py"));
    check_part(TWO_FILES, &part).unwrap();
}

#[test]
fn wrong_choices_are_refused_with_the_counts() {
    assert_eq!(
        partial(TWO_FILES, &[true]),
        Err(PartError::Count { given: 1, units: 4 })
    );
    assert_eq!(partial(TWO_FILES, &[false; 4]), Err(PartError::Nothing));
    assert_eq!(
        PartError::Count { given: 1, units: 4 }.to_string(),
        "1 hunk choices for a diff of 4 hunks"
    );
}

#[test]
fn a_part_that_is_not_from_the_patch_is_named() {
    let forged = TWO_FILES.replace("+one and a half", "+rm -rf /");
    let part = partial(&forged, &[true, false, false, false]).unwrap();
    assert_eq!(
        check_part(TWO_FILES, &part),
        Err("hunk 1 of \"src/a.py\" is not a hunk of the approved patch".into())
    );
    let other = "--- a/elsewhere\n+++ b/elsewhere\n@@ -1 +1 @@\n-a\n+b\n";
    assert_eq!(
        check_part(TWO_FILES, other),
        Err("file \"elsewhere\" is not part of the approved patch".into())
    );
    assert!(check_part(TWO_FILES, "").is_err());
}

#[test]
fn binary_files_are_one_part_without_hunks() {
    let diff = "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n";
    let parsed = parse(diff);
    assert_eq!(parsed.files.len(), 1);
    assert!(parsed.files[0].binary);
    assert_eq!(parsed.files[0].path, "logo.png");
    assert_eq!(parsed.units(), 1);
    assert_eq!(partial(diff, &[true]).unwrap(), diff);
}

#[test]
fn plain_diffs_without_git_headers_split_too() {
    let diff = "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n c\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n--- old dashes\n+++ new pluses\n";
    let parsed = parse(diff);
    assert_eq!(parsed.files.len(), 2, "{parsed:#?}");
    assert_eq!(parsed.files[1].path, "y");
    // Lines inside a hunk that look like headers stay in the hunk.
    assert_eq!(parsed.files[1].hunks[0].body.len(), 2);
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "@@",
        "@@ -x +y @@\n",
        "@@ -1,99999999999999999999 +1 @@\n+",
        "diff --git\n",
        "--- \n+++ \n@@ -1 +1 @@\n\\ No newline\n",
        "\u{0}\u{1b}[2J@@ -1,1 +1,1 @@\n-é\n+ü",
    ] {
        let parsed = parse(text);
        let units = parsed.units();
        let _ = partial(text, &vec![true; units]);
        let _ = check_part(text, text);
    }
}

#[test]
fn partial_diffs_apply_with_git() {
    let dir = tempfile::tempdir().unwrap();
    let a: String = (1..=30).map(|n| format!("line {n}\n")).collect();
    std::fs::write(dir.path().join("a.txt"), &a).unwrap();
    let full = "--- a/a.txt\n+++ b/a.txt\n@@ -2,2 +2,3 @@\n line 2\n+added after 2\n line 3\n@@ -20,3 +21,2 @@\n line 20\n-line 21\n line 22\n@@ -28,2 +28,3 @@\n line 28\n+added after 28\n line 29\n";
    let part = partial(full, &[false, true, true]).unwrap();
    check_part(full, &part).unwrap();
    std::fs::write(dir.path().join("part.diff"), &part).unwrap();
    let out = std::process::Command::new("git")
        .args(["apply", "part.diff"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{part}",
        String::from_utf8_lossy(&out.stderr)
    );
    let now = std::fs::read_to_string(dir.path().join("a.txt")).unwrap();
    assert!(!now.contains("added after 2\n"));
    assert!(!now.contains("line 21\n"));
    assert!(now.contains("line 28\nadded after 28\nline 29"));
}
