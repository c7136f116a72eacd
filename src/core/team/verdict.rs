//! The verifier's verdict: a pure function of two test runs, the baseline (before any patch)
//! and the run after a patch. A patch is verified only when the test command exits 0, every
//! test that failed in the baseline now passes, and no test that passed in the baseline fails
//! or has disappeared. No model is asked.

use std::collections::BTreeSet;

/// One run of the test command, as the verifier saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TestRun {
    /// The exit code; `None` when the process was killed.
    pub exit_code: Option<i32>,
    /// Whether the wall-clock limit killed it.
    pub timed_out: bool,
    /// Tests that passed, by name.
    pub passed: BTreeSet<String>,
    /// Tests that failed, by name.
    pub failed: BTreeSet<String>,
}

impl TestRun {
    /// Whether the command exited 0.
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }
}

/// The verdict on one patch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    /// Whether the patch is verified.
    pub verified: bool,
    /// Why, in words (names the tests that still fail or broke).
    pub reason: String,
}

/// Judges `after` against `baseline`.
pub fn judge(baseline: &TestRun, after: &TestRun) -> Verdict {
    let reject = |reason: String| Verdict {
        verified: false,
        reason,
    };
    if after.timed_out {
        return reject("the tests did not finish before the time limit".into());
    }
    let still_failing: Vec<&String> = baseline
        .failed
        .iter()
        .filter(|t| !after.passed.contains(*t))
        .collect();
    let broken: Vec<&String> = baseline
        .passed
        .iter()
        .filter(|t| after.failed.contains(*t))
        .collect();
    let missing: Vec<&String> = baseline
        .passed
        .iter()
        .filter(|t| !after.passed.contains(*t) && !after.failed.contains(*t))
        .collect();
    if !broken.is_empty() {
        return reject(format!(
            "{} that passed before now fail: {}",
            count(broken.len(), "test"),
            list(&broken)
        ));
    }
    if !missing.is_empty() {
        return reject(format!(
            "{} that passed before no longer ran: {}",
            count(missing.len(), "test"),
            list(&missing)
        ));
    }
    if !still_failing.is_empty() {
        return reject(format!("still failing: {}", list(&still_failing)));
    }
    let new_failures: Vec<&String> = after.failed.iter().collect();
    if !new_failures.is_empty() {
        return reject(format!("new failing tests: {}", list(&new_failures)));
    }
    match after.exit_code {
        Some(0) => {
            let reason = if baseline.failed.is_empty() && baseline.passed.is_empty() {
                "the test command now exits 0 (no test names could be read from its output)"
                    .to_string()
            } else if baseline.failed.is_empty() {
                format!("all {} tests pass", after.passed.len())
            } else {
                format!(
                    "{} now pass{}, and no test that passed before fails",
                    list(&baseline.failed.iter().collect::<Vec<_>>()),
                    if baseline.failed.len() == 1 { "es" } else { "" }
                )
            };
            Verdict {
                verified: true,
                reason,
            }
        }
        Some(code) => reject(format!("the test command exited {code}")),
        None => reject("the test command was killed".into()),
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// At most five names, then "and N more".
fn list(names: &[&String]) -> String {
    let shown: Vec<&str> = names.iter().take(5).map(|s| s.as_str()).collect();
    let mut text = shown.join(", ");
    if names.len() > 5 {
        text.push_str(&format!(" and {} more", names.len() - 5));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: i32, passed: &[&str], failed: &[&str]) -> TestRun {
        TestRun {
            exit_code: Some(code),
            timed_out: false,
            passed: passed.iter().map(|s| s.to_string()).collect(),
            failed: failed.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_target_passing_with_nothing_broken_is_verified() {
        let v = judge(&run(1, &["a"], &["b"]), &run(0, &["a", "b"], &[]));
        assert!(v.verified, "{v:?}");
        assert!(v.reason.contains('b'));
    }

    #[test]
    fn a_fix_that_breaks_another_test_is_rejected() {
        let v = judge(&run(1, &["a"], &["b"]), &run(1, &["b"], &["a"]));
        assert!(!v.verified);
        assert!(v.reason.contains("now fail: a"), "{}", v.reason);
    }

    #[test]
    fn deleting_a_passing_test_is_rejected() {
        let v = judge(&run(1, &["a", "c"], &["b"]), &run(0, &["a", "b"], &[]));
        assert!(!v.verified);
        assert!(v.reason.contains("no longer ran: c"), "{}", v.reason);
    }

    #[test]
    fn a_target_still_failing_or_a_bad_exit_or_a_timeout_is_rejected() {
        assert!(!judge(&run(1, &["a"], &["b"]), &run(1, &["a"], &["b"])).verified);
        assert!(!judge(&run(1, &["a"], &["b"]), &run(2, &["a", "b"], &[])).verified);
        let mut slow = run(0, &["a", "b"], &[]);
        slow.timed_out = true;
        assert!(!judge(&run(1, &["a"], &["b"]), &slow).verified);
    }

    #[test]
    fn without_names_the_exit_code_decides() {
        assert!(judge(&run(1, &[], &[]), &run(0, &[], &[])).verified);
        assert!(!judge(&run(1, &[], &[]), &run(1, &[], &[])).verified);
    }
}
