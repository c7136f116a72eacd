//! Reads test runners' output into the names of the tests that passed, failed and were skipped
//! ([`parse`]), and cuts the part of a failing run a model needs to fix it
//! ([`failure_excerpt`]). The verifier's verdict comes from the exit code and these names,
//! never from a model. Pure functions over text: no processes, no files.
//!
//! Names are stable across runs (durations, percentages, line numbers and colours are dropped)
//! so that a baseline run and a patched run can be compared test by test. Nested tests are
//! joined with " > " (JavaScript runners) or "::" (files, packages and modules).

mod excerpt;
mod node;
mod python;
mod rustgo;

use std::collections::BTreeSet;

pub use super::detect::TestFramework;
pub use excerpt::failure_excerpt;

/// The tests a run passed, failed and skipped, by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestReport {
    /// Tests that passed.
    pub passed: BTreeSet<String>,
    /// Tests that failed or errored (including a test file or package that could not load).
    pub failed: BTreeSet<String>,
    /// Tests that were skipped, ignored or expected to fail.
    pub skipped: BTreeSet<String>,
}

/// Parses a test run's output. A name in more than one set is kept where it matters most:
/// failed, then passed, then skipped. Output in no known format gives an empty report.
pub fn parse(framework: TestFramework, stdout: &str, stderr: &str) -> TestReport {
    let stdout = strip_ansi(stdout);
    let stderr = strip_ansi(stderr);
    let both = format!("{stdout}\n{stderr}");
    let report = match framework {
        TestFramework::Pytest => python::pytest(&both),
        TestFramework::Unittest => python::unittest(&both),
        TestFramework::CargoTest => rustgo::cargo(&stdout, &stderr),
        TestFramework::GoTest => rustgo::go(&both),
        TestFramework::NodeTest => node::node_test(&both),
        TestFramework::Jest => node::jest(&both),
        TestFramework::Vitest => node::vitest(&both),
        TestFramework::Mocha => node::mocha(&both),
        TestFramework::Unknown => {
            // Formats do not overlap much, but a stray line can look like another runner's:
            // the format that recognises the most tests is the one that ran.
            let candidates = [
                python::pytest(&both),
                python::unittest(&both),
                rustgo::cargo(&stdout, &stderr),
                rustgo::go(&both),
                node::node_test(&both),
                node::jest(&both),
                node::vitest(&both),
                node::mocha(&both),
            ];
            candidates
                .into_iter()
                .max_by_key(TestReport::total)
                .unwrap_or_default()
        }
    };
    report.settled()
}

impl TestReport {
    /// How many distinct tests the report names.
    pub fn total(&self) -> usize {
        self.passed.len() + self.failed.len() + self.skipped.len()
    }

    /// Whether no test was recognised (the output was not a test run, or in no known format).
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Tests that pass in `self` but failed in `baseline` (fixed by a patch).
    pub fn fixed_since(&self, baseline: &TestReport) -> BTreeSet<String> {
        baseline
            .failed
            .intersection(&self.passed)
            .cloned()
            .collect()
    }

    /// Tests that passed in `baseline` but fail or are gone in `self` (broken by a patch).
    pub fn regressed_since(&self, baseline: &TestReport) -> BTreeSet<String> {
        baseline
            .passed
            .iter()
            .filter(|name| !self.passed.contains(*name) && !self.skipped.contains(*name))
            .cloned()
            .collect()
    }

    fn record(&mut self, outcome: Outcome, name: impl Into<String>) {
        let name = name.into();
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        let set = match outcome {
            Outcome::Pass => &mut self.passed,
            Outcome::Fail => &mut self.failed,
            Outcome::Skip => &mut self.skipped,
        };
        set.insert(name.to_string());
    }

    fn settled(mut self) -> Self {
        self.passed.retain(|n| !self.failed.contains(n));
        self.skipped
            .retain(|n| !self.failed.contains(n) && !self.passed.contains(n));
        self
    }
}

/// One test's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// `text` without ANSI escape sequences (colours, cursor moves), which some runners print
/// even into a pipe.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // CSI: parameters and intermediates, then one final byte in '@'..='~'.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                // OSC: up to BEL or ESC '\'.
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    out
}

/// `s` without a trailing duration in parentheses: "adds (2 ms)" -> "adds",
/// "rounds (0.12ms)" -> "rounds". Other parentheses stay.
fn strip_paren_duration(s: &str) -> &str {
    let s = s.trim_end();
    match s.rfind(" (") {
        Some(open) if s.ends_with(')') && is_duration(&s[open + 2..s.len() - 1]) => {
            s[..open].trim_end()
        }
        _ => s,
    }
}

/// Whether `s` reads like "12ms", "0.5 ms", "1.2s", "0.00s".
fn is_duration(s: &str) -> bool {
    let s = s.trim();
    let unit_start = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(unit_start);
    !number.is_empty() && matches!(unit.trim(), "ms" | "s" | "µs" | "us" | "ns" | "m")
}

/// The count of leading spaces.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

#[cfg(test)]
#[path = "testparse/tests.rs"]
mod tests;
