//! Detection from a Makefile's targets and a justfile's recipes named `build`, `test` and
//! `run`. Only the names are read; what a recipe runs is its author's business, so its test
//! output format is `Unknown`.

use std::path::Path;

use super::{Command, RepoProfile, TestFramework, read_text};

/// The slots a target can fill, by its name.
const SLOTS: [&str; 3] = ["build", "test", "run"];

/// The first of `Makefile`, `makefile`, `GNUmakefile` and its targets.
pub(super) fn make(root: &Path) -> RepoProfile {
    from_file(
        root,
        &["GNUmakefile", "makefile", "Makefile"],
        "make",
        "target",
        make_targets,
    )
}

/// The first of `justfile`, `Justfile`, `.justfile` and its recipes.
pub(super) fn just(root: &Path) -> RepoProfile {
    from_file(
        root,
        &["justfile", "Justfile", ".justfile"],
        "just",
        "recipe",
        just_recipes,
    )
}

fn from_file(
    root: &Path,
    names: &[&str],
    tool: &str,
    kind: &str,
    parse: fn(&str) -> Vec<String>,
) -> RepoProfile {
    let mut found = RepoProfile::default();
    let Some((name, text)) = names
        .iter()
        .find_map(|n| read_text(root, n).map(|text| (*n, text)))
    else {
        return found;
    };
    let text = match text {
        Ok(text) => text,
        Err(note) => {
            found.notes.push(note);
            return found;
        }
    };
    let names = parse(&text);
    for (slot, target) in [
        (&mut found.build, SLOTS[0]),
        (&mut found.test, SLOTS[1]),
        (&mut found.run, SLOTS[2]),
    ] {
        if names.iter().any(|n| n == target) {
            *slot = Some(Command::new(
                format!("{tool} {target}"),
                format!("{name} {kind} {target}"),
                TestFramework::Unknown,
            ));
        }
    }
    found
}

/// Target names of rule lines (`a b: deps`), skipping recipes (indented), variable
/// assignments (`X := y`, `X = a:b`), special targets (`.PHONY`) and patterns (`%.o`).
fn make_targets(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        if line.starts_with(['\t', ' ', '#']) {
            continue;
        }
        let line = line.split('#').next().unwrap_or("");
        let Some((head, rest)) = line.split_once(':') else {
            continue;
        };
        if head.contains('=') || rest.starts_with('=') || rest.starts_with(":=") {
            continue;
        }
        names.extend(
            head.split_whitespace()
                .filter(|t| !t.starts_with('.') && !t.contains(['%', '$']))
                .map(str::to_string),
        );
    }
    names
}

/// Recipe names of a justfile (`test:`, `@test *args:`, `build target='x': deps`), skipping
/// settings, assignments, aliases, attributes and recipe bodies.
fn just_recipes(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t', '#', '[']) || !line.contains(':') || line.contains(":=") {
            continue;
        }
        let head = line.trim_start_matches('@');
        let name: String = head
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        let after = &head[name.len()..];
        let keyword = ["set", "alias", "export", "import", "mod"].contains(&name.as_str());
        if !name.is_empty() && !keyword && (after.starts_with(':') || after.starts_with(' ')) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_targets_are_names_not_recipes_or_assignments() {
        let text = "CC := gcc\nFLAGS = -a:b\n.PHONY: test build\n\nall build: deps\n\tcc -o x test: y\n\
                    test:\n\t@pytest\n%.o: %.c\n\t$(CC)\nclean: # remove\n";
        assert_eq!(make_targets(text), ["all", "build", "test", "clean"]);
    }

    #[test]
    fn just_recipes_skip_settings_and_bodies() {
        let text = "set shell := [\"bash\", \"-c\"]\nalias t := test\nversion := \"1\"\n\n\
                    [private]\n@build target='x':\n    cargo build\ntest *args: build\n    \
                    cargo test {{args}}\nrun:\n  echo run: now\n";
        assert_eq!(just_recipes(text), ["build", "test", "run"]);
    }
}
