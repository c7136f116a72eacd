//! Detection from the manifests of Rust (Cargo.toml), Go (go.mod) and Node (package.json).
//! Each probe returns a partial [`RepoProfile`] that `detect` merges by precedence; a probe
//! never fails, a broken manifest is a note.

use std::path::Path;

use super::{Command, RepoProfile, TestFramework, read_text, read_toml};

/// npm's placeholder for a package without tests.
const NPM_PLACEHOLDER: &str = "no test specified";

/// Cargo.toml: `cargo build`, `cargo test --no-fail-fast` (every test binary runs even when
/// one fails, so the verifier sees every failure), and `cargo run` when there is a binary.
pub(super) fn cargo(root: &Path) -> RepoProfile {
    let mut found = RepoProfile::default();
    let manifest = match read_toml(root, "Cargo.toml") {
        None => return found,
        Some(Err(note)) => {
            found.languages.push("rust".to_string());
            found.notes.push(note);
            return found;
        }
        Some(Ok(manifest)) => manifest,
    };
    found.languages.push("rust".to_string());
    let framework = TestFramework::CargoTest;
    found.build = Some(Command::new("cargo build", "Cargo.toml", framework));
    found.test = Some(Command::new(
        "cargo test --no-fail-fast",
        "Cargo.toml",
        framework,
    ));
    let mut bins: Vec<String> = manifest
        .get("bin")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .collect();
    let package = manifest.get("package");
    let package_name = package.and_then(|p| p.get("name")).and_then(|n| n.as_str());
    if let Some(name) = package_name.filter(|_| root.join("src/main.rs").is_file()) {
        bins.push(name.to_string());
    }
    bins.extend(file_stems(&root.join("src/bin"), "rs"));
    bins.dedup();
    let default_run = package
        .and_then(|p| p.get("default-run"))
        .and_then(|d| d.as_str());
    found.run = match (bins.as_slice(), default_run) {
        ([], _) => None,
        ([_], _) | (_, Some(_)) => Some(Command::new("cargo run", "Cargo.toml", framework)),
        ([first, ..], None) => {
            found.notes.push(format!(
                "Cargo.toml has {} binaries ({}); running the first",
                bins.len(),
                bins.join(", ")
            ));
            Some(Command::new(
                format!("cargo run --bin {first}"),
                "Cargo.toml",
                framework,
            ))
        }
    };
    if package.is_none() && manifest.contains_key("workspace") {
        found.notes.push(
            "Cargo.toml is a virtual workspace: build and test cover every member".to_string(),
        );
    }
    found
}

/// go.mod: `go build ./...`, `go test -v ./...` (`-v` prints every test's name and result),
/// and `go run .` when the root holds package main.
pub(super) fn go(root: &Path) -> RepoProfile {
    let mut found = RepoProfile::default();
    match read_text(root, "go.mod") {
        None => return found,
        Some(Err(note)) => {
            found.notes.push(note);
            return found;
        }
        Some(Ok(text)) if !text.lines().any(|l| l.trim_start().starts_with("module ")) => {
            found
                .notes
                .push("go.mod: no `module` line; go will refuse it".to_string());
        }
        Some(Ok(_)) => {}
    }
    found.languages.push("go".to_string());
    let framework = TestFramework::GoTest;
    found.build = Some(Command::new("go build ./...", "go.mod", framework));
    found.test = Some(Command::new("go test -v ./...", "go.mod", framework));
    let main_at_root = file_stems(root, "go").iter().any(|stem| {
        std::fs::read_to_string(root.join(format!("{stem}.go")))
            .is_ok_and(|text| text.lines().any(|l| l.trim() == "package main"))
    });
    if main_at_root {
        found.run = Some(Command::new(
            "go run .",
            "go.mod, package main at the root",
            framework,
        ));
    }
    found
}

/// package.json: scripts.test / build / start (npm's placeholder test script is skipped), run
/// with the package manager its lockfile names; the test runner is read from the script.
pub(super) fn node(root: &Path) -> RepoProfile {
    let mut found = RepoProfile::default();
    let text = match read_text(root, "package.json") {
        None => return found,
        Some(Err(note)) => {
            found.notes.push(note);
            return found;
        }
        Some(Ok(text)) => text,
    };
    let typescript = root.join("tsconfig.json").is_file();
    found.languages.push(
        if typescript {
            "typescript"
        } else {
            "javascript"
        }
        .to_string(),
    );
    let manifest: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            found.notes.push(format!(
                "package.json: invalid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ));
            return found;
        }
    };
    let script = |name: &str| {
        manifest
            .pointer(&format!("/scripts/{name}"))
            .and_then(|s| s.as_str())
    };
    let pm = package_manager(root);
    let unknown = TestFramework::Unknown;
    match script("test") {
        Some(text) if text.contains(NPM_PLACEHOLDER) => found.notes.push(
            "package.json scripts.test is npm's placeholder (\"no test specified\"); skipped"
                .to_string(),
        ),
        Some(text) => {
            let framework = TestFramework::guess(text);
            let extra = match framework {
                TestFramework::Jest => " --verbose",
                TestFramework::Vitest => " --reporter=verbose",
                _ => "",
            };
            // npm needs `--` before arguments meant for the script; yarn and pnpm pass them on.
            let separator = if pm == "npm" && !extra.is_empty() {
                " --"
            } else {
                ""
            };
            let line = format!("{pm} test{separator}{extra}");
            found.test = Some(Command::new(line, "package.json scripts.test", framework));
        }
        None => {}
    }
    if script("build").is_some() {
        found.build = Some(Command::new(
            format!("{pm} run build"),
            "package.json scripts.build",
            unknown,
        ));
    }
    found.run = if script("start").is_some() {
        Some(Command::new(
            format!("{pm} start"),
            "package.json scripts.start",
            unknown,
        ))
    } else if script("dev").is_some() {
        Some(Command::new(
            format!("{pm} run dev"),
            "package.json scripts.dev",
            unknown,
        ))
    } else {
        let main = manifest.get("main").and_then(|m| m.as_str());
        main.filter(|m| root.join(m).is_file())
            .map(|m| Command::new(format!("node {m}"), "package.json main", unknown))
    };
    let has_deps = ["dependencies", "devDependencies"].iter().any(|k| {
        manifest
            .get(k)
            .and_then(|d| d.as_object())
            .is_some_and(|d| !d.is_empty())
    });
    if has_deps && !root.join("node_modules").is_dir() {
        found.notes.push(format!(
            "node_modules is missing: run `{pm} install` before building or testing"
        ));
    }
    found
}

/// The package manager a lockfile names; npm when there is none.
fn package_manager(root: &Path) -> &'static str {
    [
        ("pnpm-lock.yaml", "pnpm"),
        ("yarn.lock", "yarn"),
        ("bun.lockb", "bun"),
        ("bun.lock", "bun"),
    ]
    .into_iter()
    .find(|(lock, _)| root.join(lock).is_file())
    .map_or("npm", |(_, pm)| pm)
}

/// The stems of the files in `dir` with extension `ext`, sorted (for stable output).
pub(super) fn file_stems(dir: &Path, ext: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut stems: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    stems.sort();
    stems
}
