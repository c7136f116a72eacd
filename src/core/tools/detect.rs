//! The Repo Runner: how to build, test and run a repository, found from its files alone (no
//! command is run). Owns [`detect`], [`detect_with`] and the [`RepoProfile`] they return; the
//! observer shows the profile and the verifier runs its test command, then hands the output to
//! `testparse` with the profile's [`TestFramework`]. Must not run processes or write files.
//!
//! Precedence, per slot (build, test, run):
//!
//! 1. The repo config's override ([`Overrides`], source "repo config") wins over anything found.
//! 2. The language's native tool, in this order: Cargo.toml, go.mod, Python (pytest config or
//!    test files), package.json scripts. A native test command comes with flags that make the
//!    runner print the name of every passed and failed test, which is what the verifier's
//!    verdict needs; a Makefile `test` recipe is opaque (its flags and runner are unknown).
//! 3. A `Makefile` target, then a `justfile` recipe, named `build`, `test` or `run`.
//!
//! Every candidate that lost to an earlier one becomes a note ("also found `make test` ..."),
//! so a person can see what was passed over and pick it with an override.

mod ecosystems;
mod python;
mod targets;

use std::path::Path;

use serde::{Deserialize, Serialize};

/// How to build, test and run a repository, and what was seen on the way.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RepoProfile {
    /// Languages seen ("rust", "go", "python", "javascript", "typescript"), in precedence order.
    pub languages: Vec<String>,
    /// The build command, if any.
    pub build: Option<Command>,
    /// The test command, if any.
    pub test: Option<Command>,
    /// The run command, if any.
    pub run: Option<Command>,
    /// Things a person should know: malformed manifests, passed-over candidates, a missing
    /// test command ("no test command found: ..."), missing dependencies.
    pub notes: Vec<String>,
}

/// A command line found for one slot, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The shell command line, run from the repository's root.
    pub line: String,
    /// Where it came from: "Cargo.toml", "package.json scripts.test", "Makefile target test",
    /// "repo config", ...
    pub source: String,
    /// The runner whose output the line prints (meaningful for test commands).
    pub framework: TestFramework,
}

/// The test runner a command uses, which picks the parser for its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestFramework {
    /// pytest, run verbose (`-v`).
    Pytest,
    /// Python's unittest, run verbose (`-v`).
    Unittest,
    /// `cargo test` (libtest's default output).
    CargoTest,
    /// `go test -v` or `go test -json`.
    GoTest,
    /// Node's built-in runner (`node --test`), TAP or spec reporter.
    NodeTest,
    /// Jest, verbose.
    Jest,
    /// Vitest, verbose reporter.
    Vitest,
    /// Mocha's spec reporter.
    Mocha,
    /// Not known (a Makefile target, an override): the parser tries every format.
    Unknown,
}

/// Commands set by the repo config; each one set wins over detection.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Overrides {
    /// The build command line.
    pub build: Option<String>,
    /// The test command line.
    pub test: Option<String>,
    /// The run command line.
    pub run: Option<String>,
}

/// Detects how to build, test and run the repository at `root`. Never fails: what could not
/// be read or parsed becomes a note.
pub fn detect(root: &Path) -> RepoProfile {
    detect_with(root, &Overrides::default())
}

/// [`detect`], then the repo config's overrides on top (source "repo config").
pub fn detect_with(root: &Path, overrides: &Overrides) -> RepoProfile {
    let mut profile = RepoProfile::default();
    let found = [
        ecosystems::cargo(root),
        ecosystems::go(root),
        python::probe(root),
        ecosystems::node(root),
        targets::make(root),
        targets::just(root),
    ];
    for candidate in found {
        profile.absorb(candidate);
    }
    profile.apply(overrides);
    if profile.test.is_none() {
        profile.notes.push(format!(
            "no test command found: {} has no Cargo.toml, go.mod, Python tests or pytest config, \
             package.json test script, or Makefile/justfile test target; set one in the repo \
             config",
            root.display()
        ));
    }
    profile
}

impl RepoProfile {
    /// A few lines for the screen: languages, each command with its source, then the notes.
    pub fn describe(&self) -> Vec<String> {
        let languages = if self.languages.is_empty() {
            "none recognised".to_string()
        } else {
            self.languages.join(", ")
        };
        let mut lines = vec![format!("languages: {languages}")];
        for (slot, command) in [
            ("build", &self.build),
            ("test", &self.test),
            ("run", &self.run),
        ] {
            lines.push(match command {
                Some(c) => format!("{slot:<5}  {}  ({})", c.line, c.source),
                None => format!("{slot:<5}  none found"),
            });
        }
        lines.extend(self.notes.iter().map(|n| format!("note: {n}")));
        lines
    }

    /// Where each command came from, as "test: package.json scripts.test" (for the
    /// `RepoDetected` event).
    pub fn sources(&self) -> Vec<String> {
        [
            ("build", &self.build),
            ("test", &self.test),
            ("run", &self.run),
        ]
        .into_iter()
        .filter_map(|(slot, c)| c.as_ref().map(|c| format!("{slot}: {}", c.source)))
        .collect()
    }

    /// Folds in one ecosystem's findings: empty slots take its commands, taken slots turn its
    /// commands into "also found" notes.
    fn absorb(&mut self, found: RepoProfile) {
        for language in found.languages {
            if !self.languages.contains(&language) {
                self.languages.push(language);
            }
        }
        self.notes.extend(found.notes);
        for (slot, mine, theirs) in [
            ("build", &mut self.build, found.build),
            ("test", &mut self.test, found.test),
            ("run", &mut self.run, found.run),
        ] {
            let Some(theirs) = theirs else { continue };
            match mine {
                None => *mine = Some(theirs),
                Some(chosen) => self.notes.push(format!(
                    "also found {slot} command `{}` ({}); using `{}` ({}); an override in the \
                     repo config can choose the other",
                    theirs.line, theirs.source, chosen.line, chosen.source
                )),
            }
        }
    }

    fn apply(&mut self, overrides: &Overrides) {
        for (slot, line) in [
            (&mut self.build, &overrides.build),
            (&mut self.test, &overrides.test),
            (&mut self.run, &overrides.run),
        ] {
            let Some(line) = line.as_deref().map(str::trim).filter(|l| !l.is_empty()) else {
                continue;
            };
            *slot = Some(Command {
                line: line.to_string(),
                source: "repo config".to_string(),
                framework: TestFramework::guess(line),
            });
        }
    }
}

impl TestFramework {
    /// The runner a command line most likely uses, from the words in it; `Unknown` when it
    /// names none (`make test`, `npm test`, a script).
    pub fn guess(line: &str) -> TestFramework {
        let has = |word: &str| line.contains(word);
        if has("pytest") {
            TestFramework::Pytest
        } else if has("unittest") {
            TestFramework::Unittest
        } else if has("cargo test") {
            TestFramework::CargoTest
        } else if has("go test") {
            TestFramework::GoTest
        } else if has("vitest") {
            TestFramework::Vitest
        } else if has("jest") || has("react-scripts test") {
            TestFramework::Jest
        } else if has("mocha") {
            TestFramework::Mocha
        } else if has("node --test") || has("node:test") {
            TestFramework::NodeTest
        } else {
            TestFramework::Unknown
        }
    }
}

impl Command {
    fn new(line: impl Into<String>, source: impl Into<String>, framework: TestFramework) -> Self {
        Command {
            line: line.into(),
            source: source.into(),
            framework,
        }
    }
}

/// "line L, column C" of a byte offset in `text` (both from 1).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Reads and parses a TOML manifest; `Err` is the note to show ("Cargo.toml: invalid TOML at
/// line 3, column 7: ...").
fn read_toml(root: &Path, name: &str) -> Option<Result<toml::Table, String>> {
    let text = read_text(root, name)?;
    Some(text.and_then(|text| {
        text.parse::<toml::Table>().map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(&text, s.start));
            format!(
                "{name}: invalid TOML at line {line}, column {column}: {}",
                e.message().trim()
            )
        })
    }))
}

/// A file's text; `None` when it does not exist, `Err` (a note) when it cannot be read.
fn read_text(root: &Path, name: &str) -> Option<Result<String, String>> {
    let path = root.join(name);
    if !path.is_file() {
        return None;
    }
    Some(std::fs::read_to_string(&path).map_err(|e| format!("{name}: could not read: {e}")))
}
