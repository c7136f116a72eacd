//! Detection for Python: pytest when the repo configures it (pyproject.toml
//! `[tool.pytest.ini_options]`, pytest.ini, setup.cfg `[tool:pytest]`, tox.ini `[pytest]`,
//! conftest.py) or its tests import it; otherwise unittest when there are `test_*.py` files.
//! Both run verbose so every test's name and result is printed.

use std::path::Path;

use super::ecosystems::file_stems;
use super::{Command, RepoProfile, TestFramework, read_text, read_toml};

/// Folders, besides the root, where test files are looked for.
const TEST_DIRS: [&str; 2] = ["tests", "test"];

/// Python's findings: languages, a test command, a run command, notes.
pub(super) fn probe(root: &Path) -> RepoProfile {
    let mut found = RepoProfile::default();
    let pyproject = read_toml(root, "pyproject.toml");
    let mut config: Option<String> = None;
    match &pyproject {
        Some(Err(note)) => found.notes.push(note.clone()),
        Some(Ok(table)) => {
            let tool = table.get("tool").and_then(|t| t.get("pytest"));
            if tool.is_some_and(|p| p.get("ini_options").is_some()) {
                config = Some("pyproject.toml [tool.pytest.ini_options]".to_string());
            } else if tool.is_some() {
                config = Some("pyproject.toml [tool.pytest]".to_string());
            }
        }
        None => {}
    }
    let ini_sections = [
        ("pytest.ini", None),
        ("setup.cfg", Some("[tool:pytest]")),
        ("tox.ini", Some("[pytest]")),
    ];
    for (file, section) in ini_sections {
        if config.is_some() {
            break;
        }
        let Some(text) = read_text(root, file) else {
            continue;
        };
        let text = match text {
            Ok(text) => text,
            Err(note) => {
                found.notes.push(note);
                continue;
            }
        };
        config = match section {
            None => Some(file.to_string()),
            Some(s) if text.lines().any(|l| l.trim() == s) => Some(format!("{file} {s}")),
            Some(_) => None,
        };
    }
    if config.is_none() {
        config = ["conftest.py", "tests/conftest.py", "test/conftest.py"]
            .into_iter()
            .find(|p| root.join(p).is_file())
            .map(str::to_string);
    }

    let tests = test_files(root);
    let manifest = [
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements.txt",
        "Pipfile",
    ]
    .iter()
    .any(|f| root.join(f).is_file());
    if manifest || config.is_some() || !tests.is_empty() || !file_stems(root, "py").is_empty() {
        found.languages.push("python".to_string());
    }
    if config.is_none() {
        config = tests
            .iter()
            .find(|t| imports_pytest(&root.join(t)))
            .map(|t| format!("{t} imports pytest"));
    }
    found.test = match (config, tests.first()) {
        (Some(source), _) => Some(Command::new(
            "python3 -m pytest -v",
            source,
            TestFramework::Pytest,
        )),
        (None, Some(first)) => Some(unittest_command(root, first)),
        (None, None) => None,
    };
    found.run = ["main.py", "app.py", "__main__.py"]
        .into_iter()
        .find(|f| root.join(f).is_file())
        .map(|f| Command::new(format!("python3 {f}"), f, TestFramework::Unknown));
    found
}

/// `python3 -m unittest discover -v`, from the folder that holds the tests when that folder is
/// not a package (discovery from the root only enters packages).
fn unittest_command(root: &Path, first_test: &str) -> Command {
    let framework = TestFramework::Unittest;
    let source = format!("{first_test} (no pytest config)");
    match first_test.split_once('/') {
        Some((dir, _)) if !root.join(dir).join("__init__.py").is_file() => Command::new(
            format!("python3 -m unittest discover -v -s {dir}"),
            source,
            framework,
        ),
        _ => Command::new("python3 -m unittest discover -v", source, framework),
    }
}

/// `test_*.py` and `*_test.py` files at the root and in the test folders, as relative paths.
fn test_files(root: &Path) -> Vec<String> {
    let is_test = |stem: &str| stem.starts_with("test_") || stem.ends_with("_test");
    let mut files: Vec<String> = file_stems(root, "py")
        .into_iter()
        .filter(|s| is_test(s))
        .map(|s| format!("{s}.py"))
        .collect();
    for dir in TEST_DIRS {
        files.extend(
            file_stems(&root.join(dir), "py")
                .into_iter()
                .filter(|s| is_test(s))
                .map(|s| format!("{dir}/{s}.py")),
        );
    }
    files
}

fn imports_pytest(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .any(|l| l.starts_with("import pytest") || l.starts_with("from pytest"))
    })
}
