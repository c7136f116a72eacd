//! What a batch of the person's changes means for the current run, decided without IO: which
//! pending patch approvals it makes stale, whether a manifest changed (so repo detection must
//! run again), and which memory entries name a changed file. The watcher's driver reads the
//! inputs from the store and performs the checks these decisions call for.

use std::collections::BTreeSet;

use crate::protocol::{ApprovalId, MemoryId};
use crate::store::PendingPatch;

/// Files whose change can change how the repository is built, tested or run (what
/// `core::tools::detect` reads), by file name, in any folder.
pub const MANIFESTS: [&str; 17] = [
    "Cargo.toml",
    "go.mod",
    "package.json",
    "tsconfig.json",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "Pipfile",
    "tox.ini",
    "pytest.ini",
    "conftest.py",
    "Makefile",
    "makefile",
    "GNUmakefile",
    "justfile",
    "Justfile",
    ".justfile",
];

/// A pending approval whose files the person changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The approval.
    pub approval: ApprovalId,
    /// The patch's files changed in this batch.
    pub changed: Vec<String>,
    /// Every file of the patch changed since it was asked (earlier batches too), sorted.
    pub files: Vec<String>,
}

/// The approvals whose patch touches a changed path (a changed folder counts for the files
/// under it).
pub fn stale_approvals(changed: &[String], pending: &[PendingPatch]) -> Vec<Stale> {
    pending
        .iter()
        .filter_map(|patch| {
            let hit: Vec<String> = patch
                .files
                .iter()
                .filter(|file| changed.iter().any(|c| same_or_under(file, c)))
                .cloned()
                .collect();
            if hit.is_empty() {
                return None;
            }
            let files: BTreeSet<String> = patch
                .stale_files
                .iter()
                .chain(hit.iter())
                .cloned()
                .collect();
            Some(Stale {
                approval: patch.approval,
                changed: hit,
                files: files.into_iter().collect(),
            })
        })
        .collect()
}

/// Whether a changed path is a manifest (or a folder that held one was removed: its name is
/// then not known, so only the file names count).
pub fn manifest_changed(changed: &[String]) -> bool {
    changed
        .iter()
        .any(|path| MANIFESTS.contains(&file_name(path)))
}

/// The memory entries whose text names a changed path, each with the paths it names.
pub fn mentioned(
    changed: &[String],
    memory: &[(MemoryId, String)],
) -> Vec<(MemoryId, Vec<String>)> {
    let mut out = Vec::new();
    for (id, text) in memory {
        let mut named = BTreeSet::new();
        for token in path_tokens(text) {
            for path in changed {
                if names(token, path) {
                    named.insert(path.clone());
                }
            }
        }
        if !named.is_empty() {
            out.push((*id, named.into_iter().collect()));
        }
    }
    out
}

/// Whether `token` (a path-like word of a memory) names the changed `path`: the whole path, a
/// tail of it starting at a folder boundary (`booking.py`, `src/booking.py`) when the token
/// looks like a file (has a `.` or a `/`), or a file under a changed (removed) folder.
fn names(token: &str, path: &str) -> bool {
    if token == path {
        return true;
    }
    let file_like = token.contains('.') || token.contains('/');
    let tail = path
        .strip_suffix(token)
        .is_some_and(|head| head.ends_with('/'));
    let under = token
        .strip_prefix(path)
        .is_some_and(|rest| rest.starts_with('/'));
    file_like && (tail || under)
}

/// The path-like words of a text: runs of letters, digits and `_-./+@~`, without a leading
/// `./` or trailing dots (the end of a sentence).
fn path_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || "_-./+@~".contains(c)))
        .map(|token| {
            let token = token.trim_end_matches('.');
            token.strip_prefix("./").unwrap_or(token)
        })
        .filter(|token| !token.is_empty())
}

fn same_or_under(file: &str, changed: &str) -> bool {
    file == changed
        || file
            .strip_prefix(changed)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn patch(id: u32, files: &[&str], stale: &[&str]) -> PendingPatch {
        PendingPatch {
            approval: ApprovalId(id),
            diff: String::new(),
            files: strings(files),
            stale_files: strings(stale),
        }
    }

    #[test]
    fn an_approval_is_stale_when_its_files_changed() {
        let pending = [
            patch(1, &["src/a.py", "src/b.py"], &[]),
            patch(2, &["docs/x.md"], &[]),
            patch(3, &["lib/gen/c.py"], &["README.md"]),
        ];
        let changed = strings(&["src/b.py", "lib/gen", "tests/t.py"]);
        let stale = stale_approvals(&changed, &pending);
        assert_eq!(
            stale,
            vec![
                Stale {
                    approval: ApprovalId(1),
                    changed: strings(&["src/b.py"]),
                    files: strings(&["src/b.py"]),
                },
                Stale {
                    approval: ApprovalId(3),
                    changed: strings(&["lib/gen/c.py"]),
                    files: strings(&["README.md", "lib/gen/c.py"]),
                },
            ]
        );
        assert!(stale_approvals(&strings(&["src/a.pyc", "src"]), &pending[1..2]).is_empty());
    }

    #[test]
    fn manifests_are_known_by_file_name_in_any_folder() {
        assert!(manifest_changed(&strings(&["src/x.rs", "Cargo.toml"])));
        assert!(manifest_changed(&strings(&["web/package.json"])));
        assert!(manifest_changed(&strings(&["Makefile"])));
        assert!(!manifest_changed(&strings(&[
            "src/Cargo.toml.bak",
            "docs/Makefile.md"
        ])));
        assert!(!manifest_changed(&[]));
    }

    #[test]
    fn memory_that_names_a_changed_file_is_found() {
        let memory = vec![
            (
                MemoryId(1),
                "the bug was in booking.py (a rename)".to_string(),
            ),
            (MemoryId(2), "tests run with `pytest -q`".to_string()),
            (MemoryId(3), "see ./src/booking.py.".to_string()),
            (MemoryId(4), "lib/booking.py is another file".to_string()),
            (
                MemoryId(5),
                "the generated src/gen/api.py is rebuilt by make".to_string(),
            ),
            (MemoryId(6), "booking.pyc caches are stale".to_string()),
            (MemoryId(7), "Makefile builds it; so does setup".to_string()),
        ];
        let changed = strings(&["src/booking.py", "src/gen", "Makefile", "setup"]);
        let found = mentioned(&changed, &memory);
        assert_eq!(
            found,
            vec![
                (MemoryId(1), strings(&["src/booking.py"])),
                (MemoryId(3), strings(&["src/booking.py"])),
                (MemoryId(5), strings(&["src/gen"])),
                (MemoryId(7), strings(&["Makefile", "setup"])),
            ]
        );
    }

    #[test]
    fn a_plain_word_does_not_name_a_deeper_file() {
        // A file `scripts/test` changed: the word "test" in a memory is not about it.
        let memory = vec![(MemoryId(1), "run the test suite first".to_string())];
        assert!(mentioned(&strings(&["scripts/test"]), &memory).is_empty());
        assert!(mentioned(&[], &memory).is_empty());
    }
}
