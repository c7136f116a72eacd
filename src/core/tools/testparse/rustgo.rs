//! `cargo test` and `go test` output. Names carry their test binary's source ("src/lib.rs::
//! tests::adds", "tests/api.rs::divides", "doc-tests calc::src/lib.rs - add") or Go package
//! ("example.com/m/pkg::TestAdd/case") so equal names in two targets stay apart.

use std::collections::VecDeque;

use super::{Outcome, TestReport};

/// libtest's "test NAME ... ok|FAILED|ignored" lines. Cargo prints "Running tests/api.rs (...)"
/// to stderr and each binary's "running N tests" block to stdout, so the k-th block belongs
/// to the k-th "Running" line; when both streams were merged into one, the lines come in order.
pub(super) fn cargo(stdout: &str, stderr: &str) -> TestReport {
    let mut targets: VecDeque<String> = stderr.lines().filter_map(cargo_target).collect();
    let mut inline: Option<String> = None;
    let mut current: Option<String> = None;
    let mut report = TestReport::default();
    for line in stdout.lines() {
        if let Some(target) = cargo_target(line) {
            inline = Some(target);
            continue;
        }
        if line.starts_with("running ") && (line.ends_with(" test") || line.ends_with(" tests")) {
            current = inline.take().or_else(|| targets.pop_front());
            continue;
        }
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, status)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let outcome = match status.trim() {
            "ok" => Outcome::Pass,
            "FAILED" => Outcome::Fail,
            s if s.starts_with("ignored") => Outcome::Skip,
            _ => continue,
        };
        let mut name = name;
        for suffix in [" - should panic", " - compile fail", " - compile"] {
            name = name.strip_suffix(suffix).unwrap_or(name);
        }
        // Doc tests are named by line ("src/lib.rs - add (line 3)"): a patch above one moves it.
        if let Some((head, _)) = name
            .rsplit_once(" (line ")
            .filter(|(_, t)| t.ends_with(')'))
        {
            name = head;
        }
        match &current {
            Some(target) => report.record(outcome, format!("{target}::{name}")),
            None => report.record(outcome, name),
        }
    }
    report
}

/// "Running unittests src/lib.rs (target/...)" -> "src/lib.rs"; "Doc-tests calc" ->
/// "doc-tests calc".
fn cargo_target(line: &str) -> Option<String> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("Running ") {
        let rest = rest.strip_prefix("unittests ").unwrap_or(rest);
        let source = rest.split(" (").next().unwrap_or(rest).trim();
        return (!source.is_empty()).then(|| source.to_string());
    }
    line.strip_prefix("Doc-tests ")
        .map(|krate| format!("doc-tests {}", krate.trim()))
}

/// `go test -json` events, or `go test -v` lines ("--- PASS: TestX (0.00s)", indented for
/// subtests) closed by the package's "ok  \tpkg" / "FAIL\tpkg" line. A package that failed
/// with no failing test (a build error) is itself a failed name.
pub(super) fn go(text: &str) -> TestReport {
    let mut report = TestReport::default();
    let mut pending: Vec<(Outcome, String)> = Vec::new();
    let mut failed_packages: Vec<String> = Vec::new();
    let mut packages_with_failures: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with('{') {
            if let Some((outcome, package, test)) = go_json(line) {
                match test {
                    Some(test) => {
                        if outcome == Outcome::Fail {
                            packages_with_failures.push(package.clone());
                        }
                        report.record(outcome, format!("{package}::{test}"));
                    }
                    None if outcome == Outcome::Fail => failed_packages.push(package),
                    None => {}
                }
            }
            continue;
        }
        let trimmed = line.trim_start();
        let verdicts = [
            ("--- PASS: ", Outcome::Pass),
            ("--- FAIL: ", Outcome::Fail),
            ("--- SKIP: ", Outcome::Skip),
        ];
        if let Some((outcome, rest)) = verdicts
            .iter()
            .find_map(|(p, o)| trimmed.strip_prefix(p).map(|r| (*o, r)))
        {
            let name = rest.rsplit_once(" (").map_or(rest, |(name, _)| name);
            pending.push((outcome, name.trim().to_string()));
            continue;
        }
        let package_line = ["ok  \t", "FAIL\t", "---\t"].iter().find_map(|p| {
            line.strip_prefix(p)
                .map(|rest| (p.starts_with("FAIL"), rest))
        });
        if let Some((failed, rest)) = package_line {
            let package = rest.split(['\t', ' ']).next().unwrap_or(rest).to_string();
            let any_failed = pending.iter().any(|(o, _)| *o == Outcome::Fail);
            for (outcome, name) in pending.drain(..) {
                report.record(outcome, format!("{package}::{name}"));
            }
            if failed && !any_failed {
                failed_packages.push(package);
            }
        }
    }
    for (outcome, name) in pending {
        report.record(outcome, name);
    }
    for package in failed_packages {
        if !packages_with_failures.contains(&package) {
            report.record(Outcome::Fail, package);
        }
    }
    report
}

/// One `go test -json` event that ends a test or a package: (outcome, package, test).
fn go_json(line: &str) -> Option<(Outcome, String, Option<String>)> {
    let event: serde_json::Value = serde_json::from_str(line).ok()?;
    let outcome = match event.get("Action")?.as_str()? {
        "pass" => Outcome::Pass,
        "fail" => Outcome::Fail,
        "skip" => Outcome::Skip,
        _ => return None,
    };
    let package = event.get("Package")?.as_str()?.to_string();
    let test = event
        .get("Test")
        .and_then(|t| t.as_str())
        .map(str::to_string);
    Some((outcome, package, test))
}
