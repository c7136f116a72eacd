//! Repo detection on the fixture repositories of `tests/fixtures/repos/` (one per ecosystem),
//! with overrides, broken manifests (written to temp folders) and an empty folder.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use warroom::core::tools::detect::{Overrides, RepoProfile, TestFramework, detect, detect_with};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/repos")
        .join(name)
}

fn line(command: &Option<warroom::core::tools::detect::Command>) -> Option<&str> {
    command.as_ref().map(|c| c.line.as_str())
}

fn temp_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn has_note(profile: &RepoProfile, words: &str) -> bool {
    profile.notes.iter().any(|n| n.contains(words))
}

#[test]
fn rust_prefers_cargo_over_the_makefile_and_says_so() {
    let p = detect(&fixture("rust"));
    assert_eq!(p.languages, ["rust"]);
    assert_eq!(line(&p.build), Some("cargo build"));
    assert_eq!(line(&p.run), Some("cargo run"));
    let test = p.test.as_ref().unwrap();
    assert_eq!(
        (test.line.as_str(), test.source.as_str()),
        ("cargo test --no-fail-fast", "Cargo.toml")
    );
    assert_eq!(test.framework, TestFramework::CargoTest);
    assert!(
        has_note(
            &p,
            "also found test command `make test` (Makefile target test)"
        ),
        "{:?}",
        p.notes
    );
}

#[test]
fn node_reads_scripts_and_the_runner() {
    let p = detect(&fixture("node"));
    assert_eq!(p.languages, ["typescript"]);
    let test = p.test.as_ref().unwrap();
    assert_eq!(test.line, "npm test -- --verbose");
    assert_eq!(test.source, "package.json scripts.test");
    assert_eq!(test.framework, TestFramework::Jest);
    assert_eq!(line(&p.build), Some("npm run build"));
    assert_eq!(line(&p.run), Some("npm start"));
    assert!(
        has_note(&p, "node_modules is missing: run `npm install`"),
        "{:?}",
        p.notes
    );
}

#[test]
fn node_placeholder_test_script_is_skipped_and_runners_are_recognised() {
    let placeholder = r#"{"scripts": {"test": "echo \"Error: no test specified\" && exit 1"}}"#;
    let dir = temp_repo(&[("package.json", placeholder)]);
    let p = detect(dir.path());
    assert!(p.test.is_none());
    assert!(has_note(&p, "npm's placeholder"), "{:?}", p.notes);
    assert!(has_note(&p, "no test command found: "), "{:?}", p.notes);

    for (script, framework, command) in [
        (
            "vitest run",
            TestFramework::Vitest,
            "pnpm test --reporter=verbose",
        ),
        ("mocha --recursive", TestFramework::Mocha, "pnpm test"),
        ("node --test test/", TestFramework::NodeTest, "pnpm test"),
    ] {
        let json = format!(r#"{{"scripts": {{"test": "{script}"}}}}"#);
        let dir = temp_repo(&[("package.json", &json), ("pnpm-lock.yaml", "")]);
        let test = detect(dir.path()).test.unwrap();
        assert_eq!(
            (test.framework, test.line.as_str()),
            (framework, command),
            "{script}"
        );
    }
}

#[test]
fn python_with_pytest_config_uses_pytest() {
    let p = detect(&fixture("python_pytest"));
    assert_eq!(p.languages, ["python"]);
    let test = p.test.as_ref().unwrap();
    assert_eq!(test.line, "python3 -m pytest -v");
    assert_eq!(test.source, "pyproject.toml [tool.pytest.ini_options]");
    assert_eq!(test.framework, TestFramework::Pytest);

    for (file, text, source) in [
        ("pytest.ini", "[pytest]\n", "pytest.ini"),
        (
            "setup.cfg",
            "[metadata]\nname = x\n\n[tool:pytest]\naddopts = -q\n",
            "setup.cfg [tool:pytest]",
        ),
        ("tox.ini", "[tox]\n\n[pytest]\n", "tox.ini [pytest]"),
        ("conftest.py", "", "conftest.py"),
        (
            "tests/test_a.py",
            "import pytest\n",
            "tests/test_a.py imports pytest",
        ),
    ] {
        let dir = temp_repo(&[(file, text), ("tests/test_b.py", "")]);
        let test = detect(dir.path()).test.unwrap();
        assert_eq!(
            (test.framework, test.source.as_str()),
            (TestFramework::Pytest, source),
            "{file}"
        );
    }
}

#[test]
fn python_without_pytest_config_uses_unittest_from_the_tests_folder() {
    let p = detect(&fixture("python_unittest"));
    let test = p.test.as_ref().unwrap();
    // tests/ is not a package, so discovery must start inside it.
    assert_eq!(test.line, "python3 -m unittest discover -v -s tests");
    assert_eq!(test.framework, TestFramework::Unittest);
    assert_eq!(line(&p.run), Some("python3 main.py"));

    let dir = temp_repo(&[("tests/__init__.py", ""), ("tests/test_a.py", "")]);
    assert_eq!(
        line(&detect(dir.path()).test),
        Some("python3 -m unittest discover -v")
    );
}

#[test]
fn go_module() {
    let p = detect(&fixture("go"));
    assert_eq!(p.languages, ["go"]);
    assert_eq!(line(&p.build), Some("go build ./..."));
    assert_eq!(line(&p.run), Some("go run ."));
    let test = p.test.as_ref().unwrap();
    assert_eq!(
        (test.line.as_str(), test.framework),
        ("go test -v ./...", TestFramework::GoTest)
    );
}

#[test]
fn makefile_targets_when_nothing_native() {
    let p = detect(&fixture("make"));
    assert!(p.languages.is_empty());
    for (command, expected) in [
        (&p.build, "make build"),
        (&p.test, "make test"),
        (&p.run, "make run"),
    ] {
        assert_eq!(line(command), Some(expected));
    }
    let test = p.test.as_ref().unwrap();
    assert_eq!(
        (test.source.as_str(), test.framework),
        ("Makefile target test", TestFramework::Unknown)
    );
    assert!(p.notes.is_empty(), "{:?}", p.notes);

    let dir = temp_repo(&[(
        "justfile",
        "default:\n  just --list\n\ntest *args:\n  ./t.sh {{args}}\n",
    )]);
    let test = detect(dir.path()).test.unwrap();
    assert_eq!(
        (test.line.as_str(), test.source.as_str()),
        ("just test", "justfile recipe test")
    );
}

#[test]
fn overrides_win_and_say_where_they_came_from() {
    let overrides = Overrides {
        test: Some("python3 -m pytest -x tests/unit".to_string()),
        run: Some("  ".to_string()),
        build: None,
    };
    let p = detect_with(&fixture("rust"), &overrides);
    let test = p.test.as_ref().unwrap();
    assert_eq!(
        (test.line.as_str(), test.source.as_str()),
        ("python3 -m pytest -x tests/unit", "repo config")
    );
    assert_eq!(test.framework, TestFramework::Pytest);
    assert_eq!(
        line(&p.run),
        Some("cargo run"),
        "a blank override is no override"
    );
    assert_eq!(line(&p.build), Some("cargo build"));
    assert!(p.sources().contains(&"test: repo config".to_string()));

    // An override is enough for a folder with nothing to detect.
    let empty = tempfile::tempdir().unwrap();
    let only = Overrides {
        test: Some("./check.sh".to_string()),
        ..Overrides::default()
    };
    let p = detect_with(empty.path(), &only);
    assert_eq!(
        p.test.as_ref().map(|t| t.framework),
        Some(TestFramework::Unknown)
    );
    assert!(!has_note(&p, "no test command found"), "{:?}", p.notes);
}

#[test]
fn malformed_manifests_become_notes_with_their_line() {
    let dir = temp_repo(&[(
        "package.json",
        "{\n  \"scripts\": {\n    \"test\": jest\n  }\n}\n",
    )]);
    let p = detect(dir.path());
    assert!(p.test.is_none());
    assert!(
        has_note(&p, "package.json: invalid JSON at line 3"),
        "{:?}",
        p.notes
    );

    let dir = temp_repo(&[("Cargo.toml", "[package]\nname = \"x\"\nversion = 0.1.0\"\n")]);
    let p = detect(dir.path());
    assert_eq!(p.languages, ["rust"]);
    assert!(p.test.is_none());
    assert!(
        has_note(&p, "Cargo.toml: invalid TOML at line 3"),
        "{:?}",
        p.notes
    );

    let dir = temp_repo(&[
        ("pyproject.toml", "[tool.pytest.ini_options\n"),
        ("tests/test_a.py", ""),
    ]);
    let p = detect(dir.path());
    assert!(
        has_note(&p, "pyproject.toml: invalid TOML at line 1"),
        "{:?}",
        p.notes
    );
    // The tests are still found; without readable pytest config, unittest runs them.
    assert_eq!(p.test.map(|t| t.framework), Some(TestFramework::Unittest));
}

#[test]
fn empty_folder_has_no_test_command_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let p = detect(dir.path());
    assert!(p.languages.is_empty() && p.build.is_none() && p.test.is_none() && p.run.is_none());
    let note = p
        .notes
        .iter()
        .find(|n| n.starts_with("no test command found: "))
        .unwrap();
    assert!(note.contains("package.json test script"), "{note}");
    let screen = p.describe();
    assert_eq!(screen[0], "languages: none recognised");
    assert!(
        screen.iter().any(|l| l == "test   none found"),
        "{screen:?}"
    );
    assert!(
        screen
            .last()
            .unwrap()
            .starts_with("note: no test command found: "),
        "{screen:?}"
    );
}

#[test]
fn describe_names_each_command_and_its_source() {
    let screen = detect(&fixture("go")).describe();
    assert_eq!(
        screen,
        [
            "languages: go",
            "build  go build ./...  (go.mod)",
            "test   go test -v ./...  (go.mod)",
            "run    go run .  (go.mod, package main at the root)",
        ]
    );
}

#[test]
fn the_demo_project_is_detected_as_unittest() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let test = detect(&demo).test.unwrap();
    assert_eq!(
        (test.line.as_str(), test.framework),
        ("python3 -m unittest discover -v", TestFramework::Unittest)
    );
}
