//! apply_patch against git itself: real `git diff` output of real edits on a temp repository,
//! applied by `tools::patch::apply` to one clone and by `git apply` to another; both trees must
//! equal each other and the edited tree, file for file and byte for byte.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::git;
use tempfile::TempDir;
use warroom::core::tools::Workspace;
use warroom::core::tools::patch;

/// Every file under `root` but `.git`, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn visit(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == ".git" {
                continue;
            }
            if path.is_dir() {
                visit(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    visit(root, root, &mut out);
    out
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn lines(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} {i}\n")).collect()
}

/// Commits `base` (already in `origin`), lets `edit` change the tree, then checks the staged
/// diff (`git diff --cached` with `extra` options) applies the same way with both tools.
fn check_against_git(origin: &Path, extra: &[&str], edit: impl FnOnce(&Path)) {
    git(origin, &["add", "-A"]);
    git(origin, &["commit", "-q", "-m", "base", "--allow-empty"]);
    let scratch = TempDir::new().unwrap();
    let ours = scratch.path().join("ours");
    let theirs = scratch.path().join("theirs");
    for clone in [&ours, &theirs] {
        git(
            scratch.path(),
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
    }
    edit(origin);
    git(origin, &["add", "-A"]);
    let mut args = vec!["diff", "--cached", "--no-ext-diff"];
    args.extend_from_slice(extra);
    let diff = git(origin, &args);
    assert!(!diff.is_empty(), "the edit changed nothing");
    let expected = tree(origin);

    let ws = Workspace::new(&ours).unwrap();
    let report = patch::apply(&ws, &diff).unwrap_or_else(|e| panic!("{e}\n--- diff:\n{diff}"));
    assert!(report.hunks_applied > 0 || !report.created.is_empty() || !report.renamed.is_empty());

    std::fs::write(scratch.path().join("p.diff"), &diff).unwrap();
    let diff_file = scratch.path().join("p.diff");
    let mut apply_args = vec!["apply", diff_file.to_str().unwrap()];
    if extra.contains(&"-U0") {
        // Hunks without context: git wants to be told it is on purpose.
        apply_args.push("--unidiff-zero");
    }
    git(&theirs, &apply_args);

    assert_eq!(tree(&theirs), expected, "git apply differs from the edit");
    let got = tree(&ours);
    for (path, bytes) in &expected {
        assert_eq!(
            got.get(path)
                .map(|b| String::from_utf8_lossy(b).into_owned()),
            Some(String::from_utf8_lossy(bytes).into_owned()),
            "{path} differs; diff:\n{diff}"
        );
    }
    assert_eq!(got, expected, "apply_patch differs from git apply");
    git(origin, &["commit", "-q", "-m", "edit", "--allow-empty"]);
}

#[test]
fn git_diff_of_hand_made_edits_applies_like_git_apply() {
    let origin = TempDir::new().unwrap();
    let root = origin.path();
    git(root, &["init", "-q"]);
    write(root, "src/lib.rs", &lines("fn line", 60));
    write(root, "src/gone.rs", "fn gone() {}\n");
    write(root, "doomed/only.txt", "bye\n");
    write(root, "no_newline.txt", "a\nb\nc");
    write(root, "will_lose_newline.txt", "x\ny\n");
    write(root, "moved/from.md", &lines("moved line", 30));
    write(root, "sp ace name.txt", "one\n");
    check_against_git(root, &["-M"], |root| {
        let mut lib = lines("fn line", 60).replace("fn line 3\n", "fn line three\n");
        lib = lib.replace(
            "fn line 30\n",
            "fn line 30\n// added after 30\n// and another\n",
        );
        lib = lib.replace("fn line 58\nfn line 59\n", "");
        lib.insert_str(0, "// header\n");
        write(root, "src/lib.rs", &lib);
        std::fs::remove_file(root.join("src/gone.rs")).unwrap();
        std::fs::remove_dir_all(root.join("doomed")).unwrap();
        write(root, "src/new/deep/file.rs", "fn new() {}\n");
        write(root, "no_newline.txt", "a\nB\nc");
        write(root, "will_lose_newline.txt", "x\nz");
        std::fs::rename(root.join("moved/from.md"), root.join("moved/to.md")).unwrap();
        let moved = lines("moved line", 30).replace("moved line 15\n", "moved line fifteen\n");
        write(root, "moved/to.md", &moved);
        write(root, "sp ace name.txt", "two\n");
        write(root, "empty_new.txt", "");
    });
}

/// A small deterministic generator (xorshift).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn git_diff_of_random_edits_applies_like_git_apply() {
    let origin = TempDir::new().unwrap();
    let root = origin.path();
    git(root, &["init", "-q"]);
    let names = ["a.txt", "b/c.txt", "d.rs", "e/f/g.py"];
    for (i, name) in names.iter().enumerate() {
        // Repeated lines make matching ambiguous on purpose: the position must come from the
        // header, not from the first place the context fits.
        let text: String = (0..80)
            .map(|j| {
                if j % 7 == 0 {
                    "}\n".to_string()
                } else {
                    format!("{i}:{j}\n")
                }
            })
            .collect();
        write(root, name, &text);
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..12 {
        let context = ["-U3", "-U1", "-U0", "-U5"][round % 4];
        let edits: Vec<(usize, u64)> = (0..8)
            .map(|_| {
                (
                    (next(&mut state) % names.len() as u64) as usize,
                    next(&mut state),
                )
            })
            .collect();
        check_against_git(root, &[context], |root| {
            for (file, seed) in &edits {
                let path = root.join(names[*file]);
                let text = std::fs::read_to_string(&path).unwrap();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                let at = (*seed % (lines.len() as u64 + 1)) as usize;
                match seed % 3 {
                    0 if at < lines.len() => lines[at] = format!("changed {seed}"),
                    1 if at < lines.len() => {
                        lines.remove(at);
                    }
                    _ => lines.insert(at, "}".into()),
                }
                let mut out = lines.join("\n");
                if seed % 5 != 0 {
                    out.push('\n');
                }
                std::fs::write(&path, out).unwrap();
            }
        });
    }
}
