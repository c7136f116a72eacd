//! Which changed paths the watcher reports: the repository's own ignore rules (`.gitignore`
//! and `.ignore` in any folder, `.git/info/exclude`), and never `.git/` or `.warroom/` (the
//! database, the agents' worktrees). [`Rules::ignored`] is pure; [`scan`] walks the tree once to
//! find the folders to watch and the ignore files to read. The user's global git excludes are
//! not read, so what is watched does not depend on who runs warroom.

use std::path::{Component, Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Folder names never watched or reported, wherever they appear.
pub const NEVER: [&str; 2] = [".git", ".warroom"];

/// File names whose change means the rules must be read again.
pub const RULE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// The ignore rules of one working tree.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// (folder relative to the root, "" for the root; its matchers, strongest first), deepest
    /// folder first.
    layers: Vec<(String, Vec<Gitignore>)>,
}

/// What one walk of the tree found.
#[derive(Debug, Default)]
pub struct Scan {
    /// The rules.
    pub rules: Rules,
    /// Every folder that is not ignored, the root first, absolute.
    pub dirs: Vec<PathBuf>,
    /// For a walk of part of the tree (a new folder), the files that are not ignored.
    pub files: Vec<PathBuf>,
    /// Ignore files that could not be read or parsed, in words.
    pub warnings: Vec<String>,
}

impl Rules {
    /// Rules from ignore-file texts: (folder relative to the root, its `.ignore` and
    /// `.gitignore` texts in that order of strength). For tests and for [`scan`].
    pub fn from_texts(folders: &[(&str, &[&str])]) -> Result<Rules, String> {
        let mut layers = Vec::new();
        for (dir, texts) in folders {
            let mut matchers = Vec::new();
            for text in *texts {
                let mut builder = GitignoreBuilder::new(builder_root(dir));
                for line in text.lines() {
                    builder
                        .add_line(None, line)
                        .map_err(|e| format!("{dir}: {e}"))?;
                }
                matchers.push(builder.build().map_err(|e| format!("{dir}: {e}"))?);
            }
            layers.push((dir.to_string(), matchers));
        }
        Ok(Rules::sorted(layers))
    }

    /// Whether `rel` (relative to the root, `/`-separated) is left out: under `.git/` or
    /// `.warroom/`, or ignored by the nearest rule that speaks about it (a `!pattern` in a
    /// deeper folder wins over a pattern above, as in git).
    pub fn ignored(&self, rel: &str, is_dir: bool) -> bool {
        if rel.is_empty() || rel.split('/').any(|part| NEVER.contains(&part)) {
            return true;
        }
        for (dir, matchers) in &self.layers {
            let under = dir.is_empty()
                || rel
                    .strip_prefix(dir.as_str())
                    .is_some_and(|rest| rest.starts_with('/'));
            if !under {
                continue;
            }
            for matcher in matchers {
                match matcher.matched_path_or_any_parents(rel, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        false
    }

    fn sorted(mut layers: Vec<(String, Vec<Gitignore>)>) -> Rules {
        // Deepest first: the nearest folder's rules speak first.
        layers.sort_by_key(|(dir, _)| {
            std::cmp::Reverse(if dir.is_empty() {
                0
            } else {
                dir.split('/').count()
            })
        });
        Rules { layers }
    }
}

/// `path` relative to `root`, `/`-separated; `None` when it lies outside or is the root.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rest = path.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for component in rest.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Whether a change to `rel` means the ignore rules must be read again.
pub fn is_rule_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    RULE_FILES.contains(&name)
}

/// Walks the tree under `root` (or only `start`, a folder inside it, when given) the way the
/// rules say: the folders to watch, and for a whole-tree walk the rules themselves.
pub fn scan(root: &Path, start: Option<&Path>, rules: Option<&Rules>) -> Scan {
    let mut out = Scan::default();
    let mut folders: Vec<(String, Vec<PathBuf>)> = Vec::new();
    let (root_owned, known) = (root.to_path_buf(), rules.cloned());
    let walk = ignore::WalkBuilder::new(start.unwrap_or(root))
        .hidden(false)
        .parents(false)
        .require_git(false)
        .git_global(false)
        .follow_links(false)
        .filter_entry(move |entry| {
            let name = entry.file_name().to_string_lossy();
            if NEVER.contains(&name.as_ref()) {
                return false;
            }
            // A walk of part of the tree has not read the ignore files above it: the rules
            // already known prune what they leave out.
            let Some(rules) = &known else { return true };
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            relative(&root_owned, entry.path()).is_none_or(|rel| !rules.ignored(&rel, is_dir))
        })
        .build();
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.warnings
                    .push(format!("cannot read part of the tree: {e}"));
                continue;
            }
        };
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        let path = entry.into_path();
        let rel = relative(root, &path).unwrap_or_default();
        if !is_dir {
            if start.is_some() {
                out.files.push(path);
            }
            continue;
        }
        let mut files = Vec::new();
        for name in [".ignore", ".gitignore"] {
            let file = path.join(name);
            if file.is_file() {
                files.push(file);
            }
        }
        if rel.is_empty() {
            let exclude = root.join(".git/info/exclude");
            if exclude.is_file() {
                files.push(exclude);
            }
        }
        if !files.is_empty() {
            folders.push((rel, files));
        }
        out.dirs.push(path);
    }
    if rules.is_none() {
        let mut layers = Vec::new();
        for (dir, files) in folders {
            let mut matchers = Vec::new();
            for file in files {
                let mut builder = GitignoreBuilder::new(builder_root(&dir));
                if let Some(e) = builder.add(&file) {
                    out.warnings
                        .push(format!("{}: some lines were not read: {e}", file.display()));
                }
                match builder.build() {
                    Ok(matcher) => matchers.push(matcher),
                    Err(e) => out.warnings.push(format!("{}: {e}", file.display())),
                }
            }
            layers.push((dir, matchers));
        }
        out.rules = Rules::sorted(layers);
    }
    out
}

/// The matcher's root for a folder given relative to the tree's root: `.` for the root itself
/// (the `ignore` crate strips nothing then), the folder otherwise.
fn builder_root(dir: &str) -> &str {
    if dir.is_empty() { "." } else { dir }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::from_texts(&[
            ("", &["", "target/\n*.log\n/build\nnode_modules\n"]),
            ("web", &["!keep.log\n", "dist/\n"]),
            ("web/deep", &["", "*.tmp\n"]),
        ])
        .unwrap()
    }

    #[test]
    fn the_repositorys_rules_leave_paths_out() {
        let r = rules();
        assert!(r.ignored("target", true));
        assert!(
            r.ignored("target/debug/app", false),
            "under an ignored folder"
        );
        assert!(r.ignored("server.log", false));
        assert!(
            r.ignored("src/server.log", false),
            "unanchored patterns match anywhere"
        );
        assert!(r.ignored("build", true));
        assert!(
            !r.ignored("src/build", true),
            "/build is anchored at the root"
        );
        assert!(r.ignored("web/node_modules/x/index.js", false));
        assert!(!r.ignored("src/main.rs", false));
        assert!(!r.ignored("Cargo.toml", false));
    }

    #[test]
    fn a_deeper_folders_rules_win_and_ignore_beats_gitignore() {
        let r = rules();
        assert!(
            !r.ignored("web/keep.log", false),
            "web/.ignore re-includes it"
        );
        assert!(r.ignored("web/other.log", false));
        assert!(r.ignored("web/dist/app.js", false));
        assert!(r.ignored("web/deep/x.tmp", false));
        assert!(
            !r.ignored("x.tmp", false),
            "web/deep's rules stay in web/deep"
        );
        assert!(
            !r.ignored("webby/dist/app.js", false),
            "a prefix is not a folder"
        );
    }

    #[test]
    fn git_and_warroom_folders_are_never_reported() {
        let r = Rules::default();
        assert!(r.ignored(".git", true));
        assert!(r.ignored(".git/index", false));
        assert!(r.ignored(".warroom/state.db-wal", false));
        assert!(r.ignored(".warroom/worktrees/3/src/main.rs", false));
        assert!(r.ignored("vendor/lib/.git/HEAD", false));
        assert!(r.ignored("", true), "the root itself is not a change");
        assert!(!r.ignored(".github/workflows/ci.yml", false));
        assert!(!r.ignored(".gitignore", false));
    }

    #[test]
    fn paths_are_made_relative_or_refused() {
        let root = Path::new("/repo");
        assert_eq!(
            relative(root, Path::new("/repo/src/a.rs")).as_deref(),
            Some("src/a.rs")
        );
        assert_eq!(relative(root, Path::new("/repo")), None);
        assert_eq!(relative(root, Path::new("/elsewhere/a.rs")), None);
        assert_eq!(relative(root, Path::new("/repository/a.rs")), None);
        assert_eq!(relative(root, Path::new("/repo/../etc/passwd")), None);
    }

    #[test]
    fn rule_files_are_recognised_anywhere() {
        assert!(is_rule_file(".gitignore"));
        assert!(is_rule_file("web/.ignore"));
        assert!(!is_rule_file("src/gitignore.rs"));
    }

    #[test]
    fn a_bad_pattern_is_an_error_naming_its_folder() {
        let err = Rules::from_texts(&[("web", &["src/{a,b\n"])]).unwrap_err();
        assert!(err.starts_with("web: "), "{err}");
    }
}
